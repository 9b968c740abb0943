# Two commands do all the set-up on a fresh clone: `make bench` and `make test`.
# Both create or reuse .venv; the stamp is remade when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.zoo-installed

.PHONY: bench test benchmarks

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: measure every model of the bundled index on every backend, export the latest
# results to benchmarks/results/, and render the model cards from them.
# A failed configuration still lets the others be exported; the exit status is the sweep's.
bench: $(STAMP)
	$(BIN)/zoo bench --all; status=$$?; $(BIN)/zoo results export && $(BIN)/zoo docs && exit $$status

test: $(STAMP)
	$(BIN)/ruff check zoo tests benchmarks
	$(BIN)/ruff format --check zoo tests benchmarks
	$(BIN)/python -m pytest
	$(BIN)/zoo docs --check

benchmarks: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-autosave
