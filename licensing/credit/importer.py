"""Importing the dishonesty list from the platform's file exports (docs/credit-import.md).

Two phases, so that a bad file changes nothing: ``parse_csv`` reads and validates every row
and raises ``CreditImportInvalid`` listing every problem with its line number; only a clean
file reaches ``import_rows``, which writes in the current transaction (the command commits
once at the end). Re-importing the same file changes nothing: a record's natural key is
(applicant kind, code, record type, start date).
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload
from tqdm import tqdm

from licensing.applicants.identity import (
    ApplicantKind,
    mask_code,
    normalise_code,
    validate_credit_code,
    validate_id_number,
)
from licensing.applicants.models import Applicant
from licensing.audit.services import record_audit
from licensing.clock import local_today
from licensing.credit.errors import CreditImportInvalid
from licensing.credit.models import (
    NEUTRAL_TYPES,
    RECORD_TYPE_LABELS,
    CreditRecord,
    CreditRecordStatus,
    CreditRecordType,
    CreditSource,
)
from licensing.credit.services import refresh_risk_level
from licensing.errors import ValidationFailed
from licensing.extensions import db

REQUIRED_COLUMNS = ("code", "name", "record_type", "start_on", "repaired_on")
OPTIONAL_COLUMNS = ("kind", "external_ref", "repair_basis", "source_note", "issuer")
#: Record types a file may carry: the adverse ones (the neutral ones only this system writes).
IMPORTABLE_TYPES = tuple(t for t in CreditRecordType if t not in NEUTRAL_TYPES)
#: Files with at least this many rows show a progress bar on standard error.
PROGRESS_MIN_ROWS = 500
DEFAULT_REPAIR_BASIS = "导入名单记载的信用修复日期"
_CHUNK = 500

_KIND_ALIASES = {
    "enterprise": ApplicantKind.enterprise, "企业": ApplicantKind.enterprise,
    "法人": ApplicantKind.enterprise, "法人和其他组织": ApplicantKind.enterprise,
    "individual": ApplicantKind.individual, "个人": ApplicantKind.individual,
    "自然人": ApplicantKind.individual,
}
_TYPE_ALIASES = {t.value: t for t in IMPORTABLE_TYPES} | {
    RECORD_TYPE_LABELS[t]: t for t in IMPORTABLE_TYPES}


@dataclass(frozen=True)
class ImportRow:
    """One validated row of the file."""

    line: int
    kind: ApplicantKind
    code: str
    name: str
    record_type: CreditRecordType
    start_on: date
    repaired_on: date | None = None
    external_ref: str | None = None
    repair_basis: str | None = None
    source_note: str | None = None
    issuer: str | None = None

    @property
    def dedupe_key(self) -> str:
        """The natural key of the record this row describes."""
        return (f"import:{self.kind.value}:{self.code}:{self.record_type.value}:"
                f"{self.start_on.isoformat()}")


@dataclass
class ImportResult:
    """What an import did."""

    rows: int = 0
    created: int = 0
    repaired: int = 0
    updated: int = 0
    unchanged: int = 0
    applicants_created: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"共{self.rows}行：新增{self.created}条，标记修复{self.repaired}条，"
                f"更新{self.updated}条，未变化{self.unchanged}条；新增申请人{self.applicants_created}个。")


def _parse_date(value: str, label: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}“{value}”不是有效日期（格式YYYY-MM-DD）")
        return None


def _identify(kind_text: str, code_text: str,
              errors: list[str]) -> tuple[ApplicantKind, str] | None:
    code = normalise_code(code_text)
    if not code:
        errors.append("代码（code）不能为空")
        return None
    if kind_text:
        kind = _KIND_ALIASES.get(kind_text.strip().lower()) or _KIND_ALIASES.get(kind_text.strip())
        if kind is None:
            errors.append(f"主体类型（kind）“{kind_text}”无效，应为enterprise或individual")
            return None
        try:
            validator = (validate_credit_code if kind == ApplicantKind.enterprise
                         else validate_id_number)
            return kind, validator(code)
        except ValidationFailed as exc:
            errors.append(exc.message)
            return None
    matches, problems = [], []
    for kind, validator in ((ApplicantKind.enterprise, validate_credit_code),
                            (ApplicantKind.individual, validate_id_number)):
        try:
            matches.append((kind, validator(code)))
        except ValidationFailed as exc:
            problems.append(exc.message.rstrip("。"))
    if len(matches) == 1:
        return matches[0]
    if matches:
        errors.append("代码既像统一社会信用代码又像身份证号码，请填写kind列")
    elif not code[:17].isdigit():  # letters: it can only be meant as a credit code
        errors.append(problems[0])
    else:
        errors.append(f"代码“{code[:20]}”无效：按统一社会信用代码，{problems[0]}；"
                      f"按居民身份证号码，{problems[1]}")
    return None


def parse_csv(content: bytes | str) -> tuple[list[ImportRow], list[str]]:
    """Validate a whole file; return its rows and warnings, or raise ``CreditImportInvalid``.

    ``details['errors']`` of the exception is a list of ``(line, message)``, line 1 being the
    header, every problem of every row included.
    """
    errors: list[tuple[int, str]] = []
    warnings: list[str] = []
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = content[:exc.start].count(b"\n") + 1
            raise CreditImportInvalid(errors=[(line, "文件不是UTF-8编码（请另存为UTF-8格式的CSV）")]
                                      ) from None
    else:
        text = content.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CreditImportInvalid(errors=[(1, "文件为空，缺少表头行")]) from None
    except csv.Error as exc:
        raise CreditImportInvalid(errors=[(1, f"表头无法解析：{exc}")]) from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if missing:
        errors.append((1, f"表头缺少必需的列：{', '.join(missing)}"))
    if duplicated:
        errors.append((1, f"表头中的列重复：{', '.join(duplicated)}"))
    if errors:
        raise CreditImportInvalid(errors=errors)
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        warnings.append(f"忽略未知的列：{', '.join(unknown)}")

    today = local_today()
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    previous_end = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((reader.line_num, f"无法解析：{exc}"))
            break
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(v.strip() for v in values):
            continue
        problems: list[str] = []
        if len(values) != len(columns):
            errors.append((line, f"列数为{len(values)}，与表头的{len(columns)}列不一致"))
            continue
        cell = {c: v.strip() for c, v in zip(columns, values, strict=True)}
        identity = _identify(cell.get("kind", ""), cell["code"], problems)
        name = " ".join(cell["name"].split())
        if not name:
            problems.append("名称（name）不能为空")
        elif len(name) > 200:
            problems.append("名称（name）不能超过200个字")
        record_type = _TYPE_ALIASES.get(cell["record_type"]) or _TYPE_ALIASES.get(
            cell["record_type"].lower())
        if record_type is None:
            allowed = "、".join(t.value for t in IMPORTABLE_TYPES)
            problems.append(f"记录类型（record_type）“{cell['record_type']}”无效，应为：{allowed}")
        start_on = repaired_on = None
        if not cell["start_on"]:
            problems.append("认定日期（start_on）不能为空")
        else:
            start_on = _parse_date(cell["start_on"], "认定日期（start_on）", problems)
        if cell["repaired_on"]:
            repaired_on = _parse_date(cell["repaired_on"], "修复日期（repaired_on）", problems)
        if start_on and start_on > today:
            problems.append("认定日期（start_on）不能晚于今天")
        if repaired_on and repaired_on > today:
            problems.append("修复日期（repaired_on）不能晚于今天")
        if start_on and repaired_on and repaired_on < start_on:
            problems.append("修复日期（repaired_on）不能早于认定日期（start_on）")
        for column, limit in (("external_ref", 100), ("issuer", 200),
                              ("repair_basis", 2000), ("source_note", 2000)):
            if len(cell.get(column, "")) > limit:
                problems.append(f"{column}不能超过{limit}个字")
        if cell.get("repair_basis") and not cell["repaired_on"]:
            problems.append("填写了修复依据（repair_basis）但没有修复日期（repaired_on）")
        if problems or identity is None or record_type is None or start_on is None:
            errors.extend((line, p) for p in problems)
            continue
        row = ImportRow(
            line=line, kind=identity[0], code=identity[1], name=name, record_type=record_type,
            start_on=start_on, repaired_on=repaired_on,
            external_ref=cell.get("external_ref") or None,
            repair_basis=cell.get("repair_basis") or None,
            source_note=cell.get("source_note") or None,
            issuer=cell.get("issuer") or None,
        )
        first = seen.get(row.dedupe_key)
        if first is not None:
            errors.append((line, f"与第{first}行重复（同一主体、记录类型和认定日期）"))
            continue
        seen[row.dedupe_key] = line
        rows.append(row)
    if errors:
        raise CreditImportInvalid(f"导入文件有{len(errors)}处错误，未导入任何记录。",
                                  errors=errors)
    return rows, warnings


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def import_rows(rows: Sequence[ImportRow], *, source_name: str = "", digest: str = "",
                progress: bool = True, actor=None) -> ImportResult:
    """Write validated rows into the local registry (idempotent); flushes, never commits.

    A new natural key creates a record (``source=local_import``). A known one is updated:
    a repair date appearing marks it repaired, and reference, issuer and note follow the file.
    A file never revives a record: one repaired or withdrawn here stays so. New applicants are
    registered (the last name the file gives wins). Every applicant and record created or
    changed is audited (codes masked), and the import as a whole once more. Works in batches
    of ``_CHUNK`` rows (one flush each), so large files stay fast.
    """
    result = ImportResult(rows=len(rows))
    names = {(r.kind, r.code): r.name for r in rows}
    applicants = _register_applicants(names, result, actor)
    existing: dict[str, CreditRecord] = {}
    for chunk in _chunks([r.dedupe_key for r in rows]):
        for record in db.session.scalars(select(CreditRecord).where(
                CreditRecord.dedupe_key.in_(list(chunk)))):
            existing[record.dedupe_key] = record
    touched: dict[int, Applicant] = {}

    bar = tqdm(total=len(rows), file=sys.stderr, unit="行", desc="导入信用记录",
               disable=not progress or len(rows) < PROGRESS_MIN_ROWS)
    with bar:
        for chunk in _chunks(rows):
            created = []
            for row in chunk:
                applicant = applicants[(row.kind, row.code)]
                record = existing.get(row.dedupe_key)
                if record is None:
                    created.append((row, _new_record(row, applicant)))
                    result.created += 1
                    touched[applicant.id] = applicant
                else:
                    outcome = _update(row, record, applicant, actor)
                    setattr(result, outcome, getattr(result, outcome) + 1)
                    if outcome != "unchanged":
                        touched[applicant.id] = applicant
            db.session.flush()
            for row, record in created:
                record_audit("credit.record.imported", object_type="credit_record",
                             object_id=record.id, actor=actor,
                             changes={"applicant_id": record.applicant_id,
                                      "code": mask_code(row.kind, row.code),
                                      "record_type": row.record_type, "start_on": row.start_on,
                                      "repaired_on": row.repaired_on, "line": row.line})
            bar.update(len(chunk))
    _refresh_levels(list(touched.values()), actor)
    record_audit("credit.import", object_type="credit_import", object_id=digest[:16] or "-",
                 actor=actor,
                 changes={"file": source_name, "sha256": digest, "rows": result.rows,
                          "created": result.created, "repaired": result.repaired,
                          "updated": result.updated, "unchanged": result.unchanged,
                          "applicants_created": result.applicants_created})
    db.session.flush()
    return result


def _register_applicants(names: dict[tuple[ApplicantKind, str], str], result: ImportResult,
                         actor) -> dict[tuple[ApplicantKind, str], Applicant]:
    """Load the file's applicants, registering the new ones in bulk (codes already valid)."""
    applicants: dict[tuple[ApplicantKind, str], Applicant] = {}
    identities = list(names)
    for chunk in _chunks(identities):
        for applicant in db.session.scalars(select(Applicant).where(
                tuple_(Applicant.kind, Applicant.code).in_(list(chunk)))):
            applicants[(applicant.kind, applicant.code)] = applicant
    renamed = []
    for identity, applicant in applicants.items():
        if applicant.name != names[identity]:
            renamed.append((applicant, applicant.name))
            applicant.name = names[identity]
    new = [Applicant(kind=kind, code=code, name=names[(kind, code)])
           for kind, code in identities if (kind, code) not in applicants]
    db.session.add_all(new)
    db.session.flush()
    for applicant in new:
        applicants[(applicant.kind, applicant.code)] = applicant
        record_audit("applicant.created", object_type="applicant", object_id=applicant.id,
                     actor=actor, changes={"kind": applicant.kind, "code": applicant.masked_code,
                                           "name": applicant.name, "via": "credit_import"})
    for applicant, old_name in renamed:
        record_audit("applicant.updated", object_type="applicant", object_id=applicant.id,
                     actor=actor, changes={"name": [old_name, applicant.name],
                                           "via": "credit_import"})
    result.applicants_created = len(new)
    return applicants


