"""The jobs with a fixed clock: sweeps across a gap of several days, catch-up, nothing twice."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.demo import ensure_demo_departments
from licensing.auth.models import Role
from licensing.calendar import services as calendar
from licensing.calendar.models import CalendarRecomputeEvent
from licensing.cases import services as cases
from licensing.cases.models import Channel, Decision, Track
from licensing.catalogue.models import VerificationRule
from licensing.clock import LOCAL_TZ
from licensing.extensions import db
from licensing.jobs.deadlines import reminder_windows
from licensing.jobs.execution import run_job
from licensing.jobs.helpers import ItemsFailed, for_each_item
from licensing.jobs.leadership import acquire_lease
from licensing.jobs.models import JobMarker, JobRun, RunStatus
from licensing.jobs.registry import every, get_job, job, unregister
from licensing.notifications.models import Notification
from licensing.supervision.models import TaskStatus, VerificationTask
from licensing.supplements.models import SupplementObligation, SupplementStatus
from tests import dbclean
from tests.case_factories import applicant, published_item, synced_calendar
from tests.factories import create_test_user
from tests.integration.test_calendar import TEST_NOTICE_2027

D = date.fromisoformat
COMMIT_MODES = {"M1": None, "M2": "supplement", "M3": "substitute", "M4": "exempt_review"}
CALENDAR_TODAY = D("2026-11-29")


def at(day: str, hour: int = 9) -> datetime:
    """The job's ``now``: 09:00 China Standard Time on ``day``."""
    return datetime.combine(D(day), time(hour), tzinfo=LOCAL_TZ)


def run(name: str, day: str, hour: int = 9) -> JobRun:
    """Run a job for a fixed ``now``, with the clock fixed there too (services read it)."""
    with clock.freeze(at(day, hour)):
        result = run_job(get_job(name), now=at(day, hour), runner_id="test")
    assert result is not None
    return result


@pytest.fixture
def people(wipe_all, session):
    """The staff, on a calendar synced on ``CALENDAR_TODAY`` from an empty database.

    Built once per database, then replayed (``tests.dbclean.replayed_world``): the build
    starts on an empty database, so the departments are its own rows here, not the kept
    reference data, and their audit entries come between the calendar's and the staff's.
    """
    return dbclean.replayed_world(session, ("jobs: people", CALENDAR_TODAY), _people)


def _people() -> dict:
    synced_calendar(CALENDAR_TODAY)  # what ``calendar.sync_official_data`` writes, committed
    ensure_demo_departments()
    db.session.commit()
    return {
        "clerk": create_test_user(Role.clerk),
        "approver": create_test_user(Role.approver),
        "inspector": create_test_user(Role.inspector, "wsjkj"),
        "head": create_test_user(Role.head, "wsjkj"),
        "reform": create_test_user(Role.reform_office),
        "admin": create_test_user(Role.admin),
    }


def decided_case(people, decided_on: str, *, who=None, rule=VerificationRule.public_interest,
                 working_days=7):
    """A commitment case approved on ``decided_on``: licence, task, one supplement (M2)."""
    version = published_item(rule=rule, working_days=working_days)
    application = cases.start_application(version, who or applicant(), Channel.counter,
                                          actor=people["clerk"])
    cases.give_notice(application)
    cases.choose_track(application, Track.commitment)
    cases.set_commitments(application, COMMIT_MODES)
    text = cases.letter_text(application)
    cases.sign_letter(application, "张三", cases.letter_digest(text), Channel.counter,
                      actor=people["clerk"])
    result = cases.decide(application, Decision.approve, people["approver"],
                          decided_on=D(decided_on))
    # The approvers' 「待决定」 notice was sent at signing; these tests look at the sweeps'.
    db.session.execute(delete(Notification).where(
        Notification.kind == "application.awaiting_decision"))
    db.session.commit()
    return result


def notices(kind: str | None = None) -> Counter:
    """(kind, username) -> how many notifications."""
    stmt = select(Notification)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return Counter((n.kind, n.user.username) for n in db.session.scalars(stmt))


# -- the verification sweeps across a gap ------------------------------------------------


