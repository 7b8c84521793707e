# The two commands: `make run` and `make test`. Needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
PIP := $(BIN)/pip install --disable-pip-version-check -q

.PHONY: run test test-dates lint bench install install-dev migrate demo scheduler clean fonts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): requirements.txt constraints.txt | $(BIN)/python
	$(PIP) -r requirements.txt -c constraints.txt
	touch $@

$(STAMP_DEV): $(STAMP_RUN) requirements-dev.txt
	$(PIP) -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

## Serve http://127.0.0.1:5000 on SQLite, with demo data and the scheduler in the background.
run: demo
	LICENSING_EMBEDDED_SCHEDULER=1 $(FLASK) run --host 127.0.0.1 --port 5000

## The whole suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
## Three test processes on two cores (pytest-xdist): a test waits on PostgreSQL and Chromium often
## enough that a third keeps both cores busy. PYTEST_ARGS="-n 0 -x" runs in one process, stopping early.
PYTEST_ARGS ?= -n 3 --dist loadgroup --no-loadscope-reorder
## Bytecode is cached for the test processes even where the environment says not to write it
## (PYTHONDONTWRITEBYTECODE): each process would otherwise compile the project and rewrite the
## test modules again (about 2 s each). The cache lives in the virtualenv, not in the tree.
PYTEST := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache $(BIN)/pytest
test: install-dev
	$(BIN)/python -m tests.e2e.check_browser
	$(PYTEST) $(PYTEST_ARGS)

## The date-sensitive part of the suite (`pytest -m dates`) once on each of TEST_DATES:
## the first and last day of a month, the year's turn, a make-up working Saturday, a day in
## the Spring Festival holiday, and a year whose holiday notice is not loaded. One pytest run
## (`--test-dates`: each test once per date, the dates one after another in each process).
## On SQLite only: the whole suite already runs both databases on the default date, and the
## dates are about the calendar, not the database (CI's time budget).
TEST_DATES ?= 2026-12-01 2026-11-30 2026-12-31 2027-01-01 2026-02-14 2026-02-18 2027-03-01
test-dates: install-dev
	$(BIN)/python -m tests.e2e.check_browser
	TEST_DATABASE_URL= $(PYTEST) -m dates -q $(PYTEST_ARGS) --test-dates="$(TEST_DATES)"

lint: install-dev
	$(BIN)/ruff check .

scheduler: migrate
	$(FLASK) scheduler run

## The TrueType font PDFs embed (WenQuanYi Micro Hei, Apache-2.0), from Debian; needs root.
## The CJK font the PDFs embed (Debian's package; needs root). Without it PDFs fall back to a
## font that is not embedded, and the font tests are skipped (required in CI).
fonts:
	apt-get install -y --no-install-recommends fonts-wqy-microhei

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
