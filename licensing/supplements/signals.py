"""What the supplements domain tells the domains above it (blinker signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A promised material was missed or finally rejected (工作方案 三（四））. kwargs:
#: ``obligation``, ``origin`` (``supplement_missed`` | ``supplement_rejected``), ``reason``,
#: ``actor``. The enforcement domain opens a revocation case and returns it.
supplement_broken = _signals.signal("supplement-broken")

__all__ = ["supplement_broken"]
