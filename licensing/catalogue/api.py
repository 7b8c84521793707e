"""Public JSON of the catalogue: the same ``item_rules_dict`` the guide and notice render."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request, url_for

from licensing.auth.access import public
from licensing.catalogue import services
from licensing.catalogue.content import CODE_RE
from licensing.catalogue.errors import UnknownItem
from licensing.errors import ValidationFailed
from licensing.url_ints import bounded_int

bp = Blueprint("catalogue_api", __name__, url_prefix="/api/v1")


def _on() -> date | None:
    value = request.args.get("on")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("参数 on 应为 YYYY-MM-DD 格式的日期。",
                               code="invalid_date") from None


@bp.get("/items")
@public
def items():
    """The items in force on ``?on=YYYY-MM-DD`` (today by default)."""
    versions = services.guide_versions(on=_on(), search=request.args.get("q"))
    return jsonify({"items": [
        {"code": v.item.code, "name": v.name, "version": v.number,
         "valid_from_on": v.valid_from_on.isoformat(), "offers_commitment": v.offers_commitment,
         "approval_department": v.approval_department.code,
         "supervisory_department": v.supervisory_department.code}
        for v in versions
    ]})


@bp.get("/items/<code>")
@public
def item(code: str):
    """The rules of an item: the version in force (``?on=``) or a published one (``?v=N``)."""
    if not CODE_RE.match(code):  # never send a malformed code (a NUL byte...) to the database
        raise UnknownItem(f"事项“{code[:32]}”不存在。")
    number = request.args.get("v", type=bounded_int)
    if number is not None:
        version = services.published_version(code, number)
    else:
        version = services.current_version(code, _on())
    query = {"v": version.number}
    return jsonify({
        **services.item_rules_dict(version),
        "notice_url": url_for("catalogue.notice", code=version.item.code, **query),
        "notice_pdf_url": url_for("catalogue.notice_pdf_file", code=version.item.code, **query),
        "letter_specimen": services.sample_letter(version),
    })
