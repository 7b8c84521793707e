"""Stored legal deadlines: the rule they come from and their provenance. Pure Python.

A ``Deadline`` records everything needed to explain and recompute a due date: the event
and date the count starts from, the number of working days, the rule that set that number,
the calendar version used, the due date, and whether it is provisional (see
``licensing.calendar.core``). Other domains store it on their own rows with
``licensing.calendar.models.deadline_mixin`` and create it with
``licensing.calendar.services.compute_deadline``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class DeadlineRule(StrEnum):
    """Where a deadline's number of working days comes from (告知承诺制 work plan)."""

    standard_60 = "standard_60"  # on-site verification within 60 working days of the decision
    public_interest_7 = "public_interest_7"  # 7 when public interest or third parties are touched
    item_specific = "item_specific"  # a shorter verification limit set by the item
    result_push_5 = "result_push_5"  # the check result reaches the approval dept within 5
    supplement = "supplement"  # 承诺限期补齐补全: the promised material's deadline
    statutory = "statutory"  # the general procedure's statutory time limit of the item
    rectification = "rectification"  # 限期整改: the rectification order's deadline
    statement_period = "statement_period"  # 陈述、申辩和听证申请期限 (a city setting, default 5)
    publicity_7 = "publicity_7"  # 双公示: a licensing decision made public within 7
    objection = "objection"  # 信用异议: the credit objection must be decided by this day

    @property
    def binds_the_person(self) -> bool:
        """Whether the deadline binds the applicant or licensee rather than the administration.

        Such a date is given in writing (the licence decision, the rectification order, a
        notice) and never moves earlier when a holiday notice is loaded; see
        ``licensing.calendar.services`` and docs/decisions/0014-work-plan-conformance.md.
        """
        return self in PERSON_BOUND_RULES

    @property
    def label(self) -> str:
        """Return the Chinese label of the rule."""
        return RULE_LABELS[self]

    @property
    def fixed_working_days(self) -> int | None:
        """Return the number of working days the rule itself sets, if it sets one."""
        return FIXED_WORKING_DAYS.get(self)


RULE_LABELS: dict[DeadlineRule, str] = {
    DeadlineRule.standard_60: "现场核查（60个工作日）",
    DeadlineRule.public_interest_7: "涉及公共利益或第三方的现场核查（7个工作日）",
    DeadlineRule.item_specific: "事项规定的核查时限",
    DeadlineRule.result_push_5: "核查结果推送（5个工作日）",
    DeadlineRule.supplement: "承诺限期补齐补全",
    DeadlineRule.statutory: "法定办理时限",
    DeadlineRule.rectification: "限期整改",
    DeadlineRule.statement_period: "陈述、申辩和要求听证期限",
    DeadlineRule.publicity_7: "行政许可信息公示（7个工作日）",
    DeadlineRule.objection: "信用异议处理",
}

#: Deadlines a person must meet (supplements, rectification). Another domain's rule for a
#: statement or objection period joins this set. The administration's own deadlines
#: (verification, result push, statutory limit, deciding an objection) are not in it.
# The statement period (陈述、申辩) is the licensee's time to answer a notice: it binds the person.
PERSON_BOUND_RULES = frozenset({DeadlineRule.supplement, DeadlineRule.rectification,
                                DeadlineRule.statement_period})

FIXED_WORKING_DAYS: dict[DeadlineRule, int] = {
    DeadlineRule.standard_60: 60,
    DeadlineRule.public_interest_7: 7,
    DeadlineRule.result_push_5: 5,
    DeadlineRule.publicity_7: 7,
}

#: An item may shorten the verification limit, never lengthen it.
MAX_ITEM_SPECIFIC_DAYS = 60

#: Upper bound for rules that take their number from elsewhere (a sanity check on input).
MAX_WORKING_DAYS = 1000

_START_EVENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def resolve_working_days(rule: DeadlineRule, working_days: int | None) -> int:
    """Return the number of working days for ``rule``; raise ``ValueError`` (Chinese) if wrong.

    Fixed rules (60, 7, 5) take their own number; passing another number is refused rather
    than silently overridden. ``item_specific`` needs 1 to 60. The other rules need a
    positive number from the caller (the item's statutory limit, the order's deadline...).
    """
    fixed = rule.fixed_working_days
    if working_days is not None and (type(working_days) is not int or working_days < 1):
        raise ValueError("工作日数必须是正整数。")
    if fixed is not None:
        if working_days is not None and working_days != fixed:
            raise ValueError(f"「{rule.label}」的期限固定为 {fixed} 个工作日。")
        return fixed
    if working_days is None:
        raise ValueError(f"「{rule.label}」需要指定工作日数。")
    if rule is DeadlineRule.item_specific and working_days > MAX_ITEM_SPECIFIC_DAYS:
        raise ValueError(f"事项规定的核查时限不得超过 {MAX_ITEM_SPECIFIC_DAYS} 个工作日。")
    if working_days > MAX_WORKING_DAYS:
        raise ValueError(f"工作日数不得超过 {MAX_WORKING_DAYS}。")
    return working_days


def check_start_event(start_event: str) -> str:
    """Return ``start_event`` if it is a snake_case code (e.g. ``licence_issued``)."""
    if not isinstance(start_event, str) or not _START_EVENT_RE.match(start_event):
        raise ValueError("起算事件必须是小写英文代码（如 licence_issued）。")
    return start_event


@dataclass(frozen=True)
class Deadline:
    """A legal deadline and its provenance; immutable (recomputing gives a new one).

    ``due_on`` is the last day on which the act is in time: the ``working_days``-th working
    day strictly after ``start_on`` (the start day is not counted). ``provisional`` is true
    when a day counted lies in a year whose holiday notice was not loaded yet
    (``calendar_version`` names the data used); it is recomputed when that year is loaded.
    """

    rule: DeadlineRule
    working_days: int
    start_event: str
    start_on: date
    due_on: date
    provisional: bool
    calendar_version: int

    @property
    def label(self) -> str:
        """Return the due date for people: ``2027-02-26``, or ``2027-02-26（暂定）``."""
        return f"{self.due_on.isoformat()}（暂定）" if self.provisional else self.due_on.isoformat()

    def as_dict(self) -> dict[str, Any]:
        """Return the deadline as JSON-ready data (for the API and audit entries)."""
        return {
            "rule": self.rule.value,
            "working_days": self.working_days,
            "start_event": self.start_event,
            "start_on": self.start_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "provisional": self.provisional,
            "calendar_version": self.calendar_version,
        }
