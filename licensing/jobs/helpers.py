"""Small helpers for job functions: links outside a request, once-per-key markers, dates."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.routing.exceptions import BuildError

from licensing.clock import local_date, utcnow
from licensing.extensions import db
from licensing.jobs.models import JobMarker


def path_for(endpoint: str, **values) -> str | None:
    """Return the path of ``endpoint`` (no request needed), or ``None`` if it does not exist.

    Notifications store paths, not full URLs: the inbox links within the site, and external
    senders prefix ``Settings.public_base_url``.
    """
    adapter = current_app.url_map.bind("localhost", url_scheme="http")
    try:
        return adapter.build(endpoint, values, force_external=False)
    except BuildError:
        return None


def path_prefix_for(endpoint: str, id_argument: str) -> str | None:
    """Return the path of ``endpoint`` up to its integer ``id_argument`` (for SQL ``||``).

    ``/supervision/tasks/<int:task_id>`` gives ``/supervision/tasks/``; ``None`` when the
    endpoint is missing or the id is not the last part of its path.
    """
    sentinel = 918273645
    path = path_for(endpoint, **{id_argument: sentinel})
    if path is None or not path.endswith(str(sentinel)):
        return None
    return path[: -len(str(sentinel))]


def once(key: str, job_name: str, note: str | None = None) -> bool:
    """Record that ``key`` is done; return ``True`` the first time only (flushes, no commit).

    A job that must do something once per period (``monthly_report_draft:2026-11``) calls
    it in the same transaction as the thing it does, so both commit or neither does.
    """
    table = JobMarker.__table__
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    inserted = db.session.execute(
        insert(table).values(key=key, job_name=job_name, done_dt=utcnow(), note=note)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.key)  # psycopg gives no row count for INSERT ... ON CONFLICT
    ).first()
    return inserted is not None


def today_of(now: datetime):
    """Return the local (China Standard Time) date of the job's ``now``: legal dates' today."""
    return local_date(now)


class ItemsFailed(Exception):
    """Some items of a job failed (each rolled back on its own); the others were committed."""

    def __init__(self, failures: list[tuple[object, str]], handled: int) -> None:
        self.failures = failures
        self.handled = handled
        first_item, first_error = failures[0]
        super().__init__(f"{len(failures)} item(s) failed, {handled} handled; "
                         f"first: {first_item}: {first_error}")


def for_each_item(ids, handle) -> int:
    """Call ``handle(id) -> bool`` per id, committing after each; return how many returned True.

    An item that raises is rolled back alone and the next one goes on; at the end
    ``ItemsFailed`` names the failures, so the run is recorded as failed with its error and
    the failed items are selected again by the next run.
    """
    from licensing.jobs.execution import error_text

    handled = 0
    failures: list[tuple[object, str]] = []
    for item_id in ids:
        try:
            if handle(item_id):
                handled += 1
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            failures.append((item_id, error_text(exc)))
    if failures:
        raise ItemsFailed(failures, handled)
    return handled
