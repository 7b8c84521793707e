"""The content of an item version as plain data, and the rules it must satisfy.

``VersionContent`` is what the YAML file, the edit form and a stored ``ItemVersion`` have in
common: comparing two of them tells whether anything changed (idempotent import), and
``content_problems`` is the one place the catalogue's rules are written down, for the importer,
the edit form and publishing alike. No database access here: department codes are checked by
the services.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, fields
from typing import Any

from licensing.catalogue.models import (
    PUBLIC_INTEREST_VERIFICATION_DAYS,
    STANDARD_VERIFICATION_DAYS,
    ApplicantKind,
    CommitmentMode,
    Exclusion,
    MovedCheck,
    Track,
    VerificationMethod,
    VerificationRule,
)

#: Placeholders a letter template may use (docs/catalogue-format.md).
LETTER_PLACEHOLDERS = frozenset({
    "applicant_name", "applicant_code", "item_name", "approval_department_name",
    "commitments", "commitment_conditions", "breach_consequences", "signer", "date",
})
#: Placeholders the letter of a commitment-track item must contain: who commits, to which
#: item, on what conditions, which materials in which modes, what breaking it costs, who
#: signs and when.
REQUIRED_LETTER_PLACEHOLDERS = ("applicant_name", "item_name", "commitment_conditions",
                                "commitments", "breach_consequences", "signer", "date")
#: What ``{{ signer }}`` shows before the letter is signed.
UNSIGNED_SIGNER = "（签署时填写签署人姓名、身份和身份证号码）"

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
MAX_SUPPLEMENT_DAYS = 120
MAX_LIMIT_DAYS = 365
MAX_MATERIALS = 50

#: The policy clause every exclusion refers to.
EXCLUSION_CLAUSE = "工作方案 二（一）"
#: The dual-track rule: whoever will not or cannot commit goes the general way (工作方案 三（一）).
DUAL_TRACK_MESSAGE = ("提供告知承诺制的事项必须同时提供一般程序：“申请人不愿承诺或者无法承诺的，"
                      "应当提交法定申请材料，按照一般程序办理”（工作方案 三（一））。")

Path = tuple[str | int, ...]


def _ordered(members, enum_cls) -> tuple:
    """Members of ``enum_cls`` in definition order, without duplicates."""
    wanted = {enum_cls(m) for m in members}
    return tuple(m for m in enum_cls if m in wanted)


@dataclass(frozen=True)
class MaterialContent:
    """One material as plain data."""

    code: str
    name: str
    required_general: bool = True
    modes: tuple[CommitmentMode, ...] = ()
    supplement_days: int | None = None
    paper_at_counter: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", _ordered(self.modes, CommitmentMode))


@dataclass(frozen=True)
class VersionContent:
    """Everything an item version says, as plain data (departments by code)."""

    name: str
    approval_department: str
    supervisory_department: str
    legal_basis: str = ""
    applicant_kinds: tuple[ApplicantKind, ...] = (ApplicantKind.enterprise,)
    tracks: tuple[Track, ...] = (Track.general,)
    statutory_limit_days: int = 20
    promised_limit_days: int = 20
    verification_rule: VerificationRule = VerificationRule.standard
    verification_working_days: int = STANDARD_VERIFICATION_DAYS
    verification_basis: str = ""
    verification_method: VerificationMethod = VerificationMethod.on_site
    verification_checklist: tuple[str, ...] = ()
    moved_checks: tuple[MovedCheck, ...] = ()
    supervision_measures: str = ""
    commitment_conditions: str = ""
    commitment_content: str = ""
    breach_consequences: str = ""
    exclusions: tuple[Exclusion, ...] = ()
    letter_template: str = ""
    #: The licence's validity in years (有效期); ``None`` for a licence without a term.
    licence_validity_years: int | None = None
    #: Why the item qualifies for the list (工作方案 二（一）: 风险可控、纠错成本低……).
    qualification_reasons: str = ""
    #: The document that approved the list the item is on (e.g. 定政办字〔2022〕96号).
    list_approval_document: str = ""
    #: The provincial standard letter (省行业主管部门制定的告知承诺书) the template follows.
    letter_template_source: str = ""
    materials: tuple[MaterialContent, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "applicant_kinds", _ordered(self.applicant_kinds, ApplicantKind))
        set_(self, "tracks", _ordered(self.tracks, Track))
        set_(self, "moved_checks", _ordered(self.moved_checks, MovedCheck))
        set_(self, "exclusions", _ordered(self.exclusions, Exclusion))
        set_(self, "verification_rule", VerificationRule(self.verification_rule))
        set_(self, "verification_method", VerificationMethod(self.verification_method))
        set_(self, "verification_checklist", tuple(self.verification_checklist))
        set_(self, "materials", tuple(self.materials))
        for name in TEXT_FIELDS:
            set_(self, name, (getattr(self, name) or "").strip())

    @property
    def offers_commitment(self) -> bool:
        """Whether the commitment track is offered."""
        return Track.commitment in self.tracks


#: Free-text fields, stripped of surrounding white space everywhere.
TEXT_FIELDS = ("name", "legal_basis", "verification_basis", "supervision_measures",
               "commitment_conditions", "commitment_content", "breach_consequences",
               "letter_template", "qualification_reasons", "list_approval_document",
               "letter_template_source")
VERSION_FIELDS = tuple(f.name for f in fields(VersionContent) if f.name != "materials")
MATERIAL_FIELDS = tuple(f.name for f in fields(MaterialContent))


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (a path in the YAML item's terms) and what, in Chinese."""

    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