def test_reminder_windows_count_working_days(people):
    # Tuesday 2026-11-24: 1 working day -> Wed 11-25; 5 -> Tue 12-01.
    windows = reminder_windows(D("2026-11-24"))
    assert [(w.tier, w.first_day, w.last_day) for w in windows] == [
        (1, D("2026-11-24"), D("2026-11-25")), (5, D("2026-11-26"), D("2026-12-01"))]
    # Friday 2026-09-25, across National Day (10-01..10-07 off): 09-28, 09-29, 09-30, 10-08,
    # 10-09, then Saturday 10-10, a make-up working day.
    assert reminder_windows(D("2026-09-25"), (5,))[0].last_day == D("2026-10-09")
    assert reminder_windows(D("2026-09-25"), (6,))[0].last_day == D("2026-10-10")


def test_verification_sweeps_across_a_gap_catch_up_and_never_repeat(people):
    inspector, head = people["inspector"], people["head"]
    a = decided_case(people, "2026-11-20").task  # 7 working days: due 2026-12-01
    b = decided_case(people, "2026-11-18").task  # due 2026-11-27, falls inside the gap
    assert a.verification_due_on == D("2026-12-01") and b.verification_due_on == D("2026-11-27")
    a.assigned_to_id = inspector.id  # b stays unassigned: its reminders go to the heads
    db.session.commit()
    a_id, b_id = a.id, b.id
    sweeps = ("verification_due_soon", "verification_overdue")

    def day(d: str) -> dict[str, int]:
        handled = {name: run(name, d).items_handled for name in sweeps}
        again = {name: run(name, d, hour=15).items_handled for name in sweeps}
        assert again == dict.fromkeys(sweeps, 0), "a second run the same day does nothing"
        return handled

    # Monday: b is due within 5 working days but nobody is assigned: the heads' daily digest.
    assert day("2026-11-23") == {"verification_due_soon": 1, "verification_overdue": 0}
    assert notices() == Counter({("verification.unassigned_digest", head.username): 1})
    # Tuesday: a enters its 5-day window (inspector); b is still unassigned (digest again).
    assert day("2026-11-24") == {"verification_due_soon": 2, "verification_overdue": 0}
    # The scheduler is down from 11-25 to 11-29: b falls due on 11-27, unseen.
    # Monday 11-30: a gets its 1-day reminder; b is marked overdue and the heads told.
    assert day("2026-11-30") == {"verification_due_soon": 1, "verification_overdue": 1}
    db.session.expire_all()
    assert db.session.get(VerificationTask, b_id).overdue_marked_dt == at("2026-11-30")
    assert db.session.get(VerificationTask, a_id).overdue_marked_dt is None
    assert day("2026-12-01") == {"verification_due_soon": 0, "verification_overdue": 0}
    assert day("2026-12-02") == {"verification_due_soon": 0, "verification_overdue": 1}
    assert day("2026-12-07") == {"verification_due_soon": 0, "verification_overdue": 0}

    assert notices() == Counter({
        ("verification.unassigned_digest", head.username): 2,  # b, on 11-23 and 11-24
        ("verification.due_soon", inspector.username): 2,  # a: tier 5, then tier 1
        ("verification.overdue_digest", head.username): 2,  # b on 11-30, a on 12-02
        ("verification.overdue", inspector.username): 1,  # a
    })
    digest = db.session.scalars(select(Notification.body).where(
        Notification.kind == "verification.overdue_digest")).first()
    assert "新增 1 项" in digest and "其中 1 项尚未分派" in digest
    keys = set(db.session.scalars(select(Notification.dedup_key)))
    assert f"verification_due_soon:{a_id}:5@2026-12-01" in keys
    assert f"verification_due_soon:{a_id}:1@2026-12-01" in keys
    assert f"verification_overdue:{a_id}@2026-12-01" in keys
    department_id = db.session.get(VerificationTask, b_id).supervisory_department_id
    assert f"verification_overdue_digest:{department_id}@2026-11-30" in keys
    batch = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "verification_task.overdue_marked").order_by(AuditEntry.id)).all()
    assert [e.changes["task_ids"] for e in batch] == [[b_id], [a_id]]


