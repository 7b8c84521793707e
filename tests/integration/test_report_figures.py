"""Every figure of the monthly report on a hand-built October 2026, built through the services.

The cases (public-interest items: 7 working days to verify; one standard item: 60):

    T1  decided 10-12, due 10-21, checked 10-20 and pushed at once        on time
    T2  decided 10-13, due 10-22, checked 10-26 and pushed at once        done late (in Oct)
    T3  decided 10-21, due 10-30, not checked in October                  overdue at month end
    T4  decided 09-10, due in September, not checked                      backlog: overdue
    T5  decided 10-09, due 10-19, checked 10-16, pushed 10-31 23:30       pushed late, October
    T6  decided 10-09, due 10-19, checked 10-16, pushed 11-01 00:10       pushed late, November
    T7  decided 10-08, due 10-16, nonconform 10-15, rectification 10-19, put right 10-26
    T8  decided 09-29, due 10-14, nonconform 10-13, rectification 10-14, not put right 10-22,
        licence revoked 10-28, handed to the judicial authorities 10-29; the revocation
        withdrawn on review 11-04 (October still counts it)
    T9  another supervisory department (市市场监督管理局): due 10-21, checked 10-21
    T10 a standard item decided 10-20: due in January 2027, provisional (2027 not loaded)
    T11 decided 10-08, due 10-16; its supplement rejected 10-09 and the licence revoked 10-12
        before any check: no longer due, not overdue
    E1  G1's general-track licence: a routine inspection finds a breach 10-27, rectification
        ordered 10-27, handed to the judicial authorities 10-30
    E2  T1's licence: a complaint finds a false commitment 10-30
    E3  T9's licence (the other supervisory department): a referral 10-22
    E4  T2's licence: a credit re-check finding 11-02 (November)
    B1  commitment letter signed 10-31 23:30 (Beijing), decided 10-31          October
    B2  commitment letter signed 11-01 00:10 (Beijing), decided 11-01          November
    G1  general track accepted 10-15, approved 10-20                           general, October
    G2  general track accepted 09-30 23:30                                     September
    C1  credit check refused 10-12 (serious dishonesty), then general track    October
    R1  commitment letter signed 10-14, rejected 10-14                         not approved
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select, update

from licensing import clock
from licensing.calendar import services as calendar
from licensing.calendar.deadlines import DeadlineRule
from licensing.calendar.services import compute_deadline
from licensing.cases import services as cases
from licensing.cases.models import Channel, Decision, Track
from licensing.catalogue.models import VerificationRule
from licensing.clock import LOCAL_TZ
from licensing.credit.models import CreditRecordType, OutboxMessage, OutboxStatus
from licensing.enforcement import services as enforcement
from licensing.extensions import db
from licensing.reports.figures import FIGURE_KEYS
from licensing.reports.periods import Period
from licensing.reports.services import (
    build_monthly_report,
    differences,
    finalise_report,
    from_snapshot,
    report_for,
    snapshot_hash,
)
from licensing.supervision import services as supervision
from licensing.supervision.models import Outcome
from licensing.supplements import services as supplements
from licensing.supplements.models import SupplementObligation
from tests.case_factories import applicant, published_item
from tests.credit_fake_platform import credit_record
from tests.factories import create_test_user
from tests.integration.test_revocation import _revoke
from tests.integration.test_supervision_support import COMMIT_MODES, replayed_on_world

OCTOBER = Period(2026, 10)

NOTICE_2027 = """\
year: 2027
notice:
  number: 测试〔2026〕1号
  issued_on: 2026-12-10
  title: 测试用2027年节假日安排（非真实通知）
holidays:
  - {name: 元旦, start: 2027-01-01, end: 2027-01-03, days: 3}
  - {name: 春节, start: 2027-02-05, end: 2027-02-12, days: 8, makeup_days: [2027-02-20]}
  - {name: 清明节, start: 2027-04-03, end: 2027-04-05}
  - {name: 劳动节, start: 2027-05-01, end: 2027-05-04}
  - {name: 端午节, start: 2027-06-09, end: 2027-06-09}
  - {name: 中秋节, start: 2027-09-15, end: 2027-09-15}
  - {name: 国庆节, start: 2027-10-01, end: 2027-10-05}
