# Quick start targets; see README.md. Every target is idempotent.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format bench clean

$(STAMP): pyproject.toml $(wildcard src/dicom_tools/dicom/data/*.py)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	# byte-compile the generated tables once, also when PYTHONDONTWRITEBYTECODE is set
	$(BIN)/python -m compileall -q src/dicom_tools/dicom/data
	touch $(STAMP)

setup: $(STAMP)

# The main job: the web server (REST API and DICOMweb) on its embedded store under ./data,
# given a few sample files on its first start; it prints its URL. Ctrl-C stops it.
# PORT=N picks another port, ARGS adds options (e.g. ARGS="--token T --host 0.0.0.0").
PORT ?= 3000
run: setup
	$(BIN)/dicom-tools web --port $(PORT) --data-dir data $(ARGS)

# The references are required here: a missing dcmtk / GDCM / dicom3tools tool or reference file
# fails the test that needs it (naming it) instead of skipping; a plain pytest run may skip.
test: setup
	bash scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DICOM_TOOLS_REQUIRE_REFERENCES=1 $(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: setup
	bash scripts/system-deps.sh
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f $(if $(BEFORE),--before $(BEFORE)) || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
