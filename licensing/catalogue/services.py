"""The catalogue's rules: versions, publishing, the rules as data, letters, differences.

What other domains call:

* ``current_version(item_code, on)``: the version that governs an application made that day;
  keep a foreign key to it, never to the item.
* ``item_rules_dict(version)``: the rules as plain data; the guide page, the one-time notice,
  the PDF and the API all show this, so they cannot drift apart.
* ``render_letter(version, ...)``: the commitment letter text to sign, rendered in a sandbox.

Services flush and write the audit entry; they never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from licensing.audit.services import record_audit
from licensing.auth.models import Department, DepartmentKind
from licensing.catalogue.content import (
    CODE_RE,
    EXCLUSION_CLAUSE,
    MATERIAL_FIELDS,
    UNSIGNED_SIGNER,
    VERSION_FIELDS,
    LetterTemplateError,
    MaterialContent,
    Problem,
    VersionContent,
    commitment_lines,
    content_problems,
    exclusion_message,
    format_letter_date,
    parse_letter_template,
    render_letter_template,
)
from licensing.catalogue.errors import (
    ExcludedFromCommitment,
    ExclusionsMismatch,
    ExclusionsUnconfirmed,
    InvalidValidity,
    ItemCodeTaken,
    ItemNotInForce,
    ModeNotAllowed,
    StaleDraft,
    UnknownItem,
    UnknownVersion,
    VersionIncomplete,
    VersionNotDraft,
)
from licensing.catalogue.models import (
    VERIFICATION_REPORT_DAYS,
    ApplicantKind,
    CommitmentMode,
    Exclusion,
    Item,
    ItemVersion,
    Material,
    MovedCheck,
    Track,
    VerificationMethod,
    VerificationRule,
    VersionStatus,
)
from licensing.clock import local_today, utcnow
from licensing.errors import InvalidTransition, ValidationFailed
from licensing.extensions import db

# --- Reading ---------------------------------------------------------------------------------


def get_item(code: str) -> Item:
    """Return the item with this code, or raise ``UnknownItem``."""
    # One statement; every row read (the versions span several), then the one item.
    item = db.session.scalars(
        select(Item).where(Item.code == code).options(
            joinedload(Item.versions).joinedload(ItemVersion.approval_department))
    ).unique().one_or_none()
    if item is None:
        raise UnknownItem(f"事项“{code}”不存在。")
    # The loader fills item.versions but not each version's way back: without this, a
    # version outliving its item in the session (it is held weakly) reads it, and its
    # versions, again (issue 18).
    for version in item.versions:
        set_committed_value(version, "item", item)
    return item


def get_version(code: str, number: int) -> ItemVersion:
    """Return version ``number`` of item ``code``, or raise ``UnknownVersion``."""
    item = get_item(code)
    version = next((v for v in item.versions if v.number == number), None)
    if version is None:
        raise UnknownVersion(f"事项“{code}”没有第 {number} 版。")
    return version


def version_in_force(item: Item, on: date) -> ItemVersion | None:
    """The version of ``item`` that governs applications made on ``on``, if any.

    It is the published (or since retired) version with the latest ``valid_from_on`` not after
    ``on``, unless that version was retired on or before ``on``: then the item is off the list.
    """
    candidates = [v for v in item.versions
                  if v.status != VersionStatus.draft and v.valid_from_on <= on]
    if not candidates:
        return None
    version = max(candidates, key=lambda v: v.valid_from_on)
    if version.retired_on is not None and version.retired_on <= on:
        return None
    return version


# --- The materials of published versions, read once per process ---------------------------
#
# A published (or retired) version's materials never change: the flush-time guard of
# models.py refuses it. So each process reads them once per version and then puts them in
# place from memory: the intake and the decision each read them otherwise (issue 18). A draft
# is never cached. Any write of a version or a material row drops its version's entry, so a
# version id seen again (a new database, a restored one) is read afresh. Keyed by the database
# as well: one process may serve more than one (the tests, a bench beside a live server).

_MATERIALS_OF_VERSION: dict[tuple[str, int], tuple[dict[str, Any], ...]] = {}


def with_materials(version: ItemVersion) -> ItemVersion:
    """Have ``version.materials`` loaded: from the process cache when the version is published.

    Costs no statement once the process has read that version's materials (one SELECT the
    first time); a draft's materials are loaded as usual.
    """
    state = inspect(version)
    if "materials" not in state.unloaded or state.session is None:
        return version
    if version.status == VersionStatus.draft:
        return version
    key = (str(state.session.get_bind().url), version.id)
    cached = _MATERIALS_OF_VERSION.get(key)
    if cached is None:
        columns = [attr.key for attr in inspect(Material).column_attrs]
        _MATERIALS_OF_VERSION[key] = tuple(
            {key: getattr(material, key) for key in columns} for material in version.materials)
        return version
    session = state.session
    mapper = inspect(Material)
    materials = []
    for values in cached:
        material = session.identity_map.get(mapper.identity_key_from_primary_key((values["id"],)))
        if material is None:
            material = Material(**values)
            make_transient_to_detached(material)  # as if just loaded: clean, no history
            session.add(material)
        set_committed_value(material, "version", version)
        materials.append(material)
    set_committed_value(version, "materials", materials)
    return version


def _forget_materials(mapper, connection, target) -> None:
    _MATERIALS_OF_VERSION.pop((str(connection.engine.url), target.version_id), None)


def _forget_version(mapper, connection, target) -> None:
    _MATERIALS_OF_VERSION.pop((str(connection.engine.url), target.id), None)


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(Material, _change, _forget_materials)
    event.listen(ItemVersion, _change, _forget_version)


def current_version(item_code: str, on: date | None = None) -> ItemVersion:
    """Return the version of item ``item_code`` in force on ``on`` (today by default).

    Raise ``UnknownItem`` for an unknown code and ``ItemNotInForce`` when no version governs
    that day (not yet published, or retired).
    """
    on = on or local_today()
    item = get_item(item_code)
    version = version_in_force(item, on)
    if version is None:
        raise ItemNotInForce(f"事项“{item_code}”在 {on.isoformat()} 没有有效的版本"
                             "（尚未发布或已停用）。")
    return with_materials(version)


def valid_until(version: ItemVersion) -> date | None:
    """The last day ``version`` governs, or ``None`` while no end is set (or for a draft)."""
    if version.valid_from_on is None:
        return None
    ends = [v.valid_from_on for v in version.item.versions
            if v.status != VersionStatus.draft and v.valid_from_on > version.valid_from_on]
    if version.retired_on is not None:
        ends.append(version.retired_on)
    return min(ends) - timedelta(days=1) if ends else None


@dataclass
class ItemOverview:
    """One row of the administrators' list."""

    item: Item
    latest: ItemVersion
    in_force: ItemVersion | None
    draft: ItemVersion | None