"""


def at(day: date, hour: int = 10, minute: int = 0) -> None:
    """Fix the clock at ``hour:minute`` Beijing time on ``day``."""
    clock.set_frozen(datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ).astimezone(UTC))


def d(month: int, day: int) -> date:
    return date(2026, month, day)


class Scenario:
    """The October of the module docstring, built step by step in date order."""

    def __init__(self, world):
        self.w = world
        self.reform = create_test_user("reform_office")
        valid = date(2026, 1, 1)
        self.pi = published_item("PI-W", rule=VerificationRule.public_interest, working_days=7,
                                 valid_from=valid)
        self.pi_other = published_item("PI-S", rule=VerificationRule.public_interest,
                                       working_days=7, supervisory="scjgj", valid_from=valid)
        self.std = published_item("STD-W", valid_from=valid)
        self.t = {}
        self.apps = {}
        self.e = {}

    # -- steps of the journey at a given moment --------------------------------------------

    def signed(self, name, day, hour=10, minute=0, version=None):
        """Start a commitment application and sign its letter at ``day hour:minute``."""
        at(day, hour, minute)
        app = cases.start_application(version or self.pi, applicant(), Channel.counter,
                                      actor=self.w.clerk)
        cases.give_notice(app)
        assert cases.choose_track(app, Track.commitment).eligible
        cases.set_commitments(app, COMMIT_MODES)
        text = cases.letter_text(app)
        cases.sign_letter(app, "张三", cases.letter_digest(text), Channel.counter,
                          actor=self.w.clerk)
        db.session.commit()
        self.apps[name] = app
        return app

    def licensed(self, name, day, version=None, **when):
        """Sign and approve on ``day``; keep the verification task as ``name``."""
        app = self.signed(name, day, version=version, **when)
        result = cases.decide(app, Decision.approve, self.w.approver, decided_on=day)
        db.session.commit()
        self.t[name] = result.task
        return result

    def check(self, name, day, outcome=Outcome.conform, push=True, inspector=None):
        at(day)
        supervision.record_result(self.t[name], outcome,
                                  "经营场所与承诺不符" if outcome == Outcome.nonconform else "",
                                  day, actor=inspector or self.w.inspector, push=push)
        db.session.commit()

    def breach(self, name, app, origin, day, finding="breach", inspector=None):
        """An inspector opens a breach case on ``app``'s licence, found on ``day``."""
        at(day)
        self.e[name] = enforcement.open_manual_breach(
            app.licence, origin=origin, finding=finding, facts="发现违诺事实", found_on=day,
            actor=inspector or self.w.inspector)
        db.session.commit()

    def push(self, name, day, hour=10, minute=0):
        at(day, hour, minute)
        supervision.push_result(self.t[name], actor=self.w.inspector)
        db.session.commit()

    def general(self, name, day, hour=10, minute=0, who=None):
        at(day, hour, minute)
        app = cases.start_application(self.pi, who or applicant(), Channel.counter,
                                      actor=self.w.clerk)
        cases.give_notice(app)
        cases.choose_track(app, Track.general)
        cases.accept_general(app, ["M1", "M2", "M3", "M4"])
        db.session.commit()
        self.apps[name] = app
        return app

    def deliver_outbox(self, day):
        """The sender delivers everything queued so far (``delivered_dt`` = that moment)."""
        at(day)
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.pending)
            .values(status=OutboxStatus.delivered, delivered_dt=clock.utcnow()))
        db.session.commit()

    # -- the months --------------------------------------------------------------------------

    def build_until_october_end(self):
        w = self.w
        self.licensed("T4", d(9, 10))
        self.licensed("T8", d(9, 29))
        self.general("G2", d(9, 30), 23, 30)
        self.licensed("T7", d(10, 8))
        self.licensed("T11", d(10, 8))
        self.licensed("T5", d(10, 9))
        self.licensed("T6", d(10, 9))
        # T11: the supplement is handed in and rejected, the licence revoked, all before a check
        # (T11 promised its material within one working day: the rejection on its due date is
        # final; before it the applicant could hand in again)
        at(d(10, 9))
        obligation = db.session.scalar(select(SupplementObligation).where(
            SupplementObligation.application_id == self.apps["T11"].id))
        obligation.supplement_deadline = compute_deadline(
            DeadlineRule.supplement, start_on=d(10, 8), working_days=1,
            start_event="licence_issued")
        db.session.flush()
        supplements.hand_in_supplement(obligation, actor=w.clerk, note="现场提交纸质材料")
        supplements.reject_supplement(obligation, "平面图与现场不符", actor=w.approver)
        db.session.commit()
        self.licensed("T1", d(10, 12))
        self.licensed("T9", d(10, 12), version=self.pi_other)
        # C1: refused by the credit check, then goes on under the general procedure
        at(d(10, 12))
        refused = applicant()
        credit_record(refused, CreditRecordType.serious_dishonesty)
        app = cases.start_application(self.pi, refused, Channel.counter, actor=w.clerk)
        cases.give_notice(app)
        assert not cases.choose_track(app, Track.commitment).eligible
        cases.choose_track(app, Track.general)
        cases.accept_general(app, ["M1", "M2", "M3", "M4"])
        db.session.commit()
        at(d(10, 12), 11)
        _revoke(self.t["T11"].licence, "补交材料不符合要求", w.approver)
        db.session.commit()
        self.check("T8", d(10, 13), Outcome.nonconform)
        self.licensed("T2", d(10, 13))
        at(d(10, 14))
        supervision.order_rectification(self.t["T8"], d(10, 21), actor=w.inspector)
        db.session.commit()
        # R1: signed and rejected the same day
        app = self.signed("R1", d(10, 14))
        cases.decide(app, Decision.reject, w.approver, reason="场所不符合条件",
                     decided_on=d(10, 14))
        db.session.commit()
        self.general("G1", d(10, 15))
        self.check("T7", d(10, 15), Outcome.nonconform)
        self.check("T5", d(10, 16), push=False)
        self.check("T6", d(10, 16), push=False)
        at(d(10, 19))
        supervision.order_rectification(self.t["T7"], d(10, 23), actor=w.inspector)
        db.session.commit()
        self.deliver_outbox(d(10, 20))
        self.check("T1", d(10, 20))
        at(d(10, 20))
        cases.decide(self.apps["G1"], Decision.approve, w.approver, decided_on=d(10, 20))
        db.session.commit()
        self.licensed("T10", d(10, 20), version=self.std)
        self.licensed("T3", d(10, 21))
        self.check("T9", d(10, 21), inspector=w.other_inspector)
        at(d(10, 22))
        supervision.record_rectification_outcome(self.t["T8"], False, note="逾期未整改",
                                                 actor=w.inspector)  # due 10-21: overdue
        db.session.commit()
        at(d(10, 26))
        supervision.record_rectification_outcome(self.t["T7"], True, actor=w.inspector)
        db.session.commit()
        self.check("T2", d(10, 26))
        at(d(10, 28))
        self.t8_revocation = _revoke(self.t["T8"].licence, "逾期未整改", w.approver)
        db.session.commit()
        at(d(10, 29))
        supervision.record_judicial_transfer(self.t["T8"], "定公移〔2026〕8号", d(10, 29),
                                             actor=w.inspector)
        db.session.commit()
        self.breach("E1", self.apps["G1"], "routine_inspection", d(10, 27))
        at(d(10, 27))
        enforcement.order_rectification(self.e["E1"], d(11, 6), requirements="公示许可证",
                                        actor=w.inspector)
        db.session.commit()
        self.breach("E2", self.apps["T1"], "complaint", d(10, 30), finding="false_commitment")
        self.breach("E3", self.apps["T9"], "referral", d(10, 22), inspector=w.other_inspector)
        at(d(10, 30))
        enforcement.record_judicial_transfer(self.e["E1"], "定公移〔2026〕9号", d(10, 30),
                                             actor=w.inspector)
        db.session.commit()
        self.licensed("B1", d(10, 31), hour=23, minute=30)
        self.push("T5", d(10, 31), 23, 30)

    def build_later_changes(self):
        """What happens after October: none of it may change October's figures."""
        self.licensed("B2", d(11, 1), hour=0, minute=10)
        self.push("T6", d(11, 1), 0, 10)
        self.deliver_outbox(d(11, 2))
        self.check("T3", d(11, 3))
        self.check("T4", d(11, 3))
        self.breach("E4", self.apps["T2"], "credit_recheck", d(11, 2))
        # T8's revocation withdrawn on review: it still took effect in October
        at(d(11, 4))
        enforcement.reverse_revocation(self.t8_revocation, reason="行政复议撤销原决定",
                                       reversed_on=d(11, 4), actor=self.w.approver)
        db.session.commit()
        at(d(12, 12))
        calendar.import_notice(calendar.read_notice_file(NOTICE_2027))
        db.session.commit()


