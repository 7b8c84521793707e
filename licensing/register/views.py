"""The public register page: no login, the same search as ``GET /api/v1/register``."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from licensing.auth.access import public
from licensing.errors import DomainError
from licensing.register import services

bp = Blueprint("register", __name__)


@bp.route("/register")
@public
def index():
    """Search licensing decisions by licence number, holder code or holder name."""
    query = (request.args.get("q") or "").strip()[:100]
    error = None
    try:
        page = services.search(query, after=request.args.get("after") or None)
    except DomainError as exc:
        page, error = services.search(query), exc.message
    return render_template("register/index.html", q=query, page=page, error=error)
