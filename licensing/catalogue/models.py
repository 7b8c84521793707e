"""Items of the city's list, their versions and the materials of each version.

An ``Item`` is the stable identity (its code); everything the rules say lives on an
``ItemVersion``. A published version never changes: an application keeps a foreign key to the
exact version it was filed under, and the rules it was told must stay the rules it is judged by.
Editing makes a new draft; publishing gives it a validity date. The guard at the bottom of this
module refuses, at flush time, any change to a published or retired version and its materials,
whoever attempts it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from licensing.auth.models import Department
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum

#: Working days within which the supervisory department must verify a commitment (工作方案
#: 三（三）): 60 as the rule, 7 for items touching public interest or third parties.
STANDARD_VERIFICATION_DAYS = 60
PUBLIC_INTEREST_VERIFICATION_DAYS = 7
#: Working days after the check within which the result reaches the approval department.
VERIFICATION_REPORT_DAYS = 5


class _Labelled(enum.StrEnum):
    """A StrEnum whose members carry a Chinese label (``LABELS`` on the subclass)."""

    @property
    def label(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:
        raise NotImplementedError

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Return ``(value, label)`` pairs, in definition order (for forms)."""
        return [(member.value, member.label) for member in cls]


class ApplicantKind(_Labelled):
    """Who may apply for an item."""

    enterprise = "enterprise"
    individual = "individual"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"enterprise": "企业（法人和其他组织）", "individual": "个人"}


class Track(_Labelled):
    """The two procedures of the dual-track system (双轨制)."""

    general = "general"
    commitment = "commitment"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"general": "一般程序", "commitment": "告知承诺制"}


class VersionStatus(_Labelled):
    """Where a version is in its life: only drafts can change."""

    draft = "draft"
    published = "published"
    retired = "retired"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"draft": "草稿", "published": "已发布", "retired": "已停用"}


class VerificationRule(_Labelled):
    """Which deadline for the on-site verification applies (工作方案 三（三）)."""

    standard = "standard"
    public_interest = "public_interest"
    item_specific = "item_specific"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "standard": "一般事项：作出许可决定后 60 个工作日内核查",
            "public_interest": "涉及社会公共利益、第三方利益平衡的事项：7 个工作日内核查",
            "item_specific": "本事项规定了更短的核查时限",
        }


class VerificationMethod(_Labelled):
    """How the commitment is checked."""

    on_site = "on_site"
    written = "written"
    online = "online"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"on_site": "现场核查", "written": "书面核查", "online": "网上核查"}


class MovedCheck(_Labelled):
    """Checks moved from before the decision into the verification afterwards (三（二）)."""

    site_survey = "site_survey"
    expert_review = "expert_review"
    inspection = "inspection"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"site_survey": "现场勘验", "expert_review": "专家评审",
                "inspection": "检验检疫"}


class Exclusion(_Labelled):
    """The policy's grounds for keeping an item off the commitment track (工作方案 二（一））."""

    national_security = "national_security"
    state_secrets = "state_secrets"
    public_safety = "public_safety"
    financial_prudential = "financial_prudential"
    ecological_protection = "ecological_protection"
    personal_health_life_property = "personal_health_life_property"
    foreign_affairs = "foreign_affairs"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "national_security": "直接涉及国家安全",
            "state_secrets": "直接涉及国家秘密",
            "public_safety": "直接涉及公共安全",
            "financial_prudential": "直接涉及金融业审慎监管",
            "ecological_protection": "直接涉及生态环境保护",
            "personal_health_life_property": "直接关系人身健康、生命财产安全",
            "foreign_affairs": "属于重要涉外事项",
        }


class CommitmentMode(_Labelled):
    """How a commitment stands in for one material (工作方案 二（二））."""

    supplement = "supplement"
    substitute = "substitute"
    exempt_review = "exempt_review"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "supplement": "承诺限期补齐补全",
            "substitute": "承诺代替申请材料",
            "exempt_review": "承诺免于实质审查",
        }

    @property
    def description(self) -> str:
        """What the mode means for the applicant, in one sentence."""
        return {
            "supplement": "申请时可暂不提交，承诺在规定期限内补齐补全。",
            "substitute": "以书面承诺代替该材料，无需提交。",
            "exempt_review": "需要提交，但审批时不作实质审查，由申请人对真实性负责。",
        }[self.value]


