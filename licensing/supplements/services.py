"""Promised materials handed in later (承诺限期补齐补全): hand-in, review, the missed sweep.

An obligation (``SupplementObligation``) is opened when the decision issues the licence
(``open_supplements``, on ``commitment_licence_issued``) for each material the applicant
promised to supply by a date. Its state machine is
``SUPPLEMENT_TRANSITIONS``. A hand-in rejected before the due date goes back to ``pending``: the
applicant may hand in again until the due date. A supplement missed, or rejected on or after
its due date, is broken: the ``supplement_broken`` signal tells the enforcement domain, which
opens a revocation case for the approval department and tells the supervisory department
(工作方案 三（四））. The credit consequence follows the revocation's service, not before.
"""

from __future__ import annotations

from datetime import date
from typing import BinaryIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from licensing.applicants.models import Applicant
from licensing.audit.services import id_of, record_audit
from licensing.auth.access import department_scope
from licensing.auth.acting import acting_user
from licensing.auth.models import Role, User
from licensing.calendar.deadlines import DeadlineRule
from licensing.calendar.services import compute_deadline
from licensing.cases.models import Application, Channel, Licence, LicenceStatus, MaterialHandling
from licensing.cases.services import commitment_choices
from licensing.clock import local_today, utcnow
from licensing.credit.services import record_commitment_event
from licensing.extensions import db
from licensing.notifications.services import notify_department
from licensing.paging import KeyPage, key_page
from licensing.supplements import jobs as supplement_jobs
from licensing.supplements.errors import (
    InvalidSupplementReview,
    NotYourSupplement,
    SupplementOverdue,
    SupplementTransitionRefused,
)
from licensing.supplements.models import (
    SupplementObligation,
    SupplementStatus,
    SupplementSubmission,
)
from licensing.supplements.signals import supplement_broken
from licensing.transitions import guarded_transition
from licensing.uploads import discard, store_upload

SUPPLEMENT_FOLDER = "supplements"

#: The supplement's state machine: event -> (states it may happen in, state it leads to).
SUPPLEMENT_TRANSITIONS: dict[str, tuple[frozenset[SupplementStatus], SupplementStatus]] = {
    "hand_in": (frozenset({SupplementStatus.pending}), SupplementStatus.submitted),
    "accept": (frozenset({SupplementStatus.submitted}), SupplementStatus.accepted),
    "reject": (frozenset({SupplementStatus.submitted}), SupplementStatus.rejected),
    "miss": (frozenset({SupplementStatus.pending}), SupplementStatus.missed),
    # The licence was revoked: an obligation still open has nothing left to secure.
    "lapse": (frozenset({SupplementStatus.pending, SupplementStatus.submitted}),
              SupplementStatus.lapsed),
    # Rejected before the due date: the applicant may hand in again until then.
    "reject_for_resubmission": (frozenset({SupplementStatus.submitted}),
                                SupplementStatus.pending),
}
_EVENT_LABELS = {"hand_in": "补交", "accept": "审核通过", "reject": "审核不予通过",
                 "miss": "标记逾期未补交", "lapse": "因许可撤销而终止",
                 "reject_for_resubmission": "审核不予通过"}


def _refused(obligation: SupplementObligation, event: str) -> SupplementTransitionRefused:
    return SupplementTransitionRefused(
        f"补交材料当前状态为“{obligation.status.label}”，不能{_EVENT_LABELS[event]}。")


def _transition(obligation: SupplementObligation, event: str, *, actor: User | None,
                values: dict | None = None, changes: dict | None = None) -> None:
    guarded_transition(obligation, event, SUPPLEMENT_TRANSITIONS, refused=_refused,
                       audit_type="supplement", actor=actor, values=values, changes=changes,
                       versioned=False)


# --- who may do what ------------------------------------------------------------------------


def is_own(user: User, obligation: SupplementObligation) -> bool:
    """Return whether an applicant's account acts for the obligation's applicant."""
    return (user.role == Role.applicant
            and obligation.application.applicant.user_id == user.id)