#: Where each content field lives in the YAML format (the paths ``Problem`` uses).
YAML_PATHS: dict[str, Path] = {
    "verification_rule": ("verification", "rule"),
    "verification_working_days": ("verification", "working_days"),
    "verification_basis": ("verification", "basis"),
    "verification_method": ("verification", "method"),
    "verification_checklist": ("verification", "checklist"),
    "moved_checks": ("verification", "moved_checks"),
}


def yaml_path(field_name: str) -> Path:
    """The YAML path of a version field."""
    return YAML_PATHS.get(field_name, (field_name,))


# --- The rules -------------------------------------------------------------------------------

def exclusion_message(exclusions) -> str:
    """The refusal for an item whose exclusions keep it off the commitment track."""
    labels = "、".join(Exclusion(e).label for e in exclusions)
    return f"该事项{labels}，不得纳入告知承诺制（{EXCLUSION_CLAUSE}）"


def exclusion_problem(content: VersionContent) -> Problem | None:
    """The policy's exclusion rule: an excluded item cannot offer the commitment track."""
    if content.offers_commitment and content.exclusions:
        return Problem(("exclusions",), exclusion_message(content.exclusions))
    return None


def content_problems(content: VersionContent, *, complete: bool = True) -> list[Problem]:
    """Return every rule ``content`` breaks, in field order.

    With ``complete=False`` only the rules a draft must keep are checked (the database's own
    constraints, the letter template's syntax, unique material codes), so an administrator can
    save work in progress. Publishing and importing check ``complete=True``: texts filled in,
    the commitment track's rules, and the policy's exclusions.
    """
    problems: list[Problem] = []

    def add(path: Path, message: str) -> None:
        problems.append(Problem(path, message))

    if not content.name:
        add(("name",), "事项名称不能为空。")
    elif len(content.name) > 200:
        add(("name",), "事项名称不能超过 200 个字。")
    if complete and not content.legal_basis:
        add(("legal_basis",), "请填写设定依据。")
    if not content.applicant_kinds:
        add(("applicant_kinds",), "至少选择一类申请人（企业或个人）。")
    if not content.tracks:
        add(("tracks",), "至少提供一种办理程序（一般程序或告知承诺制）。")
    elif content.offers_commitment and Track.general not in content.tracks:
        # Checked on drafts too: the database refuses such a row (commitment_requires_general).
        add(("tracks",), DUAL_TRACK_MESSAGE)

    if not 0 < content.statutory_limit_days <= MAX_LIMIT_DAYS:
        add(("statutory_limit_days",), f"法定办结时限应为 1–{MAX_LIMIT_DAYS} 个工作日。")
    if not 0 <= content.promised_limit_days <= max(content.statutory_limit_days, 0):
        add(("promised_limit_days",), "承诺办结时限不能超过法定办结时限，也不能为负数。")

    problems.extend(_verification_problems(content))

    exclusion = exclusion_problem(content)
    if complete and exclusion is not None:
        problems.append(exclusion)
    if complete and content.offers_commitment:
        for name, label in (("commitment_conditions", "承诺条件"),
                            ("commitment_content", "承诺内容"),
                            ("breach_consequences", "违反承诺的后果"),
                            ("supervision_measures", "事中事后监管措施"),
                            ("qualification_reasons",
                             "纳入告知承诺制的理由（风险可控、纠错成本低、不会产生严重危害后果）"),
                            ("list_approval_document", "事项清单的批准文件"),
                            ("letter_template_source",
                             "告知承诺书所依据的省行业主管部门告知承诺书文本")):
            if not getattr(content, name):
                add((name,), f"提供告知承诺制的事项必须写明{label}。")
        if not content.verification_checklist:
            add(("verification", "checklist"), "提供告知承诺制的事项必须列出核查要点。")

    problems.extend(letter_template_problems(content.letter_template,
                                             required=complete and content.offers_commitment))
    problems.extend(_material_problems(content, complete))
    return problems