def test_a_moved_due_date_is_announced_again(people):
    inspector = people["inspector"]
    task = decided_case(people, "2026-11-20").task  # due 2026-12-01
    task.assigned_to_id = inspector.id
    db.session.commit()
    assert run("verification_due_soon", "2026-11-30").items_handled == 1  # tier 1, 12-01
    task = db.session.get(VerificationTask, task.id)
    task.verification_due_on = D("2026-12-03")  # e.g. recomputed after a notice was loaded
    db.session.commit()
    assert run("verification_due_soon", "2026-11-30", hour=15).items_handled == 1
    assert run("verification_due_soon", "2026-11-30", hour=16).items_handled == 0
    assert sorted(db.session.scalars(select(Notification.due_on))) == [
        D("2026-12-01"), D("2026-12-03")]


def test_closed_tasks_are_left_alone(people):
    task = decided_case(people, "2026-11-18").task
    task.status = TaskStatus.revoked
    db.session.commit()
    assert run("verification_overdue", "2026-12-10").items_handled == 0
    assert run("verification_due_soon", "2026-11-26").items_handled == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_result_push_reminders_and_late_notice(people):
    from licensing.supervision.services import record_result

    inspector, head = people["inspector"], people["head"]
    task = decided_case(people, "2026-11-18").task
    with clock.freeze(at("2026-11-25", 17)):
        record_result(task, "conform", None, D("2026-11-25"), actor=inspector, push=False)
    db.session.commit()
    assert task.status == TaskStatus.checked and task.assigned_to_id == inspector.id
    assert task.result_push_due_on == D("2026-12-02")
    assert run("result_push_reminders", "2026-11-26").items_handled == 1  # tier 5
    assert run("result_push_reminders", "2026-12-01").items_handled == 1  # tier 1
    assert run("result_push_reminders", "2026-12-01", hour=15).items_handled == 0
    assert run("result_push_reminders", "2026-12-04").items_handled == 2  # late: both told
    assert run("result_push_reminders", "2026-12-07").items_handled == 0
    assert notices() == Counter({("result_push.due_soon", inspector.username): 2,
                                 ("result_push.overdue", inspector.username): 1,
                                 ("result_push.overdue", head.username): 1})


def test_rectification_reminders_and_overdue_notice(people):
    from licensing.supervision.services import order_rectification, push_result, record_result

    inspector, head = people["inspector"], people["head"]
    task = decided_case(people, "2026-11-18").task
    with clock.freeze(at("2026-11-25", 17)):
        record_result(task, "nonconform", "经营场所与承诺不符", D("2026-11-25"),
                      actor=inspector, push=False)
        push_result(task, actor=inspector)
        order = order_rectification(task, D("2026-12-09"), requirements="整改场所",
                                    actor=inspector, ordered_on=D("2026-11-25"))
    db.session.commit()
    assert order.rectification_due_on == D("2026-12-09")
    before = notices()
    assert run("rectification_due_soon", "2026-12-02").items_handled == 1  # tier 5
    assert run("rectification_due_soon", "2026-12-08").items_handled == 1  # tier 1
    assert run("rectification_due_soon", "2026-12-08", hour=15).items_handled == 0
    assert run("rectification_overdue", "2026-12-09").items_handled == 0  # still in time
    assert run("rectification_overdue", "2026-12-14").items_handled == 1  # after a weekend
    assert run("rectification_overdue", "2026-12-15").items_handled == 0
    new = notices() - before
    assert new == Counter({("rectification.due_soon", inspector.username): 2,
                           ("rectification.overdue", inspector.username): 1,
                           ("rectification.overdue", head.username): 1})
    body = db.session.scalars(select(Notification.body).where(
        Notification.kind == "rectification.overdue")).first()
    assert "记录整改结果" in body


# -- supplements --------------------------------------------------------------------------


def test_supplement_reminders_reach_the_online_applicant(people):
    online = create_test_user(Role.applicant)
    who = applicant()
    who.user_id = online.id
    db.session.commit()
    decided_case(people, "2026-11-20", who=who)  # M2 due 20 working days later: 2026-12-18
    obligation = db.session.scalars(select(SupplementObligation)).one()
    assert obligation.supplement_due_on == D("2026-12-18")
    assert run("supplement_due_soon", "2026-12-10").items_handled == 0
    assert run("supplement_due_soon", "2026-12-11").items_handled == 1  # tier 5
    assert run("supplement_due_soon", "2026-12-11", hour=15).items_handled == 0
    assert run("supplement_due_soon", "2026-12-17").items_handled == 1  # tier 1
    assert notices() == Counter({("supplement.due_soon", online.username): 2})
    body = db.session.scalars(select(Notification.body)).first()
    assert "场所平面图" in body and "2026-12-18" in body


