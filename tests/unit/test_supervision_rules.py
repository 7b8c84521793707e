"""The state machines' tables, file-type sniffing and the sampling draw, without a database."""

from __future__ import annotations

import itertools
import random
from datetime import date

import pytest

from licensing import import_models
from licensing.enforcement import services as revocation
from licensing.enforcement.errors import RevocationTransitionRefused
from licensing.enforcement.models import REVOCATION_TRANSITIONS, RevocationCase, RevocationStatus
from licensing.supervision import services
from licensing.supervision.errors import (
    RectificationTransitionRefused,
    StaleTask,
    TaskTransitionRefused,
)
from licensing.supervision.models import (
    RECTIFICATION_TRANSITIONS,
    TASK_EVENT_LABELS,
    TASK_TRANSITIONS,
    RectificationOrder,
    RectificationStatus,
    TaskStatus,
    VerificationTask,
)
from licensing.supervision.sampling import Licensee, draw_from_frame
from licensing.supplements import services as supplements
from licensing.supplements.errors import SupplementTransitionRefused
from licensing.supplements.models import SupplementObligation, SupplementStatus
from licensing.uploads import clean_original_name, sniff_type

import_models()  # every mapper must be known before a model object is built


def _refused_pairs(table, states):
    return [(event, state) for event, (sources, _) in table.items()
            for state in states if state not in sources]


# --- the verification task ------------------------------------------------------------------


def test_task_table_is_the_documented_life_cycle():
    moves = {event: (sorted(s.value for s in sources), target.value)
             for event, (sources, target) in TASK_TRANSITIONS.items()}
    assert moves == {
        "record_result": (["open"], "checked"),
        "push_conform": (["checked"], "closed"),
        "push_nonconform": (["checked"], "breach"),
        "order_rectification": (["breach"], "rectifying"),
        "rectified": (["rectifying"], "closed"),
        "not_rectified": (["rectifying"], "revocation_requested"),
        "revocation_dismissed": (["revocation_requested"], "closed"),
        "licence_revoked": (["breach", "checked", "open", "rectifying",
                             "revocation_requested"], "revoked"),
    }
    # closed and revoked are terminal: no event leaves them
    for terminal in (TaskStatus.closed, TaskStatus.revoked):
        assert not any(terminal in sources for sources, _ in TASK_TRANSITIONS.values())
    assert set(TASK_TRANSITIONS) <= set(TASK_EVENT_LABELS)


@pytest.mark.parametrize(("event", "state"), _refused_pairs(TASK_TRANSITIONS, list(TaskStatus)))
def test_every_refused_task_transition_raises(event, state):
    task = VerificationTask(id=1, status=state, lock_version=3)
    with pytest.raises(TaskTransitionRefused) as excinfo:
        services._transition(task, event, actor=None)
    assert state.label in excinfo.value.message
    assert TASK_EVENT_LABELS[event] in excinfo.value.message


def test_a_stale_version_is_refused_before_anything_else():
    task = VerificationTask(id=1, status=TaskStatus.open, lock_version=3)
    with pytest.raises(StaleTask):
        services._transition(task, "record_result", actor=None, expected_version=2)


# --- the rectification order ----------------------------------------------------------------


def test_rectification_table():
    assert {e: (sorted(s.value for s in src), t.value)
            for e, (src, t) in RECTIFICATION_TRANSITIONS.items()} == {
        "rectified": (["ordered"], "rectified"),
        "not_rectified": (["ordered"], "failed"),
    }


@pytest.mark.parametrize(("event", "state"),
                         _refused_pairs(RECTIFICATION_TRANSITIONS, list(RectificationStatus)))
def test_every_refused_rectification_transition_raises(event, state):
    order = RectificationOrder(id=1, status=state, task_id=1)
    with pytest.raises(RectificationTransitionRefused) as excinfo:
        services._transition_rectification(order, event, actor=None, values={})
    assert state.label in excinfo.value.message


# --- the revocation case --------------------------------------------------------------------