def _verification_problems(content: VersionContent) -> list[Problem]:
    problems = []
    days = content.verification_working_days
    rule = content.verification_rule
    where = yaml_path("verification_working_days")
    if not 0 < days <= STANDARD_VERIFICATION_DAYS:
        problems.append(Problem(where, "核查时限应为 1–60 个工作日（工作方案 三（三））。"))
    elif rule == VerificationRule.standard and days != STANDARD_VERIFICATION_DAYS:
        problems.append(Problem(where, "一般事项的核查时限为 60 个工作日；时限更短的，"
                                       "请选择“本事项规定了更短的核查时限”并写明依据。"))
    elif rule == VerificationRule.public_interest and days != PUBLIC_INTEREST_VERIFICATION_DAYS:
        problems.append(Problem(where, "涉及社会公共利益、第三方利益平衡的事项，核查时限为 7 个"
                                       "工作日（工作方案 三（三））。"))
    elif rule == VerificationRule.item_specific and days >= STANDARD_VERIFICATION_DAYS:
        problems.append(Problem(where, "本事项规定的核查时限必须短于 60 个工作日。"))
    if rule == VerificationRule.item_specific and not content.verification_basis:
        problems.append(Problem(yaml_path("verification_basis"),
                                "规定了更短核查时限的，必须写明其依据。"))
    if any(not str(point).strip() for point in content.verification_checklist):
        problems.append(Problem(yaml_path("verification_checklist"), "核查要点不能为空行。"))
    return problems


