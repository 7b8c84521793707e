"""What the supervision domain tells the domains above it (blinker signals).

Sent inside the service's transaction; a receiver flushes and never commits, so the
verification task and what the receivers do commit or roll back together.

``inspection_found_breach`` is sent when a routine inspection (日常监管检查) finds the licence
holder short of its conditions or commitments (工作方案 三（四）).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A nonconform result was pushed to the approval department. kwargs: ``task``, ``actor``.
#: The enforcement domain opens the task's breach case and returns it.
nonconform_result_pushed = _signals.signal("nonconform-result-pushed")

#: A rectification order was given on a task. kwargs: ``task``, ``order``, ``actor``.
rectification_ordered = _signals.signal("rectification-ordered")

#: A task's rectification outcome was recorded. kwargs: ``task``, ``order``, ``rectified``,
#: ``note``, ``reinspected_on``, ``actor``. A receiver that opens a revocation case returns it.
rectification_outcome_recorded = _signals.signal("rectification-outcome-recorded")

#: A task's transfer to the judicial authorities (移送司法机关) was recorded. kwargs: ``task``,
#: ``reference``, ``transferred_on``, ``actor``. The enforcement domain mirrors it on the
#: task's breach case.
judicial_transfer_recorded = _signals.signal("supervision.judicial_transfer_recorded")

#: A routine inspection (日常监管检查) found a breach. ``sender`` is the ``RoutineInspection``;
#: kwargs: ``licence``, ``findings``, ``finding`` (``false_commitment`` / ``breach``),
#: ``found_on``, ``origin`` (``"routine_inspection"``), ``actor``. The enforcement domain
#: opens a breach case.
inspection_found_breach = _signals.signal("supervision.inspection_found_breach")

__all__ = ["inspection_found_breach", "judicial_transfer_recorded", "nonconform_result_pushed",
           "rectification_ordered", "rectification_outcome_recorded"]
