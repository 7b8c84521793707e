"""A replayed world is the world its build makes: the same rows, objects, ids and clock.

``tests.dbclean.replayed_world`` builds a world once per database and puts its rows back in
bulk for later tests. These tests build a world for real, empty what it wrote, replay it, and
compare table by table, object by object; so the replay cannot drift from the build.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
import sqlalchemy as sa

from licensing import clock
from licensing.extensions import db
from licensing.supervision import services as supervision
from licensing.supervision.models import Outcome
from tests import dbclean
from tests.case_factories import applicant, calendar_loaded
from tests.factories import create_test_user, departments
from tests.integration.test_report_figures import _october
from tests.integration.test_supervision_support import (
    freeze_on,
    licensed,
    replayed_on_world,
)

_keys = itertools.count()


class Small:
    """A world with a task checked and pushed, the clock left on another day."""

    def __init__(self, world):
        self.world = world
        self.cases = [licensed(world, decided_on=date(2026, 3, 2))]
        self.cases.append(licensed(world, decided_on=date(2026, 3, 3), who=applicant()))
        freeze_on(date(2026, 3, 9), 15)
        supervision.record_result(self.cases[0][2], Outcome.conform, "", date(2026, 3, 9),
                                  actor=world.inspector)
        db.session.commit()
        self.by_name = {"first": self.cases[0][2], "same": self.world}


def _small(world) -> Small:
    return Small(world)


def _rows() -> dict[str, list[tuple]]:
    """Every table's rows, in primary-key order (reference data included)."""
    return {table.name: [tuple(row) for row in db.session.execute(
        table.select().order_by(*table.primary_key.columns))]
        for table in db.metadata.sorted_tables}


def _shape(value, seen=None):
    """A comparable picture of a world: mapped objects by class, id and column values."""
    seen = set() if seen is None else seen
    state = sa.inspect(value, raiseerr=False)
    if isinstance(state, sa.orm.InstanceState):
        columns = {attr.key: getattr(value, attr.key) for attr in state.mapper.column_attrs}
        return (type(value).__name__, state.identity, tuple(sorted(columns.items())))
    if isinstance(value, dict):
        return {key: _shape(item, seen) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shape(item, seen) for item in value]
    if hasattr(value, "__dict__") and id(value) not in seen:
        seen.add(id(value))
        return (type(value).__name__, _shape(vars(value), seen))
    return value


def _empty_what_was_written() -> None:
    dbclean.clean(db.engine, db.metadata)
    calendar_loaded()  # reference data: kept, or loaded again with its audit entries
    departments()
    dbclean.clean(db.engine, db.metadata)


@pytest.mark.parametrize("build", [_small, _october], ids=["small", "october"])
def test_a_replayed_world_is_the_built_world(session, build):
    key = ("replay check", next(_keys))
    runs = []

    def counted(world):
        runs.append(world)
        return build(world)

    _empty_what_was_written()
    built = replayed_on_world(session, key, counted)
    built_rows, built_clock, built_shape = _rows(), clock.frozen(), _shape(built)
    assert runs and built_clock is not None
    assert built_rows["users"] and built_rows["audit_entries"]

    _empty_what_was_written()
    assert not _rows()["users"]
    clock.set_frozen(None)
    replayed = replayed_on_world(session, key, counted)
    assert len(runs) == 1  # put back, not built again
    assert _rows() == built_rows
    assert clock.frozen() == built_clock
    assert _shape(replayed) == built_shape
    assert replayed is not built and type(replayed) is type(built)
    # the ids go on after the replayed rows, as after the build
    assert create_test_user().id == max(row[0] for row in built_rows["users"]) + 1


def test_a_world_replays_only_onto_empty_tables(session):
    key = ("replay check", next(_keys))
    runs = []

    def counted(world):
        runs.append(world)
        return world

    _empty_what_was_written()
    replayed_on_world(session, key, counted)
    replayed_on_world(session, key, counted)  # the staff are still there: built again
    assert len(runs) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(
        db.metadata.tables["users"])) == 14


def test_a_world_keeps_only_what_it_can_load_again():
    with pytest.raises(TypeError, match="cannot keep"):
        dbclean._freeze({"engine": object()}, {})
