"""Migrations: empty → head equals the models; downgrade to base and back works."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from licensing import create_app
from licensing.extensions import db
from tests.conftest import BACKENDS, PG_URL, _scratch_database, make_settings


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "postgresql":
        gen = _scratch_database(PG_URL)
        url = next(gen)
        yield url
        next(gen, None)
    else:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"


def _diff(app) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_models_and_downgrades(empty_database_url, tmp_path):
    app = create_app(make_settings(empty_database_url, tmp_path))
    with app.app_context():
        upgrade()
        assert _diff(app) == []
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO audit_entries (occurred_dt, actor_label, action, object_type, "
                    "object_id, changes, entry_hash) "
                    "VALUES (now(), 's', 'a', 't', '1', '{}', 'h')"))
            with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM audit_entries"))
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert _diff(app) == []
        db.engine.dispose()
