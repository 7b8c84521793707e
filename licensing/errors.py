"""Typed domain errors. Services raise them; views and the API turn them into messages."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can understand.

    ``code`` is a stable snake_case identifier for the API, ``message`` is Simplified Chinese
    for people, ``http_status`` what the API answers with.
    """

    code: str = "invalid_request"
    http_status: int = 422
    default_message: str = "请求无法处理。"

    def __init__(self, message: str | None = None, *, code: str | None = None, **details):
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it exists."""

    code = "not_found"
    http_status = 404
    default_message = "未找到该记录，或您无权查看。"


class Forbidden(DomainError):
    """The user is known but their role does not allow the action."""

    code = "forbidden"
    http_status = 403
    default_message = "您的角色无权执行此操作。"


class Conflict(DomainError):
    """The object changed under the user (stale form, state already moved on)."""

    code = "conflict"
    http_status = 409
    default_message = "该记录已被他人修改，请刷新后重试。"


class InvalidTransition(Conflict):
    """A state machine refused a transition from the current state."""

    code = "invalid_transition"
    default_message = "当前状态下不能执行此操作。"


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``details['fields']`` may map field names to messages."""

    code = "validation_failed"
    http_status = 422
    default_message = "输入有误，请检查后重试。"
