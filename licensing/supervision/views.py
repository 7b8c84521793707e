"""The supervisory department's pages: the task inbox, the task page, routine sampling."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from licensing.applicants.identity import mask_code
from licensing.applicants.models import Applicant
from licensing.audit.services import entries_for
from licensing.auth.access import get_scoped_or_404, roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import DepartmentKind, Role, User
from licensing.auth.navigation import register_nav
from licensing.auth.services import people_labels
from licensing.cases.services import commitment_choices
from licensing.cases.views import register_case_context
from licensing.clock import local_today
from licensing.errors import Conflict, DomainError
from licensing.extensions import db
from licensing.paging import requested_page
from licensing.supervision import sampling, services
from licensing.supervision.errors import EvidenceNotFound
from licensing.supervision.forms import (
    AssignForm,
    EvidenceForm,
    JudicialTransferForm,
    PushForm,
    RectificationForm,
    RectificationOutcomeForm,
    ResultForm,
    RoutineResultForm,
    SampleForm,
)
from licensing.supervision.models import (
    ChecklistVerdict,
    Outcome,
    RoutineInspection,
    TaskEvidence,
    TaskStatus,
    VerificationTask,
)
from licensing.uploads import stored_path
from licensing.url_ints import bounded_int

bp = Blueprint("supervision", __name__)

WORKERS = (Role.inspector, Role.head)
INBOX_READERS = (Role.inspector, Role.head, Role.reform_office)
TASK_READERS = (Role.inspector, Role.head, Role.reform_office, Role.approver)

register_nav("核查任务", "supervision.inbox", *INBOX_READERS, order=30)
register_nav("日常抽查", "supervision.sample", Role.head, order=36)


def _version(form) -> int | None:
    value = form.lock_version.data
    return int(value) if value not in (None, "") else None


def _back(task_id: int, anchor: str = ""):
    return redirect(url_for("supervision.show", task_id=task_id) + (f"#{anchor}" if anchor else ""))


def _run(task_id: int, action, success: str, anchor: str = ""):
    """Run one action on a task; show a refusal as a message and keep the page."""
    try:
        action()
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return _back(task_id, anchor)


def _form_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


# --- the inbox --------------------------------------------------------------------------------


@bp.route("/supervision/tasks")
@roles_required(*INBOX_READERS)
def inbox():
    """The department's tasks, the next due date first; due-soon and overdue marked."""
    today = local_today()
    item = request.args.get("item", type=bounded_int)
    filters = services.InboxFilters(
        status=request.args.get("status") or "active",
        item_id=item,
        inspector=request.args.get("inspector") or "",
        due=request.args.get("due") or "",
    )
    # paged by key (``after``, the last row's due date and id); ``page`` from old links
    after = services.InboxCursor.parse(request.args.get("after"))
    page = requested_page()
    tasks, following = services.inbox_rows(current_user, filters, today, limit=50,
                                            offset=(page - 1) * 50, after=after)
    limit = services.due_soon_limit(today)
    return render_template(
        "supervision/inbox.html", tasks=tasks, filters=filters, today=today,
        first=after is None and page == 1, next_after=str(following) if following else None,
        soon_limit=limit, flag=lambda t: services.deadline_flag(t.current_due_on, today, limit),
        statuses=list(TaskStatus), items=services.visible_items(current_user),
        inspectors=services.department_inspectors(current_user),
        counts=services.task_counts(current_user, today), mask_code=mask_code,
        routine=services.open_routine_inspections(current_user))


