# The course's commands. Every target installs what is missing first (a venv in .venv).
# Override on the command line, e.g.
#   make setup PYTHON=python3.11
#   make setup TORCH_SPEC='torch' PIP_ARGS='--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple'
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# A CPU build of torch: pinned here (not in pyproject.toml, whose range stays honest).
TORCH_SPEC ?= torch==2.13.0
WHEELS ?= /opt/wheels
PIP_ARGS ?= $(if $(wildcard $(WHEELS)),--find-links $(WHEELS),)
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
PYTEST_ARGS ?=

.PHONY: setup lab test fast notebooks student bench clean help

help:
	@echo "make setup      create .venv and install inrutils with the course's tools"
	@echo "make lab        open JupyterLab on notebooks/"
	@echo "make test       unit tests + every notebook under nbval, fast tier (what CI runs)"
	@echo "make fast       unit tests only"
	@echo "make notebooks  re-run every notebook in the default tier and save it in place"
	@echo "make student    write student versions (solutions stripped) to build/student/"
	@echo "make bench      run the benchmarks in scripts/"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.10+ not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check $(PIP_ARGS) "$(TORCH_SPEC)" -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# Two xdist workers share the cores: one thread each (notebook kernels inherit OMP_NUM_THREADS; with two
# threads per kernel the OpenMP barriers of small tensors spin against the other worker, up to 9x slower).
test: $(STAMP)
	INRUTILS_FAST=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadscope -p no:cacheprovider \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 tests $(NOTEBOOKS) $(PYTEST_ARGS)

fast: $(STAMP)
	INRUTILS_FAST=1 $(PY) -m pytest -n 2 -p no:cacheprovider tests $(PYTEST_ARGS)

notebooks: $(STAMP)
	env -u INRUTILS_FAST $(PY) scripts/run_notebooks.py $(NOTEBOOKS)

student: $(STAMP)
	$(PY) scripts/make_student.py notebooks build/student

bench: $(STAMP)
	$(PY) scripts/bench_fit.py
	$(PY) scripts/bench_derivatives.py

clean:
	rm -rf build .pytest_cache
