"""The read paths made fast for a million cases still show what they showed: the inbox's
order and counts, paging by key (the inbox, the task API, the case list), the search by code
and by name."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from licensing import clock
from licensing.auth.models import Role
from licensing.cases.models import Application
from licensing.extensions import db
from licensing.supervision import services
from licensing.supervision.models import (
    ACTIVE_TASK_STATES,
    Outcome,
    RectificationOrder,
    RectificationStatus,
    VerificationTask,
)
from licensing.supervision.services import InboxCursor, InboxFilters
from tests.factories import create_test_user, login_as
from tests.integration.test_supervision_support import (
    TODAY,
    World,
    licensed,
    replayed_on_world,
)
from tests.pages import follow_pages

CHECKED_ON = date(2026, 3, 9)


@pytest.fixture
def built(session) -> tuple[World, list[VerificationTask]]:
    """The staff and eight tasks, built once per database and then replayed."""
    return replayed_on_world(session, "read paths: eight tasks", _eight_tasks)


@pytest.fixture
def world(built) -> World:
    """The staff who made the tasks (the clock at ``TODAY``)."""
    return built[0]


@pytest.fixture
def tasks(built) -> list[VerificationTask]:
    """Eight tasks: open (two decision dates), checked (one overdue), in breach, being rectified
    (two due dates), closed."""
    return built[1]


def _eight_tasks(world: World) -> tuple[World, list[VerificationTask]]:
    made = []
    for i, decided_on in enumerate([date(2026, 3, 2), date(2026, 1, 5), date(2026, 3, 2),
                                    date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 2),
                                    date(2026, 1, 5), date(2026, 3, 2)]):
        _, _, task = licensed(world, decided_on=decided_on)
        if i in (2, 3):  # checked, not pushed: the second one's push is overdue
            services.record_result(task, Outcome.nonconform, "与承诺不符",
                                   CHECKED_ON if i == 2 else date(2026, 2, 10),
                                   actor=world.inspector, push=False)
        elif i == 4:  # breach
            services.record_result(task, Outcome.nonconform, "与承诺不符", CHECKED_ON,
                                   actor=world.inspector)
        elif i in (5, 6):  # rectifying, due 20 March and 12 March
            services.record_result(task, Outcome.nonconform, "与承诺不符", CHECKED_ON,
                                   actor=world.inspector)
            services.order_rectification(task, date(2026, 3, 20 if i == 5 else 12),
                                         actor=world.inspector)
        elif i == 7:  # closed
            services.record_result(task, Outcome.conform, "", CHECKED_ON, actor=world.inspector,
                                   checklist={"核对经营场所": "conform", "核对从业人员": "conform",
                                              "现场勘验（审批后实施）": "not_applicable"})
        db.session.commit()
        made.append(task)
    return world, made


def _expected(tasks, statuses=None) -> list[int]:
    """The inbox's order as the tasks themselves state it: the next due date first."""
    chosen = [t for t in tasks if statuses is None or t.status in statuses]
    return [t.id for t in sorted(chosen, key=lambda t: (t.current_due_on is None,
                                                        t.current_due_on or date.min, t.id))]


def _ids(stmt) -> list[int]:
    return [t.id for t in db.session.scalars(stmt).unique()]


def test_inbox_order_is_the_next_due_date_first_across_every_state(world, tasks):
    assert _ids(services.task_inbox(world.head)) == _expected(tasks, ACTIVE_TASK_STATES)
    everything = services.task_inbox(world.head, InboxFilters(status="all"))
    assert _ids(everything) == _expected(tasks)
    assert len({t.status for t in tasks}) == 5  # open, checked, breach, rectifying, closed
    assert _ids(services.task_inbox(world.head, InboxFilters(status="checked"))) == \
        _expected(tasks, {tasks[2].status})


def test_inbox_pages_by_offset_and_by_cursor_give_the_same_order(world, tasks):
    expected = _expected(tasks)
    filters = InboxFilters(status="all")
    by_offset = []
    for page in range(4):
        by_offset += _ids(services.task_inbox(world.head, filters, TODAY, limit=3,
                                              offset=page * 3))
    assert by_offset == expected
    by_cursor, after = [], None
    while True:
        rows = list(db.session.scalars(services.task_inbox(world.head, filters, TODAY,
                                                           limit=3, after=after)).unique())
        by_cursor += [t.id for t in rows]
        if len(rows) < 3:
            break
        after = InboxCursor.parse(str(InboxCursor.after(rows[-1])))
    assert by_cursor == expected