def _refresh_levels(applicants: list[Applicant], actor) -> None:
    """Recompute the risk level of the touched applicants, reading their records in batches."""
    for chunk in _chunks(applicants):
        by_applicant: dict[int, list[CreditRecord]] = {a.id: [] for a in chunk}
        for record in db.session.scalars(
                select(CreditRecord).options(selectinload(CreditRecord.objections))
                .where(CreditRecord.applicant_id.in_(list(by_applicant)),
                       CreditRecord.record_type.not_in(list(NEUTRAL_TYPES)))):
            by_applicant[record.applicant_id].append(record)
        for applicant in chunk:
            refresh_risk_level(applicant, records=by_applicant[applicant.id], actor=actor,
                               flush=False)
        db.session.flush()


def _new_record(row: ImportRow, applicant: Applicant) -> CreditRecord:
    repaired = row.repaired_on is not None
    record = CreditRecord(
        applicant_id=applicant.id, source=CreditSource.local_import,
        record_type=row.record_type,
        status=CreditRecordStatus.repaired if repaired else CreditRecordStatus.active,
        start_on=row.start_on, repaired_on=row.repaired_on,
        repair_basis=(row.repair_basis or DEFAULT_REPAIR_BASIS) if repaired else None,
        external_ref=row.external_ref, dedupe_key=row.dedupe_key, issuer=row.issuer,
        summary=row.source_note)
    db.session.add(record)
    return record


