"""The city settings of the enforcement procedure (review authority, court, time limits)."""

from __future__ import annotations

from typing import Any

from flask import current_app

#: City settings (``Settings.extra``) and their defaults.
DEFAULT_PROCEDURE_SETTINGS: dict[str, Any] = {
    "statement_period_working_days": 5,
    "review_authority": "定州市人民政府",
    "review_period_days": 60,
    "court": "定州市人民法院",
    "litigation_period_months": 6,
}


def procedure_setting(name: str) -> Any:
    """Return a city setting of the revocation procedure (``Settings.extra`` or the default)."""
    try:
        extra = current_app.config["SETTINGS"].extra or {}
    except (RuntimeError, KeyError):
        extra = {}
    return extra.get(name, DEFAULT_PROCEDURE_SETTINGS[name])