def list_items(search: str | None = None, on: date | None = None) -> list[ItemOverview]:
    """Every item (for administrators), by code, optionally filtered by code or name."""
    on = on or local_today()
    stmt = (select(Item).options(selectinload(Item.versions).joinedload(ItemVersion.item))
            .order_by(Item.code))
    if search:
        pattern = f"%{_escape_like(search.strip())}%"
        stmt = stmt.where(or_(
            Item.code.ilike(pattern, escape="\\"),
            Item.versions.any(ItemVersion.name.ilike(pattern, escape="\\")),
        ))
    rows = []
    for item in db.session.scalars(stmt):
        if item.versions:
            rows.append(ItemOverview(item, item.latest_version, version_in_force(item, on),
                                     item.draft))
    return rows


def guide_versions(on: date | None = None, search: str | None = None) -> list[ItemVersion]:
    """The versions in force on ``on`` (today), by code: what the public guide lists."""
    on = on or local_today()
    stmt = (select(Item).options(selectinload(Item.versions).joinedload(ItemVersion.item))
            .order_by(Item.code))
    versions = []
    needle = (search or "").strip().lower()
    for item in db.session.scalars(stmt):
        version = version_in_force(item, on)
        if version is None:
            continue
        if needle and needle not in item.code.lower() and needle not in version.name.lower():
            continue
        versions.append(version)
    return versions


def published_version(code: str, number: int) -> ItemVersion:
    """A published or retired version, for the public pages (drafts are not public)."""
    version = get_version(code, number)
    if version.status == VersionStatus.draft:
        raise UnknownVersion(f"事项“{code}”没有第 {number} 版。")
    return version


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- Content in and out ----------------------------------------------------------------------