def can_hand_in(user: User, obligation: SupplementObligation) -> bool:
    """The applicant online (their own only), or a clerk of the approval department."""
    if user.role == Role.applicant:
        return is_own(user, obligation)
    return (user.role == Role.clerk
            and user.department_id == obligation.application.approval_department_id)


def can_review(user: User, obligation: SupplementObligation) -> bool:
    """An approver of the approval department accepts or rejects a handed-in material."""
    return (user.role == Role.approver
            and user.department_id == obligation.application.approval_department_id)


def visible_supplements(user: User) -> Select:
    """Obligations the user may see: an applicant's own, or their department's."""
    stmt = select(SupplementObligation).join(
        Application, Application.id == SupplementObligation.application_id)
    if user.role == Role.applicant:
        return stmt.join(Applicant, Applicant.id == Application.applicant_id).where(
            Applicant.user_id == user.id)
    return department_scope(stmt, Application.approval_department_id,
                            Application.supervisory_department_id, user=user)


def supplement_page(stmt: Select, *, after: str | None = None, page: int = 1,
                    size: int | None = None) -> KeyPage:
    """One page of obligations, the earliest promised date first, continued by key.

    ``after`` is the previous page's last ``(due date, id)`` (``licensing.paging``); without
    it ``page`` counts from the top. Every obligation has its date from its opening
    (``open_supplements``). The licence and the holder each row shows are read with it.
    """
    # ``visible_supplements`` joins the application already: its row fills the relationship.
    stmt = stmt.options(joinedload(SupplementObligation.licence),
                        contains_eager(SupplementObligation.application))
    return key_page(stmt, SupplementObligation.supplement_due_on, SupplementObligation.id,
                    descending=False, after=after, page=page, size=size)


def load_supplement(supplement_id: int, user: User) -> SupplementObligation:
    """Load an obligation the user may see, or raise ``NotYourSupplement`` (404)."""
    obligation = db.session.scalars(
        visible_supplements(user).where(SupplementObligation.id == supplement_id)).first()
    if obligation is None:
        raise NotYourSupplement()
    return obligation


def submissions_of(obligation: SupplementObligation) -> list[SupplementSubmission]:
    """Return the hand-ins of an obligation, oldest first."""
    return list(db.session.scalars(
        select(SupplementSubmission).where(SupplementSubmission.supplement_id == obligation.id)
        .order_by(SupplementSubmission.id)))


def count_awaiting_review(user: User) -> int:
    """Count handed-in supplements awaiting the user's department's review."""
    stmt = visible_supplements(user).with_only_columns(
        func.count(SupplementObligation.id)).where(
        SupplementObligation.status == SupplementStatus.submitted).order_by(None)
    return db.session.scalar(stmt) or 0


# --- the steps --------------------------------------------------------------------------------


def open_supplements(application: Application, licence: Licence,
                     decided_on: date) -> list[SupplementObligation]:
    """One obligation per material promised to be handed in later (承诺限期补齐补全).

    In the decision's transaction (``commitment_licence_issued``); each with its deadline in
    working days from the decision, with provenance; audited as ``supplement.opened``.
    """
    # Obligations open only here, at the decision: the case has none yet (no SELECT to find
    # that out); the ones below join the collection as they are tied to the application.
    set_committed_value(application, "supplements", [])
    supplements, codes = [], []
    for material, handling in commitment_choices(application):
        if handling != MaterialHandling.supplement:
            continue
        supplement_deadline = compute_deadline(
            DeadlineRule.supplement, start_on=decided_on,
            working_days=material.supplement_days, start_event="licence_issued")
        obligation = SupplementObligation(material_id=material.id, licence=licence)
        # Known now; a pending row would not load it (nor should it send a SELECT for it).
        set_committed_value(obligation, "material", material)
        obligation.supplement_deadline = supplement_deadline
        obligation.application = application
        db.session.add(obligation)
        supplements.append(obligation)
        codes.append(material.code)
    # No flush of their own: they go in with the decision's documents, as one INSERT where it
    # can; the entries name their ids when they are written (issue 18).
    for obligation, code in zip(supplements, codes, strict=True):
        record_audit("supplement.opened", object_type="supplement",
                     object_id=id_of(obligation),
                     changes={"material": code,
                              "deadline": obligation.supplement_deadline.as_dict()})
    return supplements


