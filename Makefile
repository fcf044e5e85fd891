# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   creates .venv, installs, runs the main job once on embedded defaults
#   make test   installs test dependencies and runs the whole suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Without SYNDICATION_SECRET_KEY the demo (and a later `syndication serve`) sign with one local key kept in
# var/secret_key, so the demo mails' links keep working.

.PHONY: demo test test-moved-clock lint install install-test clean bench docs catalogs

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

# The suite again on another day, hour and zone: 00:59 UTC on 2027-03-28, one minute before Europe/Berlin moves
# to summer time, seen from Auckland. The wall clock of the test process and its children is moved by the
# libfaketime that the `libfaketime` package (test extra) builds; the monotonic clock stays real, so that timeouts
# and sleeps behave (Debian's faketime 0.9.10 hangs Python's timed waits). An offset, not a start time ("@…"):
# with a start time each process's clock starts there when it starts, so the processes of one test (a scheduler
# leader and its standby) would disagree about "now".
MOVED_UTC ?= 2027-03-28T00:59:00Z
MOVED_TZ ?= Pacific/Auckland
FIND_LIBFAKETIME = import libfaketime, pathlib; print(next(pathlib.Path(libfaketime.__file__).parent.rglob("libfaketime.so.1")))
test-moved-clock: install-test
	TZ=$(MOVED_TZ) FAKETIME_DONT_FAKE_MONOTONIC=1 \
	  FAKETIME="+$$(( $$(date -d '$(MOVED_UTC)' +%s) - $$(date +%s) ))" \
	  LD_PRELOAD="$$($(BIN)/python -c '$(FIND_LIBFAKETIME)')" \
	  $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check syndication subscribers tests benchmarks

# Every benchmark (about 10 minutes on 2 cores; the delivery one sends a million messages).
bench: install
	$(BIN)/python benchmarks/collect.py
	$(BIN)/python benchmarks/feeds.py
	$(BIN)/python benchmarks/digest.py
	$(BIN)/python benchmarks/messages.py
	$(BIN)/python benchmarks/delivery.py
	$(BIN)/python benchmarks/serving.py

# The gettext catalogs after a string was added or changed (docs/developers/translations.md): every msgid of the
# code and templates into messages.pot, then into the German and English catalogs; translate the new German
# entries, then tests/test_i18n.py checks that none is missing.
catalogs: install-test
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --project syndication \
	  -o syndication/locale/messages.pot .
	$(BIN)/pybabel update -i syndication/locale/messages.pot -d syndication/locale --no-fuzzy-matching \
	  --ignore-obsolete

# The docs site (MkDocs, strict: a broken link or an undocumented setting fails the build) into site/.
docs: install-test
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) var public outbox site