def version_content(version: ItemVersion) -> VersionContent:
    """The content of a stored version as plain data."""
    return VersionContent(
        name=version.name,
        legal_basis=version.legal_basis,
        approval_department=version.approval_department.code,
        supervisory_department=version.supervisory_department.code,
        applicant_kinds=tuple(version.applicant_kinds),
        tracks=tuple(version.tracks),
        statutory_limit_days=version.statutory_limit_days,
        promised_limit_days=version.promised_limit_days,
        verification_rule=version.verification_rule,
        verification_working_days=version.verification_working_days,
        verification_basis=version.verification_basis,
        verification_method=version.verification_method,
        verification_checklist=tuple(version.verification_checklist or ()),
        moved_checks=tuple(version.moved_check_kinds),
        supervision_measures=version.supervision_measures,
        commitment_conditions=version.commitment_conditions,
        commitment_content=version.commitment_content,
        breach_consequences=version.breach_consequences,
        exclusions=tuple(version.exclusion_grounds),
        letter_template=version.letter_template,
        licence_validity_years=version.licence_validity_years,
        qualification_reasons=version.qualification_reasons or "",
        list_approval_document=version.list_approval_document or "",
        letter_template_source=version.letter_template_source or "",
        materials=tuple(
            MaterialContent(code=m.code, name=m.name, required_general=m.required_general,
                            modes=tuple(m.allowed_modes), supplement_days=m.supplement_days,
                            paper_at_counter=m.paper_at_counter)
            for m in version.materials),
    )


def department_problems(content: VersionContent) -> list[Problem]:
    """The department codes must exist and be of the right kind."""
    problems = []
    for name, kind, label in (
            ("approval_department", DepartmentKind.approval, "行政审批实施部门"),
            ("supervisory_department", DepartmentKind.supervisory, "行业监管部门")):
        code = getattr(content, name)
        department = _department(code)
        if department is None:
            problems.append(Problem((name,), f"部门代码“{code}”不存在。"))
        elif department.kind != kind:
            problems.append(Problem((name,), f"“{department.name}”不是{label}。"))
    return problems


def _department(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(Department.code == code))


def _apply_content(version: ItemVersion, content: VersionContent) -> None:
    """Write ``content`` into a draft (fields and materials, matched by material code)."""
    with db.session.no_autoflush:
        _write_content(version, content)


def _write_content(version: ItemVersion, content: VersionContent) -> None:
    version.name = content.name
    version.legal_basis = content.legal_basis
    version.approval_department = _department(content.approval_department)
    version.supervisory_department = _department(content.supervisory_department)
    version.for_enterprise = ApplicantKind.enterprise in content.applicant_kinds
    version.for_individual = ApplicantKind.individual in content.applicant_kinds
    version.offers_general = Track.general in content.tracks
    version.offers_commitment = Track.commitment in content.tracks
    version.statutory_limit_days = content.statutory_limit_days
    version.promised_limit_days = content.promised_limit_days
    version.verification_rule = content.verification_rule
    version.verification_working_days = content.verification_working_days
    version.verification_basis = content.verification_basis
    version.verification_method = content.verification_method
    version.verification_checklist = [str(p).strip() for p in content.verification_checklist]
    version.moved_checks = [m.value for m in content.moved_checks]
    version.supervision_measures = content.supervision_measures
    version.commitment_conditions = content.commitment_conditions
    version.commitment_content = content.commitment_content
    version.breach_consequences = content.breach_consequences
    version.exclusions = [e.value for e in content.exclusions]
    version.letter_template = content.letter_template
    version.licence_validity_years = content.licence_validity_years
    version.qualification_reasons = content.qualification_reasons
    version.list_approval_document = content.list_approval_document
    version.letter_template_source = content.letter_template_source
    version.updated_dt = utcnow()
    if inspect(version).persistent:
        # Always UPDATE the version row, even when only materials changed, so its version
        # counter (row_version) moves and a form opened before this save is seen to be stale.
        flag_modified(version, "updated_dt")

    wanted = {m.code for m in content.materials}
    for material in [m for m in version.materials if m.code not in wanted]:
        version.materials.remove(material)
    if inspect(version).persistent:
        db.session.flush()  # deletes first, so a code can come back without a unique clash
    existing = {m.code: m for m in version.materials}
    for position, data in enumerate(content.materials):
        material = existing.get(data.code)
        if material is None:
            material = Material(code=data.code)
            version.materials.append(material)
        material.position = position
        material.name = data.name.strip()
        material.required_general = data.required_general
        material.supplement_allowed = CommitmentMode.supplement in data.modes
        material.supplement_days = (data.supplement_days
                                    if CommitmentMode.supplement in data.modes else None)
        material.substitute_allowed = CommitmentMode.substitute in data.modes
        material.exempt_review_allowed = CommitmentMode.exempt_review in data.modes
        material.paper_at_counter = data.paper_at_counter
    version.materials.sort(key=lambda m: m.position)


