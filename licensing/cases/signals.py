"""What the licence domain tells the domains above it (blinker signals, see docs/architecture.md).

Receivers are connected by the listening domain's ``listeners.py`` (imported by the app
factory with the models), so this domain never imports the ones that react.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A licence was issued on the commitment track, inside the decision's transaction.
#: kwargs: ``application``, ``licence``, ``deadline`` (the verification deadline). A receiver
#: returns the verification task it opened (the decision's answer names it).
commitment_licence_issued = _signals.signal("commitment-licence-issued")

__all__ = ["commitment_licence_issued"]
