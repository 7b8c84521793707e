"""The enforcement domain's notification kinds (it runs no sweep of its own).

A rectification order's due date is reminded by the supervision domain's sweep of the task's
order; a breach case opened by hand is worked from the department's list.
"""

from __future__ import annotations

from licensing.notifications.services import register_kind

NOTIFY_REQUESTED = register_kind("revocation.requested", "撤销许可申请")
NOTIFY_DECIDED = register_kind("revocation.decided", "撤销许可决定")
NOTIFY_SUPPLEMENT = register_kind("supplement.failed", "补交材料未履行")
NOTIFY_BREACH = register_kind("breach.opened", "违诺案件")

__all__ = ["NOTIFY_BREACH", "NOTIFY_DECIDED", "NOTIFY_REQUESTED", "NOTIFY_SUPPLEMENT"]
