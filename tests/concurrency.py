"""Run several callables at once, each in its own thread, app context and session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from licensing.errors import Conflict
from licensing.extensions import db


def run_in_threads(app, targets: list[Callable[[], str]]) -> list[str]:
    """Start every target at the same moment; return their results, ``"refused"`` for a refusal.

    Each target runs and commits in its own session. A ``Conflict`` (an already-decided case,
    an illegal transition, a stale form) counts as a clear refusal; any other exception fails
    the test.
    """
    errors: list[BaseException] = []
    outcomes: list[str] = []
    barrier = threading.Barrier(len(targets))

    def worker(target):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                outcomes.append(target())
                db.session.commit()
            except Conflict:
                db.session.rollback()
                outcomes.append("refused")
            except BaseException as exc:
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes
