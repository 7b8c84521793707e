"""The inspector's task: the verdict checklist, where to go and whom to ask, the working days
left, promised supplements still open after a conform result, and uploads over the limit."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from licensing.extensions import db
from licensing.supervision import services
from licensing.supervision.errors import InvalidResult
from licensing.supervision.models import TaskEvidence, TaskStatus
from licensing.supplements.models import SupplementStatus
from tests.factories import login_as
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    licensed,
    world_fixture,
)

CHECKED_ON = date(2026, 3, 9)
POINTS = ("核对经营场所", "核对从业人员", "现场勘验（审批后实施）")


@pytest.fixture
def task(world):
    _, _, task = licensed(world)
    db.session.commit()
    return task


@pytest.mark.parametrize("answers, code", [
    ({}, "checklist_incomplete"),
    ({POINTS[0]: "conform", POINTS[1]: "conform"}, "checklist_incomplete"),
    ({POINTS[0]: "conform", POINTS[1]: "nonconform", POINTS[2]: "conform"},
     "checklist_contradicts_outcome"),
    ({POINTS[0]: "conform", POINTS[1]: "maybe", POINTS[2]: "conform"},
     "checklist_verdict_invalid"),
])
def test_conform_needs_every_point_answered_and_none_nonconform(world, task, answers, code):
    with pytest.raises(InvalidResult) as refused:
        services.record_result(task, "conform", "", CHECKED_ON, actor=world.inspector,
                               checklist=answers)
    assert refused.value.code == code
    db.session.rollback()
    assert db.session.get(type(task), task.id).status == TaskStatus.open


def test_conform_with_points_not_applicable_and_nonconform_with_a_failed_point(world):
    _, _, first = licensed(world)
    services.record_result(first, "conform", "", CHECKED_ON, actor=world.inspector,
                           checklist={POINTS[0]: "conform", POINTS[1]: "not_applicable",
                                      POINTS[2]: "not_applicable"})
    assert [c["verdict"] for c in first.checklist] == ["conform", "not_applicable",
                                                       "not_applicable"]
    _, _, second = licensed(world)
    services.record_result(second, "nonconform", "无健康证明", CHECKED_ON,
                           actor=world.inspector,
                           checklist={POINTS[0]: "conform", POINTS[1]: "nonconform"})
    assert second.checklist[1] == {"item": POINTS[1], "verdict": "nonconform", "ok": False}
    assert second.checklist[2]["verdict"] is None


def test_the_task_page_shows_address_contact_and_working_days_left(world, client):
    application, _, task = licensed(world)
    application.business_address = "定州市中山路 88 号"
    application.contact_name = "王经理"
    db.session.commit()
    login_as(client, world.inspector)
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    assert "定州市中山路 88 号" in page and "王经理" in page
    left = services.working_days_left(task)
    assert left is not None and left > 0
    assert f"还剩 {left} 个工作日" in page
    assert application.case_number in page


def test_a_refused_result_comes_back_with_what_was_typed(world, task, client):
    login_as(client, world.inspector)
    response = client.post(f"/supervision/tasks/{task.id}/result", data={
        "outcome": "conform", "findings": "门头与承诺一致", "checked_on": CHECKED_ON.isoformat(),
        "push": "y", "lock_version": task.lock_version, "verdict-0": "conform"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "每个核查要点都须作出结论" in page
    assert "门头与承诺一致" in page
    assert 'name="verdict-0" value="conform" checked' in page
    db.session.expire_all()
    assert db.session.get(type(task), task.id).status == TaskStatus.open


def test_conform_with_an_open_supplement_leaves_it_open_and_says_so(world, task, client):
    login_as(client, world.inspector)
    response = client.post(f"/supervision/tasks/{task.id}/result", data={
        "outcome": "conform", "findings": "", "checked_on": CHECKED_ON.isoformat(),
        "push": "y", "lock_version": task.lock_version, "verdict-0": "conform",
        "verdict-1": "conform", "verdict-2": "not_applicable"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "补交义务继续有效" in page and "场所平面图" in page
    db.session.expire_all()
    task = db.session.get(type(task), task.id)
    assert task.status == TaskStatus.closed
    assert [s.status for s in task.application.supplements] == [SupplementStatus.pending]
    assert 'id="open-supplements"' in client.get(
        f"/supervision/tasks/{task.id}").get_data(as_text=True)


def test_upload_over_the_limit_answers_on_the_task_page(world, task, client, app):
    login_as(client, world.inspector)
    limit = app.config["SETTINGS"].max_upload_bytes
    # over the per-file limit, within the request limit: refused by the upload check
    big = b"\xff\xd8\xff" + b"\x00" * (limit + 1)
    response = client.post(f"/supervision/tasks/{task.id}/evidence", data={
        "file": (io.BytesIO(big), "门头.jpg"), "note": "门头照片"},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"不能超过 {limit // (1024 * 1024)} MB" in page and "门头照片" in page
    assert db.session.scalar(select(TaskEvidence)) is None
    # over the request limit: the task page, not a bare 413 page
    huge = b"\xff\xd8\xff" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(f"/supervision/tasks/{task.id}/evidence", data={
        "file": (io.BytesIO(huge), "门头.jpg"), "note": "门头照片"},
        content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "文件过大" in page and f"不能超过 {limit // (1024 * 1024)} MB" in page
    assert 'id="evidence-form"' in page and 'data-max-bytes="' in page


def test_the_timeline_names_people_not_logins(world, task, client):
    services.record_result(task, "nonconform", "无健康证明", CHECKED_ON, actor=world.inspector)
    db.session.commit()
    login_as(client, world.inspector)
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    history = page.split('id="history"')[1]
    assert f"{world.inspector.display_name}（监管人员）" in history
    assert f"· {world.inspector.username} ·" not in history
    favicon = page.split('rel="icon"')[1].split('href="')[1].split('"')[0]
    assert client.get(favicon).status_code == 200


def test_credit_records_name_the_licence_not_an_internal_key():
    from licensing.credit.models import _reference_for_people

    assert _reference_for_people("licence:XZSPJ-2026-000002") == "，许可证号XZSPJ-2026-000002"
    assert _reference_for_people("task:12") == ""
    assert _reference_for_people("HB-YZSX-2025-0612") == "，文号HB-YZSX-2025-0612"
