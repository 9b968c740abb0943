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

# The main job: the full matrix on the bundled index. Every model on every backend, at every precision
# each backend runs (fp32, bf16, int8), in the latency and throughput scenarios; accuracy and the INT8
# accuracy cost on $(ZOO_DATA) (a folder of labelled photos, named by ZOO_DATA_NAME or its
# zoo-dataset.yml) or, without it, a smoke check on the bundled photos (fp32 and bf16: INT8 calibrates
# on those); every backend's logits against torch fp32. Then export, cards and site. Progress lines
# (with the time left) go to .zoo/bench.log as well; a stopped bench resumes where it stopped. A failed
# configuration still lets the others be exported; the exit status is the worst of the three. It ends
# with one screen (`zoo results summary`): per model the fastest configuration, the images/s, the top-1
# on the dataset named and the INT8 verdicts; the failures with their reasons; where everything went.
ZOO_DATA ?=
ZOO_DATA_NAME ?=
EVAL_ARGS = $(if $(ZOO_DATA),--matrix --data "$(ZOO_DATA)" $(if $(ZOO_DATA_NAME),--dataset-name "$(ZOO_DATA_NAME)"),--precision fp32 --precision bf16)
bench: SHELL := /bin/bash
bench: $(STAMP)
	@mkdir -p .zoo
	set -o pipefail; { \
	  $(BIN)/zoo bench --all --matrix --resume; b=$$?; \
	  $(BIN)/zoo eval --all $(EVAL_ARGS); e=$$?; \
	  $(BIN)/zoo check-backends --all --matrix; c=$$?; \
	  $(BIN)/zoo results export && $(BIN)/zoo docs && $(BIN)/zoo site; p=$$?; \
	  $(BIN)/zoo results summary --log .zoo/bench.log; \
	  [ $$p = 0 ] || exit 1; \
	  exit $$(( b > e ? (b > c ? b : c) : (e > c ? e : c) )); \
	} 2>&1 | tee .zoo/bench.log

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
