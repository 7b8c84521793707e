"""Fixtures shared by the whole suite.

Integration tests run on SQLite, and on PostgreSQL as well when ``TEST_DATABASE_URL`` names a
server: the suite creates a scratch database there and drops it at the end, so it can run twice
in a row and in any order.

No test reads the real date. The whole suite, live servers and scheduler processes included,
runs on the test date: ``LICENSING_TEST_TODAY`` (``YYYY-MM-DD``), by default
``DEFAULT_TEST_TODAY``, from 10:00 China Standard Time. The clock ticks on from there, so
leases and timeouts still see time pass; a test that needs another instant freezes it itself
(``clock.freeze``). ``docs/decisions/0018-test-clock.md`` says why.
"""

from __future__ import annotations

import gc
import os
import shutil
import time as monotonic_time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from config.settings import Settings, normalise_database_url
from licensing import clock, create_app
from licensing.api.openapi import openapi_document
from licensing.auth.passwords import use_cheap_hashing_for_tests
from licensing.extensions import db, limiter
from tests import dbclean
from tests.oidc_fake_idp import running_fake_idp

use_cheap_hashing_for_tests()

DEFAULT_TEST_TODAY = date(2026, 11, 18)  # an ordinary Wednesday, a working day


def _test_today() -> date:
    value = os.environ.get("LICENSING_TEST_TODAY", "").strip()
    if not value:
        return DEFAULT_TEST_TODAY
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(
            f"LICENSING_TEST_TODAY must be a date as YYYY-MM-DD, not {value!r}") from None


TEST_TODAY = _test_today()
_suite_day = TEST_TODAY  # the date the clock is on now (``--test-dates`` moves it)
_started = monotonic_time.monotonic()


def suite_now() -> datetime:
    """The suite's current instant: the test date's 10:00 plus the time spent on that date."""
    start = datetime.combine(_suite_day, time(10, 0), tzinfo=clock.LOCAL_TZ)
    return start + timedelta(seconds=monotonic_time.monotonic() - _started)


def reset_test_clock() -> None:
    """Put the clock back on the suite's running test clock (undoing any freeze)."""
    clock.set_frozen(None)
    clock.travel(suite_now())


# From import on, so that session fixtures (live servers, demo data) see the test date too.
reset_test_clock()


# The date-sensitive part of the suite, which CI runs again on the dates in the Makefile's
# TEST_DATES (first and last of a month, the year's turn, a make-up Saturday, the Spring
# Festival, a year without a notice): `pytest -m dates --test-dates=DAY,DAY,...`, one run.
DATE_SENSITIVE_MODULES = {
    "tests/unit/test_calendar_core.py",
    "tests/unit/test_calendar_deadlines.py",
    "tests/unit/test_calendar_notice_file.py",
    "tests/unit/test_calendar_sources.py",
    "tests/unit/test_report_periods.py",
    "tests/unit/test_jobs_registry.py",
    "tests/unit/test_supervision_rules.py",
    "tests/integration/test_calendar.py",
    "tests/integration/test_calendar_views.py",
    "tests/integration/test_report_figures.py",
    "tests/integration/test_report_pages.py",
    "tests/integration/test_jobs.py",
    "tests/e2e/test_report_dashboard.py",
}


_ROOT = Path(__file__).resolve().parents[1]


def _relative(path) -> str:
    return Path(path).resolve().relative_to(_ROOT).as_posix()


def pytest_addoption(parser):
    parser.addoption(
        "--test-dates", default="", metavar="DAY,DAY,...",
        help="run each date-sensitive test (marked dates) once on each of these dates "
             "(YYYY-MM-DD, comma- or space-separated), in this one run")


def _option_dates(config) -> list[date]:
    raw = config.getoption("--test-dates").replace(",", " ").split()
    try:
        return list(dict.fromkeys(date.fromisoformat(day) for day in raw))
    except ValueError:
        raise pytest.UsageError(
            f"--test-dates takes dates as YYYY-MM-DD, not {config.getoption('--test-dates')!r}"
        ) from None


def pytest_generate_tests(metafunc):
    """With ``--test-dates``, a date-sensitive test runs once per date (a session parameter).

    The parameter has session scope, so pytest runs all the tests of one date together and
    the date changes a few times per process, not per test.
    """
    days = _option_dates(metafunc.config)
    if days and _relative(metafunc.definition.path) in DATE_SENSITIVE_MODULES:
        metafunc.parametrize("suite_date", days, ids=[d.isoformat() for d in days],
                             indirect=True, scope="session")


