"""Refusals of the reports domain."""

from __future__ import annotations

from licensing.errors import Conflict, DomainError, NotFound


class InvalidPeriod(NotFound):
    """The month is not written ``YYYY-MM`` or is out of range."""

    code = "invalid_period"
    default_message = "月份格式应为“年-月”，例如 2026-10。"


class PeriodNotEnded(DomainError):
    """A draft or a final report is only made for a month that is over."""

    code = "period_not_ended"
    default_message = "该月份尚未结束，不能生成月报草稿或定稿。"


class ReportAlreadyFinal(Conflict):
    """A finalised report never changes."""

    code = "report_already_final"
    default_message = "该月月报已定稿，不能再修改。"
