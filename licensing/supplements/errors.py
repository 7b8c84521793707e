"""Errors of promised supplements (messages in Simplified Chinese)."""

from __future__ import annotations

from licensing.errors import InvalidTransition, NotFound, ValidationFailed


class SupplementTransitionRefused(InvalidTransition):
    """The supplement obligation does not allow this step in its state."""

    code = "supplement_transition_refused"
    default_message = "补交材料当前状态下不能执行此操作。"


class SupplementOverdue(InvalidTransition):
    """The promised material's deadline has passed: it can no longer be handed in."""

    code = "supplement_overdue"
    default_message = "已超过承诺的补交期限，不能再补交。审批部门将依法处理。"


class NotYourSupplement(NotFound):
    """No such supplement, or not the user's (an applicant sees only their own)."""

    code = "supplement_not_found"
    default_message = "未找到该补交事项，或您无权查看。"


class InvalidSupplementReview(ValidationFailed):
    """A rejection without its reason."""

    code = "invalid_supplement_review"
    default_message = "不予通过时必须写明材料不符合要求的具体情况。"


__all__ = ["InvalidSupplementReview", "NotYourSupplement", "SupplementOverdue",
           "SupplementTransitionRefused"]
