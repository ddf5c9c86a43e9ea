# The template's own tasks. uv is installed with pip when it is missing.
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(shell python3 -m pip install --quiet uv >&2 && python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/uv
endif

DEMO_DIR := .demo

.DEFAULT_GOAL := help
.PHONY: help demo test bench lint

help:
	@echo "make demo   render the default project into $(DEMO_DIR)/ and run worker + beat + Flower"
	@echo "make test   run the template's whole test suite"
	@echo "make bench  measure the rendered project; writes docs/benchmarks.md and .json"
	@echo "make lint   ruff over the template and the generated Python; mypy over the tests and bench"

demo:
	rm -rf $(DEMO_DIR)
	$(UV) run cookiecutter --no-input --output-dir $(DEMO_DIR) .
	@echo "Rendered $(DEMO_DIR)/housekeeping; starting it with a 5-second heartbeat (Ctrl-C stops it)"
	cd $(DEMO_DIR)/housekeeping && $(UV) sync --quiet && HEARTBEAT_INTERVAL=5 PATH="$(dir $(UV)):$$PATH" scripts/dev.sh

test:
	$(UV) run pytest

bench:
	PATH="$(dir $(UV)):$$PATH" $(UV) run python bench/run.py

# ruff over the template and the generated project's Python as it stands in
# the template (the tests lint and type-check each render too); the
# generated pyproject.toml holds Jinja, so ruff is pointed at this one.
# mypy over the template's own tests and bench.
lint:
	$(UV) run ruff check --config pyproject.toml .
	$(UV) run ruff format --check --config pyproject.toml .
	$(UV) run mypy
