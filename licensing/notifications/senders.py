"""External channels for notifications: e-mail and SMS, behind one small interface.

The default senders only log that a message would have gone out. Their log lines carry the
notification id, the user id, the kind and the channel, and nothing else: no name, no phone
number, no e-mail address, no ID number, no text of the notice (which may name an applicant).

A real gateway implements ``Sender`` and is installed at start-up with ``configure_senders``;
it looks up the user's contact details itself, so they never pass through this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from licensing.auth.models import User
from licensing.notifications.models import Notification

log = logging.getLogger("licensing.notifications.delivery")


class DeliveryFailed(Exception):
    """A sender could not deliver; the message must not contain personal data."""


@runtime_checkable
class Sender(Protocol):
    """Sends one notification to one user over one channel (``"email"``, ``"sms"``...)."""

    channel: str
    #: True for senders that only pretend (the log-only default): the delivery log says so.
    simulated: bool

    def send(self, notification: Notification, user: User) -> None:
        """Deliver, or raise ``DeliveryFailed``. Must be safe to call again after a failure."""


class LogOnlySender:
    """The default: writes one log line per message, with no personal data in it."""

    simulated = True

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, notification: Notification, user: User) -> None:
        """Log that the notice would have been sent (ids and kind only)."""
        log.info("notification %s channel=%s user_id=%s kind=%s (log only, not sent)",
                 notification.id, self.channel, user.id, notification.kind)


DEFAULT_SENDERS: tuple[Sender, ...] = (LogOnlySender("email"), LogOnlySender("sms"))

_senders: list[Sender] = list(DEFAULT_SENDERS)


def configure_senders(senders: Iterable[Sender]) -> None:
    """Install the senders used for every external delivery (replacing the current ones)."""
    chosen = list(senders)
    for sender in chosen:
        if not isinstance(sender, Sender):
            raise TypeError(f"{sender!r} is not a Sender")
    channels = [s.channel for s in chosen]
    if len(set(channels)) != len(channels):
        raise ValueError(f"one sender per channel: {channels}")
    _senders[:] = chosen


def reset_senders() -> None:
    """Go back to the log-only default senders."""
    _senders[:] = list(DEFAULT_SENDERS)


def active_senders() -> Sequence[Sender]:
    """Return the senders currently installed."""
    return tuple(_senders)
