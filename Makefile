# Every target creates .venv when it is missing and installs the project into it, at the versions pinned in
# requirements.lock (a dependency not yet in the lock installs at its newest allowed version).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock

.PHONY: run test lint bench docs clean lock test-floors

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) -e '.[dev]'
	touch $(STAMP)

# Re-pin every dependency (runtime and dev, all platforms, Python 3.11 and later) after a change to
# pyproject.toml's dependencies; uv is installed into .venv for this only.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--quiet -o $(LOCK)

# The declared floors are true: a separate venv with every dependency at its floor (.ci/floors.py turns
# `name>=X` into `name==X`) passes a fast subset of the tests and a short run.
FLOORS := .venv-floors
test-floors:
	rm -rf $(FLOORS)
	$(PYTHON) -m venv $(FLOORS)
	$(PYTHON) .ci/floors.py dev > $(FLOORS)/constraints.txt
	$(FLOORS)/bin/python -m pip install --quiet --upgrade pip
	$(FLOORS)/bin/python -m pip install --quiet --constraint $(FLOORS)/constraints.txt '.[dask]' \
		pytest hypothesis pytest-xdist nbformat jsonschema
	$(FLOORS)/bin/python -m pip freeze --exclude inmail-sim | tr '\n' ' '; echo
	$(FLOORS)/bin/python -m pytest -n 2 -q -p no:cacheprovider \
		tests/rules tests/test_scenario.py tests/test_init.py tests/test_validate_cli.py \
		tests/test_experiment.py::test_dask_local_cluster_gives_equal_tables
	$(FLOORS)/bin/inmail-sim run scenarios/baseline.yaml --set horizon_days=30 --replications 2 \
		--executor serial --out $(FLOORS)/results --quiet --no-report
	test -f $(FLOORS)/results/summary.json

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
	rm -rf $(VENV) $(FLOORS) results .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