def test_counter_applicants_reminders_go_to_the_clerks(people):
    decided_case(people, "2026-11-20")
    assert run("supplement_due_soon", "2026-12-11").items_handled == 1
    assert notices() == Counter({("supplement.due_soon", people["clerk"].username): 1})


def test_missed_supplement_opens_one_revocation_case_after_downtime(people):
    from licensing.enforcement.models import RevocationCase

    decided_case(people, "2026-11-20")  # M2 due 2026-12-18
    assert run("supplement_missed", "2026-12-18").items_handled == 0  # the due day is in time
    # Down over the weekend; Monday's first run catches up.
    assert run("supplement_missed", "2026-12-21").items_handled == 1
    assert run("supplement_missed", "2026-12-21", hour=15).items_handled == 0
    assert run("supplement_missed", "2026-12-28").items_handled == 0
    obligation = db.session.scalars(select(SupplementObligation)).one()
    assert obligation.status == SupplementStatus.missed
    assert len(db.session.scalars(select(RevocationCase)).all()) == 1
    told = {user for _, user in notices()}
    assert {people["approver"].username, people["head"].username} <= told


# -- monthly report, calendar status, recomputed deadlines --------------------------------


def test_monthly_report_draft_once_a_month_from_the_20th(people):
    heads_and_reform = {people["head"].username, people["reform"].username}
    assert run("monthly_report_draft", "2026-11-19").items_handled == 0
    assert run("monthly_report_draft", "2026-11-20").items_handled == 1
    assert run("monthly_report_draft", "2026-11-20", hour=15).items_handled == 0
    assert run("monthly_report_draft", "2026-11-27").items_handled == 0
    assert {u for _, u in notices("report.monthly_draft")} == heads_and_reform
    # Down from 12-18 to 12-22: the first run after it does December's.
    assert run("monthly_report_draft", "2026-12-22").items_handled == 1
    assert sum(notices("report.monthly_draft").values()) == 4
    assert sorted(db.session.scalars(select(JobMarker.key))) == [
        "monthly_report_draft:2026-11", "monthly_report_draft:2026-12"]
    periods = db.session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.action == "report.monthly_draft_ready").order_by(AuditEntry.id)).all()
    assert periods == ["2026-10", "2026-11"]  # the month reported is the one before
    drafts = db.session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.action == "report.draft_saved").order_by(AuditEntry.id)).all()
    assert drafts == ["2026-10", "2026-11"]  # licensing.reports drafted each one
    assert "2026年10月" in db.session.scalars(select(Notification.title)).first()


def test_calendar_status_warns_admins_from_december_weekly(people):
    admin = people["admin"].username
    assert run("calendar_status", "2026-11-30").items_handled == 0
    assert run("calendar_status", "2026-12-01").items_handled == 1
    assert run("calendar_status", "2026-12-04").items_handled == 0  # same week
    assert run("calendar_status", "2026-12-07").items_handled == 1  # next week
    assert notices() == Counter({("calendar.status", admin): 2})
    body = db.session.scalars(select(Notification.body)).first()
    assert "2027年" in body


# The same made-up 2027 arrangement as the calendar's own tests (not the real notice).
NOTICE_2027 = TEST_NOTICE_2027


def test_loading_a_notice_tells_the_owners_of_recomputed_deadlines(people):
    inspector, head = people["inspector"], people["head"]
    task = decided_case(people, "2026-12-18", rule=VerificationRule.standard,
                        working_days=60).task
    task.assigned_to_id = inspector.id
    db.session.commit()
    assert task.verification_provisional
    calendar.import_notice(calendar.read_notice_file(NOTICE_2027))
    db.session.commit()
    events = db.session.scalars(select(CalendarRecomputeEvent).where(
        CalendarRecomputeEvent.object_type == "verification_task")).all()
    assert events and all(e.notified_dt is None for e in events)

    first = run("deadline_recomputed_notices", "2026-12-21")
    assert first.items_handled == len(db.session.scalars(select(CalendarRecomputeEvent)).all())
    assert run("deadline_recomputed_notices", "2026-12-21", hour=15).items_handled == 0
    received = notices("deadline.recomputed")
    assert received[("deadline.recomputed", inspector.username)] == len(events)
    assert received[("deadline.recomputed", head.username)] == len(events)
    body = db.session.scalars(select(Notification.body).where(
        Notification.user_id == inspector.id)).first()
    assert f"核查任务 #{task.id}" in body


