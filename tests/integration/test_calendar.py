"""The calendar over the database: sync, import, recomputation of open deadlines, commands."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Boolean, MetaData, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.calendar import services
from licensing.calendar.errors import (
    CalendarChanged,
    CalendarNotLoaded,
    CalendarOutOfRange,
    InvalidDeadline,
)
from licensing.calendar.models import (
    CalendarDay,
    CalendarNotice,
    CalendarRecomputeEvent,
    CalendarVersion,
    CalendarYear,
    NoticeSource,
    deadline_mixin,
)
from licensing.calendar.registry import register_deadline_model, unregister_deadline_provider
from licensing.calendar.services import DeadlineRule
from licensing.extensions import NAMING_CONVENTION, db
from tests.case_factories import synced_calendar

D = date.fromisoformat
TODAY = date(2026, 11, 29)

#: A made-up 2027 arrangement for tests, NOT the State Council's notice: the statutory
#: projection except for Spring Festival (02-11 and 02-12 off, Saturday 02-20 worked).
TEST_NOTICE_2027 = """\
year: 2027
notice:
  number: 测试〔2026〕1号
  issued_on: 2026-12-10
  title: 测试用2027年节假日安排（非真实通知）
holidays:
  - name: 元旦
    start: 2027-01-01
    end: 2027-01-03
    days: 3
  - name: 春节
    start: 2027-02-05
    end: 2027-02-12
    days: 8
    makeup_days: [2027-02-20]
  - name: 清明节
    start: 2027-04-03
    end: 2027-04-05
  - name: 劳动节
    start: 2027-05-01
    end: 2027-05-04
  - name: 端午节
    start: 2027-06-09
    end: 2027-06-09
  - name: 中秋节
    start: 2027-09-15
    end: 2027-09-15
  - name: 国庆节
    start: 2027-10-01
    end: 2027-10-05
"""


class _TestBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CheckTask(deadline_mixin("check"), _TestBase):
    """A stand-in for another domain's row holding a deadline (kept out of db.metadata)."""

    __tablename__ = "calendar_test_check_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


@pytest.fixture(autouse=True)
def _no_kept_calendar(wipe_all):
    """These tests load the calendar themselves: each starts from an empty database."""


@pytest.fixture
def synced(app, session):
    """Calendar data as on 2026-11-29: official through 2026, 2027-2028 provisional."""
    synced_calendar(TODAY)  # what ``services.sync_official_data(TODAY)`` writes, committed
    return services.get_calendar()


@pytest.fixture
def tasks(app, session):
    """The test owner table, registered as a provider of open deadlines."""
    _TestBase.metadata.create_all(db.engine)
    register_deadline_model(CheckTask, "check", is_open=lambda: CheckTask.closed.is_(False),
                            object_type="check_task")
    try:
        yield CheckTask
    finally:
        unregister_deadline_provider("calendar_test_check_tasks.check")
        session.rollback()
        _TestBase.metadata.drop_all(db.engine)


def _task(session, rule, start_on, working_days=None, closed=False) -> CheckTask:
    task = CheckTask(closed=closed)
    task.check_deadline = services.compute_deadline(
        rule, start_on=start_on, start_event="licence_issued", working_days=working_days)
    session.add(task)
    session.flush()
    return task


def _import_2027(session):
    notice = services.read_notice_file(TEST_NOTICE_2027)
    plan, version = services.import_notice(notice)
    session.commit()
    return plan, version


# -- sync ------------------------------------------------------------------------------------


def test_sync_loads_official_and_provisional_years_and_is_idempotent(synced, session):
    assert services.current_version() == 1
    years = dict(session.execute(select(CalendarYear.year, CalendarYear.official)).all())
    assert min(years) == 2004 and years[2026] is True
    assert years[2027] is False and years[2028] is False
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == (
        date(2029, 1, 1) - date(2004, 1, 1)).days
    assert session.scalar(select(func.count()).select_from(CalendarNotice)) == 2026 - 2004 + 1
    plan, version = services.sync_official_data(TODAY)
    assert version is None and plan.is_empty
    assert services.current_version() == 1
    actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("calendar.synced") == 1


def test_due_and_provisional_through_the_service(synced):
    assert services.due(D("2026-02-13"), 7) == (D("2026-03-02"), False)
    assert services.due(D("2026-11-29"), 60) == (D("2027-02-26"), True)
    with pytest.raises(CalendarOutOfRange):
        services.due(D("2028-12-20"), 60)
    with pytest.raises(InvalidDeadline):
        services.due(datetime(2026, 1, 5, tzinfo=UTC), 1)


def test_no_data_means_no_answer(app):
    with pytest.raises(CalendarNotLoaded):
        services.due(D("2026-02-13"), 7)
    assert "尚未加载" in services.calendar_status_warning(TODAY)


