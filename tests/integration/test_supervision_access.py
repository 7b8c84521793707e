"""Department isolation of tasks, the task pages, and the evidence upload rules."""

from __future__ import annotations

import dataclasses
import io
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from licensing.auth.models import Role
from licensing.extensions import db
from licensing.supervision import services
from licensing.supervision.models import TaskEvidence, TaskStatus
from tests.factories import create_test_user, login_as
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    actions,
    licensed,
    world_fixture,
)

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8"
       b"N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture
def task(world):
    return licensed(world)[2]


def _get(client, user, path):
    login_as(client, user)
    response = client.get(path)
    client.post("/logout")
    return response


# --- isolation --------------------------------------------------------------------------------


def test_another_supervisory_department_gets_404_and_an_empty_inbox(world, task, client):
    login_as(client, world.other_inspector)
    assert client.get(f"/supervision/tasks/{task.id}").status_code == 404
    inbox = client.get("/supervision/tasks").get_data(as_text=True)
    assert task.licence.number not in inbox and "没有符合条件的核查任务" in inbox
    for path, data in [
        (f"/supervision/tasks/{task.id}/result",
         {"outcome": "conform", "checked_on": "2026-03-09"}),
        (f"/supervision/tasks/{task.id}/push", {}),
        (f"/supervision/tasks/{task.id}/rectification", {"due_on": "2026-03-20"}),
        (f"/supervision/tasks/{task.id}/judicial-transfer",
         {"reference": "x", "transferred_on": "2026-03-09"}),
    ]:
        assert client.post(path, data=data).status_code == 404, path
    client.post("/logout")
    login_as(client, world.other_head)
    assert client.post(f"/supervision/tasks/{task.id}/assign",
                       data={"inspector_id": world.other_inspector.id}).status_code == 404
    db.session.expire_all()
    assert task.status == TaskStatus.open and task.assigned_to_id is None


def test_own_department_sees_the_task_page_with_its_parts(world, task, client):
    login_as(client, world.inspector)
    inbox = client.get("/supervision/tasks").get_data(as_text=True)
    assert task.licence.number in inbox
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    letter = task.application.letter
    assert "告知承诺书" in page and letter.text.splitlines()[1] in page  # the signed text
    assert "承诺限期补齐补全" in page and "承诺代替申请材料" in page  # materials and modes
    assert "现场勘验" in page  # the moved check
    assert "核对经营场所" in page and "核对从业人员" in page  # the checklist
    assert 'name="outcome"' in page and 'type="file"' in page
    assert f'action="/supervision/tasks/{task.id}/assign"' not in page  # the head assigns


def test_head_assigns_through_the_page(world, task, client):
    login_as(client, world.head)
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    assert world.inspector.display_name in page and world.other_inspector.display_name not in page
    client.post(f"/supervision/tasks/{task.id}/assign",
                data={"inspector_id": world.inspector.id, "lock_version": task.lock_version})
    db.session.expire_all()
    assert task.assigned_to_id == world.inspector.id
    # a second, stale form is refused with the optimistic-lock message
    response = client.post(f"/supervision/tasks/{task.id}/assign",
                           data={"inspector_id": world.inspector_b.id, "lock_version": 1},
                           follow_redirects=True)
    assert "已被他人修改" in response.get_data(as_text=True)
    db.session.expire_all()
    assert task.assigned_to_id == world.inspector.id


def test_inspector_cannot_assign(world, task, client):
    login_as(client, world.inspector)
    response = client.post(f"/supervision/tasks/{task.id}/assign",
                           data={"inspector_id": world.inspector.id})
    assert response.status_code == 403


def test_the_approval_department_reads_the_task_but_cannot_work_it(world, task, client):
    login_as(client, world.approver)
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    assert task.licence.number in page and 'name="outcome"' not in page
    assert client.post(f"/supervision/tasks/{task.id}/result",
                       data={"outcome": "conform"}).status_code == 403
    assert client.get("/supervision/tasks").status_code == 403


def test_another_approval_department_gets_404(world, task, client):
    from licensing.auth.models import DepartmentKind
    from licensing.auth.services import ensure_department

    ensure_department("qtspj", "其他审批局", DepartmentKind.approval)
    db.session.commit()
    stranger = create_test_user(Role.approver, "qtspj")
    assert _get(client, stranger, f"/supervision/tasks/{task.id}").status_code == 404
    assert _get(client, stranger, "/approvals/results").status_code == 200


# --- evidence uploads -------------------------------------------------------------------------