@bp.route("/supervision/routine/<int:inspection_id>", methods=["GET", "POST"])
@roles_required(Role.inspector, Role.head)
def routine_result(inspection_id: int):
    """A routine inspection (日常监管检查): the licence, and its result form.

    A nonconform result needs the facts and their classification (不实承诺 / 违反承诺); it
    opens a breach case (the enforcement domain listens). A refused form comes back with what
    was typed.
    """
    inspection = get_scoped_or_404(RoutineInspection, inspection_id,
                                   RoutineInspection.supervisory_department_id)
    form = RoutineResultForm()
    if request.method == "GET":
        form.checked_on.data = local_today()
    elif inspection.checked_on is not None:
        flash("该日常监管检查已记录结果。", "warning")
        return redirect(url_for("supervision.routine_result", inspection_id=inspection.id))
    elif form.validate_on_submit():
        try:
            services.record_routine_result(inspection, form.outcome.data, form.findings.data,
                                           form.checked_on.data, actor=current_user,
                                           finding=form.finding.data or None)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash("日常监管检查结果已记录。" + (
                "已据此立案（违诺案件），请在违诺案件中继续办理。"
                if inspection.outcome == Outcome.nonconform else ""), "success")
            return redirect(url_for("supervision.inbox", _anchor="routine"))
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    status = 422 if request.method == "POST" else 200
    return render_template("supervision/routine.html", inspection=inspection, form=form,
                           licence=inspection.licence, mask_code=mask_code), status


# --- the task page ----------------------------------------------------------------------------


#: Callables ``(task) -> dict`` adding to the task page's context (the enforcement domain
#: adds the breach case and the revocation case), so this domain does not import them.
TASK_PAGE_CONTEXT: list = []


def register_task_context(function):
    """Register a callable adding to the task page's context (decorator)."""
    TASK_PAGE_CONTEXT.append(function)
    return function


@register_case_context
def _case_page_task(application) -> dict:
    return {"task": db.session.scalar(select(VerificationTask).where(
        VerificationTask.application_id == application.id))}


def _task_context(task: VerificationTask, *, result_form=None, evidence_form=None,
                  answers=None) -> dict:
    today = local_today()
    limit = services.due_soon_limit(today)
    can_work = task.can_work(current_user)
    result_form = result_form or ResultForm(formdata=None, lock_version=task.lock_version,
                                            checked_on=today, push=True)
    assign_form = AssignForm(formdata=None, lock_version=task.lock_version,
                             inspector_id=task.assigned_to_id or 0)
    assign_form.inspector_id.choices = [SelectChoice(0, "— 请选择 —")] + [
        SelectChoice(u.id, u.display_name) for u in services.assignable_inspectors(task)]
    history = entries_for("verification_task", task.id)
    return {
        "task": task,
        "application": task.application,
        "licence": task.licence,
        "letter": task.application.letter,
        "choices": commitment_choices(task.application),
        "moved_checks": services.moved_check_labels(task),
        "checklist": services.checklist_items(task),
        "method": services.verification_method_label(task),
        "flag": services.deadline_flag(task.current_due_on, today, limit),
        "events": services.allowed_events(task),
        "can_work": can_work,
        "can_assign": task.can_assign(current_user),
        "result_form": result_form,
        "push_form": PushForm(formdata=None, lock_version=task.lock_version),
        "assign_form": assign_form,
        "evidence_form": evidence_form or EvidenceForm(formdata=None),
        "answers": answers or {},
        "verdicts": list(ChecklistVerdict),
        "working_days_left": services.working_days_left(task, today),
        "open_supplements": services.open_supplements(task),
        "rectification_form": RectificationForm(formdata=None, lock_version=task.lock_version),
        "outcome_form": RectificationOutcomeForm(formdata=None, lock_version=task.lock_version),
        "judicial_form": JudicialTransferForm(formdata=None, transferred_on=today),
        "revocation": None,
        **{k: v for extra in TASK_PAGE_CONTEXT for k, v in extra(task).items()},
        "history": history,
        "people": people_labels(e.actor_id for e in history),
        "action_label": services.action_label,
        "Status": TaskStatus,
        "Outcome": Outcome,
        "mask_code": mask_code,
        "today": today,
    }


@bp.route("/supervision/tasks/<int:task_id>")
@roles_required(*TASK_READERS)
def show(task_id: int):
    """The task page: the letter as signed, the materials, the checklist, the result form."""
    task = services.load_task(task_id, current_user)
    return render_template("supervision/task.html", **_task_context(task))