def _update(row: ImportRow, record: CreditRecord, applicant: Applicant, actor) -> str:
    changes: dict[str, list] = {}
    outcome = "unchanged"
    if (row.repaired_on is not None and record.status == CreditRecordStatus.active):
        basis = row.repair_basis or DEFAULT_REPAIR_BASIS
        changes["status"] = [record.status, CreditRecordStatus.repaired]
        changes["repaired_on"] = [record.repaired_on, row.repaired_on]
        changes["repair_basis"] = [record.repair_basis, basis]
        record.status = CreditRecordStatus.repaired
        record.repaired_on = row.repaired_on
        record.repair_basis = basis
        outcome = "repaired"
    for attribute, value in (("external_ref", row.external_ref), ("issuer", row.issuer),
                             ("summary", row.source_note)):
        if value is not None and getattr(record, attribute) != value:
            changes[attribute] = [getattr(record, attribute), value]
            setattr(record, attribute, value)
            if outcome == "unchanged":
                outcome = "updated"
    if changes:
        record_audit("credit.record.import_updated", object_type="credit_record",
                     object_id=record.id, actor=actor,
                     changes={"applicant_id": applicant.id,
                              "code": mask_code(row.kind, row.code), "line": row.line,
                              **changes})
    return outcome


def import_file(content: bytes, *, source_name: str = "", progress: bool = True,
                actor=None) -> ImportResult:
    """Validate and import a whole file in the current transaction (the caller commits)."""
    rows, warnings = parse_csv(content)
    result = import_rows(rows, source_name=source_name,
                         digest=hashlib.sha256(content).hexdigest(), progress=progress,
                         actor=actor)
    result.warnings = warnings
    return result

