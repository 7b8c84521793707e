"""Deadline rules and provenance values (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from licensing.calendar.deadlines import (
    Deadline,
    DeadlineRule,
    check_start_event,
    resolve_working_days,
)


@pytest.mark.parametrize(("rule", "days"), [
    (DeadlineRule.standard_60, 60), (DeadlineRule.public_interest_7, 7),
    (DeadlineRule.result_push_5, 5),
])
def test_fixed_rules_take_their_own_number(rule, days):
    assert resolve_working_days(rule, None) == days
    assert resolve_working_days(rule, days) == days
    with pytest.raises(ValueError, match=f"固定为 {days} 个工作日"):
        resolve_working_days(rule, days + 1)


def test_open_rules_need_a_positive_number():
    for rule in (DeadlineRule.supplement, DeadlineRule.statutory, DeadlineRule.rectification,
                 DeadlineRule.item_specific):
        with pytest.raises(ValueError, match="需要指定工作日数"):
            resolve_working_days(rule, None)
        assert resolve_working_days(rule, 20) == 20
    with pytest.raises(ValueError, match="正整数"):
        resolve_working_days(DeadlineRule.supplement, 0)
    with pytest.raises(ValueError, match="不得超过 60"):
        resolve_working_days(DeadlineRule.item_specific, 61)


def test_start_event_is_a_code():
    assert check_start_event("licence_issued") == "licence_issued"
    for bad in ("", "Licence issued", "发证", "x" * 65):
        with pytest.raises(ValueError):
            check_start_event(bad)


def test_label_shows_provisional():
    deadline = Deadline(DeadlineRule.standard_60, 60, "licence_issued", date(2026, 11, 29),
                        date(2027, 2, 26), True, 1)
    assert deadline.label == "2027-02-26（暂定）"
    assert deadline.as_dict()["due_on"] == "2027-02-26"
    assert DeadlineRule.result_push_5.label == "核查结果推送（5个工作日）"