def _changed_fields(before: VersionContent, after: VersionContent) -> list[str]:
    changed = [name for name in VERSION_FIELDS if getattr(before, name) != getattr(after, name)]
    if before.materials != after.materials:
        changed.append("materials")
    return changed


def _require_valid_draft(content: VersionContent) -> None:
    problems = content_problems(content, complete=False) + department_problems(content)
    if problems:
        raise VersionIncomplete(problems)


# --- Changing --------------------------------------------------------------------------------


def create_item(code: str, content: VersionContent, *, change_note: str = "",
                actor=None) -> ItemVersion:
    """Create an item with ``content`` as its first draft (version 1)."""
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationFailed("事项编码只能用字母、数字、下划线、点和连字符，最长 32 位。",
                               code="invalid_item_code")
    if db.session.scalar(select(Item.id).where(Item.code == code)) is not None:
        raise ItemCodeTaken(f"事项编码“{code}”已存在。")
    _require_valid_draft(content)
    item = Item(code=code)
    version = ItemVersion(item=item, number=1, status=VersionStatus.draft,
                          change_note=change_note[:500])
    _apply_content(version, content)
    db.session.add(item)
    db.session.flush()
    record_audit("catalogue.item_created", object_type="item", object_id=item.id, actor=actor,
                 changes={"code": code, "name": content.name, "version": 1})
    return version


def start_draft(item: Item, *, actor=None) -> ItemVersion:
    """Return the item's draft, making one as a copy of the latest version if there is none."""
    if item.draft is not None:
        return item.draft
    latest = item.latest_version
    content = version_content(latest)
    version = ItemVersion(item=item, number=latest.number + 1, status=VersionStatus.draft)
    db.session.add(version)
    _apply_content(version, content)
    db.session.flush()
    record_audit("catalogue.draft_started", object_type="item_version", object_id=version.id,
                 actor=actor, changes={"item": item.code, "version": version.number,
                                       "copied_from": latest.number})
    return version


def update_draft(version: ItemVersion, content: VersionContent, *, expected_row_version: int,
                 change_note: str | None = None, actor=None) -> list[str]:
    """Save ``content`` into a draft; return the names of the fields that changed.

    ``expected_row_version`` is the draft's ``row_version`` when the form was opened: if it
    moved on since, someone else saved in between and ``StaleDraft`` is raised, so nobody
    overwrites another person's edit without seeing it.
    """
    if version.status != VersionStatus.draft:
        raise VersionNotDraft()
    if version.row_version != expected_row_version:
        raise StaleDraft(
            f"该草稿在您打开后已被他人修改（您打开时为第 {expected_row_version} 次保存，"
            f"现在为第 {version.row_version} 次），您的修改未保存。请重新打开草稿，核对后再修改。")
    _require_valid_draft(content)
    changed = _changed_fields(version_content(version), content)
    if change_note is not None and change_note.strip() != version.change_note:
        version.change_note = change_note.strip()[:500]
        changed.append("change_note")
    if not changed:
        return []
    try:
        _apply_content(version, content)
        db.session.flush()
    except StaleDataError:
        # Another transaction saved the same draft between our check and our UPDATE: the
        # version counter in the WHERE clause matched no row.
        raise StaleDraft() from None
    record_audit("catalogue.draft_updated", object_type="item_version", object_id=version.id,
                 actor=actor, changes={"item": version.item.code, "version": version.number,
                                       "fields": changed})
    return changed


def publication_problems(version: ItemVersion) -> list[Problem]:
    """Every reason ``version`` cannot be published (the exclusion rule first)."""
    content = version_content(version)
    problems = content_problems(content, complete=True) + department_problems(content)
    problems.sort(key=lambda p: p.path != ("exclusions",))
    return problems


def earliest_valid_from(item: Item, today: date | None = None) -> date | None:
    """The first day a new version of ``item`` may start, or ``None`` for any day (first one).

    The first published version may start in the past (the day the list came into force);
    every later one starts after the previous start and not before today, so that what was in
    force on a past day never changes after the fact.
    """
    today = today or local_today()
    published = [v for v in item.versions if v.status != VersionStatus.draft]
    if not published:
        return None
    latest = max(published, key=lambda v: v.valid_from_on)
    earliest = max(today, latest.valid_from_on + timedelta(days=1))
    if latest.retired_on is not None:
        earliest = max(earliest, latest.retired_on)
    return earliest


_ANSWERS = {True: True, False: False, "yes": True, "no": False}


