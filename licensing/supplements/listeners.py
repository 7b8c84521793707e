"""What the supplements domain does when the cases domain tells it a licence was issued."""

from __future__ import annotations

from licensing.cases.signals import commitment_licence_issued
from licensing.supplements.services import open_supplements


@commitment_licence_issued.connect
def _open_supplements(sender, *, application, licence, decided_on, **_):
    """A commitment-track licence was issued: open its promised supplements (returns None)."""
    open_supplements(application, licence, decided_on)
