"""Typed, frozen settings read from the environment.

`Settings.from_env()` is what `wsgi.py` uses; tests build their own `Settings` with
`dataclasses.replace` or the constructor, so nothing leaks from the developer's shell.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"


class ConfigurationError(RuntimeError):
    """Raised when the environment cannot give a safe configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _local_secret_key(instance_dir: Path) -> str:
    """Return the secret key kept in the instance folder, creating it on first use."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    """Everything the application factory needs to know about its environment."""

    env: str = "development"
    database_url: str = ""
    secret_key: str = ""
    instance_dir: Path = INSTANCE_DIR
    testing: bool = False
    session_cookie_secure: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    csrf_enabled: bool = True
    embedded_scheduler: bool = False
    upload_dir: Path = INSTANCE_DIR / "uploads"
    max_upload_bytes: int = 10 * 1024 * 1024
    public_base_url: str = "http://127.0.0.1:5000"
    credit_platform_url: str = ""
    credit_platform_timeout_s: float = 2.0
    credit_degraded_allows_commitment: bool = True
    #: The city whose authorities issue the licences: completes departments' short names
    #: ("市行政审批局" -> "定州市行政审批局") where a department has no full name of its own.
    city_name: str = "定州市"
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        """Tell whether this is the production environment."""
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``LICENSING_ENV``, ``DATABASE_URL``...).

        In production a missing ``SECRET_KEY`` or ``DATABASE_URL`` is a configuration error:
        the application refuses to start rather than run with a guessable key.
        """
        env_vars = os.environ if environ is None else environ
        env = env_vars.get("LICENSING_ENV", "development")
        instance_dir = Path(env_vars.get("LICENSING_INSTANCE_DIR", str(INSTANCE_DIR)))
        secret_key = env_vars.get("SECRET_KEY", "")
        database_url = env_vars.get("DATABASE_URL", "")
        if env == "production":
            if len(secret_key) < 32:
                raise ConfigurationError(
                    "SECRET_KEY must be set to at least 32 characters in production"
                )
            if not database_url:
                raise ConfigurationError("DATABASE_URL must be set in production")
        if not secret_key:
            secret_key = _local_secret_key(instance_dir)
        if not database_url:
            instance_dir.mkdir(parents=True, exist_ok=True)
            database_url = f"sqlite:///{instance_dir / 'licensing.db'}"
        return cls(
            env=env,
            database_url=normalise_database_url(database_url),
            secret_key=secret_key,
            instance_dir=instance_dir,
            session_cookie_secure=env == "production"
            or _bool(env_vars.get("SESSION_COOKIE_SECURE")),
            embedded_scheduler=_bool(env_vars.get("LICENSING_EMBEDDED_SCHEDULER")),
            upload_dir=Path(env_vars.get("LICENSING_UPLOAD_DIR", str(instance_dir / "uploads"))),
            public_base_url=env_vars.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
            credit_platform_url=env_vars.get("CREDIT_PLATFORM_URL", ""),
            credit_platform_timeout_s=float(env_vars.get("CREDIT_PLATFORM_TIMEOUT_S", "2.0")),
            credit_degraded_allows_commitment=_bool(
                env_vars.get("CREDIT_DEGRADED_ALLOWS_COMMITMENT"), default=True
            ),
            city_name=env_vars.get("LICENSING_CITY_NAME", "定州市"),
        )


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