@bp.route("/supervision/tasks/<int:task_id>/assign", methods=["POST"])
@roles_required(Role.head)
def assign(task_id: int):
    """The head assigns (or reassigns) the task to an inspector of the department."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = AssignForm()
    form.inspector_id.choices = [SelectChoice(u.id, u.display_name)
                                 for u in services.assignable_inspectors(task)]
    if not form.validate_on_submit() or not form.inspector_id.data:
        flash("请选择核查人员。", "error")
        return _back(task_id)
    inspector = db.session.get(User, form.inspector_id.data)
    return _run(task_id, lambda: services.assign_task(task, inspector,
                                                      expected_version=_version(form)),
                "已分派核查人员。")


@bp.route("/supervision/tasks/<int:task_id>/result", methods=["POST"])
@roles_required(*WORKERS)
def record_result(task_id: int):
    """Record the result of the check (and push it, unless unticked)."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = ResultForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(task_id, "result")
    items = services.checklist_items(task)
    answers = {item: request.form.get(f"verdict-{i}") or None for i, item in enumerate(items)}
    pushed = bool(form.push.data)
    try:
        services.record_result(task, form.outcome.data, form.findings.data, form.checked_on.data,
                               checklist=answers, push=pushed, expected_version=_version(form),
                               finding=form.finding.data or None)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return _back(task_id, "result")
    except DomainError as exc:
        # Refused: the page comes back with everything the inspector entered.
        db.session.rollback()
        flash(exc.message, "error")
        task = services.load_task(task_id, current_user)
        return render_template("supervision/task.html", **_task_context(
            task, result_form=form, answers=answers)), 422
    done = "核查结果已保存并推送至审批部门。" if pushed else "核查结果已保存，请在期限内推送。"
    if form.outcome.data == Outcome.conform.value:
        still_due = services.open_supplements(task)
        if still_due:
            done += ("核查结论为符合承诺，但以下承诺补交材料仍未办结，补交义务继续有效："
                     + "、".join(f"{s.material.name}（{s.supplement_due_on} 前）"
                                for s in still_due) + "。")
    flash(done, "success")
    return _back(task_id, "result")


