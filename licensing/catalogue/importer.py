"""Importing and exporting the whole catalogue as one YAML file.

An import is all or nothing: the file is read and checked completely first (every problem
reported with its line), then applied through the services in the caller's transaction. The
caller commits, or rolls back on ``CatalogueImportFailed``. Importing a file that matches what
is stored changes nothing, so a repeated import (and the demo loader) is idempotent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from licensing.audit.services import record_audit
from licensing.catalogue.errors import CatalogueImportFailed
from licensing.catalogue.models import Exclusion, Item, ItemVersion, VersionStatus
from licensing.catalogue.services import (
    create_item,
    department_problems,
    earliest_valid_from,
    exclusion_answers,
    publish_version,
    start_draft,
    update_draft,
    version_content,
)
from licensing.catalogue.yaml_format import (
    FileProblem,
    ParsedItem,
    dump_catalogue,
    read_catalogue,
)
from licensing.clock import local_today
from licensing.errors import DomainError
from licensing.extensions import db

EXPORT_HEADER = (
    "# 告知承诺制事项清单（格式说明见 docs/catalogue-format.md）\n"
    "# 导入：flask --app wsgi catalogue import 本文件 [--publish --confirm-exclusions]\n"
)


@dataclass
class ImportReport:
    """What an import did, item codes per outcome."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the import changed anything."""
        return bool(self.created or self.updated or self.published)

    def summary(self) -> str:
        """One line in Chinese."""
        return (f"新建 {len(self.created)} 项，修改草稿 {len(self.updated)} 项，"
                f"发布 {len(self.published)} 项，未变 {len(self.unchanged)} 项。")


@dataclass
class _Step:
    parsed: ParsedItem
    item: Item | None
    action: str  # "create", "update", "new_draft", "publish_draft", "none"


def import_catalogue(
    text: str | bytes,
    *,
    publish: bool = False,
    valid_from_on: date | None = None,
    superseding_valid_from_on: date | None = None,
    exclusions_confirmed: bool = False,
    actor=None,
) -> ImportReport:
    """Import a catalogue file; raise ``CatalogueImportFailed`` listing every problem.

    Each item of the file is compared with the stored item: a new code creates the item; a
    content equal to the latest published version changes nothing; otherwise the content goes
    into the item's draft (made if needed). With ``publish`` the new or changed drafts are
    published, a new item's first version from ``valid_from_on`` (today by default, may be in
    the past), a new version of a published item from ``superseding_valid_from_on`` (default
    ``valid_from_on``), which the publishing rules require to be today or later.

    Publishing needs the publisher's yes/no to each exclusion ground (工作方案 二（一）). From
    a file, ``exclusions_confirmed`` is the publisher's statement that each item's
    ``exclusions`` are all the grounds it touches: those are answered yes, every other no,
    and the answers are kept on each published version. Without it, ``publish`` is refused.
    Nothing is committed here; on failure the caller must roll back.
    """
    if publish and not exclusions_confirmed:
        raise CatalogueImportFailed([
            "发布前须逐项确认每个事项是否属于不得纳入告知承诺制的情形（工作方案 二（一））："
            + "、".join(f"“{g.label}”" for g in Exclusion)
            + "。请逐项核对文件中各事项的 exclusions（列出的为“涉及”，未列出的为“不涉及”），"
            "确认后加 --confirm-exclusions 再导入发布。"])
    parsed_items, problems = read_catalogue(text)
    today = local_today()
    first_from = valid_from_on or today
    later_from = superseding_valid_from_on or first_from
    existing = {item.code: item for item in db.session.scalars(
        select(Item).options(selectinload(Item.versions)))}

    steps: list[_Step] = []
    for parsed in parsed_items:
        for problem in department_problems(parsed.content):
            if parsed.content_path_given(problem.path):
                problems.append(FileProblem(parsed.line_of(problem.path),
                                            f"事项“{parsed.code}”：{problem.message}"))
        if not parsed.valid:
            continue  # the file will be refused: its own problems are reported already
        item = existing.get(parsed.code)
        step = _Step(parsed, item, _action(item, parsed))
        if publish and step.action in ("update", "new_draft", "publish_draft"):
            earliest = earliest_valid_from(item, today)
            if earliest is not None and later_from < earliest:
                problems.append(FileProblem(
                    parsed.line_of(()),
                    f"事项“{parsed.code}”：新版本的生效日期 {later_from.isoformat()} 早于允许的"
                    f"最早日期 {earliest.isoformat()}（已生效的规则不得追溯更改）。"))
        steps.append(step)
    if problems:
        raise CatalogueImportFailed([str(p) for p in sorted(problems, key=lambda p: p.line)])

    report = ImportReport()
    failures: list[str] = []
    for step in steps:
        try:
            _apply(step, report, publish, first_from, later_from, actor)
        except DomainError as exc:  # a rule the checks above missed: report, roll back
            failures.append(str(FileProblem(step.parsed.line_of(()),
                                            f"事项“{step.parsed.code}”：{exc.message}")))
    if failures:
        raise CatalogueImportFailed(failures)
    if report.changed:
        digest = hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()
        record_audit("catalogue.imported", object_type="catalogue", object_id="file",
                     actor=actor, changes={"sha256": digest, "publish": publish,
                                           "created": report.created,
                                           "updated": report.updated,
                                           "published": report.published})
    return report


def _latest_released(item: Item) -> ItemVersion | None:
    released = [v for v in item.versions if v.status != VersionStatus.draft]
    return max(released, key=lambda v: v.valid_from_on) if released else None


def _action(item: Item | None, parsed: ParsedItem) -> str:
    if item is None:
        return "create"
    released = _latest_released(item)
    if released is not None and version_content(released) == parsed.content:
        return "none"
    draft = item.draft
    if draft is not None:
        return "publish_draft" if version_content(draft) == parsed.content else "update"
    return "new_draft"


def _apply(step: _Step, report: ImportReport, publish: bool, first_from: date,
           later_from: date, actor) -> None:
    code, content = step.parsed.code, step.parsed.content
    if step.action == "none":
        report.unchanged.append(code)
        return
    if step.action == "create":
        version = create_item(code, content, change_note="导入", actor=actor)
        report.created.append(code)
        valid_from = first_from
    else:
        version = start_draft(step.item, actor=actor)
        if step.action != "publish_draft":
            update_draft(version, content, expected_row_version=version.row_version,
                         change_note="导入", actor=actor)
            report.updated.append(code)
        elif not publish:
            report.unchanged.append(code)
        valid_from = first_from if _latest_released(step.item) is None else later_from
    if publish:
        publish_version(version, valid_from, actor=actor,
                        exclusion_check=exclusion_answers(version.exclusions))
        report.published.append(code)


def export_catalogue(*, include_drafts: bool = False) -> str:
    """The catalogue as a file: each item's latest published version (or its draft).

    Items taken off the list (latest version retired) are left out.
    """
    rows = []
    items = db.session.scalars(select(Item).options(selectinload(Item.versions))
                               .order_by(Item.code))
    for item in items:
        version = item.latest_version if include_drafts else _latest_released(item)
        if version is None or version.status == VersionStatus.retired:
            continue
        rows.append((item.code, version_content(version)))
    return dump_catalogue(rows, header=EXPORT_HEADER)
