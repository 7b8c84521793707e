"""Typed, frozen settings read from the environment.

`Settings.from_env()` is what `wsgi.py` uses; tests build their own `Settings` with
`dataclasses.replace` or the constructor, so nothing leaks from the developer's shell.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"


class ConfigurationError(RuntimeError):
    """Raised when the environment cannot give a safe configuration."""


#: What a production ``SECRET_KEY`` must carry at least, by ``estimated_entropy_bits``.
MIN_SECRET_KEY_BITS = 128


def estimated_entropy_bits(value: str) -> float:
    """An upper estimate of a string's entropy: its length times its symbols' Shannon entropy.

    A string that repeats a shorter one (``"0123456789" * 4``) counts as the repeated part
    alone. ``"a" * 32`` has 0 bits, ``"ab" * 16`` 2; ``secrets.token_hex(32)`` about 250.
    """
    if not value:
        return 0.0
    period = (value + value).find(value, 1)
    if period < len(value):  # value is value[:period] repeated
        value = value[:period]
    counts = Counter(value)
    per_symbol = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_symbol * len(value)


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
    #: Where the rate limiter keeps its counters: ``memory://`` (one process: the embedded
    #: default and the tests) or ``redis://host:6379/0`` (required in production, shared by
    #: every worker).
    ratelimit_storage_uri: str = "memory://"
    ratelimit_enabled: bool = True
    #: Reverse proxies in front of the application whose ``X-Forwarded-For`` is trusted: the
    #: client address (what the login throttle counts by) comes from them. 0: none.
    trusted_proxies: int = 0
    #: Failed logins allowed per client address (any username), in growing windows.
    login_limits_per_address: str = "10 per minute; 30 per hour; 100 per day"
    #: Failed logins allowed per client address and username, in growing windows.
    login_limits_per_account: str = "5 per minute; 10 per hour; 20 per day"
    #: Breaches of the limits above, per address, after which the address is refused for the
    #: rest of the window: the delay grows from a minute to an hour to a day.
    login_breach_limits: str = "3 per hour; 6 per day"
    #: Audited credit look-ups by identity code, per user.
    credit_lookup_limits: str = "30 per minute; 300 per day"
    #: The city whose authorities issue the licences: completes departments' short names
    #: ("市行政审批局" -> "定州市行政审批局") where a department has no full name of its own.
    city_name: str = "定州市"
    #: Sign-in of online applicants through the province's unified identity platform (OpenID
    #: Connect, docs/decisions/0021-oidc-applicant-sign-in.md). Off unless configured.
    oidc_enabled: bool = False
    #: The provider's discovery document (``.../.well-known/openid-configuration``).
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scope: str = "openid profile"
    #: The claim that carries the verified resident ID number (居民身份证号码).
    oidc_id_number_claim: str = "id_number"
    #: The claim in which the platform asserts, from the enterprise register, the enterprises
    #: whose legal representative the person is: a list of ``{"code": ..., "name": ...}``.
    oidc_represents_claim: str = "legal_representative_of"
    oidc_timeout_s: float = 5.0
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
            if estimated_entropy_bits(secret_key) < MIN_SECRET_KEY_BITS:
                raise ConfigurationError(
                    "SECRET_KEY has too little entropy for production (a repeated or "
                    "patterned string); generate one: python3 -c 'import secrets; "
                    "print(secrets.token_hex(32))'"
                )
            if not database_url:
                raise ConfigurationError("DATABASE_URL must be set in production")
            if not env_vars.get("RATELIMIT_STORAGE_URI", "").startswith(("redis://", "rediss://")):
                raise ConfigurationError(
                    "RATELIMIT_STORAGE_URI must name a Redis server in production "
                    "(redis://host:6379/0): every worker must share the login throttle"
                )
            check_oidc_settings(env_vars)
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
            ratelimit_storage_uri=env_vars.get("RATELIMIT_STORAGE_URI") or "memory://",
            trusted_proxies=int(env_vars.get("TRUSTED_PROXIES") or 0),
            city_name=env_vars.get("LICENSING_CITY_NAME", "定州市"),
            oidc_enabled=_bool(env_vars.get("OIDC_ENABLED")),
            oidc_discovery_url=env_vars.get("OIDC_DISCOVERY_URL", "").strip(),
            oidc_client_id=env_vars.get("OIDC_CLIENT_ID", "").strip(),
            oidc_client_secret=env_vars.get("OIDC_CLIENT_SECRET", ""),
            oidc_scope=env_vars.get("OIDC_SCOPE", "").strip() or "openid profile",
            oidc_id_number_claim=env_vars.get("OIDC_ID_NUMBER_CLAIM", "").strip()
            or "id_number",
            oidc_represents_claim=env_vars.get("OIDC_REPRESENTS_CLAIM", "").strip()
            or "legal_representative_of",
            oidc_timeout_s=float(env_vars.get("OIDC_TIMEOUT_S") or 5.0),
        )


def check_oidc_settings(env_vars) -> None:
    """Refuse a production start with the applicants' sign-in enabled but not complete.

    The discovery document must be fetched over HTTPS, and the client must have an id, a
    secret and the ``openid`` scope: a half-configured sign-in would fail for every applicant
    at the first click instead of at the deployment.
    """
    if not _bool(env_vars.get("OIDC_ENABLED")):
        return
    missing = [name for name in ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
               if not env_vars.get(name, "").strip()]
    if missing:
        raise ConfigurationError(
            "OIDC_ENABLED is set but " + ", ".join(missing) + " is missing: the applicants' "
            "sign-in needs the provider's discovery URL, the client id and the client secret")
    if not env_vars["OIDC_DISCOVERY_URL"].strip().startswith("https://"):
        raise ConfigurationError("OIDC_DISCOVERY_URL must be an https:// URL in production")
    scope = (env_vars.get("OIDC_SCOPE") or "openid profile").split()
    if "openid" not in scope:
        raise ConfigurationError("OIDC_SCOPE must contain openid")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
