"""What the cases domain announces to the domains above it (blinker signals).

``licence_credit_barred`` is sent when a re-check of the degraded credit check a commitment
application was decided on finds the applicant barred (工作方案 三（一）). ``sender`` is the
``Application``; keyword arguments: ``licence`` (or ``None`` when not approved), ``reasons``
(Chinese), ``origin`` (``"credit_recheck"``), ``recheck_id``. The enforcement domain listens
to open a breach case for the supervisory department. Sent inside the transaction; receivers
must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

licence_credit_barred = _signals.signal("cases.licence_credit_barred")