def hand_in_supplement(
    obligation: SupplementObligation,
    *,
    actor: User | None = None,
    stream: BinaryIO | None = None,
    filename: str | None = None,
    note: str = "",
    today: date | None = None,
) -> SupplementSubmission:
    """Hand in a promised material before its due date (the due date itself is in time).

    By the applicant online (their own obligations only) or a clerk at the counter. A file
    (photo or PDF, checked by content and size, stored with its SHA-256) is optional: at the
    counter the paper may be handed over. Refused after the due date (``SupplementOverdue``)
    and in any state but ``pending``.
    """
    actor = acting_user(actor)
    if actor is None or not can_hand_in(actor, obligation):
        raise NotYourSupplement()
    today = today or local_today()
    if obligation.licence.status == LicenceStatus.revoked:
        raise SupplementTransitionRefused("许可证已撤销，不能再补交材料。")
    if obligation.status != SupplementStatus.pending:
        raise SupplementTransitionRefused(
            f"补交材料当前状态为“{obligation.status.label}”，不能再补交。")
    if today > obligation.supplement_due_on:
        raise SupplementOverdue(
            f"承诺的补交期限（{obligation.supplement_due_on}）已过，不能再补交。审批部门将依法处理。")
    note = (note or "").strip()[:1000]
    if stream is None and not note:
        raise InvalidSupplementReview("请上传材料文件，或注明已现场提交的纸质材料。",
                                      code="supplement_empty")
    stored = store_upload(stream, filename, SUPPLEMENT_FOLDER) if stream is not None else None
    try:
        channel = Channel.online if actor.role == Role.applicant else Channel.counter
        submission = SupplementSubmission(
            supplement_id=obligation.id, channel=channel.value, note=note,
            submitted_by_id=actor.id, submitted_dt=utcnow(),
            stored_name=stored.stored_name if stored else None,
            original_name=stored.original_name if stored else None,
            content_type=stored.content_type if stored else None,
            size_bytes=stored.size_bytes if stored else None,
            sha256=stored.sha256 if stored else None)
        db.session.add(submission)
        _transition(obligation, "hand_in", actor=actor, values={"submitted_dt": utcnow()},
                    changes={"channel": channel, "sha256": stored.sha256 if stored else None})
        db.session.flush()
    except BaseException:
        if stored is not None:
            discard(SUPPLEMENT_FOLDER, stored.stored_name)
        raise
    notify_department(
        obligation.application.approval_department_id, [Role.approver],
        supplement_jobs.NOTIFY_SUBMITTED,
        f"补交材料待审核：{obligation.licence.number}"[:200],
        f"{obligation.material.name}已补交，请审核。", f"/supplements/{obligation.id}",
        "supplement", obligation.id, f"supplement_submitted:{obligation.id}")
    return submission


def accept_supplement(obligation: SupplementObligation, *, actor: User | None = None,
                      note: str = "") -> SupplementObligation:
    """Accept a handed-in material; the fulfilled commitment goes into the credit record."""
    actor = acting_user(actor)
    if actor is None or not can_review(actor, obligation):
        raise NotYourSupplement("只有审批部门的审批人员可以审核补交材料。")
    _transition(obligation, "accept", actor=actor,
                values={"reviewed_dt": utcnow(), "reviewed_by_id": actor.id,
                        "review_note": (note or "").strip()[:2000] or None})
    record_commitment_event(
        obligation.application.applicant, "commitment_kept",
        ref=f"supplement:{obligation.id}",
        payload={"licence": obligation.licence.number, "material": obligation.material.code},
        summary=f"已按承诺补交材料：{obligation.material.name}", actor=actor)
    return obligation