def _october(world) -> Scenario:
    s = Scenario(world)
    s.build_until_october_end()
    return s


@pytest.fixture
def scenario(session):
    """The October of the module docstring: built once per database, then replayed."""
    s = replayed_on_world(session, "report figures: October", _october)
    t = s.t
    # the dates the scenario relies on
    assert t["T1"].verification_due_on == d(10, 21)
    assert t["T2"].verification_due_on == d(10, 22)
    assert t["T3"].verification_due_on == d(10, 30)
    assert t["T4"].verification_due_on.month == 9
    assert t["T5"].verification_due_on == t["T6"].verification_due_on == d(10, 19)
    assert t["T5"].result_push_due_on == d(10, 23) and t["T5"].pushed_late
    assert t["T7"].verification_due_on == d(10, 16)
    assert t["T8"].verification_due_on == d(10, 14)
    assert t["T10"].verification_due_on.year == 2027 and t["T10"].verification_provisional
    assert t["T11"].verification_due_on == d(10, 16) and t["T11"].checked_on is None
    return s


EXPECTED_OCTOBER_CITY = {
    "applications_commitment": 11,  # T1 T2 T3 T5 T6 T7 T9 T10 T11 B1 R1
    "applications_general": 2,  # G1 C1
    "approved_on_the_spot": 10,  # the commitment ones but R1
    "approved_later": 0,  # each decided no later than the working day of its letter
    "credit_ineligible": 1,  # C1
    "tasks_due": 8,  # T1 T2 T3 T5 T6 T7 T8 T9 (not T11: revoked unchecked on 10-12)
    "tasks_on_time": 6,  # T1 T5 T6 T7 T8 T9
    "tasks_done_late": 1,  # T2
    "tasks_overdue": 2,  # T3, and T4 from September
    "results_pushed": 6,  # T1 T2 T5 T7 T8 T9 (T6 on 11-01 00:10)
    "results_pushed_late": 1,  # T5 at 23:30 on 10-31
    "breaches": 5,  # T7 T8 (verification), E1 (routine), E2 (complaint), E3 (referral)
    "rectifications_ordered": 3,  # T7 T8 E1
    "rectifications_completed": 1,  # T7
    "revocations": 2,  # T11 (10-12) T8 (10-28)
    "judicial_transfers": 2,  # T8 (recorded on the task, mirrored on its case) E1
    "provisional_deadlines": 1,  # T10
    "publicity_late": 0,  # no publicity records made (tests/integration/test_publicity.py)
    "publicity_overdue": 0,
}


