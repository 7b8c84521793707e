"""Errors of the supervision domain (messages in Simplified Chinese)."""

from __future__ import annotations

from licensing.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed


class TaskTransitionRefused(InvalidTransition):
    """The verification task's state machine does not allow this step from its state."""

    code = "task_transition_refused"
    default_message = "核查任务当前状态下不能执行此操作。"


class RectificationTransitionRefused(InvalidTransition):
    """The rectification order's state machine does not allow this step."""

    code = "rectification_transition_refused"
    default_message = "整改通知当前状态下不能执行此操作。"


class StaleTask(Conflict):
    """The form was filled in on an older state of the task (optimistic locking)."""

    code = "stale_task"
    default_message = ("该核查任务在您打开页面后已被他人修改（例如已改派或已记录结果），"
                       "您的提交未保存。请刷新页面，核对最新情况后再操作。")


class NotYourTask(Forbidden):
    """The task is assigned to another inspector, or the user is not of its department."""

    code = "not_your_task"
    default_message = "该核查任务已分派给其他监管人员，只有被分派的人员或部门负责人可以办理。"


class InvalidAssignee(ValidationFailed):
    """Tasks go to active inspectors of the task's own supervisory department only."""

    code = "invalid_assignee"
    default_message = "只能分派给本部门在岗的监管人员。"


class InvalidResult(ValidationFailed):
    """A result that breaks a rule: missing findings, a date in the future..."""

    code = "invalid_result"
    default_message = "核查结果填写有误。"


class InvalidRectification(ValidationFailed):
    """A rectification order with an impossible due date."""

    code = "invalid_rectification"
    default_message = "整改期限填写有误。"


class JudicialTransferInvalid(ValidationFailed):
    """A transfer to the judicial authorities without a reference, or not allowed now."""

    code = "judicial_transfer_invalid"
    default_message = "请填写移送司法机关的文书编号和日期。"


class EvidenceNotFound(NotFound):
    """No such evidence file, or not the user's to see."""

    code = "evidence_not_found"
    default_message = "未找到该证据文件，或您无权查看。"


__all__ = [
    "EvidenceNotFound",
    "InvalidAssignee",
    "InvalidRectification",
    "InvalidResult",
    "JudicialTransferInvalid",
    "NotYourTask",
    "RectificationNotDue",
    "RectificationTransitionRefused",
    "StaleTask",
    "TaskTransitionRefused",
]


class RectificationNotDue(InvalidTransition):
    """Not rectified is recorded only after the due date, or on a re-inspection that found it."""

    code = "rectification_not_due"
    default_message = ("整改期限尚未届满，不能认定未整改到位。如经复查发现整改后仍不符合条件，"
                       "请填写复查日期。")
