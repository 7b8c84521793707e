"""Shared set-up for the benches: an application on the database that DATABASE_URL names."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings, normalise_database_url  # noqa: E402


def bench_app(scratch_name: str):
    """Return ``(app, description)`` for DATABASE_URL, or a scratch SQLite file when unset.

    On PostgreSQL the bench works in a scratch database of its own (created here, dropped by
    ``drop_scratch``), so it never touches real data.
    """
    from licensing import create_app

    url = normalise_database_url(os.environ.get("DATABASE_URL", ""))
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    scratch = None
    if url.startswith("postgresql"):
        import sqlalchemy as sa
        from sqlalchemy.engine import make_url

        base = make_url(url)
        scratch = f"bench_{scratch_name}_{os.getpid()}"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
        admin.dispose()
        url = base.set(database=scratch).render_as_string(hide_password=False)
        described = f"postgresql (scratch database {scratch})"
    else:
        url = url or f"sqlite:///{tmp / 'bench.db'}"
        described = "sqlite"
    settings = Settings(env="bench", database_url=url, secret_key="bench-" + "x" * 40,
                        instance_dir=tmp, testing=False, csrf_enabled=False,
                        upload_dir=tmp / "uploads")
    app = create_app(settings)
    app.config["BENCH_SCRATCH_DB"] = scratch
    return app, described


def drop_scratch(app) -> None:
    """Drop the bench's scratch PostgreSQL database, if it made one."""
    scratch = app.config.get("BENCH_SCRATCH_DB")
    if not scratch:
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from licensing.extensions import db

    with app.app_context():
        db.engine.dispose()
    base = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()