def test_revocation_table():
    assert {e: (sorted(s.value for s in src), t.value)
            for e, (src, t) in REVOCATION_TRANSITIONS.items()} == {
        "notice": (["requested"], "noticed"),
        "revoke": (["noticed"], "decided"),
        "dismiss": (["noticed", "requested"], "dismissed"),
        "serve": (["decided"], "revoked"),
        "merge": (["decided", "noticed", "requested"], "merged"),
        "reverse": (["revoked"], "reversed"),
    }


@pytest.mark.parametrize(("event", "state"),
                         _refused_pairs(REVOCATION_TRANSITIONS, list(RevocationStatus)))
def test_every_refused_revocation_transition_raises(event, state):
    case_ = RevocationCase(id=1, status=state, lock_version=1)
    with pytest.raises(RevocationTransitionRefused) as excinfo:
        revocation._transition(case_, event, actor=None)
    assert state.label in excinfo.value.message


# --- the supplement -------------------------------------------------------------------------


def test_supplement_table():
    assert {e: (sorted(s.value for s in src), t.value)
            for e, (src, t) in supplements.SUPPLEMENT_TRANSITIONS.items()} == {
        "hand_in": (["pending"], "submitted"),
        "accept": (["submitted"], "accepted"),
        "reject": (["submitted"], "rejected"),
        "miss": (["pending"], "missed"),
        "lapse": (["pending", "submitted"], "lapsed"),
        "reject_for_resubmission": (["submitted"], "pending"),
    }


@pytest.mark.parametrize(("event", "state"),
                         _refused_pairs(supplements.SUPPLEMENT_TRANSITIONS,
                                        list(SupplementStatus)))
def test_every_refused_supplement_transition_raises(event, state):
    obligation = SupplementObligation(id=1, status=state)
    with pytest.raises(SupplementTransitionRefused) as excinfo:
        supplements._transition(obligation, event, actor=None)
    assert state.label in excinfo.value.message


# --- uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(("head", "expected"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"%PDF-1.7\n", "application/pdf"),
    (b"GIF89a", None),
    (b"<svg xmlns=", None),
    (b"<html>", None),
    (b"PK\x03\x04", None),  # zip / docx
    (b"RIFF\x10\x00\x00\x00WAVE", None),
    (b"", None),
])
def test_type_is_read_from_the_content(head, expected):
    assert sniff_type(head) == expected


def test_original_names_are_labels_only():
    assert clean_original_name("../../etc/passwd") == "passwd"
    assert clean_original_name("C:\\photos\\门头.jpg") == "门头.jpg"
    assert clean_original_name("a\x00b\nc.png") == "abc.png"
    assert clean_original_name("") == "未命名文件"
    assert len(clean_original_name("x" * 500)) == 200


# --- deadlines flags ------------------------------------------------------------------------


def test_deadline_flags():
    today, limit = date(2026, 3, 10), date(2026, 3, 17)
    assert services.deadline_flag(date(2026, 3, 9), today, limit) == "overdue"
    assert services.deadline_flag(today, today, limit) == "due_soon"
    assert services.deadline_flag(limit, today, limit) == "due_soon"
    assert services.deadline_flag(date(2026, 3, 18), today, limit) is None
    assert services.deadline_flag(None, today, limit) is None


# --- the sampling draw ------------------------------------------------------------------------


FRAME = [Licensee(i, level) for i, level in zip(range(1, 41), itertools.cycle("ABCD"),
                                                strict=False)]
RATIOS = {"A": "0.1", "B": "0.25", "C": "0.5", "D": "1"}


def test_the_draw_depends_on_identities_levels_ratios_and_seed_only():
    expected = draw_from_frame(FRAME, RATIOS, "seed-1")
    shuffled = FRAME[:]
    random.Random(7).shuffle(shuffled)
    assert draw_from_frame(shuffled, RATIOS, "seed-1") == expected
    counts = {level: sum(1 for lic in expected if lic.risk_level == level) for level in "ABCD"}
    assert counts == {"A": 1, "B": 3, "C": 5, "D": 10}


def test_the_draw_refuses_impossible_ratios():
    with pytest.raises(ValueError):
        draw_from_frame(FRAME, {"A": "1.5"}, "s")
