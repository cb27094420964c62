# make lab     - first time: create .venv from the pinned files; then open JupyterLab on notebook 00
# make test    - ruff, the helpers' unit tests, and nbval over every notebook (all outputs compared)
# make test-portable - nbval over every notebook as other machines round: 1 CPU, no AVX-512, no oneDNN in TF
# make timings - run each notebook in a fresh kernel; print its seconds and the kernel's peak memory
# make guide   - rewrite the generated parts of INSTRUCTORS.md and WORKSHOP_PLAN.md from the notebooks and data/
# make learner - learner copies of the notebooks (no solutions) in learner/
# make slides  - write the slide metadata (jupyterlab-rise) into the notebooks
# make setup-check    - notebook 00's setup check from a terminal (learners run it before the day)
# make timings-record - timings on 2 CPUs and on 1 CPU saved in data/timings.json, then make guide
# make wheelhouse    - the wheels of this laptop's platform into wheelhouse/PLATFORM/ (copy it for a room without
#                      Wi-Fi); PLATFORMS="linux-x86_64 linux-aarch64 macos-x86_64 macos-arm64" fills one folder each
# make offline-check - install from wheelhouse/PLATFORM/ (this one) into a throw-away venv, the network cut off
# make browser-test  - notebooks 00 and 07 run in JupyterLab in headless Chromium (screenshots in screenshots/)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_ARGS ?=
# Jupyter refuses to start as root (containers, some CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
WHEELHOUSE := wheelhouse
# This Python's platform (linux-x86_64, linux-aarch64, macos-x86_64 or macos-arm64) and its wheelhouse folder.
HOST := $(shell $(PYTHON) -m utils.wheelhouse host 2>/dev/null)
HOUSE := $(WHEELHOUSE)/$(HOST)
PLATFORMS ?= $(HOST)
# With wheelhouse/PLATFORM/ present (make wheelhouse, or copied from a USB stick) installs use it alone, no network.
PIP_FROM := $(if $(wildcard $(HOUSE)/*.whl),--no-index --find-links $(HOUSE),)
# JupyterLab's settings for teaching (no news pop-up on first start); binder/postBuild installs the same file.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
CHECK_PYTHON := $(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else \
  f"Python 3.11 is needed, found {v[0]}.{v[1]} at {sys.executable}: install 3.11 or run make PYTHON=/path/to/python3.11")'

# Every kernel these targets start inherits this: TensorFlow quiet, Keras on its default back end.
export TF_CPP_MIN_LOG_LEVEL := 3
export KERAS_BACKEND := tensorflow
# Notebooks run by the tests and timings record their results here, never in the learner's results/.
CHECK_RESULTS := $(CURDIR)/build/check-results
notebooks test-portable timings timings-record: export KVTVP_RESULTS := $(CHECK_RESULTS)
# Notebook 07 then reads only the committed references, so nbval can compare its outputs.
notebooks test-portable: export KVTVP_REFERENCES_ONLY := 1
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: lab test test-portable lint unit notebooks timings clean guide learner slides setup-check timings-record \
  wheelhouse offline-check browser-test

$(STAMP): requirements.txt pyproject.toml
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FROM) -r requirements.txt $(if $(PIP_FROM),|| { echo "Not in $(HOUSE)/: \
	  run make wheelhouse where there is a network (requirements.txt changed?) or remove $(HOUSE)/"; exit 1; })
	$(BIN)/pip install $(PIP_FROM) --no-deps -e .
	touch $@

$(LAB_SETTINGS): binder/overrides.json $(STAMP)
	mkdir -p $(@D)
	cp $< $@

lab: $(STAMP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab notebooks/00_introduction.ipynb $(ROOT_FLAG) $(LAB_ARGS)

test: lint unit notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/pytest tests

# A cell that gives no answer for this long fails, named notebook::Cell N (the slowest takes ~60 s on 1 CPU).
CELL_TIMEOUT := 300
NBVAL := $(BIN)/pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT)

notebooks: $(STAMP)
	$(NBVAL)

# The stored outputs must not depend on the machine that stored them: each run changes how floats are rounded
# (thread count and CPU; vector instructions of oneDNN, PyTorch's kernels and XLA; TensorFlow without oneDNN).
# Every condition runs; the target fails at the end if any did.
test-portable: $(STAMP)
	@failed=""; \
	taskset -c 0 $(NBVAL) || failed="$$failed 1-CPU"; \
	ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 XLA_FLAGS=--xla_cpu_max_isa=AVX2 $(NBVAL) || failed="$$failed AVX2"; \
	TF_ENABLE_ONEDNN_OPTS=0 $(NBVAL) || failed="$$failed no-oneDNN"; \
	test -z "$$failed" || { echo "make test-portable failed under:$$failed"; exit 1; }

timings: $(STAMP)
	$(BIN)/python -m utils.timings notebooks

# Run on a quiet machine (uptime: load well under 1). A notebook over budget still has its times saved.
timings-record: $(STAMP)
	-taskset -c 0,1 $(BIN)/python -m utils.timings notebooks --save data/timings.json --label 2cpu
	-taskset -c 0 $(BIN)/python -m utils.timings notebooks --save data/timings.json --label 1cpu
	$(BIN)/python -m utils.workshop

guide: $(STAMP)
	$(BIN)/python -m utils.workshop

learner: $(STAMP)
	$(BIN)/python -m utils.learner notebooks learner

slides: $(STAMP)
	$(BIN)/python -m utils.slides

setup-check: $(STAMP)
	$(BIN)/python -c 'from utils.setup import setup; setup()'

# One folder per platform, holding exactly the wheels data/wheels.json names for it (pip download --no-deps
# --only-binary=:all: --platform ... --python-version 3.11): a USB stick made on Linux serves the Macs too. A platform
# where a pin has no wheel is skipped with the reason (learners there use Binder). On Linux, torch must be the CPU
# build: here pip's find-links offers it (/opt/wheels); elsewhere PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu.
# After a pin changes: python -m utils.wheelhouse record (with the network) rewrites data/wheels.json.
wheelhouse: $(addprefix $(WHEELHOUSE)/,$(PLATFORMS))

$(WHEELHOUSE)/%: requirements.txt pyproject.toml data/wheels.json
	@$(CHECK_PYTHON)
	$(PYTHON) -m utils.wheelhouse download $* --into $(WHEELHOUSE)

offline-check: $(HOUSE)
	.ci/offline-check $(PYTHON) $(HOUSE)

# Installs Debian's chromium and chromium-driver where missing; then browser_tests/ (not part of make test).
browser-test: $(STAMP) $(LAB_SETTINGS)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(if $(ROOT_FLAG),,sudo) apt-get update && \
	  $(if $(ROOT_FLAG),,sudo) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends chromium chromium-driver; }
	$(BIN)/pytest browser_tests -v

clean:
	rm -rf $(VENV)
