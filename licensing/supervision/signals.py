"""What the supervision domain announces to the domains above it (blinker signals).

``inspection_found_breach`` is sent when a routine inspection (日常监管检查) finds the licence
holder short of its conditions or commitments (工作方案 三（四）: 在核查或日常监管中发现存在
不实承诺或违反承诺情形的，责令其限期整改). ``sender`` is the ``RoutineInspection``; keyword
arguments: ``licence``, ``findings``, ``found_on``, ``origin`` (``"routine_inspection"``),
``actor``. The enforcement domain listens to open a breach case. Sent inside the transaction;
receivers must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

inspection_found_breach = _signals.signal("supervision.inspection_found_breach")
