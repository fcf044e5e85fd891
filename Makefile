# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   creates .venv, installs, runs the main job once on embedded defaults
#   make test   installs test dependencies and runs the whole suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The demo signs its links with a throw-away key unless one is set in the environment.
export SYNDICATION_SECRET_KEY ?= $(shell $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(32))")

.PHONY: demo test lint install install-test clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/syndication demo

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check syndication subscribers tests benchmarks

# All four benchmarks (about 10 minutes on 2 cores; the delivery one sends a million messages).
bench: install
	$(BIN)/python benchmarks/collect.py
	$(BIN)/python benchmarks/feeds.py
	$(BIN)/python benchmarks/digest.py
	$(BIN)/python benchmarks/delivery.py

clean:
	rm -rf $(VENV) var public outbox