def exclusion_answers(exclusions) -> dict[str, bool]:
    """Every exclusion ground answered from a list of the grounds an item touches.

    For a publisher who confirms that the grounds recorded are all it touches (the catalogue
    import's ``--confirm-exclusions``): listed grounds yes, every other no.
    """
    touched = {Exclusion(e) for e in exclusions or ()}
    return {ground.value: ground in touched for ground in Exclusion}


def check_exclusion_answers(version: ItemVersion, answers) -> dict[str, bool]:
    """The publisher's answer to every exclusion ground, checked against the draft.

    An empty exclusion list is not a pass (工作方案 二（一）): each ground needs an explicit yes
    or no (``True``/``False`` or ``"yes"``/``"no"``), refused with ``ExclusionsUnconfirmed``
    naming the grounds left open; the grounds answered yes must be the ones the draft records
    (``ExclusionsMismatch``, naming the differing ground).
    """
    answers = dict(answers or {})
    unknown = sorted(set(answers) - {g.value for g in Exclusion})
    if unknown:
        raise ExclusionsUnconfirmed(f"未知的不得纳入情形：{'、'.join(unknown)}。",
                                    unknown=unknown)
    checked: dict[str, bool] = {}
    open_grounds = []
    for ground in Exclusion:
        value = answers.get(ground.value)
        if isinstance(value, str):
            value = value.strip().lower()
        if value not in _ANSWERS:
            open_grounds.append(ground)
            continue
        checked[ground.value] = _ANSWERS[value]
    if open_grounds:
        names = "、".join(f"“{g.label}”" for g in open_grounds)
        raise ExclusionsUnconfirmed(
            f"发布前须逐项确认该事项是否属于不得纳入告知承诺制的情形（{EXCLUSION_CLAUSE}），"
            f"尚未确认：{names}。", unconfirmed=[g.value for g in open_grounds])
    recorded = {Exclusion(e).value for e in version.exclusions or ()}
    for ground in Exclusion:
        said, kept = checked[ground.value], ground.value in recorded
        if said != kept:
            raise ExclusionsMismatch(
                f"“{ground.label}”：确认为{'涉及' if said else '不涉及'}，但草稿登记为"
                f"{'涉及' if kept else '不涉及'}。请先修改草稿中的不得纳入情形，再发布。",
                ground=ground.value)
    return checked


def publish_version(version: ItemVersion, valid_from_on: date, *,
                    exclusion_check=None, actor=None) -> ItemVersion:
    """Publish a draft: from ``valid_from_on`` it governs new applications; it never changes.

    ``exclusion_check`` is the publisher's yes/no to each exclusion ground
    (``check_exclusion_answers``; refused with ``ExclusionsUnconfirmed`` or
    ``ExclusionsMismatch``); the answers are kept on the published version. Refused with
    ``ExcludedFromCommitment`` when the policy's exclusions keep the item off the commitment
    track, with ``VersionIncomplete`` listing every other broken rule, and with
    ``InvalidValidity`` for a date that would change what was in force on a past day.
    """
    if version.status != VersionStatus.draft:
        raise VersionNotDraft("该版本已发布或已停用，不能再次发布。")
    checked = check_exclusion_answers(version, exclusion_check)
    if version.offers_commitment and version.exclusions:
        raise ExcludedFromCommitment(exclusion_message(version.exclusions),
                                     exclusions=list(version.exclusions))
    problems = publication_problems(version)
    if problems:
        raise VersionIncomplete(problems)
    earliest = earliest_valid_from(version.item)
    if earliest is not None and valid_from_on < earliest:
        raise InvalidValidity(
            f"生效日期不能早于 {earliest.isoformat()}：新版本须晚于上一版本的生效日期，且不能早于"
            "今天（已生效的规则不得追溯更改）。")
    version.status = VersionStatus.published
    version.valid_from_on = valid_from_on
    version.published_dt = utcnow()
    version.exclusion_check = checked
    db.session.flush()
    record_audit("catalogue.version_published", object_type="item_version",
                 object_id=version.id, actor=actor,
                 changes={"item": version.item.code, "version": version.number,
                          "valid_from_on": valid_from_on, "exclusion_check": checked})
    return version


