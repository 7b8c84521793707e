"""Fixtures shared by the whole suite.

Integration tests run on SQLite, and on PostgreSQL as well when ``TEST_DATABASE_URL`` names a
server: the suite creates a scratch database there and drops it at the end, so it can run twice
in a row and in any order.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from config.settings import Settings, normalise_database_url
from licensing import clock, create_app
from licensing.auth.passwords import use_cheap_hashing_for_tests
from licensing.extensions import db

use_cheap_hashing_for_tests()

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


@pytest.fixture(scope="session")
def _sqlite_file(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request, _sqlite_file):
    """The database of one test run: SQLite, or the PostgreSQL scratch database."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_scratch_url")
    return _sqlite_file


_schema_ready: set[str] = set()


@pytest.fixture
def app(database_url, tmp_path):
    """An application on a clean schema; every table is emptied after the test."""
    application = create_app(make_settings(database_url, tmp_path))
    with application.app_context():
        if database_url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(database_url)
        try:
            yield application
        finally:
            db.session.rollback()
            db.session.remove()
            _empty_all_tables()
            clock.set_frozen(None)


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            if conn.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))


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


@pytest.fixture
def backend(database_url) -> str:
    """``'sqlite'`` or ``'postgresql'``."""
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"
