"""``flask --app wsgi demo load``: demo departments, one user per role, demo data of each domain.

Domains add their demo data in ``licensing/<domain>/demo.py`` with ``@demo_loader(order)``.
Every loader is idempotent: running the command twice changes nothing the second time.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.extensions import db

group = AppGroup("demo", help="Demo data for trying the system out.")

_loaders: list[tuple[int, str, Callable[[], None]]] = []


def demo_loader(order: int) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register an idempotent function that loads a domain's demo data."""

    def decorate(fn: Callable[[], None]) -> Callable[[], None]:
        key = f"{fn.__module__}.{fn.__qualname__}"
        if all(existing != key for _, existing, _ in _loaders):
            _loaders.append((order, key, fn))
        return fn

    return decorate


def load_all() -> list[str]:
    """Run every domain's demo loader in order, committing after each; return their names."""
    from licensing import DOMAINS

    for domain in DOMAINS:
        try:
            importlib.import_module(f"licensing.{domain}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"licensing.{domain}.demo":
                raise
    done = []
    for _, key, fn in sorted(_loaders):
        fn()
        db.session.commit()
        done.append(key)
    return done


@group.command("load")
def load_command():
    """Load demo departments, users (one per role) and demo data; idempotent."""
    if current_app.config["SETTINGS"].is_production:
        click.echo("错误：生产环境不加载演示数据和演示账号。", err=True)
        sys.exit(2)
    for name in load_all():
        click.echo(f"loaded {name}")