@bp.route("/supervision/tasks/<int:task_id>/push", methods=["POST"])
@roles_required(*WORKERS)
def push(task_id: int):
    """Push the recorded result to the approval department."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = PushForm()
    if not form.validate_on_submit():
        abort(400)
    return _run(task_id, lambda: services.push_result(task, expected_version=_version(form)),
                "核查结果已推送至审批部门。", "result")


@bp.route("/supervision/tasks/<int:task_id>/evidence", methods=["POST"])
@roles_required(*WORKERS)
def upload_evidence(task_id: int):
    """Upload a photo or PDF as evidence."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = EvidenceForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(task_id, "evidence")
    upload = form.file.data
    try:
        services.add_evidence(task, upload.stream, upload.filename, note=form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        task = services.load_task(task_id, current_user)
        return render_template("supervision/task.html",
                               **_task_context(task, evidence_form=form)), 422
    flash("证据已上传。", "success")
    return _back(task_id, "evidence")


@bp.app_errorhandler(413)
def _too_large(error):
    """A request body over the server's limit: on an evidence upload, answer on the task page.

    The body was not read, so the note cannot be kept here; the page's script refuses such a
    file before sending (see static/js/app.js), which keeps what was typed.
    """
    from licensing.web import error_response

    if request.endpoint == "supervision.upload_evidence" and current_user.is_authenticated:
        task_id = request.view_args.get("task_id")
        limit = current_app.config["SETTINGS"].max_upload_bytes // (1024 * 1024)
        flash(f"文件过大：单个文件不能超过 {limit} MB，请压缩后重新上传。", "error")
        task = services.load_task(task_id, current_user)
        return render_template("supervision/task.html", **_task_context(task)), 413
    return error_response(413)


@bp.route("/supervision/tasks/<int:task_id>/evidence/<int:evidence_id>")
@roles_required(*TASK_READERS)
def evidence_file(task_id: int, evidence_id: int):
    """Serve an evidence file to those who may see the task, and to no one else."""
    task = services.load_task(task_id, current_user)
    evidence = db.session.get(TaskEvidence, evidence_id)
    if evidence is None or evidence.task_id != task.id:
        raise EvidenceNotFound()
    path = stored_path("evidence", evidence.stored_name)
    if not path.is_file():
        raise EvidenceNotFound("证据文件已丢失，请联系管理员。")
    return send_file(path, mimetype=evidence.content_type, download_name=evidence.original_name,
                     as_attachment=False, max_age=0, etag=evidence.sha256)


@bp.route("/supervision/tasks/<int:task_id>/rectification", methods=["POST"])
@roles_required(*WORKERS)
def order_rectification(task_id: int):
    """Order the breach put right by a date (责令限期整改)."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = RectificationForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(task_id, "breach")
    return _run(task_id, lambda: services.order_rectification(
        task, form.due_on.data, requirements=form.requirements.data or "",
        expected_version=_version(form)), "已责令限期整改。", "breach")


@bp.route("/supervision/tasks/<int:task_id>/rectification/outcome", methods=["POST"])
@roles_required(*WORKERS)
def rectification_outcome(task_id: int):
    """Record whether the breach was put right; not put right asks for revocation."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = RectificationOutcomeForm()
    if not form.validate_on_submit() or form.rectified.data not in ("yes", "no"):
        flash("请选择整改结果。", "error")
        return _back(task_id, "breach")
    rectified = form.rectified.data == "yes"
    return _run(task_id, lambda: services.record_rectification_outcome(
        task, rectified, note=form.note.data or "", expected_version=_version(form),
        reinspected_on=form.reinspected_on.data),
        "已确认整改到位，任务办结。" if rectified else "已确认未整改到位，已提请审批部门撤销许可。",
        "breach")


@bp.route("/supervision/tasks/<int:task_id>/judicial-transfer", methods=["POST"])
@roles_required(*WORKERS)
def judicial_transfer(task_id: int):
    """Record the hand-over of a suspected crime to the judicial authorities."""
    task = services.load_task(task_id, current_user, for_action=True)
    form = JudicialTransferForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(task_id, "judicial")
    return _run(task_id, lambda: services.record_judicial_transfer(
        task, form.reference.data, form.transferred_on.data, note=form.note.data or ""),
        "已记录移送司法机关。", "judicial")


# --- routine sampling -------------------------------------------------------------------------


@bp.route("/supervision/sample", methods=["GET", "POST"])
@roles_required(Role.head)
def sample():
    """Draw the routine supervision sample of the department by credit risk level only."""
    form = SampleForm()
    result = None
    applicants = {}
    if form.validate_on_submit():
        if current_user.department is None or (
                current_user.department.kind != DepartmentKind.supervisory):
            flash("只有行业监管部门可以抽取日常监管对象。", "error")
        else:
            # No seed: a new, unpredictable draw that puts inspections in the inspectors'
            # work. A seed: the reproduction of a past draw, for checking it (no inspections).
            replay = bool((form.seed.data or "").strip())
            result = sampling.draw_routine_sample(
                current_user.department_id, seed=form.seed.data.strip() if replay else None,
                actor=current_user, create_inspections=not replay)
            if not replay:
                flash(f"已抽取并生成日常监管检查任务；随机种子 {result.seed} 已记录，可据此复核。",
                      "success")

            applicants = {a.id: a for a in db.session.scalars(
                select(Applicant).where(Applicant.id.in_(result.applicant_ids)))}
    return render_template("supervision/sample.html", form=form, result=result,
                           applicants=applicants, ratios=sampling.default_ratios(),
                           mask_code=mask_code)


# --- home panel -------------------------------------------------------------------------------


@register_panel(Role.inspector, Role.head)
def _tasks_panel(user):
    if user.department is None or user.department.kind != DepartmentKind.supervisory:
        return None
    counts = services.task_counts(user)
    warning = None
    if counts.overdue:
        warning = f"有 {counts.overdue} 项核查任务已超过期限，请尽快办理。"
    links = [("核查任务", url_for("supervision.inbox")),
             ("即将到期", url_for("supervision.inbox", due="due_soon")),
             ("已逾期", url_for("supervision.inbox", due="overdue"))]
    if user.role == Role.inspector:
        links.insert(1, ("分派给我的", url_for("supervision.inbox", inspector="mine")))
    else:
        links.append(("待分派", url_for("supervision.inbox", inspector="none")))
    return Panel(
        title="核查任务",
        figures=[("在办", counts.active), ("即将到期", counts.due_soon),
                 ("已逾期", counts.overdue), ("整改中", counts.rectifying)]
        + ([("待分派", counts.unassigned)] if user.role == Role.head else []),
        links=links, warning=warning, order=20)