def _outbox_oracle(period: Period) -> dict[str, int]:
    """The credit figures counted row by row in Python (an independent check of the SQL)."""
    delivered = pending = 0
    for message in db.session.scalars(select(OutboxMessage)):
        if message.delivered_dt and period.start <= message.delivered_dt < period.end:
            delivered += 1
        if message.created_dt < period.end and (message.delivered_dt is None
                                                or message.delivered_dt >= period.end):
            pending += 1
    return {"credit_pushes_delivered": delivered, "credit_pushes_pending": pending}


def test_every_figure_of_the_hand_built_october(scenario):
    at(d(11, 1), 0, 5)
    report = build_monthly_report(OCTOBER)
    credit = _outbox_oracle(OCTOBER)
    assert credit["credit_pushes_delivered"] > 0 and credit["credit_pushes_pending"] > 0
    assert report.totals == {**EXPECTED_OCTOBER_CITY, **credit}
    assert list(report.totals) == list(FIGURE_KEYS)

    departments = {row.code: row.figures for row in report.departments}
    assert set(departments) >= {"xzspj", "wsjkj", "scjgj"}
    assert "ggb" not in departments  # the reform office reports nothing itself
    approval, own, other = departments["xzspj"], departments["wsjkj"], departments["scjgj"]
    assert approval["applications_commitment"] == 11 and approval["revocations"] == 2
    assert approval["tasks_due"] == 0
    assert own["tasks_due"] == 7 and own["tasks_on_time"] == 5 and own["tasks_overdue"] == 2
    assert own["applications_commitment"] == 0
    assert other["tasks_due"] == 1 and other["tasks_on_time"] == 1
    assert other["results_pushed"] == 1 and other["breaches"] == 1  # E3
    assert own["breaches"] == 4 and own["judicial_transfers"] == 2
    # the departments add up to the city
    for key in EXPECTED_OCTOBER_CITY:
        assert sum(f[key] for f in departments.values()) == report.totals[key]

    items = {row.code: row.figures for row in report.items}
    assert set(items) == {"PI-W", "PI-S", "STD-W"}
    assert items["STD-W"]["applications_commitment"] == 1
    assert items["STD-W"]["provisional_deadlines"] == 1
    assert items["PI-S"]["tasks_due"] == 1 and items["PI-S"]["applications_commitment"] == 1
    assert items["PI-W"]["tasks_due"] == 7
    assert items["PI-W"]["applications_general"] == 2
    for key in EXPECTED_OCTOBER_CITY:
        assert sum(f[key] for f in items.values()) == report.totals[key]


