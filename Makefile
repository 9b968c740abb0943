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

# One pytest invocation. xdist's workers are fresh interpreters (execnet), one per core up to four;
# each test file runs in one worker, so its module fixtures are built once. The workers share the
# session's artefact cache (tests/conftest.py), so lite0 is exported and converted once. The import
# contracts ([tool.importlinter] in pyproject.toml) keep packages out of each other's private modules.
test: $(STAMP) browser
	$(BIN)/ruff check zoo tests benchmarks
	$(BIN)/ruff format --check zoo tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile
	$(BIN)/zoo docs --check

benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-autosave