# -- the runner of one job ----------------------------------------------------------------


@pytest.fixture
def scratch_jobs():
    names = []

    def register(name, fn):
        job(name, every(hours=1), label=name)(fn)
        names.append(name)
        return get_job(name)

    yield register
    for name in names:
        unregister(name)


def test_a_failing_job_is_recorded_and_rolled_back(people, scratch_jobs):
    def boom(now):
        db.session.add(JobMarker(key="half-done", job_name="boom"))
        db.session.flush()
        raise RuntimeError("出错了")

    result = run_job(scratch_jobs("test_boom", boom), now=at("2026-12-01"), runner_id="r1")
    assert result.status == RunStatus.failed and "RuntimeError: 出错了" in result.error
    assert result.finished_dt >= result.started_dt and result.duration_s >= 0
    assert db.session.get(JobMarker, "half-done") is None


def test_items_commit_one_by_one_and_failures_are_reported(people, scratch_jobs):
    def some_fail(now):
        def handle(item):
            db.session.add(JobMarker(key=f"item-{item}", job_name="some"))
            if item == 2:
                raise ValueError("坏数据")
            return True

        return for_each_item([1, 2, 3], handle)

    result = run_job(scratch_jobs("test_some_fail", some_fail), now=at("2026-12-01"))
    assert result.status == RunStatus.failed and result.items_handled == 2
    assert "1 item(s) failed" in result.error
    assert sorted(db.session.scalars(select(JobMarker.key))) == ["item-1", "item-3"]
    with pytest.raises(ItemsFailed):
        for_each_item([1], lambda item: 1 / 0)


def test_a_job_running_elsewhere_is_skipped(people, scratch_jobs):
    ran = []
    target = scratch_jobs("test_busy", lambda now: ran.append(now) or 1)
    with db.engine.connect() as conn:
        assert acquire_lease(conn, "job:test_busy", "other-runner", timedelta(minutes=5))
    assert run_job(target, now=at("2026-12-01")) is None
    assert ran == []
    with db.engine.connect() as conn:
        from licensing.jobs.leadership import release_lease

        release_lease(conn, "job:test_busy", "other-runner")
    assert run_job(target, now=at("2026-12-01")).items_handled == 1


# -- commands and the ops page ------------------------------------------------------------


def test_run_once_and_status_commands(people, runner):
    result = runner.invoke(args=["scheduler", "run-once", "audit_seal", "verification_overdue"])
    assert result.exit_code == 0, result.output
    assert "audit_seal: succeeded" in result.output
    status = runner.invoke(args=["scheduler", "status"])
    assert status.exit_code == 0
    lines = {line.split()[0]: line for line in status.output.splitlines()[3:]}
    assert "succeeded" in lines["audit_seal"] and lines["monthly_report_draft"].split()[2] == (
        "never")
    assert "leader:" in status.output
    unknown = runner.invoke(args=["scheduler", "run-once", "no_such_job"])
    assert unknown.exit_code == 2 and "no_such_job" in unknown.output


def test_run_once_exits_1_when_a_job_fails(app, runner, scratch_jobs):
    scratch_jobs("test_cli_boom", lambda now: 1 / 0)
    result = runner.invoke(args=["scheduler", "run-once", "test_cli_boom"])
    assert result.exit_code == 1 and "ZeroDivisionError" in result.output


def test_ops_page_shows_last_runs_and_errors(people, client, scratch_jobs):
    from tests.factories import login_as

    scratch_jobs("test_ops_boom", lambda now: 1 / 0)
    run_job(get_job("test_ops_boom"), now=at("2026-12-01"), runner_id="runner-x")
    run("verification_overdue", "2026-12-01")
    login_as(client, people["admin"])
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert "运行监控" in page and "现场核查逾期标记" in page and "runner-x" in page
    assert "ZeroDivisionError" in page and "从未运行" in page
    assert "没有调度进程" in page  # no heartbeat recorded: the page says so
    home = client.get("/").get_data(as_text=True)
    assert "后台任务" in home and "test_ops_boom" in home
    other = client.application.test_client()
    login_as(other, people["inspector"])
    assert other.get("/admin/jobs/").status_code == 403
