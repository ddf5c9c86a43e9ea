# The template's own tasks.

# uv, installed with pip when it is missing (as the generated Makefile does);
# the targets, and the tests they run, find it on the PATH.
UV := $(or $(shell command -v uv 2>/dev/null),$(shell echo "uv is missing: installing it with pip" >&2; PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet uv >&2 && python3 -c 'import sysconfig; print(sysconfig.get_path("scripts") + "/uv")'))
ifeq ($(wildcard $(UV)),)
$(error uv is missing and pip could not install it: see https://docs.astral.sh/uv/getting-started/installation/)
endif
export PATH := $(dir $(UV)):$(PATH)

DEMO_DIR := .demo
# Installs what a fresh machine lacks (apt-get, Homebrew), saying what; the
# generated project's own, so both READMEs' commands set a machine up alike.
INSTALL_MISSING := "{{cookiecutter.__project_dir}}/scripts/install-missing.sh"

.DEFAULT_GOAL := help
.PHONY: help demo test bench lint locks

help:
	@echo "make demo   render the default project into $(DEMO_DIR)/ and run worker + beat + Flower"
	@echo "make test   run the template's whole test suite"
	@echo "make bench  measure the rendered project; writes docs/benchmarks.md and .json"
	@echo "make lint   ruff over the template and the generated Python; mypy over the tests and bench"
	@echo "make locks  resolve every render's dependencies afresh into its lock file, then make test"

demo:
	$(INSTALL_MISSING) redis-server
	rm -rf $(DEMO_DIR)
	$(UV) run cookiecutter --no-input --output-dir $(DEMO_DIR) .
	@echo "Rendered $(DEMO_DIR)/housekeeping; starting it with a 5-second heartbeat (Ctrl-C stops it)"
	cd $(DEMO_DIR)/housekeeping && $(MAKE) --no-print-directory install && HEARTBEAT_INTERVAL=5 scripts/dev.sh

# redis-server for every generated suite, PostgreSQL's server programs for
# the Django suite on PostgreSQL, promtool for the alert rules.
test:
	$(INSTALL_MISSING) redis-server initdb promtool
	$(UV) run pytest

bench:
	$(UV) run python bench/run.py

# ruff over the template and the generated project's Python as it stands in
# the template (the tests lint and type-check each render too); the
# generated pyproject.toml holds Jinja, so ruff is pointed at this one.
# mypy over the template's own tests and bench.
lint:
	$(UV) run ruff check --config pyproject.toml .
	$(UV) run ruff format --check --config pyproject.toml .
	$(UV) run mypy

# The generated project's lock files, one per dependency set, resolved
# afresh; the whole suite then runs on exactly those versions.
locks:
	$(UV) run python scripts/refresh_locks.py
	$(MAKE) test
