"""The calendar's domain errors (messages in Simplified Chinese)."""

from __future__ import annotations

from licensing.errors import Conflict, DomainError, ValidationFailed


class CalendarNotLoaded(DomainError):
    """No calendar data in the database: deadlines cannot be computed at all."""

    code = "calendar_not_loaded"
    http_status = 503
    default_message = "工作日历数据尚未加载，无法计算期限。请管理员执行「flask calendar sync」。"


class CalendarOutOfRange(DomainError):
    """The question reaches days the calendar holds no data for."""

    code = "calendar_out_of_range"
    default_message = "该日期超出了工作日历数据的范围。"


class InvalidDeadline(ValidationFailed):
    """A deadline was asked for with a wrong rule, number of days or start event."""

    code = "invalid_deadline"
    default_message = "期限参数有误。"


class NoticeFileInvalid(ValidationFailed):
    """A notice file failed validation; ``details['problems']`` lists every problem."""

    code = "notice_file_invalid"
    default_message = "节假日安排文件有误。"


class CalendarChanged(Conflict):
    """The calendar changed between the preview and the confirmation of an import."""

    code = "calendar_changed"
    default_message = "工作日历在预览之后已被更新，请重新上传并预览后再确认。"
