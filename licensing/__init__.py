"""The notify-and-commit licensing case system (行政许可告知承诺制)."""

from __future__ import annotations

import importlib
import logging
import os
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import ROOT, Settings

#: The domain packages, in the order their blueprints and commands are registered.
DOMAINS = (
    "auth",
    "audit",
    "issued",
    "calendar",
    "catalogue",
    "applicants",
    "oidc",
    "credit",
    "cases",
    "supervision",
    "supplements",
    "enforcement",
    "notifications",
    "register",
    "publicity",
    "jobs",
    "reports",
    "api",
)


def _optional_import(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise


def import_models() -> None:
    """Import every domain's models so the metadata (and migrations) see all tables.

    Each domain's ``listeners`` module (if any) is imported too: it connects the receivers
    of the signals lower domains send (docs/architecture.md, "Between domains").
    """
    for domain in DOMAINS:
        _optional_import(f"licensing.{domain}.models")
    for domain in DOMAINS:
        _optional_import(f"licensing.{domain}.listeners")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application for the given settings (from the environment by default)."""
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        instance_path=str(settings.instance_dir),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        TESTING=settings.testing,
        WTF_CSRF_ENABLED=settings.csrf_enabled,
        WTF_CSRF_TIME_LIMIT=None,  # the session lifetime bounds the token already
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="licensing_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    if settings.trusted_proxies:
        # the client address and scheme as the reverse proxy saw them (login throttle, HSTS)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,
                                x_proto=settings.trusted_proxies)
    logging.basicConfig(level=logging.INFO if not settings.testing else logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from licensing import form_meta, web
    from licensing.auth import throttle
    from licensing.extensions import csrf, db, login_manager, migrate
    from licensing.oidc import client as oidc_client
    from licensing.url_ints import BoundedIntConverter

    # before any blueprint: every <int:...> of every domain is bounded to 1..2**31-1
    app.url_map.converters["int"] = BoundedIntConverter
    form_meta.install()
    import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    throttle.init_app(app)  # before web's hooks: a throttled attempt never reaches a password
    web.init_app(app)
    oidc_client.init_app(app)

    for domain in DOMAINS:
        for module_name in ("views", "api"):
            module = _optional_import(f"licensing.{domain}.{module_name}")
            if module is not None and hasattr(module, "bp"):
                app.register_blueprint(module.bp)
                if module_name == "api":
                    csrf.exempt(module.bp)
        cli = _optional_import(f"licensing.{domain}.cli")
        if cli is not None:
            for name in ("group", "groups"):
                commands = getattr(cli, name, None)
                for command in commands if isinstance(commands, list | tuple) else [commands]:
                    if command is not None:
                        app.cli.add_command(command)

    from licensing.backup import group as backup_group
    from licensing.demo import group as demo_group

    app.cli.add_command(demo_group)
    app.cli.add_command(backup_group)

    if settings.is_production and os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        # A server (gunicorn), not a command: commands must still run to fix the accounts.
        from licensing.auth.demo import refuse_demo_passwords

        refuse_demo_passwords(app)

    if settings.embedded_scheduler:
        jobs = _optional_import("licensing.jobs.runner")
        if jobs is not None:
            jobs.start_embedded(app)
    return app


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
