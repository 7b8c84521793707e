"""One rule for the date of an event of a case, shared by every domain.

An event (a pause or resumption of the statutory clock, a transfer to the judicial authorities,
a notice served, a hearing held...) is recorded after it happened: its date is never in the
future, and never before the case it belongs to started. Without the rule a clock can be
stretched by dates typed ahead or far back (issue 19).
"""

from __future__ import annotations

from datetime import date

from licensing.clock import local_today
from licensing.errors import ValidationFailed


class EventDateInvalid(ValidationFailed):
    """An event date missing, in the future, or before the case's start."""

    code = "event_date_invalid"
    default_message = "日期无效。"


def check_event_date(on: date | None, *, label: str, not_before: date | None = None,
                     not_before_label: str = "案件开始日期") -> date:
    """Return ``on`` if it is a valid event date, else raise ``EventDateInvalid``.

    ``label`` names the date for the message (``"暂停日期"``); ``not_before`` is the case's
    start (or a later floor, such as the end of the previous pause), ``not_before_label`` its
    name. Codes: ``event_date_required``, ``event_date_in_future``,
    ``event_date_before_case_start``.
    """
    if not isinstance(on, date):
        raise EventDateInvalid(f"请填写{label}。", code="event_date_required")
    today = local_today()
    if on > today:
        raise EventDateInvalid(f"{label}不能晚于今天（{today.isoformat()}）。",
                               code="event_date_in_future")
    if not_before is not None and on < not_before:
        raise EventDateInvalid(
            f"{label}不能早于{not_before_label}（{not_before.isoformat()}）。",
            code="event_date_before_case_start")
    return on