#: Tests kept together on one test process under ``--dist loadgroup`` (the Makefile's
#: default), a group per module or per test: a browser module's tests share their
#: process's Chromium and live server (each process that runs browser tests starts its own),
#: and each run of the API fuzz test, the longest single tests, is a group of its own, so
#: that the two can run at once on two processes. A module whose tests share a world
#: replayed by ``tests.dbclean.replayed_world`` stays on one process too, so its world is
#: built for real once per database, not once per process.
XDIST_GROUPS = {
    "tests/e2e/": "module",
    "tests/integration/test_openapi_fuzz.py": "test",
    "tests/integration/test_report_figures.py": "module",
    "tests/integration/test_report_pages.py": "module",
    "tests/integration/test_read_paths.py": "module",
    "tests/integration/test_jobs.py": "module",
}


#: Handed out first, in this order (``LONGEST_FIRST``), so that no long test starts last and
#: keeps one process busy after the others are done. pytest-xdist would order the groups by
#: their number of tests, not their time; the Makefile turns that off
#: (``--no-loadscope-reorder``) and the processes take the work in collection order.
LONGEST_FIRST = (
    "tests/integration/test_openapi_fuzz.py",
    "tests/e2e/",
    "tests/integration/test_jobs_scheduler.py",
    "tests/integration/test_report_figures.py",
    "tests/integration/test_calendar.py",
    "tests/integration/test_jobs.py",
    "tests/integration/test_report_pages.py",
    "tests/integration/test_read_paths.py",
)


def _rank(path: str) -> int:
    for rank, prefix in enumerate(LONGEST_FIRST):
        if path.startswith(prefix):
            return rank
    return len(LONGEST_FIRST)


def _xdist_group(path: str, item) -> str | None:
    for prefix, unit in XDIST_GROUPS.items():
        if path.startswith(prefix):
            # no brackets: after a group name ending in ``]`` pytest-xdist sees no group
            name = path if unit == "module" else item.nodeid
            return name.translate(str.maketrans("[]", "()"))
    return None


