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




class NoticeRequired(InvalidTransition):
    """A revocation is decided only after the notice of intended revocation (第七条)."""

    code = "notice_required"
    default_message = ("尚未送达拟撤销行政许可告知书，不能作出撤销决定。"
                       "请先告知当事人拟撤销的事实、理由、依据及其陈述、申辩和要求听证的权利。")


class StatementPeriodOpen(InvalidTransition):
    """The statement period runs: no decision before it ends, unless the statement is in."""

    code = "statement_period_open"
    default_message = "当事人陈述、申辩和要求听证的期限尚未届满，不能作出撤销决定。"


class HearingPending(InvalidTransition):
    """A hearing was asked for and has not been held."""

    code = "hearing_pending"
    default_message = "当事人已要求听证，听证举行前不能作出撤销决定。"


class InvalidProcedureStep(ValidationFailed):
    """A procedure step with missing or wrong facts (dates, texts, the host)."""

    code = "invalid_procedure_step"
    default_message = "请完整填写该程序步骤的内容。"


class BreachNotFound(NotFound):
    """No such breach case, or another department's."""

    code = "breach_case_not_found"
    default_message = "未找到该违诺案件，或您无权查看。"


class NotBreachWorker(Forbidden):
    """Only inspectors and the head of the licence's supervisory department work its breaches."""

    code = "not_breach_worker"
    default_message = "只有该许可监管部门的监管人员或负责人可以办理违诺案件。"


class BreachTransitionRefused(InvalidTransition):
    """The breach case's state machine does not allow this step."""

    code = "breach_transition_refused"
    default_message = "违诺案件当前状态下不能执行此操作。"


class InvalidBreach(ValidationFailed):
    """A breach case with a missing or wrong origin, finding, facts or date."""

    code = "invalid_breach"
    default_message = "请完整填写违诺案件的来源、性质、事实和发现日期。"


__all__ = [
    "BreachNotFound",
    "BreachTransitionRefused",
    "HearingPending",
    "InvalidBreach",
    "InvalidProcedureStep",
    "InvalidRevocation",
    "LicenceAlreadyRevoked",
    "NoOpenRevocationCase",
    "NotBreachWorker",
    "NotDecider",
    "NoticeRequired",
    "RevocationTransitionRefused",
    "StaleRevocation",
    "StatementPeriodOpen",
]
