"""What the credit domain announces to the domains above it (blinker signals).

``recheck_found_barred`` is sent when a queued re-check of a degraded credit check finds, now
that the platform answers, a record that bars the commitment track: the decision made on the
degraded check stood on incomplete evidence. Sent inside the transaction that resolves the
re-check, with ``sender`` the ``CreditRecheck`` and the keyword arguments ``applicant``,
``check`` (the new check), ``degraded_check_id`` and ``reasons`` (Chinese). Receivers work in
the same transaction and must not commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

recheck_found_barred = _signals.signal("credit.recheck_found_barred")