def test_due_filters_and_counts_agree_with_the_tasks(world, tasks):
    limit = services.due_soon_limit(TODAY)
    active = [t for t in tasks if t.is_active]
    overdue = [t for t in active if t.current_due_on and t.current_due_on < TODAY]
    soon = [t for t in active if t.current_due_on and TODAY <= t.current_due_on <= limit]
    assert overdue and soon
    assert _ids(services.task_inbox(world.head, InboxFilters(due="overdue"))) == \
        _expected(overdue)
    assert _ids(services.task_inbox(world.head, InboxFilters(due="due_soon"))) == \
        _expected(soon)
    counts = services.task_counts(world.head, TODAY)
    assert (counts.active, counts.overdue, counts.due_soon) == (len(active), len(overdue),
                                                                len(soon))
    assert counts.rectifying == 2
    assert counts.unassigned == len([t for t in active if t.assigned_to_id is None])
    reform = create_test_user(Role.reform_office)
    assert services.task_counts(reform, TODAY) == counts  # the only department with tasks
    assert services.task_counts(world.other_head, TODAY).active == 0


def test_item_filter_lists_only_items_with_tasks_in_the_department(world, tasks):
    items = services.visible_items(world.head)
    assert {item_id for item_id, _ in items} == {t.item_version.item_id for t in tasks}
    assert services.visible_items(world.other_head) == []
    one = tasks[0].item_version.item_id
    assert _ids(services.task_inbox(world.head, InboxFilters(status="all", item_id=one))) == \
        [tasks[0].id]


@pytest.mark.parametrize("text", ["", "x.1", "2026-13-01.5", "2026-01-01.", "-.abc", "1.2.3"])
def test_a_bad_cursor_reads_as_none(text):
    assert InboxCursor.parse(text) is None


def test_task_api_pages_by_its_next_cursor(client, world, tasks):
    login_as(client, world.head)
    whole = client.get("/api/v1/verification-tasks?status=all&per_page=100").get_json()
    assert [t["id"] for t in whole["tasks"]] == _expected(tasks)
    assert whole["next"] is None
    seen, url = [], "/api/v1/verification-tasks?status=all&per_page=3"
    while True:
        page = client.get(url).get_json()
        seen += [t["id"] for t in page["tasks"]]
        if not page["next"]:
            break
        url = f"/api/v1/verification-tasks?status=all&per_page=3&after={page['next']}"
    assert seen == _expected(tasks)
    legacy = client.get("/api/v1/verification-tasks?status=all&per_page=3&page=2").get_json()
    assert [t["id"] for t in legacy["tasks"]] == _expected(tasks)[3:6]
    for bad in ("2026-13-01.5", "2026-02-00.5", "nonsense", "-.1234567890123456789"):
        refused = client.get(f"/api/v1/verification-tasks?after={bad}")
        assert refused.status_code == 422, bad
        error = refused.get_json()["error"]
        assert error["code"] == "validation_failed"
        assert [e["location"] for e in error["errors"]] == [["query", "after"]]


def test_a_cursor_no_task_wrote_is_read_as_its_place_in_the_order(client, world, tasks):
    """Every ``after`` the API document admits lists the tasks after that place."""
    login_as(client, world.head)

    def after(cursor: str) -> list[int]:
        response = client.get(f"/api/v1/verification-tasks?status=all&after={cursor}")
        assert response.status_code == 200, (cursor, response.get_json())
        return [t["id"] for t in response.get_json()["tasks"]]

    by_task = {t.id: t for t in tasks}
    dated = [i for i in _expected(tasks) if by_task[i].current_due_on is not None]
    undated = [i for i in _expected(tasks) if by_task[i].current_due_on is None]
    last_of_march = max(by_task[i].current_due_on for i in dated
                        if by_task[i].current_due_on.month == 3)
    assert last_of_march.day < 31  # so 31 March is a day no task is due
    following = [i for i in dated if by_task[i].current_due_on > last_of_march] + undated
    assert after(f"{last_of_march.year}-03-31.1") == following
    # 31 April does not exist: it is the end of April, after 30 April's last task
    april = [i for i in dated if (by_task[i].current_due_on.year, by_task[i].current_due_on.month)
             > (last_of_march.year, 4)]
    assert after(f"{last_of_march.year}-04-31.1") == april + undated
    assert after("0000-01-01.999") == _expected(tasks)  # before every dated task
    first_due = by_task[dated[0]].current_due_on
    assert after(f"{first_due}.999999999999999999") == (  # after every task of that day
        [i for i in dated if by_task[i].current_due_on > first_due] + undated)
    assert after("-.999999999999999999") == []  # past the largest id there can be
    assert after("-.0") == undated


def _listed(client, url) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200
    return [a.case_number for a in db.session.scalars(
        db.select(Application).order_by(Application.id.desc()))
        if a.case_number and a.case_number in page.get_data(as_text=True)]


