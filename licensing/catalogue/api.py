"""Public JSON of the catalogue: the same ``item_rules_dict`` the guide and notice render."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, jsonify, request, url_for

from licensing.auth.access import public
from licensing.catalogue import services
from licensing.catalogue.content import CODE_RE
from licensing.catalogue.errors import UnknownItem
from licensing.errors import ValidationFailed
from licensing.url_ints import parse_id

bp = Blueprint("catalogue_api", __name__, url_prefix="/api/v1")


#: The query rules the OpenAPI document states (licensing.api.schemas.ItemsQuery, ItemQuery).
_ISO_DATE = re.compile(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _on() -> date | None:
    if "on" not in request.args:
        return None
    value = request.args["on"]
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("参数 on 应为 2000–2099 年间 YYYY-MM-DD 格式的日期。",
                               code="invalid_date") from None


def _search() -> str | None:
    value = request.args.get("q")
    if value is not None and (len(value) > 100 or _CONTROL.search(value)):
        raise ValidationFailed("参数 q 不能超过 100 个字，且不能包含控制字符。",
                               code="validation_failed")
    return value


def _version_number() -> int | None:
    if "v" not in request.args:
        return None
    number = parse_id(request.args["v"])
    if number is None:
        raise ValidationFailed("参数 v 应为正整数的版本号。", code="validation_failed")
    return number


@bp.get("/items")
@public
def items():
    """The items in force on ``?on=YYYY-MM-DD`` (today by default)."""
    versions = services.guide_versions(on=_on(), search=_search())
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
    number = _version_number()
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