def test_month_boundaries_put_events_in_their_local_month(scenario):
    september = build_monthly_report(Period(2026, 9))
    assert september.totals["applications_commitment"] == 2  # T4 T8
    assert september.totals["applications_general"] == 1  # G2 at 23:30 on 09-30
    assert september.totals["tasks_due"] == 1 and september.totals["tasks_overdue"] == 1
    assert september.totals["approved_on_the_spot"] == 2

    scenario.build_later_changes()
    november = build_monthly_report(Period(2026, 11))
    assert november.totals["applications_commitment"] == 1  # B2 at 00:10 on 11-01
    assert november.totals["approved_on_the_spot"] == 1
    assert november.totals["results_pushed_late"] == 1  # T6 at 00:10 on 11-01
    assert november.totals["results_pushed"] == 3  # T6, T3, T4
    assert november.totals["tasks_done_late"] == 2  # T3 T4 checked 11-03
    # B1 (decided on Saturday 10-31) and B2 fall due in November and stay unchecked
    assert november.totals["tasks_due"] == 2
    assert november.totals["tasks_overdue"] == 2
    assert november.totals["breaches"] == 1  # E4, the credit re-check
    assert november.totals["rectifications_ordered"] == 0


def test_a_past_month_reproduces_after_later_changes(scenario):
    reform = scenario.reform
    at(d(11, 20))
    before = build_monthly_report(OCTOBER)
    stored = finalise_report(OCTOBER, actor=reform, expected_sha256=before.sha256)
    db.session.commit()
    assert stored.sha256 == before.sha256 == snapshot_hash(stored.figures)

    scenario.build_later_changes()
    t10 = scenario.t["T10"]
    db.session.refresh(t10)
    assert not t10.verification_provisional  # 2027 loaded: no longer provisional
    after = build_monthly_report(OCTOBER)
    assert after.totals == before.totals
    assert after.sha256 == before.sha256
    assert differences(from_snapshot(stored.figures), after) == []
    # the reform office reads the frozen snapshot, and it matches a fresh computation
    shown = report_for(OCTOBER, reform)
    assert shown.source == "final" and shown.totals == after.totals


def test_a_department_sees_only_its_own_part(scenario):
    head = scenario.w.head  # 市卫生健康局
    mine = build_monthly_report(OCTOBER, head)
    assert mine.scope == "wsjkj"
    assert [row.code for row in mine.departments] == ["wsjkj"]
    assert mine.totals["tasks_due"] == 7 and mine.totals["tasks_overdue"] == 2
    assert "credit_pushes_pending" not in mine.totals  # city-only figures are not theirs
    assert {row.code for row in mine.items} == {"PI-W", "STD-W"}
    # from a final snapshot too
    at(d(11, 20))
    finalise_report(OCTOBER, actor=scenario.reform)
    db.session.commit()
    frozen = report_for(OCTOBER, head)
    assert frozen.source == "final" and frozen.totals == mine.totals
    assert [row.code for row in frozen.departments] == ["wsjkj"]


