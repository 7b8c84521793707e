"""What the enforcement domain tells the domains above it (blinker signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A revocation decision was served: the licence is revoked from ``case.served_on``.
#: kwargs: ``licence``, ``case``, ``actor``.
licence_revoked = _signals.signal("licence-revoked")

#: A served revocation was withdrawn (not upheld): the licence is in force again.
#: kwargs: ``licence``, ``case``, ``actor``.
revocation_reversed = _signals.signal("revocation-reversed")

__all__ = ["licence_revoked", "revocation_reversed"]
