"""What each role's home page shows: links to its work, and warnings.

Domains add panels with ``register_panel``; the home page shows those the user's role may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from licensing.auth.models import Role, User


@dataclass
class Panel:
    """A block on the home page: a title, links, figures, an optional warning."""

    title: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    figures: list[tuple[str, str | int]] = field(default_factory=list)  # (label, value)
    warning: str | None = None
    order: int = 100


PanelBuilder = Callable[[User], Panel | None]
_builders: list[tuple[frozenset[Role], PanelBuilder]] = []


def register_panel(*roles: Role) -> Callable[[PanelBuilder], PanelBuilder]:
    """Register a function building a home-page panel for users of these roles."""

    def decorate(builder: PanelBuilder) -> PanelBuilder:
        _builders.append((frozenset(roles), builder))
        return builder

    return decorate


def panels_for(user: User) -> list[Panel]:
    """Build the panels the user's role sees, in order."""
    panels = []
    for roles, builder in _builders:
        if user.role in roles:
            panel = builder(user)
            if panel is not None:
                panels.append(panel)
    return sorted(panels, key=lambda p: p.order)
