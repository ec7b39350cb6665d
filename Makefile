# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Each creates .venv, installs the package with what it needs, and runs.
#
#   TORCH_SPEC   what to install when torch is missing (default: the CPU build
#                torch==2.13.0, which pip finds on local disk here; a plain
#                "torch" requirement would pull a multi-GB CUDA build)
#   PYTHON       interpreter that creates the virtual environment
#   PYTEST_ARGS  extra pytest arguments, e.g. PYTEST_ARGS="-k scorer"

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast surrogates clean help

help:
	@echo "make demo   - set up .venv and run the main job (F1 surrogate vs cross-entropy on OpenML pc4)"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make surrogates - re-learn the shipped ReLoss surrogates (seeded; about 30 minutes on 2 cores)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,demo]"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m sklearn_surrogate demo

test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

surrogates: install
	$(PY) -m sklearn_surrogate train-surrogates

clean:
	rm -rf $(VENV) demo_output build *.egg-info .pytest_cache