def test_status_warning_from_december_first(synced):
    assert services.calendar_status_warning(date(2026, 11, 30)) is None
    warning = services.calendar_status_warning(date(2026, 12, 1))
    assert warning is not None and "2027年" in warning and "暂定" in warning
    # In 2027 itself, still without a notice: warned all year round.
    assert "2027年" in services.calendar_status_warning(date(2027, 3, 1))


# -- deadlines: provenance, provisional, recomputation ----------------------------------------


def test_compute_deadline_records_provenance(synced, tasks, session):
    task = _task(session, DeadlineRule.standard_60, D("2026-11-30"))
    deadline = task.check_deadline
    assert deadline.rule is DeadlineRule.standard_60 and deadline.working_days == 60
    assert deadline.start_event == "licence_issued" and deadline.start_on == D("2026-11-30")
    assert deadline.due_on == D("2027-03-01") and deadline.provisional is True
    assert deadline.calendar_version == 1
    session.commit()
    session.expire_all()
    reloaded = session.get(CheckTask, task.id).check_deadline
    assert reloaded == deadline
    with pytest.raises(InvalidDeadline):
        services.compute_deadline(DeadlineRule.standard_60, start_on=D("2026-01-05"),
                                  start_event="licence_issued", working_days=30)


def test_deadline_columns_are_all_or_nothing(synced, tasks, session):
    task = _task(session, DeadlineRule.supplement, D("2026-03-02"), working_days=10)
    session.commit()
    task.check_due_on = None
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_import_recomputes_open_deadlines_into_the_imported_year(synced, tasks, session):
    moved = _task(session, DeadlineRule.standard_60, D("2026-11-30"))
    confirmed = _task(session, DeadlineRule.public_interest_7, D("2026-12-28"))
    closed = _task(session, DeadlineRule.standard_60, D("2026-11-30"), closed=True)
    untouched = _task(session, DeadlineRule.supplement, D("2026-03-02"), working_days=10)
    session.commit()
    assert moved.check_due_on == D("2027-03-01") and moved.check_provisional
    assert confirmed.check_due_on == D("2027-01-07") and confirmed.check_provisional
    before_untouched = untouched.check_deadline

    notice = services.read_notice_file(TEST_NOTICE_2027)
    preview = services.plan_notice_import(notice)
    assert {c.ref.owner.id for c in preview.deadline_changes} == {moved.id, confirmed.id}
    assert {c.on for c in preview.working_day_changes} == {
        D("2027-02-11"), D("2027-02-12"), D("2027-02-20")}
    assert services.current_version() == 1  # a preview writes nothing

    _plan, version = _import_2027(session)
    assert version.version == 2 and version.deadlines_moved == 2
    session.expire_all()

    # Feb 11-12 became days off, Feb 20 (Saturday) a working day: 60 days now end on 03-02.
    moved = session.get(CheckTask, moved.id)
    assert moved.check_deadline.due_on == D("2027-03-02")
    assert moved.check_deadline.provisional is False
    assert moved.check_deadline.calendar_version == 2
    # Same date, but now official.
    confirmed = session.get(CheckTask, confirmed.id)
    assert (confirmed.check_due_on, confirmed.check_provisional) == (D("2027-01-07"), False)
    # A closed task's deadline is history: it does not move.
    closed = session.get(CheckTask, closed.id)
    assert (closed.check_due_on, closed.check_provisional) == (D("2027-03-01"), True)
    assert closed.check_calendar_version == 1
    assert session.get(CheckTask, untouched.id).check_deadline == before_untouched

    audits = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "deadline.recomputed").order_by(AuditEntry.id)).all()
    by_object = {a.object_id: a for a in audits}
    assert set(by_object) == {str(moved.id), str(confirmed.id)}
    entry = by_object[str(moved.id)]
    assert entry.object_type == "check_task"
    assert entry.changes["due_on"] == ["2027-03-01", "2027-03-02"]
    assert entry.changes["provisional"] == [True, False]
    assert entry.changes["calendar_version"] == [1, 2]
    assert entry.changes["deadline"] == "check" and entry.changes["rule"] == "standard_60"
    assert by_object[str(confirmed.id)].changes["due_on"] == ["2027-01-07", "2027-01-07"]

    events = session.scalars(select(CalendarRecomputeEvent)).all()
    assert {(e.object_id, e.old_due_on, e.new_due_on, e.notified_dt) for e in events} == {
        (str(moved.id), D("2027-03-01"), D("2027-03-02"), None),
        (str(confirmed.id), D("2027-01-07"), D("2027-01-07"), None),
    }
    assert all(e.calendar_version == 2 and e.previous_calendar_version == 1 for e in events)

    imported = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "calendar.notice_imported")).one()
    assert imported.changes["calendar_version"] == [1, 2]
    assert imported.changes["notice"]["number"] == "测试〔2026〕1号"
    assert imported.changes["deadlines_recomputed"] == 2

    year = session.get(CalendarYear, 2027)
    assert year.official and year.notice.source is NoticeSource.import_file
    assert services.get_calendar().years[2027] is True
    assert services.due(D("2026-11-30"), 60) == (D("2027-03-02"), False)


