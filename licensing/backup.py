"""``flask --app wsgi backup ...``: online backups of the database, and restore.

SQLite is copied with its online backup API (consistent while the application runs);
PostgreSQL is dumped with ``pg_dump`` in its custom format and restored with ``pg_restore``.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from licensing.clock import local_now

group = AppGroup("backup", help="Back up and restore the database.")


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def default_backup_path(now: datetime | None = None) -> Path:
    """``instance/backups/licensing-YYYYmmdd-HHMMSS.<ext>``."""
    now = now or local_now()
    ext = "sqlite3" if _url().get_backend_name() == "sqlite" else "dump"
    folder = Path(current_app.instance_path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"licensing-{now:%Y%m%d-%H%M%S}.{ext}"


def create_backup(target: Path) -> Path:
    """Write a consistent backup of the configured database to ``target``."""
    url = _url()
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        try:
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return target
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise click.ClickException("未找到 pg_dump，请安装 PostgreSQL 客户端工具。")
    # A fixed program with arguments from our own settings: no untrusted input.
    subprocess.run([pg_dump, "--format=custom", "--no-owner", f"--file={target}",  # noqa: S603
                    f"--dbname={_libpq_url(url)}"], check=True)
    return target


def restore_backup(source: Path) -> None:
    """Replace the configured database's content with a backup (stop the application first)."""
    url = _url()
    if url.get_backend_name() == "sqlite":
        destination = sqlite3.connect(url.database)
        backup = sqlite3.connect(source)
        try:
            with destination:
                backup.backup(destination)
        finally:
            backup.close()
            destination.close()
        return
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise click.ClickException("未找到 pg_restore，请安装 PostgreSQL 客户端工具。")
    subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner",  # noqa: S603
                    "--single-transaction", f"--dbname={_libpq_url(url)}", str(source)],
                   check=True)


@group.command("create")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Backup file (default: instance/backups/licensing-<time>.<ext>).")
def create_command(output: Path | None):
    """Back up the database while the application keeps running."""
    path = create_backup(output or default_backup_path())
    click.echo(f"backup written: {path} ({path.stat().st_size} bytes)")


@group.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(source: Path, yes: bool):
    """Replace the database's content with SOURCE (stop the web workers and scheduler first)."""
    if not yes and not click.confirm("这将覆盖当前数据库的全部数据，确定恢复吗？"):
        sys.exit(1)
    from licensing.extensions import db

    db.engine.dispose()
    restore_backup(source)
    click.echo(f"restored from {source}")
