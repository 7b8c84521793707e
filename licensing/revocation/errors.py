"""Errors of revocation and supplements (messages in Simplified Chinese)."""

from __future__ import annotations

from licensing.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed


class RevocationTransitionRefused(InvalidTransition):
    """The revocation case's state machine does not allow this step."""

    code = "revocation_transition_refused"
    default_message = "撤销案件当前状态下不能执行此操作。"


class NoOpenRevocationCase(InvalidTransition):
    """A licence is revoked only on a case: a breach report or a supplement missed/rejected."""

    code = "no_revocation_request"
    default_message = ("该许可证没有待决定的撤销案件。只有监管部门提请撤销，或承诺补交的材料"
                       "逾期未交、不符合要求时，才能在本系统作出撤销决定。")


class LicenceAlreadyRevoked(Conflict):
    """The licence was revoked already (by another case or another approver)."""

    code = "licence_already_revoked"
    default_message = "该许可证已被撤销。"


class StaleRevocation(Conflict):
    """The decision form was filled in on an older state of the case."""

    code = "stale_revocation"
    default_message = ("该撤销案件在您打开页面后已被他人处理或修改，您的提交未保存。"
                       "请刷新页面后核对。")


class InvalidRevocation(ValidationFailed):
    """A decision without its reason, or with text too long."""

    code = "invalid_revocation"
    default_message = "请写明决定理由。"


class NotDecider(Forbidden):
    """Only approvers of the licence's approval department decide its revocation."""

    code = "not_decider"
    default_message = "只有作出该许可的审批部门的审批人员可以作出撤销或不予撤销的决定。"


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


__all__ = [
    "InvalidRevocation", "InvalidSupplementReview", "LicenceAlreadyRevoked",
    "NoOpenRevocationCase", "NotDecider", "NotYourSupplement", "RevocationTransitionRefused",
    "StaleRevocation", "SupplementOverdue", "SupplementTransitionRefused",
]
