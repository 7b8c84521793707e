"""What the supervision domain does when a lower domain tells it something happened."""

from __future__ import annotations

from licensing.cases.signals import commitment_licence_issued
from licensing.supervision.services import open_verification_task


@commitment_licence_issued.connect
def _open_task(sender, *, application, licence, deadline, **_):
    """A commitment-track licence was issued: open its verification task."""
    return open_verification_task(application, licence, deadline)