def test_case_list_search_by_case_number_licence_number_code_and_name(client, world, tasks):
    login_as(client, world.approver)
    application = tasks[3].application
    licence = tasks[3].licence
    for q in (application.case_number, application.case_number.replace("-", "").lower(),
              licence.number, application.applicant.code, application.applicant.name[2:]):
        assert _listed(client, f"/applications?q={q}") == [application.case_number], q
    assert _listed(client, "/applications?q=不存在的名称") == []


def test_case_list_pages_by_key_and_back(client, world, tasks, monkeypatch):
    from licensing.cases import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    login_as(client, world.approver)
    newest_first = [a.case_number for a in db.session.scalars(
        db.select(Application).order_by(Application.id.desc()))]
    first = queries.case_list(world.approver, queries.CaseListQuery())
    assert [a.case_number for a in first.applications] == newest_first[:3]
    assert first.has_next and not first.has_previous
    second = queries.case_list(world.approver, queries.CaseListQuery(after=first.next_after))
    assert [a.case_number for a in second.applications] == newest_first[3:6]
    back = queries.case_list(world.approver,
                             queries.CaseListQuery(before=second.previous_before))
    assert [a.case_number for a in back.applications] == newest_first[:3]
    assert not back.has_previous
    by_page = queries.case_list(world.approver, queries.CaseListQuery(page=2))
    assert [a.case_number for a in by_page.applications] == newest_first[3:6]
    page = client.get(f"/applications?after={first.next_after}").get_data(as_text=True)
    assert f"before={second.previous_before}" in page and "上一页" in page


def test_inbox_rows_page_by_cursor_and_show_each_tasks_due_date(client, world, tasks):
    filters = InboxFilters(status="all")
    seen, after = [], None
    while True:
        rows, following = services.inbox_rows(world.head, filters, TODAY, limit=3, after=after)
        seen += rows
        if following is None:
            break
        after = InboxCursor.parse(str(following))
    assert [row.id for row in seen] == _expected(tasks)
    by_id = {t.id: t for t in tasks}
    for row in seen:
        task = by_id[row.id]
        assert (row.status, row.current_due_on, row.licence_number, row.item_name) == (
            task.status, task.current_due_on, task.licence.number, task.item_version.name)
    old_link, _ = services.inbox_rows(world.head, filters, TODAY, limit=3, offset=3)
    assert [row.id for row in old_link] == _expected(tasks)[3:6]
    login_as(client, world.head)
    html = client.get(f"/supervision/tasks?status=all&after={after}").get_data(as_text=True)
    shown = [t for t in _expected(tasks) if f'data-task-id="{t}"' in html]
    assert shown == [row.id for row in seen][-len(shown):] and "回到第一页" in html


def test_results_and_breach_lists_page_by_key(client, world, tasks, monkeypatch):
    from licensing import paging
    from licensing.enforcement.models import BreachCase

    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    login_as(client, world.approver)
    pushed = sorted((t for t in tasks if t.pushed_dt is not None),
                    key=lambda t: (t.pushed_dt, t.id), reverse=True)
    assert len(pushed) >= 3
    ids, pages = follow_pages(client, "/approvals/results", r'data-task-id="(\d+)"')
    assert ids == [t.id for t in pushed] and pages == (len(pushed) + 1) // 2
    old_link, _ = follow_pages(client, "/approvals/results?page=2", r'data-task-id="(\d+)"')
    assert old_link == [t.id for t in pushed][2:]
    # a cursor edited by hand (no offset, or no date) starts from the top instead of failing
    for bad in ("2026-03-09T10:00:00.5", "x.5", "2026-03-09.5"):
        html = client.get(f"/approvals/results?after={bad}").get_data(as_text=True)
        assert f'data-task-id="{pushed[0].id}"' in html, bad

    login_as(client, world.head)
    breaches = sorted(db.session.scalars(db.select(BreachCase)),
                      key=lambda b: (b.opened_dt, b.id), reverse=True)
    assert len(breaches) >= 3
    ids, _ = follow_pages(client, "/breaches", r'href="/breaches/(\d+)"')
    assert ids == [b.id for b in breaches]


def test_counts_by_status_agree_with_the_visible_applications(world, tasks):
    from sqlalchemy import func

    from licensing.cases.models import ApplicationStatus
    from licensing.cases.queries import count_visible_by_status, visible_applications

    reform = create_test_user(Role.reform_office)
    statuses = tuple(ApplicationStatus)
    for user in (world.approver, world.inspector, world.head, world.other_head, reform):
        expected = dict.fromkeys(statuses, 0)
        for status, number in db.session.execute(
                visible_applications(user).with_only_columns(Application.status, func.count())
                .group_by(Application.status).order_by(None)):
            expected[ApplicationStatus(status)] = number
        assert count_visible_by_status(user, statuses) == expected, user
    assert count_visible_by_status(world.approver, statuses)[ApplicationStatus.approved] == \
        len(tasks)