def _material_problems(content: VersionContent, complete: bool) -> list[Problem]:
    problems = []
    if complete and not content.materials:
        problems.append(Problem(("materials",), "至少列出一项申请材料。"))
    if len(content.materials) > MAX_MATERIALS:
        problems.append(Problem(("materials",), f"申请材料不能超过 {MAX_MATERIALS} 项。"))
    seen: set[str] = set()
    for index, material in enumerate(content.materials):
        at = ("materials", index)
        if not CODE_RE.match(material.code or ""):
            problems.append(Problem((*at, "code"), f"材料编码“{material.code}”无效：只能用字母、"
                                                   "数字、下划线、点和连字符，最长 32 位。"))
        elif material.code in seen:
            problems.append(Problem((*at, "code"), f"材料编码“{material.code}”重复。"))
        seen.add(material.code)
        if not material.name.strip():
            problems.append(Problem((*at, "name"), "材料名称不能为空。"))
        elif len(material.name) > 200:
            problems.append(Problem((*at, "name"), "材料名称不能超过 200 个字。"))
        supplement = CommitmentMode.supplement in material.modes
        if supplement and material.supplement_days is None:
            problems.append(Problem((*at, "supplement_days"),
                                    "允许“承诺限期补齐补全”的材料必须写明补齐期限（工作日）。"))
        elif supplement and not 0 < material.supplement_days <= MAX_SUPPLEMENT_DAYS:
            problems.append(Problem((*at, "supplement_days"),
                                    f"补齐期限应为 1–{MAX_SUPPLEMENT_DAYS} 个工作日。"))
        elif not supplement and material.supplement_days is not None:
            problems.append(Problem((*at, "supplement_days"),
                                    "只有允许“承诺限期补齐补全”的材料才有补齐期限。"))
        if complete and material.modes and not content.offers_commitment:
            problems.append(Problem((*at, "modes"),
                                    "只提供一般程序的事项，材料不能设置承诺方式。"))
    if complete and content.offers_commitment and content.materials and not any(
            m.modes for m in content.materials):
        problems.append(Problem(("materials",), "提供告知承诺制的事项，至少一项材料应允许以"
                                                "承诺方式办理。"))
    return problems


# --- Letter templates ------------------------------------------------------------------------

#: The only filters a placeholder may carry: ``{{ applicant_name | trim }}``.
LETTER_FILTERS: dict[str, Any] = {"trim": str.strip, "upper": str.upper, "lower": str.lower}
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([A-Za-z_]+)\s*)?\}\}")
MAX_LETTER_TEMPLATE = 20_000


class LetterTemplateError(ValueError):
    """A letter template that is not plain text with placeholders."""


def parse_letter_template(source: str) -> list[str | tuple[str, str | None]]:
    """Split a letter template into text and ``(placeholder, filter)`` parts.

    Compiled once per process and template text (templates of published versions never
    change; a rendering parses the same text again and again: issue 18).

    A letter template is data, not code: plain text with ``{{ name }}`` placeholders (each
    with at most one filter of ``LETTER_FILTERS``), no tags, loops or expressions. Rendering
    is one pass over the parts, so its cost is linear in the template's length (a template
    engine's nested loops took 22 seconds an intake: issue 19). Raises
    ``LetterTemplateError`` with a Chinese message.
    """
    return list(_parsed_letter_template(source))


