# make lab     - first time: create .venv from the pinned files; then open JupyterLab on notebook 00
# make test    - ruff, the helpers' unit tests, and nbval over every notebook (all outputs compared)
# make timings - run each notebook in a fresh kernel; print its seconds and the kernel's peak memory
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to start as root (containers, some CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Every kernel these targets start inherits this: TensorFlow quiet, Keras on its default back end.
export TF_CPP_MIN_LOG_LEVEL := 3
export KERAS_BACKEND := tensorflow
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: lab test lint unit notebooks timings clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else \
	  f"Python 3.11 is needed, found {v[0]}.{v[1]} at {sys.executable}: install 3.11 or run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install --no-deps -e .
	touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_introduction.ipynb $(ROOT_FLAG) $(LAB_ARGS)

test: lint unit notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/pytest tests

notebooks: $(STAMP)
	$(BIN)/pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg

timings: $(STAMP)
	$(BIN)/python -m utils.timings notebooks

clean:
	rm -rf $(VENV)