def reject_supplement(obligation: SupplementObligation, reason: str, *,
                      actor: User | None = None, today: date | None = None):
    """Reject a handed-in material as not acceptable; return the revocation case, if one opened.

    Before the due date the obligation goes back to ``pending`` (audited as
    ``supplement.reject_for_resubmission``): the applicant may hand in again until the due
    date, and is notified; no case is opened. On or after the due date it is ``rejected`` and
    broken (``supplement_broken``): the enforcement domain opens a revocation case.
    """
    actor = acting_user(actor)
    if actor is None or not can_review(actor, obligation):
        raise NotYourSupplement("只有审批部门的审批人员可以审核补交材料。")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidSupplementReview()
    today = today or local_today()
    values = {"reviewed_dt": utcnow(), "reviewed_by_id": actor.id,
              "review_note": reason[:2000]}
    if today < obligation.supplement_due_on:
        _transition(obligation, "reject_for_resubmission", actor=actor,
                    values={**values, "submitted_dt": None},
                    changes={"reason": reason[:500], "due_on": obligation.supplement_due_on})
        return None
    _transition(obligation, "reject", actor=actor, values=values,
                changes={"reason": reason[:500]})
    return _broken(obligation, "supplement_rejected",
                   f"补交的“{obligation.material.name}”不符合要求：{reason}", actor=actor)


def _broken(obligation: SupplementObligation, origin: str, reason: str, *,
            actor: User | None):
    results = supplement_broken.send(obligation, obligation=obligation, origin=origin,
                                     reason=reason, actor=actor)
    return next((value for _, value in results if value is not None), None)


def lapse_open_supplements(licence: Licence, *, actor: User | None) -> int:
    """End the open obligations of a revoked licence (``lapsed``); return how many.

    Called by the revocation in its transaction, so the applicant is no longer reminded of,
    nor sanctioned for, materials of a licence that no longer exists.
    """
    obligations = db.session.scalars(
        select(SupplementObligation).where(
            SupplementObligation.licence_id == licence.id,
            SupplementObligation.status.in_([SupplementStatus.pending,
                                             SupplementStatus.submitted]))
        .order_by(SupplementObligation.id)).all()
    for obligation in obligations:
        _transition(obligation, "lapse", actor=actor, changes={"licence": licence.number})
    return len(obligations)


def mark_missed_supplements(today: date | None = None, *, commit_each: bool = False) -> int:
    """Mark every pending supplement past its due date as missed; open a revocation case each.

    Selects ``status = pending AND supplement_due_on < today`` (the due date itself is still
    in time). Idempotent: the conditional UPDATE moves only rows still pending, the case is
    unique per supplement and the credit event per key, so a second run, or two runners at
    once, change nothing more; a run after days of downtime catches up on every day missed.
    Flushes only, unless ``commit_each`` (the scheduler's job) commits after each supplement,
    so one bad row does not hold back the others. Returns how many supplements it marked.
    """
    today = today or local_today()
    ids = list(db.session.scalars(
        select(SupplementObligation.id).where(
            SupplementObligation.status == SupplementStatus.pending,
            SupplementObligation.supplement_due_on < today)
        .order_by(SupplementObligation.id)))
    marked = 0
    for supplement_id in ids:
        obligation = db.session.get(SupplementObligation, supplement_id)
        if obligation is None:
            continue
        db.session.refresh(obligation)
        if obligation.status != SupplementStatus.pending:
            continue
        try:
            _transition(obligation, "miss", actor=None,
                        changes={"due_on": obligation.supplement_due_on, "today": today})
        except SupplementTransitionRefused:  # another runner got there first
            if commit_each:
                db.session.rollback()
            continue
        _broken(obligation, "supplement_missed",
                f"承诺于 {obligation.supplement_due_on} 前补交的“{obligation.material.name}”"
                "逾期未补交。", actor=None)
        marked += 1
        if commit_each:
            db.session.commit()
    return marked


__all__ = [
    "SUPPLEMENT_TRANSITIONS", "accept_supplement", "can_hand_in", "can_review",
    "count_awaiting_review", "hand_in_supplement", "load_supplement", "mark_missed_supplements",
    "open_supplements", "reject_supplement", "submissions_of", "visible_supplements",
]