@pytest.hookimpl(wrapper=True, tryfirst=True)  # around pytest-xdist's own hook
def pytest_collection_modifyitems(config, items):
    """Mark the date-sensitive modules ``dates``; group the tests that share a process."""
    for item in items:
        path = _relative(item.fspath)
        if path in DATE_SENSITIVE_MODULES:
            item.add_marker(pytest.mark.dates)
        group = _xdist_group(path, item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    result = yield
    _groups_in_node_ids(config, items)
    if getattr(config.option, "loadgroup", False) and not _option_dates(config):
        # stable: pytest's own order (by fixture scope) holds within a rank
        items.sort(key=lambda item: _rank(_relative(item.fspath)))
    return result


def pytest_collection_finish(session):
    """Keep what collection left (modules, the application, the schema) out of later
    collections: the collector then only goes over what the tests make (``tests/__init__.py``).
    """
    gc.collect()
    gc.freeze()


def _groups_in_node_ids(config, items) -> None:
    """Put each item's xdist group in its node id, where pytest-xdist's hook no longer can.

    Under ``--dist loadgroup`` a worker tells the scheduler its tests' groups by their node
    ids (``…@group``). pytest-xdist 3.8 writes ``item._nodeid``, which pytest 9.2 no longer
    reads (pytest-dev/pytest-xdist#1386): every group was silently spread over the workers.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


def pytest_report_header(config):
    """Say which date the suite runs on."""
    header = f"test date: {TEST_TODAY.isoformat()} (LICENSING_TEST_TODAY)"
    days = _option_dates(config)
    if days:
        header += "; the dates tests on " + ", ".join(d.isoformat() for d in days)
    return header


@pytest.fixture(scope="session")
def suite_date(request) -> Iterator[date]:
    """The date this test runs on: ``LICENSING_TEST_TODAY``, or one of ``--test-dates``.

    Moving to another date starts that date as a new run would: at 10:00, on a database
    emptied of everything (reference data is loaded again on the new date). A session or
    module fixture whose data depends on the date asks for this fixture, so that it is built
    again on each date.
    """
    _move_suite_to(getattr(request, "param", TEST_TODAY))
    yield _suite_day


def _move_suite_to(day: date) -> None:
    global _suite_day, _started
    if day == _suite_day:
        return
    _suite_day, _started = day, monotonic_time.monotonic()
    reset_test_clock()
    from tests import case_factories

    case_factories.forget_calendar_snapshots()
    for application in _apps.values():
        with application.app_context():
            dbclean.clean(db.engine, db.metadata, everything=True)


@pytest.fixture(autouse=True)
def _test_clock(suite_date):
    """Every test starts on the suite's test clock, whatever the test before it did."""
    reset_test_clock()
    yield
    reset_test_clock()

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def pg_scratch_url():
    """Create a scratch PostgreSQL database for this run; drop it afterwards."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    yield from _scratch_database(PG_URL)


def _scratch_database(server_url: str):
    base = make_url(normalise_database_url(server_url))
    name = f"licensing_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A scratch database: a commit need not wait for the disk.
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_settings(database_url: str, tmp_path: Path, **overrides) -> Settings:
    """Settings for a test application."""
    values = dict(
        env="testing",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        instance_dir=tmp_path,
        testing=True,
        csrf_enabled=False,
        upload_dir=tmp_path / "uploads",
    )
    values.update(overrides)
    return Settings(**values)


@sa.event.listens_for(sa.pool.Pool, "connect")
def _sqlite_without_fsync(dbapi_connection, connection_record) -> None:
    """Test databases are thrown away: SQLite need not wait for the disk either."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


@pytest.fixture(scope="session")
def _sqlite_file(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request, _sqlite_file):
    """The database of one test run: SQLite, or the PostgreSQL scratch database."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_scratch_url")
    return _sqlite_file


_apps: dict[str, Flask] = {}
_limiter_state: dict[str, dict] = {}
_extensions_kept: dict[str, dict] = {}

# Modules whose tests write from other processes, which the statement tracker cannot see:
# every table is emptied after each of their tests.
FULL_WIPE_MODULES = {
    "tests/integration/test_jobs_scheduler.py",
    "tests/integration/test_backup.py",
}


def _session_app(database_url: str, tmp_path_factory) -> Flask:
    """The one application of this run on ``database_url``, its schema made once."""
    application = _apps.get(database_url)
    if application is None:
        instance = tmp_path_factory.mktemp("app")
        application = create_app(make_settings(database_url, instance))
        with application.app_context():
            db.drop_all()
            db.create_all()
            openapi_document(application)  # built once, kept
        dbclean.forget_writes()  # the schema's DDL: the new tables are empty
        _apps[database_url] = application
        _limiter_state[database_url] = dict(vars(limiter))
        _extensions_kept[database_url] = dict(application.extensions)
    return application


@pytest.fixture
def app(request, database_url, tmp_path_factory):
    """The run's application on this database, clean as new for every test.

    One application per database for the whole run; each test gets its own application
    context, its configuration and extensions put back, the rate limiter emptied, its files
    removed, and the tables it wrote emptied (``tests.dbclean``).
    """
    application = _session_app(database_url, tmp_path_factory)
    vars(limiter).update(_limiter_state[database_url])  # another app may have re-initialised it
    limiter.reset()
    config = dict(application.config)
    full_wipe = _module_path(request) in FULL_WIPE_MODULES
    with application.app_context():
        try:
            yield application
        finally:
            db.session.rollback()
            db.session.remove()
            application.config.clear()
            application.config.update(config)
            kept = _extensions_kept[database_url]
            for key in set(application.extensions) - set(kept):
                del application.extensions[key]
            application.extensions.update(kept)
            dbclean.clean(db.engine, db.metadata, everything=full_wipe)
            _empty_dir(Path(application.instance_path))
            reset_test_clock()


def _module_path(request) -> str:
    root = Path(__file__).resolve().parents[1]
    return Path(request.node.fspath).resolve().relative_to(root).as_posix()


def _empty_dir(folder: Path) -> None:
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


@pytest.fixture
def wipe_all(app):
    """Start from an empty database, reference data included."""
    dbclean.clean(db.engine, db.metadata, everything=True)
    return app


@pytest.fixture
def session(app):
    """The SQLAlchemy session of the test application."""
    return db.session


@pytest.fixture
def client(app):
    """A test client of the application."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of the application."""
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def fake_idp():
    """The fake identity platform (OpenID Connect), served over HTTP for the whole session."""
    with running_fake_idp() as fake:
        yield fake


@pytest.fixture
def backend(database_url) -> str:
    """``'sqlite'`` or ``'postgresql'``."""
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"