def test_a_bounded_count_is_exact_up_to_its_bound_and_marked_above_it(client, world,
                                                                       monkeypatch):
    """The drafts of the counter panel are counted up to a bound: below and at it the count is
    exact, above it the panel says "more than the bound"; each reader's scope as before."""
    from licensing.cases import services as cases
    from licensing.cases import views
    from licensing.cases.models import ApplicationStatus, Channel
    from licensing.cases.queries import count_visible_by_status, shown_count
    from tests.case_factories import applicant, published_item

    draft = ApplicationStatus.draft
    # the approval department's (the approver's), supervised by wsjkj (the head's)
    version = published_item(supervisory="wsjkj", valid_from=date(2026, 1, 1))
    for seed in range(5):
        cases.start_application(version, applicant(seed=8800 + seed), Channel.counter,
                                actor=world.clerk)
    db.session.commit()
    reform = create_test_user(Role.reform_office)
    for user, exact in ((world.approver, 5), (world.head, 5), (world.other_head, 0),
                        (reform, 5)):
        assert count_visible_by_status(user, (draft,))[draft] == exact, user
        for bound in (1, 4, 5, 6, 50):
            counted = count_visible_by_status(user, (ApplicationStatus.submitted,),
                                              bounded={draft: bound})
            assert counted[draft] == min(exact, bound + 1), (user, bound)
            assert shown_count(counted[draft], bound) == (
                f"{bound}+" if exact > bound else exact), (user, bound)
            assert set(counted) == {draft, ApplicationStatus.submitted}

    login_as(client, world.approver)
    monkeypatch.setattr(views, "DRAFTS_SHOWN", 4)
    assert "<dt>填报中</dt><dd>4+</dd>" in client.get("/").get_data(as_text=True)
    monkeypatch.setattr(views, "DRAFTS_SHOWN", 5)
    assert "<dt>填报中</dt><dd>5</dd>" in client.get("/").get_data(as_text=True)


def test_the_approval_panel_counts_recent_results_up_to_its_bound(client, world, tasks,
                                                                  monkeypatch):
    """The last 30 days' results of the approval panel: exact up to the bound, "N+" above."""
    from licensing.enforcement import views

    pushed = sum(1 for t in tasks if t.pushed_dt is not None)
    assert pushed >= 2
    login_as(client, world.approver)
    for bound, shown in ((pushed - 1, f"{pushed - 1}+"), (pushed, str(pushed)),
                         (pushed + 1, str(pushed))):
        monkeypatch.setattr(views, "RECENT_SHOWN", bound)
        page = client.get("/").get_data(as_text=True)
        assert f"<dt>近30日核查结果</dt><dd>{shown}</dd>" in page, bound


def _every_reading_of_the_due_date(world, tasks) -> dict[int, tuple]:
    """Each task's current due date as the model, the SQL CASE and the inbox's rows read it."""
    db.session.expire_all()
    model = {t.id: db.session.get(VerificationTask, t.id).current_due_on for t in tasks}
    sql = dict(db.session.execute(
        services.department_tasks(world.head).with_only_columns(
            VerificationTask.id, services.current_due_expression())).tuples().all())
    rows, _ = services.inbox_rows(world.head, InboxFilters(status="all"), TODAY, limit=50)
    inbox = {row.id: row.current_due_on for row in rows}
    return {t.id: (model[t.id], sql[t.id], inbox[t.id]) for t in tasks}


def test_a_tasks_due_date_is_one_rule_read_alike_by_the_model_the_sql_and_the_inbox(
        world, tasks):
    readings = _every_reading_of_the_due_date(world, tasks)
    assert all(len(set(three)) == 1 for three in readings.values()), readings
    assert {three[0] for three in readings.values()} >= {None, date(2026, 3, 20)}

    # A rectifying task whose order no longer runs (never committed by the services: the
    # task leaves ``rectifying`` with its order) has no due date, however it is read.
    rectifying = next(t for t in tasks if t.rectification is not None)
    db.session.execute(sa.update(RectificationOrder)
                       .where(RectificationOrder.id == rectifying.rectification.id)
                       .values(status=RectificationStatus.rectified,
                               outcome_recorded_dt=clock.utcnow()))
    db.session.commit()
    readings = _every_reading_of_the_due_date(world, tasks)
    assert readings[rectifying.id] == (None, None, None), readings[rectifying.id]
