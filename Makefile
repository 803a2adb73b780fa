# Every target creates .venv when it is missing and installs the project into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/inmail-sim run scenarios/baseline.yaml --out results/baseline --force

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --cov=sim --cov-branch --cov-report=term
	@echo "Branch coverage of the rules engine (sim/rules), at least 95%:"
	$(BIN)/python -m coverage report --include='sim/rules/*' --fail-under=95

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/mypy sim

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The README's gallery: small runs, a sweep and a comparison into results/docs/, then small PNGs into docs/.
DOCS_RESULTS := results/docs
docs: $(STAMP)
	$(BIN)/inmail-sim run scenarios/baseline.yaml --out $(DOCS_RESULTS)/baseline --replications 5 --force --quiet
	$(BIN)/inmail-sim run scenarios/blasting_team.yaml --out $(DOCS_RESULTS)/blasting --replications 5 --force --quiet
	$(BIN)/inmail-sim sweep scenarios/seed_vs_current.yaml --out $(DOCS_RESULTS)/seed_vs_current \
		--replications 5 --force --quiet
	$(BIN)/inmail-sim compare scenarios/baseline.yaml scenarios/current_rules.yaml --replications 5 \
		--out $(DOCS_RESULTS)/compare --force --quiet
	$(BIN)/python docs/make_gallery.py $(DOCS_RESULTS) docs

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