class Item(db.Model):
    """A licensing item of the city's list: the identity that stays across versions."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.number", passive_deletes="all"
    )

    @property
    def latest_version(self) -> ItemVersion | None:
        """The highest-numbered version, whatever its status."""
        return self.versions[-1] if self.versions else None

    @property
    def draft(self) -> ItemVersion | None:
        """The draft being edited, if any (there is at most one)."""
        return next((v for v in self.versions if v.status == VersionStatus.draft), None)

    def __repr__(self) -> str:
        return f"<Item {self.code}>"


class ItemVersion(db.Model):
    """One version of an item's rules (告知承诺实施细则). Immutable once published."""

    __tablename__ = "item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "number", name="uq_item_versions_item_id_number"),
        # Two published versions of one item never start on the same day: on any date exactly
        # one version is in force. (NULLs, i.e. drafts, do not collide.)
        UniqueConstraint("item_id", "valid_from_on", name="uq_item_versions_item_id_valid_from"),
        Index("uq_item_versions_one_draft", "item_id", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint(
            "(status = 'draft' AND valid_from_on IS NULL AND published_dt IS NULL)"
            " OR (status <> 'draft' AND valid_from_on IS NOT NULL AND published_dt IS NOT NULL)",
            name="valid_from_iff_published",
        ),
        CheckConstraint(
            "(status = 'retired' AND retired_on IS NOT NULL AND retired_dt IS NOT NULL)"
            " OR (status <> 'retired' AND retired_on IS NULL AND retired_dt IS NULL)",
            name="retired_iff_retired_on",
        ),
        CheckConstraint("retired_on IS NULL OR retired_on >= valid_from_on",
                        name="retired_after_valid_from"),
        CheckConstraint("for_enterprise OR for_individual", name="serves_an_applicant_kind"),
        CheckConstraint("offers_general OR offers_commitment", name="offers_a_track"),
        CheckConstraint("statutory_limit_days > 0", name="statutory_limit_positive"),
        # Dual track (工作方案 三（一）): the commitment track never comes without the general one.
        CheckConstraint("offers_general OR NOT offers_commitment",
                        name="commitment_requires_general"),
        CheckConstraint("promised_limit_days >= 0 AND promised_limit_days <= statutory_limit_days",
                        name="promised_within_statutory"),
        CheckConstraint(
            "verification_working_days > 0 AND verification_working_days <= 60",
            name="verification_days_range",
        ),
        CheckConstraint(
            "verification_rule <> 'standard' OR verification_working_days = 60",
            name="standard_rule_60_days",
        ),
        CheckConstraint(
            "verification_rule <> 'public_interest' OR verification_working_days = 7",
            name="public_interest_rule_7_days",
        ),
        CheckConstraint(
            "verification_rule <> 'item_specific' OR (verification_working_days < 60"
            " AND verification_basis IS NOT NULL AND verification_basis <> '')",
            name="item_specific_rule_shorter_with_basis",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"), index=True)
    item: Mapped[Item] = relationship(back_populates="versions")
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        _enum(VersionStatus, 16), default=VersionStatus.draft, active_history=True
    )
    #: Optimistic lock: incremented by every UPDATE of the row (SQLAlchemy's version counter).
    #: An edit form carries the value it was opened with; a different value means a stale form.
    row_version: Mapped[int] = mapped_column(default=1)

    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    approval_department: Mapped[Department] = relationship(
        foreign_keys=[approval_department_id])
    supervisory_department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id"), index=True)
    supervisory_department: Mapped[Department] = relationship(
        foreign_keys=[supervisory_department_id])
    for_enterprise: Mapped[bool] = mapped_column(default=True)
    for_individual: Mapped[bool] = mapped_column(default=False)
    offers_general: Mapped[bool] = mapped_column(default=True)
    offers_commitment: Mapped[bool] = mapped_column(default=False)
    #: The general track's time limit set by law, in working days (法定办结时限).
    statutory_limit_days: Mapped[int]
    #: The time limit the city promises on the general track, in working days (承诺办结时限).
    promised_limit_days: Mapped[int]

    #: The rule that sets the verification deadline: the supervisory department verifies the
    #: commitment within ``verification_working_days`` working days after the licence decision.
    verification_rule: Mapped[VerificationRule] = mapped_column(
        _enum(VerificationRule, 20), default=VerificationRule.standard)
    verification_working_days: Mapped[int] = mapped_column(default=STANDARD_VERIFICATION_DAYS)
    #: The legal basis of an item-specific shorter verification limit.
    verification_basis: Mapped[str] = mapped_column(Text, default="")
    verification_method: Mapped[VerificationMethod] = mapped_column(
        _enum(VerificationMethod, 16), default=VerificationMethod.on_site)
    #: What the check looks at, one point per entry (list of strings).
    verification_checklist: Mapped[list] = mapped_column(JSON, default=list)
    #: Site surveys, expert reviews, inspections moved after the decision (MovedCheck values).
    moved_checks: Mapped[list] = mapped_column(JSON, default=list)
    supervision_measures: Mapped[str] = mapped_column(Text, default="")
    commitment_conditions: Mapped[str] = mapped_column(Text, default="")
    commitment_content: Mapped[str] = mapped_column(Text, default="")
    breach_consequences: Mapped[str] = mapped_column(Text, default="")
    #: The policy's exclusion grounds the item touches (Exclusion values).
    exclusions: Mapped[list] = mapped_column(JSON, default=list)
    #: The publisher's answer to each exclusion ground, ``{ground: true/false}`` (工作方案
    #: 二（一）): set when the version is published, never changed; ``None`` on a draft and on
    #: versions published before the answers were asked.
    exclusion_check: Mapped[dict | None] = mapped_column(JSON)
    #: Jinja text of the commitment letter, rendered in a sandbox (see services.render_letter).
    letter_template: Mapped[str] = mapped_column(Text, default="")
    #: The licence's validity in years (有效期), counted from the decision; ``None``: no term.
    licence_validity_years: Mapped[int | None] = mapped_column(Integer)
    #: Why the item qualifies for the list (风险可控、纠错成本低、不会产生严重危害后果).
    qualification_reasons: Mapped[str] = mapped_column(Text, default="")
    #: The approval document of the list the item is on (事项清单的批准文件).
    list_approval_document: Mapped[str] = mapped_column(Text, default="")
    #: The provincial standard letter the template follows (省行业主管部门制定的告知承诺书).
    letter_template_source: Mapped[str] = mapped_column(Text, default="")
    #: What changed in this version, written by the administrator.
    change_note: Mapped[str] = mapped_column(String(500), default="")

    #: First day (local date) on which this version governs new applications.
    valid_from_on: Mapped[date | None] = mapped_column(Date)
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: First day on which the item is off the list (the version no longer governs anything new).
    retired_on: Mapped[date | None] = mapped_column(Date)
    retired_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    materials: Mapped[list[Material]] = relationship(
        back_populates="version", order_by="Material.position",
        cascade="all, delete-orphan", passive_deletes=True,
    )

    __mapper_args__: ClassVar[dict] = {"version_id_col": row_version}

    @property
    def code(self) -> str:
        """The item's code."""
        return self.item.code

    @property
    def is_draft(self) -> bool:
        """Only a draft can change."""
        return self.status == VersionStatus.draft

    @property
    def applicant_kinds(self) -> list[ApplicantKind]:
        """The kinds of applicant who may apply, in a stable order."""
        return [k for k, on in ((ApplicantKind.enterprise, self.for_enterprise),
                                (ApplicantKind.individual, self.for_individual)) if on]

    @property
    def tracks(self) -> list[Track]:
        """The procedures offered, in a stable order."""
        return [t for t, on in ((Track.general, self.offers_general),
                                (Track.commitment, self.offers_commitment)) if on]

    @property
    def exclusion_grounds(self) -> list[Exclusion]:
        """The exclusion grounds as enum members."""
        return [Exclusion(value) for value in self.exclusions or []]

    @property
    def moved_check_kinds(self) -> list[MovedCheck]:
        """The moved checks as enum members."""
        return [MovedCheck(value) for value in self.moved_checks or []]

    def material(self, code: str) -> Material | None:
        """Return this version's material with the given code, if any."""
        return next((m for m in self.materials if m.code == code), None)

    def __repr__(self) -> str:
        code = self.item.code if self.item is not None else self.item_id
        return f"<ItemVersion {code} v{self.number} {self.status.value if self.status else ''}>"


class Material(db.Model):
    """One application material of a version, and how a commitment may stand in for it."""

    __tablename__ = "materials"
    __table_args__ = (
        UniqueConstraint("version_id", "code", name="uq_materials_version_id_code"),
        CheckConstraint(
            "(supplement_allowed AND supplement_days IS NOT NULL AND supplement_days > 0)"
            " OR (NOT supplement_allowed AND supplement_days IS NULL)",
            name="supplement_days_iff_supplement",
        ),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("item_versions.id", ondelete="CASCADE"), index=True)
    version: Mapped[ItemVersion] = relationship(back_populates="materials")
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    #: Handed in on the general track (法定申请材料).
    required_general: Mapped[bool] = mapped_column(default=True)
    supplement_allowed: Mapped[bool] = mapped_column(default=False)
    #: Working days after the decision by which a supplemented material is due.
    supplement_days: Mapped[int | None]
    substitute_allowed: Mapped[bool] = mapped_column(default=False)
    exempt_review_allowed: Mapped[bool] = mapped_column(default=False)
    #: The original must be shown on paper at the counter.
    paper_at_counter: Mapped[bool] = mapped_column(default=False)

    @property
    def allowed_modes(self) -> list[CommitmentMode]:
        """The commitment modes allowed for this material, in a stable order."""
        return [mode for mode, on in ((CommitmentMode.supplement, self.supplement_allowed),
                                      (CommitmentMode.substitute, self.substitute_allowed),
                                      (CommitmentMode.exempt_review, self.exempt_review_allowed))
                if on]

    def allows(self, mode: CommitmentMode | str) -> bool:
        """Tell whether the commitment may stand in for this material in ``mode``."""
        return CommitmentMode(mode) in self.allowed_modes

    def __repr__(self) -> str:
        return f"<Material {self.code} of version {self.version_id}>"


# --- Immutability of published versions ------------------------------------------------------

#: Columns that may still change on a published version: its retirement, and nothing else.
_LIFECYCLE_COLUMNS = frozenset({"status", "retired_on", "retired_dt", "row_version"})


class PublishedVersionImmutable(Exception):
    """Raised at flush time when code tries to change a published or retired version.

    Services refuse such edits earlier with a ``DomainError``; this is the last line, so a bug
    or a console session cannot rewrite rules that applications were filed under.
    """


def _committed_status(version: ItemVersion) -> VersionStatus | None:
    """The status as stored in the database, or ``None`` for a version not yet stored."""
    state = inspect(version)
    if state.transient or state.pending:
        return None
    history = state.attrs.status.history
    if history.deleted:
        return VersionStatus(history.deleted[0])
    return version.status


#: What the guard protects: every column, and the relationships that carry content. (A
#: collection another domain might add as a backref is not content and stays free.)
_PROTECTED_RELATIONSHIPS = {
    "ItemVersion": frozenset({"item", "approval_department", "supervisory_department",
                              "materials"}),
    "Material": frozenset({"version"}),
}


def _changed_attributes(obj) -> set[str]:
    """Protected columns and relationships of ``obj`` changed in this session (no SQL)."""
    state = inspect(obj)
    protected = {c.key for c in state.mapper.column_attrs} | _PROTECTED_RELATIONSHIPS[
        type(obj).__name__]
    return {key for key in protected if state.attrs[key].history.has_changes()}


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, ItemVersion):
            before = _committed_status(obj)
            if before in (None, VersionStatus.draft):
                continue
            changed = _changed_attributes(obj)
            illegal = changed - _LIFECYCLE_COLUMNS
            retiring = before == VersionStatus.published and obj.status in (
                VersionStatus.published, VersionStatus.retired)
            if illegal or (changed and not retiring):
                raise PublishedVersionImmutable(
                    f"{obj!r} is {before.value}: refusing to change {sorted(changed)}")
        elif isinstance(obj, Material) and _changed_attributes(obj):
            _check_material_version(obj, "change")
            for previous in inspect(obj).attrs.version.history.deleted:
                if previous is not None:
                    _check_version_open(previous, obj, "move")
    for obj in session.new:
        if isinstance(obj, Material) and obj.version is not None:
            _check_material_version(obj, "add")
    for obj in session.deleted:
        if isinstance(obj, ItemVersion) and _committed_status(obj) not in (
                None, VersionStatus.draft):
            raise PublishedVersionImmutable(f"refusing to delete {obj!r}")
        if isinstance(obj, Material):
            _check_material_version(obj, "delete")


def _check_material_version(material: Material, what: str) -> None:
    if material.version is not None:
        _check_version_open(material.version, material, what)


def _check_version_open(version: ItemVersion, material: Material, what: str) -> None:
    status = _committed_status(version)
    if status not in (None, VersionStatus.draft):
        raise PublishedVersionImmutable(
            f"refusing to {what} {material!r}: its version is {status.value}")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_writes(orm_execute_state) -> None:
    """Bulk UPDATE/DELETE would bypass the flush guard: the catalogue never uses them."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    mapper = orm_execute_state.bind_arguments.get("mapper")
    if mapper is not None and mapper.class_ in (ItemVersion, Material):
        raise PublishedVersionImmutable(
            f"bulk {'update' if orm_execute_state.is_update else 'delete'} of "
            f"{mapper.class_.__name__} is not allowed; use the catalogue services")
