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
# nbgrader (the optional `instructor` extra) for make assignments / grade / student and their tests.
INSTRUCTOR := $(VENV)/.installed-instructor
COURSE ?= build/course
SUBMISSIONS ?=
GRADE_TIMEOUT ?= 300
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
LINT_PATHS := inrutils scripts tests book notebooks
# Self-learners' answer-free working copies (gitignored: their own work; never overwritten unless FORCE=1).
LEARNER ?= learner
FORCE ?=
PYTEST_ARGS ?=

.PHONY: setup lab lab-solutions learner lint format test fast notebooks student assignments grade book bench clean help

help:
	@echo "make setup      create .venv and install inrutils with the course's tools"
	@echo "make lab        make the missing answer-free copies in $(LEARNER)/ and open JupyterLab on $(LEARNER)/"
	@echo "make learner    answer-free working copies of the notebooks in $(LEARNER)/ (solutions collapsed under"
	@echo "                'Show a solution'); existing copies are kept, FORCE=1 overwrites them (your work is lost)"
	@echo "make lab-solutions  open JupyterLab on notebooks/ (solutions filled in: instructors, authors)"
	@echo "make test       unit tests + every notebook under nbval, fast tier (what CI runs)"
	@echo "make fast       unit tests only"
	@echo "make lint       ruff format --check and ruff check (make test runs it first)"
	@echo "make format     ruff format and ruff check --fix in place"
	@echo "make notebooks  re-run every notebook in the default tier and save it in place"
	@echo "make student    write student versions (the nbgrader release, cells editable) to build/student/"
	@echo "make assignments  nbgrader course directory in $(COURSE): source/ and release/ per notebook"
	@echo "make grade SUBMISSIONS=dir  autograde dir/<student>/<notebook>.ipynb -> $(COURSE)/grades.csv"
	@echo "make book       build the course site (saved notebooks, README, docs/) in build/book/html/"
	@echo "make bench      run the benchmarks in scripts/"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.10+ not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check $(PIP_ARGS) "$(TORCH_SPEC)" -e ".[dev]"
	touch $(STAMP)

$(INSTRUCTOR): $(STAMP)
	$(PY) -m pip install --disable-pip-version-check $(PIP_ARGS) "$(TORCH_SPEC)" -e ".[dev,instructor]"
	touch $(INSTRUCTOR)

setup: $(STAMP)

# The site's tools (Sphinx, myst-nb, sphinx-book-theme) and Playwright for the browser tests.
BOOK_STAMP := $(VENV)/.installed-book
$(BOOK_STAMP): $(STAMP)
	$(PY) -m pip install --disable-pip-version-check $(PIP_ARGS) "$(TORCH_SPEC)" -e ".[dev,book]"
	touch $(BOOK_STAMP)

# make lab: the learner's copies (only the missing ones are made); make lab-solutions: the notebooks themselves.
lab: $(STAMP)
	$(PY) scripts/make_learner.py --out $(LEARNER) $(NOTEBOOKS)
	$(BIN)/jupyter lab $(LEARNER)/

lab-solutions: $(STAMP)
	$(BIN)/jupyter lab notebooks/

learner: $(STAMP)
	$(PY) scripts/make_learner.py --out $(LEARNER) $(if $(FORCE),--force) $(NOTEBOOKS)

# Style (DESIGN.md standard 8): ruff's settings are in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)

format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

# Two xdist workers share the cores: one thread each (notebook kernels inherit OMP_NUM_THREADS; with two
# threads per kernel the OpenMP barriers of small tensors spin against the other worker, up to 9x slower).
# With Chromium on the machine, the browser tests (tests/test_browser.py) run too: install their tools.
test: $(STAMP) $(INSTRUCTOR) $(if $(wildcard /usr/bin/chromium),$(BOOK_STAMP))
	$(MAKE) lint
	INRUTILS_FAST=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadscope -p no:cacheprovider \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 tests $(NOTEBOOKS) $(PYTEST_ARGS)

fast: $(STAMP) $(INSTRUCTOR)
	INRUTILS_FAST=1 $(PY) -m pytest -n 2 -p no:cacheprovider tests $(PYTEST_ARGS)

notebooks: $(STAMP)
	env -u INRUTILS_FAST $(PY) scripts/run_notebooks.py $(NOTEBOOKS)

# One way to strip solutions: nbgrader's generate_assignment (make assignments); make student copies its release.
assignments: $(INSTRUCTOR)
	$(PY) scripts/nbgrader_course.py release --course $(COURSE) --timeout $(GRADE_TIMEOUT) $(NOTEBOOKS)

student: assignments
	$(PY) scripts/make_student.py $(COURSE)/release build/student

# Grades in the fast tier (INRUTILS_FAST=1; the checks do not depend on the tier), GRADE_TIMEOUT seconds per cell.
grade: $(INSTRUCTOR)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir (one folder per student: dir/<student>/<notebook>.ipynb)"; exit 2; }
	test -f $(COURSE)/gradebook.db || $(MAKE) assignments
	$(PY) scripts/nbgrader_course.py grade --course $(COURSE) --timeout $(GRADE_TIMEOUT) --csv $(COURSE)/grades.csv $(SUBMISSIONS)

# The site from the saved notebooks (never executed), README and docs/; Sphinx's config is in book/.
book: $(BOOK_STAMP)
	$(PY) -m sphinx -E -b html -c book -d build/book/doctrees . build/book/html
	@echo "Site in build/book/html/: open build/book/html/index.html, or serve it with"
	@echo "  $(PY) -m http.server --bind 127.0.0.1 --directory build/book/html 8000"

bench: $(STAMP)
	$(PY) scripts/bench_fit.py
	$(PY) scripts/bench_derivatives.py

clean:
	rm -rf build .pytest_cache