def test_the_trend_counts_like_the_monthly_report(scenario):
    from licensing.reports.queries import monthly_totals
    from licensing.reports.services import trend

    scenario.build_later_changes()
    months = [Period(2026, 9), OCTOBER, Period(2026, 11), Period(2026, 12)]
    head = scenario.w.head
    city, own = monthly_totals(months), monthly_totals(months, head)
    for period in months:
        assert city[period] == build_monthly_report(period).totals, period
        assert own[period] == build_monthly_report(period, head).totals, period
    at(d(12, 20))
    finalise_report(OCTOBER, actor=scenario.reform)
    db.session.commit()
    points = trend(Period(2026, 12), scenario.reform, months=4)
    assert [p.period for p in points] == months
    assert [p.source for p in points] == ["live", "final", "live", "live"]
    assert [p.partial for p in points] == [False, False, False, True]
    assert points[1].totals == {**EXPECTED_OCTOBER_CITY, **_outbox_oracle(OCTOBER)}


def _without_bounds(monkeypatch) -> None:
    """Count by the figures' conditions alone, every row of each table (the reference)."""
    import dataclasses

    from licensing.reports import queries

    monkeypatch.setattr(queries, "SOURCES", tuple(dataclasses.replace(s, bounds=None, apart=False)
                                                  for s in queries.SOURCES))


@pytest.mark.parametrize(("today", "later"), [
    (d(10, 1), False), (d(10, 17), False), (d(10, 31), False), (d(10, 17), True),
    (d(11, 2), True), (d(12, 1), True)])
def test_the_bounds_of_a_month_in_progress_change_no_figure(scenario, monkeypatch, today,
                                                            later):
    """A month in progress is counted over its bounds' rows only: the same figures as over
    every row, for the city, a department, the trend and a panel's few figures.

    With ``later`` the clock is set inside a month while rows dated after it exist (built
    for later months), so a bound that leaned on "nothing is dated after today" would show.
    """
    from licensing.reports.queries import SOURCES, collect, monthly_totals

    if later:
        scenario.build_later_changes()
    at(today, 12)
    period = Period.of(today)
    assert not period.has_ended() and any(s.bounds for s in SOURCES)
    head = scenario.w.head
    panel = {"tasks_due", "tasks_on_time", "tasks_overdue", "applications_commitment",
             "approved_on_the_spot", "credit_pushes_pending", "publicity_overdue"}

    def figures():
        # each figure alone too: the other figures' bounds would otherwise hide a missing one
        return (collect(period).cells, collect(period).city_only, collect(period, head).cells,
                monthly_totals([period]), monthly_totals([period], head),
                monthly_totals([period], figures=panel),
                # the reform office's panel: applications counted apart, overdue by its arms
                monthly_totals([period], figures={"applications_commitment",
                                                  "approved_on_the_spot", "tasks_overdue"}),
                [monthly_totals([period], figures={name}) for name in FIGURE_KEYS],
                [monthly_totals([period], head, figures={name}) for name in FIGURE_KEYS])

    bounded = figures()
    _without_bounds(monkeypatch)
    assert bounded == figures()
    assert any(any(cell.values()) for cell in bounded[0].values())


def test_snapshot_totals_are_the_totals_of_the_snapshot(scenario):
    from licensing.reports.services import snapshot_totals

    at(d(11, 20))
    snapshot = finalise_report(OCTOBER, actor=scenario.reform).figures
    for code in (None, *(department["code"] for department in snapshot["departments"])):
        assert snapshot_totals(snapshot, department_code=code) == \
            from_snapshot(snapshot, department_code=code).totals, code
    assert snapshot_totals(snapshot) == {**EXPECTED_OCTOBER_CITY, **_outbox_oracle(OCTOBER)}
