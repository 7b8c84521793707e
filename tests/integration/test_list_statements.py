"""No list page sends a statement per row: its statement count does not grow with its rows.

Every list page (the inboxes, the case list, the task API, the results, breach, revocation and
supplement lists, the notification inbox, the register, the home pages) is rendered with 3
cases behind it and again with 30, in all the states a task goes through; the number of
statements must be the same.
On SQLite and PostgreSQL, like the rest of the suite.
"""

from __future__ import annotations

from datetime import date

import pytest

from licensing.auth.models import Role
from licensing.extensions import db
from licensing.supervision import services
from licensing.supervision.models import Outcome
from tests.factories import create_test_user, login_as
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    licensed,
    world_fixture,
)
from tests.statements import count_statements

CHECKED_ON = date(2026, 3, 9)

#: (who, path): who is an attribute of the world (or "reform", "public").
PAGES = [
    ("inspector", "/supervision/tasks"),
    ("inspector", "/supervision/tasks?status=all"),
    ("inspector", "/supervision/tasks?due=overdue"),
    ("inspector", "/supervision/tasks?inspector=mine"),
    ("head", "/supervision/tasks"),
    ("head", "/supervision/tasks?due=due_soon"),
    ("reform", "/supervision/tasks?status=all"),
    ("inspector", "/api/v1/verification-tasks?status=all"),
    ("reform", "/api/v1/verification-tasks?status=all&per_page=100"),
    ("inspector", "/applications"),
    ("approver", "/applications"),
    ("approver", "/applications?q=%E4%BC%81%E4%B8%9A"),
    ("reform", "/applications"),
    ("approver", "/applications/waiting"),
    ("approver", "/approvals/results"),
    ("approver", "/revocations?status=all"),
    ("approver", "/breaches"),
    ("inspector", "/breaches"),
    ("approver", "/supplements"),
    ("approver", "/notifications"),
    ("inspector", "/notifications"),
    ("head", "/notifications?unread=1"),
    ("inspector", "/"),
    ("head", "/"),
    ("approver", "/"),
    ("reform", "/"),
    ("public", "/register?q=%E4%BC%81%E4%B8%9A"),
    ("public", "/api/v1/register?q=%E4%BC%81%E4%B8%9A&limit=100"),
]


def _cases(world, n: int, start: int) -> None:
    """``n`` licensed cases whose tasks are open, checked, in breach and being rectified."""
    for i in range(start, start + n):
        _, _, task = licensed(world)
        state = i % 4
        if state == 1:
            services.record_result(task, Outcome.nonconform, "经营场所与承诺不符", CHECKED_ON,
                                   actor=world.inspector, push=False)
        elif state >= 2:
            services.record_result(task, Outcome.nonconform, "经营场所与承诺不符", CHECKED_ON,
                                   actor=world.inspector)
            if state == 3:
                services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
        db.session.commit()


def _counts(app, users) -> dict[tuple[str, str], int]:
    """The statements of each page; ``_counts.text`` keeps them for the failure message."""
    counts, _counts.text = {}, {}
    for who, path in PAGES:
        client = app.test_client()
        if who != "public":
            login_as(client, users[who])
        client.get(path)  # warm: per-process caches (calendar, catalogue) fill here
        with count_statements(db.engine) as statements:
            response = client.get(path)
        assert response.status_code == 200, (who, path, response.status_code)
        counts[(who, path)] = statements.count
        _counts.text[(who, path)] = statements.text()
    return counts


@pytest.mark.slow
def test_list_pages_send_as_many_statements_for_30_rows_as_for_3(app, world):
    users = {"inspector": world.inspector, "head": world.head, "approver": world.approver,
             "reform": create_test_user(Role.reform_office)}
    _cases(world, 3, 0)
    few = _counts(app, users)
    _cases(world, 27, 3)
    many = _counts(app, users)
    grown = {page: (few[page], many[page]) for page in PAGES if many[page] != few[page]}
    assert grown == {}, f"statements with 3 rows vs 30 rows: {grown}\n" + "\n".join(
        f"--- {page}\n{_counts.text[page]}" for page in grown)
