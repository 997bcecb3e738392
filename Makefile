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

# The main job: summarise and render a sample file shipped with pydicom (into ./out/).
run: setup
	@mkdir -p out; \
	SAMPLE=$$($(BIN)/python -c "from pydicom.data import get_testdata_file as f; print(f('CT_small.dcm'))"); \
	set -x; $(BIN)/dicom-tools info "$$SAMPLE" && \
	$(BIN)/dicom-tools to-image "$$SAMPLE" -o out/CT_small.png --window-center 40 --window-width 400

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