def retire_version(version: ItemVersion, retired_on: date, *, actor=None) -> ItemVersion:
    """Take the item off the list from ``retired_on``: no new application may use it.

    Only the latest published version can be retired, and not with effect in the past.
    Applications already filed keep their version.
    """
    if version.status != VersionStatus.published:
        raise InvalidTransition("只能停用已发布的版本。", code="item_version_not_published")
    later = [v for v in version.item.versions if v.status != VersionStatus.draft
             and v.valid_from_on > version.valid_from_on]
    if later:
        raise InvalidTransition("只能停用最新发布的版本。", code="item_version_not_latest")
    earliest = max(local_today(), version.valid_from_on)
    if retired_on < earliest:
        raise InvalidValidity(f"停用日期不能早于 {earliest.isoformat()}（不得追溯停用，"
                              "也不能早于该版本的生效日期）。")
    version.status = VersionStatus.retired
    version.retired_on = retired_on
    version.retired_dt = utcnow()
    db.session.flush()
    record_audit("catalogue.version_retired", object_type="item_version", object_id=version.id,
                 actor=actor, changes={"item": version.item.code, "version": version.number,
                                       "retired_on": retired_on})
    return version


def discard_draft(version: ItemVersion, *, actor=None) -> None:
    """Delete a draft (the item too, when it was its only version)."""
    if version.status != VersionStatus.draft:
        raise VersionNotDraft("只能删除草稿。")
    item = version.item
    record_audit("catalogue.draft_discarded", object_type="item_version", object_id=version.id,
                 actor=actor, changes={"item": item.code, "version": version.number})
    item.versions.remove(version)
    db.session.delete(version)
    db.session.flush()
    if not item.versions:
        record_audit("catalogue.item_deleted", object_type="item", object_id=item.id,
                     actor=actor, changes={"code": item.code})
        db.session.delete(item)
        db.session.flush()


# --- The rules as data -----------------------------------------------------------------------


def _labelled(member) -> dict[str, str]:
    return {"code": member.value, "label": member.label}


def item_rules_dict(version: ItemVersion) -> dict[str, Any]:
    """The rules of ``version`` as plain JSON-ready data.

    The guide page, the one-time notice (page and PDF) and the API all render this one dict,
    so an applicant sees the same materials, modes and verification rule everywhere.
    """
    until = valid_until(version)
    rule = version.verification_rule
    return {
        "item": {
            "code": version.item.code,
            "name": version.name,
            "version": version.number,
            "status": _labelled(version.status),
            "valid_from_on": version.valid_from_on.isoformat() if version.valid_from_on else None,
            "valid_until_on": until.isoformat() if until else None,
            "legal_basis": version.legal_basis,
        },
        "approval_department": {"code": version.approval_department.code,
                                "name": version.approval_department.name},
        "supervisory_department": {"code": version.supervisory_department.code,
                                   "name": version.supervisory_department.name},
        "applicant_kinds": [_labelled(k) for k in version.applicant_kinds],
        "tracks": [_labelled(t) for t in version.tracks],
        "offers_commitment": version.offers_commitment,
        "time_limits": {"statutory_working_days": version.statutory_limit_days,
                        "promised_working_days": version.promised_limit_days},
        "materials": [
            {
                "code": m.code,
                "name": m.name,
                "required_general": m.required_general,
                "paper_at_counter": m.paper_at_counter,
                "modes": [
                    {**_labelled(mode), "description": mode.description,
                     "supplement_working_days": (m.supplement_days
                                                 if mode == CommitmentMode.supplement else None)}
                    for mode in (m.allowed_modes if version.offers_commitment else [])
                ],
            }
            for m in version.materials
        ],
        "verification": {
            "rule": _labelled(rule),
            "working_days": version.verification_working_days,
            "basis": version.verification_basis,
            "method": _labelled(version.verification_method),
            "checklist": list(version.verification_checklist or []),
            "moved_checks": [_labelled(c) for c in version.moved_check_kinds],
            "report_working_days": VERIFICATION_REPORT_DAYS,
            "summary": verification_summary(version),
        },
        "commitment": {
            "conditions": version.commitment_conditions,
            "content": version.commitment_content,
            "breach_consequences": version.breach_consequences,
        },
        "supervision_measures": version.supervision_measures,
        "exclusions": [_labelled(e) for e in version.exclusion_grounds],
        # the publisher's yes/no to each ground, kept on the published version
        "exclusion_check": ([{**_labelled(g), "applies": bool(version.exclusion_check[g.value])}
                             for g in Exclusion if g.value in version.exclusion_check]
                            if version.exclusion_check is not None else None),
        "qualification_reasons": version.qualification_reasons or "",
        "list_approval_document": version.list_approval_document or "",
        "letter_template_source": version.letter_template_source or "",
        "policy": POLICY_NOTES,
    }