def _upload(client, task, content: bytes, name: str, **extra):
    return client.post(f"/supervision/tasks/{task.id}/evidence",
                       data={"file": (io.BytesIO(content), name), **extra},
                       content_type="multipart/form-data", follow_redirects=True)


def test_a_photo_is_stored_privately_with_its_hash(world, task, client, app):
    import hashlib

    login_as(client, world.inspector)
    response = _upload(client, task, PNG, "门头照片.png", note="门头")
    assert "证据已上传" in response.get_data(as_text=True)
    evidence = db.session.scalar(select(TaskEvidence))
    assert evidence.sha256 == hashlib.sha256(PNG).hexdigest()
    assert evidence.content_type == "image/png" and evidence.size_bytes == len(PNG)
    assert evidence.original_name == "门头照片.png" and evidence.stored_name != "门头照片.png"
    settings = app.config["SETTINGS"]
    path = Path(settings.upload_dir) / "evidence" / evidence.stored_name
    assert path.read_bytes() == PNG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    static_root = Path(app.static_folder).resolve()
    assert static_root not in path.resolve().parents
    assert "verification_task.evidence_added" in actions("verification_task", task.id)
    # served back to the department, with the right type
    served = client.get(f"/supervision/tasks/{task.id}/evidence/{evidence.id}")
    assert served.status_code == 200 and served.data == PNG
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "no-store"  # counter PCs are shared
    client.post("/logout")
    # ... and to no one else
    assert _get(client, world.other_inspector,
                f"/supervision/tasks/{task.id}/evidence/{evidence.id}").status_code == 404
    other_task = licensed(world)[2]
    assert _get(client, world.inspector,
                f"/supervision/tasks/{other_task.id}/evidence/{evidence.id}").status_code == 404


@pytest.mark.parametrize(("content", "name"), [
    (b"GIF89a\x01\x00\x01\x00", "photo.jpg"),  # a GIF named .jpg
    (b"<html><script>alert(1)</script></html>", "report.pdf"),  # HTML named .pdf
    (b"MZ\x90\x00\x03\x00\x00\x00", "scan.png"),  # an executable
])
def test_wrong_type_is_refused_whatever_the_name(world, task, client, app, content, name):
    login_as(client, world.inspector)
    response = _upload(client, task, content, name)
    assert "只能上传照片" in response.get_data(as_text=True)
    assert db.session.scalar(select(TaskEvidence)) is None
    folder = Path(app.config["SETTINGS"].upload_dir) / "evidence"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_too_big_is_refused_and_nothing_is_left(world, task, client, app):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], max_upload_bytes=1024)
    login_as(client, world.inspector)
    response = _upload(client, task, JPEG + b"\x00" * 2000, "big.jpg")
    assert "文件过大" in response.get_data(as_text=True)
    assert db.session.scalar(select(TaskEvidence)) is None
    folder = Path(app.config["SETTINGS"].upload_dir) / "evidence"
    assert list(folder.iterdir()) == []
    assert "证据已上传" in _upload(client, task, JPEG, "small.jpg").get_data(as_text=True)


def test_empty_file_is_refused(world, task, client):
    login_as(client, world.inspector)
    assert "文件是空的" in _upload(client, task, b"", "empty.jpg").get_data(as_text=True)


def test_no_evidence_on_a_closed_task(world, task, client):
    services.record_result(task, "conform", None, date(2026, 3, 9), actor=world.inspector)
    db.session.commit()
    login_as(client, world.inspector)
    response = _upload(client, task, PNG, "late.png")
    assert "不能再上传证据" in response.get_data(as_text=True)


# --- pages for every role -------------------------------------------------------------------


def test_home_panels_and_navigation(world, task, client):
    login_as(client, world.head)
    home = client.get("/").get_data(as_text=True)
    assert "核查任务" in home and "即将到期" in home and "已逾期" in home and "待分派" in home
    client.post("/logout")
    login_as(client, world.approver)
    home = client.get("/").get_data(as_text=True)
    assert "核查结果" in home and "撤销案件" in home and "补交材料审核" in home
    client.post("/logout")
    login_as(client, world.other_head)
    assert "待分派</dt><dd>0" in client.get("/").get_data(as_text=True).replace("\n", "")


def test_routine_sample_page(world, task, client):
    login_as(client, world.head)
    page = client.get("/supervision/sample").get_data(as_text=True)
    assert "不使用办理方式" in page
    response = client.post("/supervision/sample", data={"seed": "20260310"})
    assert "抽取结果（种子 20260310）" in response.get_data(as_text=True)
    assert "routine_sample.drawn" in actions("department", world.head.department_id)
