"""No discrimination: routine supervision sampling follows the credit risk level, never the track.

工作方案 三（四）: 行业监管部门不得对通过告知承诺制方式办理的企业和群众采取歧视性监管措施.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from licensing.applicants.models import Applicant
from licensing.auth.services import department_by_code
from licensing.cases.models import Application, Track
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.supervision.sampling import (
    draw_routine_sample,
    sampling_frame,
    sampling_frame_query,
)
from tests.case_factories import published_item
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    licensed,
    world_fixture,
)

LEVELS = "AABBBCCDABCD"  # twelve licensees
RATIOS = {"A": "0.5", "B": "0.5", "C": "0.5", "D": "1"}


def _licensees(world):
    version = published_item(valid_from=date(2026, 1, 1))
    licences = []
    for i, level in enumerate(LEVELS):
        track = Track.commitment if i % 2 == 0 else Track.general
        _, licence, _ = licensed(world, version=version, track=track)
        licence.applicant.risk_level = level
        licence.applicant.risk_level_dt = utcnow()
        licences.append(licence)
    db.session.commit()
    return licences


def _swap_tracks() -> None:
    for app_ in db.session.scalars(db.select(Application)):
        app_.track = Track.general if app_.track == Track.commitment else Track.commitment
    db.session.commit()


def test_swapping_every_licensees_track_does_not_change_the_sample(world):
    licences = _licensees(world)
    wsjkj = department_by_code("wsjkj")
    before = draw_routine_sample(wsjkj, RATIOS, seed="2026-03")
    tracks_before = {lic.applicant_id: lic.application.track for lic in licences}
    drawn_tracks = {tracks_before[i] for i in before.applicant_ids}
    assert drawn_tracks == {Track.commitment, Track.general}  # both tracks are in the frame
    assert 0 < len(before.drawn) < len(licences)

    _swap_tracks()
    db.session.expire_all()
    assert {lic.applicant_id: lic.application.track for lic in licences} != tracks_before
    after = draw_routine_sample(wsjkj, RATIOS, seed="2026-03")
    assert after.applicant_ids == before.applicant_ids
    assert after.population == before.population

    # ...and making everyone commitment-track, or everyone general-track, changes nothing either
    for track in (Track.commitment, Track.general):
        db.session.execute(update(Application).values(track=track))
        assert draw_routine_sample(wsjkj, RATIOS, seed="2026-03").applicant_ids == \
            before.applicant_ids


def test_intensity_follows_the_risk_level(world):
    _licensees(world)
    wsjkj = department_by_code("wsjkj")
    sample = draw_routine_sample(wsjkj, {"A": 0, "B": "0.34", "C": "0.5", "D": 1}, seed="x")
    by_level = {}
    for licensee in sample.drawn:
        by_level.setdefault(licensee.risk_level, []).append(licensee.applicant_id)
    assert sample.population == {"A": 3, "B": 4, "C": 3, "D": 2}
    assert "A" not in by_level  # ratio 0
    assert len(by_level["B"]) == 2  # ceil(0.34 x 4)
    assert len(by_level["C"]) == 2  # ceil(0.5 x 3)
    assert len(by_level["D"]) == 2  # all of them
    # reproducible from its seed
    again = draw_routine_sample(wsjkj, {"A": 0, "B": "0.34", "C": "0.5", "D": 1}, seed="x")
    assert again.applicant_ids == sample.applicant_ids


def test_the_frame_never_reads_the_track(world):
    sql = str(sampling_frame_query(1).compile(dialect=db.session.get_bind().dialect))
    assert "track" not in sql.lower()
    assert "applications" not in sql.lower()  # where the track is stored
    assert "risk_level" in sql.lower()


def test_the_frame_is_the_departments_valid_licences(world):
    from licensing.supplements.services import mark_missed_supplements
    from tests.integration.test_revocation import _revoke

    _, licence, _ = licensed(world)
    _, elsewhere, _ = licensed(world, supervisory="scjgj")
    wsjkj = department_by_code("wsjkj")
    ids = {lic.applicant_id for lic in sampling_frame(wsjkj.id)}
    assert licence.applicant_id in ids and elsewhere.applicant_id not in ids
    mark_missed_supplements(date(2026, 4, 1))
    _revoke(licence, "逾期未补交", world.approver)
    assert licence.applicant_id not in {lic.applicant_id for lic in sampling_frame(wsjkj.id)}


def test_unknown_risk_level_counts_as_b(world):
    _, licence, _ = licensed(world)
    db.session.execute(update(Applicant).where(Applicant.id == licence.applicant_id)
                       .values(risk_level=None, risk_level_dt=None))
    frame = sampling_frame(department_by_code("wsjkj").id)
    assert [lic.risk_level for lic in frame] == ["B"]