#: What the work plan says to every applicant of a commitment-track item (三（一）、三（二）、
#: 三（四）、二（五）), shown with each item's own rules.
POLICY_NOTES = {
    "choice": "申请人可以自主选择是否采用告知承诺制方式办理；不愿承诺或者无法承诺的，提交全部法定"
              "申请材料，按照一般程序办理。",
    "credit": "采用告知承诺制的，行政审批实施部门通过信用信息共享平台核查申请人的信用记录。申请人"
              "有较严重不良信用记录或者曾作出虚假承诺的，在信用修复前不适用告知承诺制，可以按照一般"
              "程序办理。",
    "decision": "申请人符合适用告知承诺的情形、承诺符合许可条件并按要求提交材料的，行政审批实施部门"
                "当场作出行政许可决定，并将信息同步推送至行业监管部门。",
    "record": "申请人的承诺及履行承诺情况全面纳入信用记录；失信信息推送至河北省信用信息共享平台，"
              "作为分级分类监管的依据。",
    "non_discrimination": "行业监管部门不对通过告知承诺制方式办理的申请人采取歧视性监管措施，依据"
                          "信用风险等级实施分级分类监管。",
}


def verification_summary(version: ItemVersion) -> str:
    """One sentence: who verifies, how, and by when."""
    return (f"{version.supervisory_department.name}在作出准予许可决定后 "
            f"{version.verification_working_days} 个工作日内以{version.verification_method.label}"
            f"方式核查承诺内容是否属实，并在核查结束后 {VERIFICATION_REPORT_DAYS} 个工作日内将结果"
            f"推送至{version.approval_department.name}。")


# --- The letter ------------------------------------------------------------------------------


def render_letter(
    version: ItemVersion,
    applicant_name: str,
    applicant_code: str,
    commitments: Sequence[tuple[Material | str, CommitmentMode | str]],
    date: date,
    signer: str | None = None,
) -> str:
    """Render the commitment letter of ``version`` for an applicant and their chosen modes.

    ``signer`` is the signer line (name, capacity, ID number); without it the letter shows a
    blank to be filled in at signing. A template without ``{{ signer }}`` (published before
    it was required) gets the signer line appended, so every signed letter shows it.

    ``commitments`` pairs each material (object or code) with the chosen mode; a material of
    another version, or a mode it does not allow, raises ``ModeNotAllowed``. The template is
    plain text with placeholders (``render_letter_template``): the values are data, never
    template code, and no template is code either.
    """
    if not version.offers_commitment:
        raise ValidationFailed("该事项不提供告知承诺制。", code="commitment_not_offered")
    choices = []
    for material_ref, mode in commitments:
        material = _own_material(version, material_ref)
        try:
            mode = CommitmentMode(mode)
        except ValueError:
            raise ModeNotAllowed(f"未知的承诺方式“{mode}”。") from None
        if not material.allows(mode):
            raise ModeNotAllowed(f"材料《{material.name}》不允许“{mode.label}”。")
        choices.append((material.code, material.name, mode, material.supplement_days))
    return _render_letter(version, applicant_name, applicant_code, choices,
                          format_letter_date(date), signer)


def _render_letter(version: ItemVersion, applicant_name: str, applicant_code: str,
                   choices: list, date_text: str, signer: str | None = None) -> str:
    signer_text = signer or UNSIGNED_SIGNER
    try:
        text = render_letter_template(version.letter_template, {
            "applicant_name": applicant_name,
            "applicant_code": applicant_code,
            "item_name": version.name,
            "approval_department_name": version.approval_department.name,
            "commitments": commitment_lines(choices),
            "commitment_conditions": version.commitment_conditions,
            "breach_consequences": version.breach_consequences,
            "signer": signer_text,
            "date": date_text,
        })
        used = {part[0] for part in parse_letter_template(version.letter_template)
                if not isinstance(part, str)}
    except LetterTemplateError as exc:  # a template published before the rule: re-publish it
        raise ValidationFailed(str(exc), code="letter_template_invalid") from None
    if "signer" not in used:  # an older template: the signer is stated below the text
        text = f"{text.rstrip()}\n签署人：{signer_text}"
    return text


def _own_material(version: ItemVersion, ref: Material | str) -> Material:
    code = ref if isinstance(ref, str) else ref.code
    material = version.material(code)
    if material is None or (isinstance(ref, Material) and ref is not material):
        raise ModeNotAllowed(f"材料“{code}”不属于该事项的第 {version.number} 版。")
    return material


def sample_letter(version: ItemVersion) -> str:
    """The letter with blanks for the applicant, listing every material's first allowed mode.

    Shown on the guide as a specimen; the real letter lists the modes the applicant chose.
    """
    if not version.offers_commitment or not version.letter_template:
        return ""
    choices = [(m.code, m.name, m.allowed_modes[0], m.supplement_days)
               for m in version.materials if m.allowed_modes]
    blank = "＿＿＿＿＿＿＿＿"
    return _render_letter(version, blank, blank, choices, "＿＿＿＿年＿＿月＿＿日")