def test_importing_the_same_file_again_changes_nothing(synced, session):
    _import_2027(session)
    plan, version = _import_2027(session)
    assert version is None and plan.is_empty and "无需变更" in plan.summary
    assert services.current_version() == 2


def test_sync_after_import_keeps_the_imported_year(synced, session):
    _import_2027(session)
    plan, version = services.sync_official_data(TODAY)
    # 2027 is now official, so the projection reaches one year further (2029); nothing else.
    assert version is not None
    assert {c.on.year for c in plan.day_changes} == {2029}
    assert all(c.old is None for c in plan.day_changes)
    assert session.get(CalendarYear, 2027).notice.number == "测试〔2026〕1号"
    assert session.get(CalendarYear, 2029).official is False
    plan, version = services.sync_official_data(TODAY)
    assert version is None


def test_stale_preview_is_refused(synced, session):
    notice = services.read_notice_file(TEST_NOTICE_2027)
    with pytest.raises(CalendarChanged):
        services.import_notice(notice, expected_version=0)
    assert services.current_version() == 1


def test_cached_calendar_follows_the_version(synced, session):
    first = services.get_calendar()
    assert services.get_calendar() is first
    _import_2027(session)
    services.forget_calendars()  # as another process would see it: rebuilt from the database
    second = services.get_calendar()
    assert second.version == 2 and second is not first
    assert second.day(D("2027-02-20")).is_working
    assert second.day(D("2027-02-20")).notice == "测试〔2026〕1号"


def test_each_database_keeps_its_built_calendar(synced, session):
    """A process reading two databases (the suite, a bench) keeps a calendar for each: the
    other's does not evict this one's, so a decision does not rebuild it from the rows."""
    # From an empty cache: a hit does not move a calendar up, so after other tests (other
    # dates, under --test-dates) this one's could be the oldest of a full cache.
    services.forget_calendars()
    first = services.get_calendar()
    services._remember("another-database-token", services._load_calendar(1))
    assert services.get_calendar() is first
    for n in range(services._CACHE_SIZE):  # the oldest goes once the cache is full
        services._remember(f"token-{n}", first)
    assert services.get_calendar() is not first


# -- commands ----------------------------------------------------------------------------------


def test_cli_due(synced, runner):
    result = runner.invoke(args=["calendar", "due", "2026-02-13", "7"])
    assert result.exit_code == 0 and result.output.strip() == "2026-03-02"
    result = runner.invoke(args=["calendar", "due", "2026-11-29", "60"])
    assert result.output.strip() == "2027-02-26 provisional"


@pytest.mark.parametrize("args", [
    ["2026-02-30", "7"], ["20260213", "7"], ["2026-02-13", "0"], ["2026-02-13", "x"],
    ["2026-02-13", "-3"], ["2028-12-20", "60"],
])
def test_cli_due_bad_input_exits_2(synced, runner, args):
    result = runner.invoke(args=["calendar", "due", "--", *args])
    assert result.exit_code == 2, result.output
    assert "错误" in result.output


def test_cli_due_without_data_exits_1(app, runner):
    result = runner.invoke(args=["calendar", "due", "2026-02-13", "7"])
    assert result.exit_code == 1 and "尚未加载" in result.output


def test_cli_sync_then_status(app, runner):
    result = runner.invoke(args=["calendar", "sync"])
    assert result.exit_code == 0, result.output
    assert "已同步" in result.output
    assert "无需变更" in runner.invoke(args=["calendar", "sync"]).output
    with clock.freeze(datetime(2026, 11, 29, 4, tzinfo=UTC)):
        quiet = runner.invoke(args=["calendar", "status"]).output
    with clock.freeze(datetime(2026, 12, 1, 4, tzinfo=UTC)):
        warned = runner.invoke(args=["calendar", "status"]).output
    assert "2027  暂定" in quiet and "警告" not in quiet
    assert "警告：2027年" in warned


def test_cli_import_dry_run_then_apply(synced, runner, tmp_path, session):
    path = tmp_path / "2027.yaml"
    path.write_text(TEST_NOTICE_2027, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "工作日变化：3 天" in result.output and "2027-02-20" in result.output
    assert "未写入" in result.output
    assert services.current_version() == 1
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert services.current_version() == 2
    assert session.scalar(select(func.count()).select_from(CalendarVersion)) == 2


def test_cli_import_invalid_file_exits_2(synced, runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(TEST_NOTICE_2027.replace("2027-02-20", "2027-02-22"), encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 2
    assert "2027-02-22（周一）不是周末" in result.output
    missing = runner.invoke(args=["calendar", "import", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "无法读取文件" in missing.output
