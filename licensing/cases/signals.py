"""What the licence domain tells the domains above it (blinker signals, see docs/architecture.md).

Receivers are connected by the listening domain's ``listeners.py`` (imported by the app
factory with the models), so this domain never imports the ones that react. Signals are sent
inside the service's transaction; receivers flush and never commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A licence was issued on the commitment track, inside the decision's transaction.
#: kwargs: ``application``, ``licence``, ``deadline`` (the verification deadline),
#: ``decided_on``. The supervision domain returns the verification task it opened (the
#: decision's answer names it); the supplements domain opens one obligation per material
#: promised later and returns ``None``.
commitment_licence_issued = _signals.signal("commitment-licence-issued")

#: A re-check of the degraded credit check a commitment application was decided on found the
#: applicant barred (工作方案 三（一）). ``sender`` is the ``Application``; kwargs: ``licence``
#: (or ``None`` when not approved), ``reasons`` (Chinese), ``origin`` (``"credit_recheck"``),
#: ``recheck_id``. The enforcement domain opens a breach case for the supervisory department.
licence_credit_barred = _signals.signal("cases.licence_credit_barred")

__all__ = ["commitment_licence_issued", "licence_credit_barred"]