# --- Differences -----------------------------------------------------------------------------

FIELD_LABELS = {
    "name": "事项名称",
    "legal_basis": "设定依据",
    "approval_department": "行政审批实施部门",
    "supervisory_department": "行业监管部门",
    "applicant_kinds": "申请人类型",
    "tracks": "办理程序",
    "statutory_limit_days": "法定办结时限（工作日）",
    "promised_limit_days": "承诺办结时限（工作日）",
    "verification_rule": "核查时限规则",
    "verification_working_days": "核查时限（工作日）",
    "verification_basis": "更短核查时限的依据",
    "verification_method": "核查方式",
    "verification_checklist": "核查要点",
    "moved_checks": "移至审批后的环节",
    "supervision_measures": "事中事后监管措施",
    "commitment_conditions": "承诺条件",
    "commitment_content": "承诺内容",
    "breach_consequences": "违反承诺的后果",
    "exclusions": "不得纳入告知承诺制的情形",
    "letter_template": "告知承诺书文本",
    "qualification_reasons": "纳入告知承诺制的理由",
    "list_approval_document": "事项清单的批准文件",
    "letter_template_source": "告知承诺书所依据的省级文本",
}
MATERIAL_LABELS = {
    "code": "编码",
    "name": "名称",
    "required_general": "一般程序须提交",
    "modes": "承诺方式",
    "supplement_days": "补齐期限（工作日）",
    "paper_at_counter": "须在窗口出示纸质原件",
}


@dataclass
class FieldChange:
    """One field that differs between two versions, shown as text."""

    field: str
    label: str
    old: str
    new: str


@dataclass
class MaterialChange:
    """A material added, removed or changed between two versions."""

    code: str
    name: str
    kind: str  # "added", "removed", "changed"
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        """新增, 删除 or 修改."""
        return {"added": "新增", "removed": "删除", "changed": "修改"}[self.kind]


@dataclass
class VersionDiff:
    """Field-by-field and material-by-material differences from ``old`` to ``new``."""

    old: ItemVersion
    new: ItemVersion
    fields: list[FieldChange]
    materials: list[MaterialChange]

    @property
    def empty(self) -> bool:
        """Whether the two versions say the same."""
        return not self.fields and not self.materials


def _show(value: Any, name: str = "") -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "" or value == ():
        return "（无）"
    if isinstance(value, tuple | list):
        return "\n".join(_show(v) for v in value)
    if isinstance(value, ApplicantKind | Track | VerificationRule | VerificationMethod
                  | MovedCheck | Exclusion | CommitmentMode):
        return value.label
    if name in ("approval_department", "supervisory_department"):
        department = _department(value)
        return f"{department.name}（{value}）" if department else str(value)
    return str(value)


def diff_versions(old: ItemVersion, new: ItemVersion) -> VersionDiff:
    """Compare two versions of one item, field by field and material by material."""
    if old.item_id != new.item_id:
        raise ValidationFailed("只能比较同一事项的两个版本。", code="diff_other_item")
    a, b = version_content(old), version_content(new)
    changes = [FieldChange(name, FIELD_LABELS[name], _show(getattr(a, name), name),
                           _show(getattr(b, name), name))
               for name in VERSION_FIELDS if getattr(a, name) != getattr(b, name)]
    return VersionDiff(old, new, changes, _material_changes(a.materials, b.materials))


def _material_changes(old: Iterable[MaterialContent],
                      new: Iterable[MaterialContent]) -> list[MaterialChange]:
    before = {m.code: m for m in old}
    after = {m.code: m for m in new}
    result = []
    for code, material in after.items():
        previous = before.get(code)
        if previous is None:
            result.append(MaterialChange(code, material.name, "added", [
                FieldChange(n, MATERIAL_LABELS[n], "", _show(getattr(material, n)))
                for n in MATERIAL_FIELDS if n != "code"]))
        elif previous != material:
            result.append(MaterialChange(code, material.name, "changed", [
                FieldChange(n, MATERIAL_LABELS[n], _show(getattr(previous, n)),
                            _show(getattr(material, n)))
                for n in MATERIAL_FIELDS if getattr(previous, n) != getattr(material, n)]))
    for code, material in before.items():
        if code not in after:
            result.append(MaterialChange(code, material.name, "removed"))
    return result
