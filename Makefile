# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Each creates .venv, installs the package with what it needs, and runs.
#
#   TORCH_SPEC   what to install when torch is missing (default: the CPU build
#                torch==2.13.0, which pip finds on local disk here; a plain
#                "torch" requirement would pull a multi-GB CUDA build)
#   PYTHON       interpreter that creates the virtual environment
#   PYTEST_ARGS  extra pytest arguments, e.g. PYTEST_ARGS="-k scorer"; PYTEST_ARGS="-m shared_data" runs
#                the tests that read the shared OpenML corpus (../shared/datasets)
#
# Tests, benchmarks and examples find the shared corpus through $SKLEARN_SURROGATE_SHARED_DATASETS or a
# shared/datasets folder above the checkout; SKLEARN_SURROGATE_SHARED_DATASETS=off make test runs the
# suite as a user's clone sees it (what CI does first).
#   SPHINXOPTS   extra sphinx-build options, e.g. SPHINXOPTS="-D plot_gallery=0" (skip the gallery)

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
SPHINXOPTS ?=
DOCS_OUT ?= docs/_build/html

PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install install-docs demo test docs docs-check surrogates clean help

help:
	@echo "make demo   - set up .venv and run the main job (F1 surrogate vs cross-entropy on OpenML pc4)"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make docs   - build the documentation site into docs/_build/html (warnings are errors; runs the gallery)"
	@echo "make docs-check - screenshot the built site in headless Chromium and check it is not broken"
	@echo "make surrogates - re-learn the shipped ReLoss surrogates (seeded, one thread; about an hour and a half)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,demo]"
	@touch $(STAMP)

install: $(STAMP)

DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[test,demo,docs]"
	@touch $(DOCS_STAMP)

install-docs: $(DOCS_STAMP)

demo: install
	$(PY) -m sklearn_surrogate demo

test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

# Warnings are errors (-W --keep-going lists them all); -E and the rm make every build a full
# one. The gallery runs in the build's process with OMP_NUM_THREADS=2 (the two cores) unless set;
# SPHINX_OFFLINE=1 (the default here: no network) drops intersphinx, SPHINX_OFFLINE=0 keeps it.
docs: install-docs
	rm -rf docs/generated docs/auto_examples docs/sg_execution_times.rst $(DOCS_OUT)
	SPHINX_OFFLINE=$${SPHINX_OFFLINE-1} OMP_NUM_THREADS=$${OMP_NUM_THREADS-2} \
		$(VENV)/bin/sphinx-build -E -W --keep-going -b html -j 1 $(SPHINXOPTS) docs $(DOCS_OUT)
	$(PY) docs/check_gallery_times.py docs/auto_examples $(if $(findstring plot_gallery=0,$(SPHINXOPTS)),,--require-times)

docs-check: install-docs
	$(PY) docs/check_site.py $(DOCS_OUT)

surrogates: install
	$(PY) -m sklearn_surrogate train-surrogates --threads 1

clean:
	rm -rf $(VENV) demo_output build *.egg-info .pytest_cache docs/_build docs/generated docs/auto_examples \
		docs/sg_execution_times.rst
