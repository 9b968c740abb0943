# Two commands do all the set-up on a fresh clone: `make bench` and `make test`.
# Both create or reuse .venv; the stamp is remade when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.zoo-installed

.PHONY: bench test benchmarks site browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: measure every model of the bundled index on every backend, export the latest
# results to benchmarks/results/, render the model cards from them, and build the site (site/).
# A failed configuration still lets the others be exported; the exit status is the sweep's.
bench: $(STAMP)
	$(BIN)/zoo bench --all; status=$$?; $(BIN)/zoo results export && $(BIN)/zoo docs && $(BIN)/zoo site && exit $$status

# The static site from the committed results, without measuring: open site/index.html.
site: $(STAMP)
	$(BIN)/zoo site

# The browser tests need Chromium from the system packages: install it when we can (root or
# password-less sudo with apt-get), else say loudly that those tests will be skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=no; fi; \
	  if [ "$$SUDO" != no ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null || true; \
	  fi; }
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "##################################################################"; \
	  echo "## chromium is missing and cannot be installed here:            ##"; \
	  echo "## THE BROWSER TESTS (tests/publish/test_browser.py) ARE SKIPPED ##"; \
	  echo "##################################################################"; } >&2

# One pytest process per test folder: one process that had loaded torch, OpenVINO, ONNX Runtime and a
# DataLoader's workers segfaulted in a later subprocess call; each folder in its own process runs clean.
test: $(STAMP) browser
	$(BIN)/ruff check zoo tests benchmarks
	$(BIN)/ruff format --check zoo tests benchmarks
	$(BIN)/mypy
	set -e; for part in $$(ls -d tests/*/ | grep -v __pycache__) tests/test_*.py; do \
	  $(BIN)/python -m pytest $$part; done
	$(BIN)/zoo docs --check

benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-autosave
