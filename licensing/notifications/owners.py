"""Who is told about an object: each domain declares it for its own object types.

Jobs that only know ``object_type``/``object_id`` (a recomputed deadline, say) ask here for
the users to notify and the page to link to::

    @register_owner("verification_task")
    def _task_owner(object_id: str) -> Owner | None:
        task = db.session.get(VerificationTask, int(object_id))
        ...
        return Owner(users=[task.assigned_to], link=f"/supervision/tasks/{task.id}",
                     label=f"核查任务 {task.id}")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from licensing.auth.models import Role, User
from licensing.notifications.services import recipients


@dataclass(frozen=True)
class Owner:
    """The users answerable for an object, a link to it, and how to name it to them."""

    users: Sequence[User]
    link: str | None
    label: str


OwnerResolver = Callable[[str], Owner | None]

_resolvers: dict[str, OwnerResolver] = {}


def register_owner(object_type: str) -> Callable[[OwnerResolver], OwnerResolver]:
    """Register the function naming the owners of objects of ``object_type``."""

    def decorate(fn: OwnerResolver) -> OwnerResolver:
        _resolvers[object_type] = fn
        return fn

    return decorate


def owner_of(object_type: str, object_id: str) -> Owner:
    """Return who to tell about an object; the administrators when nobody is declared."""
    resolver = _resolvers.get(object_type)
    owner = resolver(object_id) if resolver is not None else None
    if owner is None or not owner.users:
        label = owner.label if owner is not None else f"{object_type} {object_id}"
        link = owner.link if owner is not None else None
        return Owner(users=recipients([Role.admin]), link=link, label=label)
    return owner