@functools.lru_cache(maxsize=512)
def _parsed_letter_template(source: str) -> tuple[str | tuple[str, str | None], ...]:
    if len(source) > MAX_LETTER_TEMPLATE:
        raise LetterTemplateError(f"告知承诺书文本不能超过 {MAX_LETTER_TEMPLATE} 个字符。")
    parts: list[str | tuple[str, str | None]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(source):
        parts.append(source[position:match.start()])
        name, filter_name = match.group(1), match.group(2)
        if filter_name is not None and filter_name not in LETTER_FILTERS:
            allowed = "、".join(LETTER_FILTERS)
            raise LetterTemplateError(f"告知承诺书文本使用了不允许的过滤器：{filter_name}"
                                      f"（可用：{allowed}）。")
        parts.append((name, filter_name))
        position = match.end()
    parts.append(source[position:])
    for text in parts:
        if not isinstance(text, str):
            continue
        for marker in ("{{", "}}", "{%", "%}", "{#", "#}"):
            if marker in text:
                line = source[:source.find(marker)].count("\n") + 1
                raise LetterTemplateError(
                    f"告知承诺书文本只能使用 {{{{ 占位符 }}}}，不能使用标签、循环或表达式"
                    f"（约第 {line} 行：“{marker}”）。")
    return tuple(parts)


def render_letter_template(source: str, values: dict[str, Any]) -> str:
    """Fill a letter template's placeholders with ``values`` (each printed with ``str``).

    Line breaks are normalised to ``\\n`` and one final line break is dropped, as the earlier
    Jinja rendering did, so letters render to the same text (and digest) as before.
    """
    out = []
    for part in parse_letter_template(source.replace("\r\n", "\n").replace("\r", "\n")):
        if isinstance(part, str):
            out.append(part)
            continue
        name, filter_name = part
        if name not in values:
            raise LetterTemplateError(f"告知承诺书文本使用了未知的占位符：{name}。")
        text = str(values[name])
        out.append(LETTER_FILTERS[filter_name](text) if filter_name else text)
    text = "".join(out)
    return text[:-1] if text.endswith("\n") else text


def letter_template_problems(source: str, *, required: bool) -> list[Problem]:
    """Check a letter template's placeholders; ``required`` for commitment items."""
    where = ("letter_template",)
    if not source.strip():
        return [Problem(where, "提供告知承诺制的事项必须有告知承诺书文本。")] if required else []
    try:
        parts = parse_letter_template(source)
    except LetterTemplateError as exc:
        return [Problem(where, str(exc))]
    used = {part[0] for part in parts if not isinstance(part, str)}
    problems = []
    unknown = sorted(used - LETTER_PLACEHOLDERS)
    if unknown:
        allowed = "、".join(sorted(LETTER_PLACEHOLDERS))
        problems.append(Problem(where, f"告知承诺书文本使用了未知的占位符：{'、'.join(unknown)}"
                                       f"（可用：{allowed}）。"))
    if required:
        missing = [name for name in REQUIRED_LETTER_PLACEHOLDERS if name not in used]
        if missing:
            problems.append(Problem(where, "告知承诺书文本必须包含占位符："
                                           + "、".join(f"{{{{ {n} }}}}" for n in missing) + "。"))
    return problems


@dataclass(frozen=True)
class CommitmentLine:
    """One chosen commitment, printed as one numbered line of ``{{ commitments }}``."""

    number: int
    material_code: str
    material_name: str
    mode: str
    mode_label: str
    supplement_days: int | None = None

    @property
    def text(self) -> str:
        """The line as printed: ``1. 《材料》：承诺限期补齐补全（决定后 10 个工作日内）``."""
        line = f"{self.number}. 《{self.material_name}》：{self.mode_label}"
        if self.supplement_days is not None:
            line += f"（在许可决定后 {self.supplement_days} 个工作日内补齐）"
        return line

    def __str__(self) -> str:
        return self.text


class CommitmentList(list):
    """The chosen commitments; ``{{ commitments }}`` prints one numbered line each."""

    def __str__(self) -> str:
        return "\n".join(str(line) for line in self)


def commitment_lines(choices) -> CommitmentList:
    """Build the letter's commitment list from ``(code, name, mode, supplement_days)`` tuples."""
    lines = CommitmentList()
    for number, (code, name, mode, supplement_days) in enumerate(choices, start=1):
        mode = CommitmentMode(mode)
        lines.append(CommitmentLine(
            number=number, material_code=code, material_name=name, mode=mode.value,
            mode_label=mode.label,
            supplement_days=supplement_days if mode == CommitmentMode.supplement else None))
    return lines


def format_letter_date(day) -> str:
    """A date as written in a Chinese letter: ``2022年12月1日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def sample_letter_values() -> dict[str, Any]:
    """Values to try a letter template with."""
    return {"applicant_name": "示例有限公司", "applicant_code": "91130682MA0000000X",
            "item_name": "示例事项", "approval_department_name": "市行政审批局",
            "commitments": commitment_lines([("M01", "示例材料", "supplement", 10),
                                             ("M02", "示例材料二", "substitute", None)]),
            "commitment_conditions": "示例许可条件", "breach_consequences": "示例违诺后果",
            "signer": "张三（法定代表人（负责人），身份证号码 130682********0011）",
            "date": "2022年12月1日"}
