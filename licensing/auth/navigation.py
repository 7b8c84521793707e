"""The navigation bar: each domain registers its entries with the roles that see them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from licensing.auth.models import Role, User


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar."""

    label: str
    endpoint: str
    roles: frozenset[Role]
    order: int = 100


_items: list[NavItem] = []


def register_nav(label: str, endpoint: str, *roles: Role, order: int = 100) -> None:
    """Add an entry to the navigation bar for users of these roles (idempotent)."""
    item = NavItem(label, endpoint, frozenset(roles), order)
    if item not in _items:
        _items.append(item)


def nav_for(user: User) -> list[tuple[str, str, str]]:
    """Return ``(label, url, endpoint)`` for the entries the user's role sees."""
    items = sorted((i for i in _items if user.role in i.roles), key=lambda i: i.order)
    return [(i.label, url_for(i.endpoint), i.endpoint) for i in items]
