"""The monthly progress report: build it, draft it, finalise it, read it back.

``build_monthly_report(period)`` computes a month's figures from the case rows (set-based,
``licensing.reports.queries``) for the city, every department and every item. The figures of
a month that is over depend only on dates stored on the rows, so building it again later
gives the same numbers; a ``MonthlyReport`` row keeps, in addition, the exact snapshot that
was reported: drafted on the 20th of the next month by the scheduler
(``prepare_monthly_draft``), finalised by the reform office (``finalise_report``), after
which it never changes and its SHA-256 proves it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from licensing.audit.services import record_audit
from licensing.auth.models import Department, DepartmentKind, Role, User
from licensing.catalogue.models import Item, ItemVersion
from licensing.clock import utcnow
from licensing.errors import Conflict, Forbidden
from licensing.extensions import db
from licensing.reports import queries
from licensing.reports.errors import PeriodNotEnded, ReportAlreadyFinal
from licensing.reports.figures import (
    CITY_ONLY,
    DEFINITIONS_VERSION,
    DEPARTMENTAL,
    FIGURE_KEYS,
)
from licensing.reports.models import MonthlyReport, ReportStatus
from licensing.reports.periods import Period, last_months

#: Labels of where the figures shown come from.
SOURCE_LABELS = {"live": "实时计算", "draft": "实时计算（已生成草稿）", "final": "定稿数据"}


@dataclass
class Row:
    """One line of the report: a department or an item, with its figures."""

    code: str
    name: str
    figures: dict[str, int]
    kind: str = ""  # a department's kind (approval / supervisory); "" for items

    @property
    def kind_label(self) -> str:
        """Return the department kind in Chinese ("" for items)."""
        return DepartmentKind(self.kind).label if self.kind else ""


@dataclass
class MonthlyReportData:
    """A month's report as shown and exported: totals, departments, items.

    ``scope`` is ``"city"`` or the code of the one department the reader may see; for a
    department, ``totals`` are the department's (without the city-only figures).
    """

    period: Period
    scope: str
    scope_name: str
    totals: dict[str, int]
    departments: list[Row]
    items: list[Row]
    snapshot: dict
    computed_dt: datetime
    source: str = "live"  # live | draft | final
    stored: MonthlyReport | None = field(default=None, repr=False)

    @property
    def is_city(self) -> bool:
        """Return whether the report covers the whole city."""
        return self.scope == "city"

    @property
    def sha256(self) -> str:
        """Return the SHA-256 of the snapshot's canonical JSON."""
        return snapshot_hash(self.snapshot)

    @property
    def source_label(self) -> str:
        """Return where the figures come from, in Chinese."""
        return SOURCE_LABELS[self.source]


# --- snapshots --------------------------------------------------------------------------------


def canonical_json(snapshot: dict) -> str:
    """Return the snapshot as canonical JSON (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def snapshot_hash(snapshot: dict) -> str:
    """Return the SHA-256 (hex) of the snapshot's canonical JSON."""
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def _item_names(collected: queries.Collected) -> dict[int, tuple[str, str]]:
    """Return ``{item version id: (item code, name of the item's latest version)}``."""
    version_ids = sorted({version for _, version in collected.cells})
    if not version_ids:
        return {}
    item_of = dict(db.session.execute(
        select(ItemVersion.id, ItemVersion.item_id).where(ItemVersion.id.in_(version_ids))
    ).tuples().all())
    latest: dict[int, tuple[int, str, str]] = {}
    for item_id, code, number, name in db.session.execute(
            select(Item.id, Item.code, ItemVersion.number, ItemVersion.name)
            .join(ItemVersion, ItemVersion.item_id == Item.id)
            .where(Item.id.in_(set(item_of.values())))):
        if item_id not in latest or number > latest[item_id][0]:
            latest[item_id] = (number, code, name)
    return {v: latest[item_of[v]][1:] for v in version_ids}


def _snapshot(period: Period, collected: queries.Collected, departments: list[Department],
              items: dict[int, tuple[str, str]]) -> dict:
    """Turn collected figures into the canonical snapshot (codes, not database ids)."""
    code_of = {d.id: d.code for d in departments}
    cells: dict[tuple[str, str], dict[str, int]] = {}
    for (department_id, version_id), figures in collected.cells.items():
        if department_id not in code_of or not any(figures.values()):
            continue
        key = (code_of[department_id], items[version_id][0])
        cell = cells.setdefault(key, dict.fromkeys(DEPARTMENTAL, 0))
        for name, value in figures.items():
            cell[name] += value
    item_names = {code: name for code, name in items.values()}
    used_items = sorted({item for _, item in cells})
    return {
        "period": period.key,
        "definitions_version": DEFINITIONS_VERSION,
        "departments": [{"code": d.code, "name": d.name, "kind": d.kind.value}
                        for d in departments],
        "items": [{"code": code, "name": item_names[code]} for code in used_items],
        "cells": [{"department": dept, "item": item, "figures": figures}
                  for (dept, item), figures in sorted(cells.items())],
        "city_only": collected.city_only,
    }


def _sum(figure_dicts) -> dict[str, int]:
    total = dict.fromkeys(DEPARTMENTAL, 0)
    for figures in figure_dicts:
        for name in DEPARTMENTAL:
            total[name] += int(figures.get(name, 0))
    return total


def snapshot_totals(snapshot: dict, *, department_code: str | None = None) -> dict[str, int]:
    """A snapshot's totals alone: ``from_snapshot(...).totals`` without building its rows
    (the trend reads eleven finalised months per page)."""
    cells = snapshot["cells"]
    if department_code is not None:
        cells = [c for c in cells if c["department"] == department_code]
    totals = _sum(c["figures"] for c in cells)
    if department_code is None:
        totals.update(snapshot.get("city_only") or dict.fromkeys(CITY_ONLY, 0))
    return {k: totals[k] for k in FIGURE_KEYS if k in totals}


def from_snapshot(snapshot: dict, *, department_code: str | None = None,
                  computed_dt: datetime | None = None, source: str = "live",
                  stored: MonthlyReport | None = None) -> MonthlyReportData:
    """Build the report from a snapshot: the city's, or one department's part of it."""
    period = Period.parse(snapshot["period"])
    departments = snapshot["departments"]
    cells = snapshot["cells"]
    if department_code is not None:
        departments = [d for d in departments if d["code"] == department_code]
        cells = [c for c in cells if c["department"] == department_code]
    by_department: dict[str, list[dict]] = {}
    by_item: dict[str, list[dict]] = {}
    for cell in cells:
        by_department.setdefault(cell["department"], []).append(cell["figures"])
        by_item.setdefault(cell["item"], []).append(cell["figures"])
    department_rows = [Row(d["code"], d["name"], _sum(by_department.get(d["code"], [])),
                           d["kind"]) for d in departments]
    item_rows = [Row(i["code"], i["name"], _sum(by_item[i["code"]]))
                 for i in snapshot["items"] if i["code"] in by_item]
    totals = _sum(c["figures"] for c in cells)
    if department_code is None:
        totals.update(snapshot.get("city_only") or dict.fromkeys(CITY_ONLY, 0))
        scope, scope_name = "city", "全市"
    else:
        scope = department_code
        scope_name = departments[0]["name"] if departments else department_code
    if department_code is not None:
        # a department's part is a snapshot of its own (for its hash and exports)
        snapshot = {**snapshot, "departments": departments, "cells": cells, "city_only": None,
                    "items": [i for i in snapshot["items"] if i["code"] in by_item]}
    return MonthlyReportData(
        period=period, scope=scope, scope_name=scope_name,
        totals={k: totals[k] for k in FIGURE_KEYS if k in totals},
        departments=department_rows, items=item_rows, snapshot=snapshot,
        computed_dt=computed_dt or utcnow(), source=source, stored=stored)


def _reader_department(user: User | None) -> Department | None:
    """The department a reader is limited to, or ``None`` for a city-wide reader."""
    if user is None or user.sees_all_departments:
        return None
    return user.department


def build_monthly_report(period: Period | str, user: User | None = None) -> MonthlyReportData:
    """Compute a month's report from the case rows (the city's, or ``user``'s department's).

    Set-based: one grouped query per source table (``licensing.reports.queries``). For a
    month that is over the result depends only on event dates stored on the rows, so it is
    the same whenever it is built.
    """
    period = Period.parse(period) if isinstance(period, str) else period
    own = _reader_department(user)
    if user is not None and own is None and not user.sees_all_departments:
        raise Forbidden()
    collected = queries.collect(period, user if own is not None else None)
    if own is not None:
        departments = [own]
    else:
        departments = list(db.session.scalars(
            select(Department).where(Department.kind != DepartmentKind.reform_office)
            .order_by(Department.id)))
    items = _item_names(collected)
    snapshot = _snapshot(period, collected, departments, items)
    return from_snapshot(snapshot, department_code=own.code if own is not None else None)


# --- stored reports ---------------------------------------------------------------------------


def stored_report(period: Period) -> MonthlyReport | None:
    """Return the stored draft or final report of a month, if any."""
    return db.session.scalar(select(MonthlyReport).where(MonthlyReport.period == period.key))


def report_for(period: Period, user: User) -> MonthlyReportData:
    """Return the report a reader sees: the final snapshot once finalised, else computed live.

    A department's reader sees only their department's part of either.
    """
    stored = stored_report(period)
    own = _reader_department(user)
    if stored is not None and stored.is_final:
        return from_snapshot(stored.figures, department_code=own.code if own else None,
                             computed_dt=stored.computed_dt, source="final", stored=stored)
    report = build_monthly_report(period, user)
    if stored is not None:
        report.source, report.stored = "draft", stored
    return report


def _require_ended(period: Period) -> None:
    if not period.has_ended():
        raise PeriodNotEnded()


def save_draft(period: Period, *, actor: User | None = None) -> MonthlyReport:
    """Compute the month's city report and store it as the draft (create or refresh).

    Refused for a month not over yet (``PeriodNotEnded``) and for a final report
    (``ReportAlreadyFinal``). Writes ``report.draft_saved``; flushes, does not commit.
    """
    _require_ended(period)
    stored = stored_report(period)
    if stored is not None and stored.is_final:
        raise ReportAlreadyFinal()
    report = build_monthly_report(period)
    if stored is None:
        stored = MonthlyReport(period=period.key, status=ReportStatus.draft)
        db.session.add(stored)
    stored.definitions_version = DEFINITIONS_VERSION
    stored.figures = report.snapshot
    stored.sha256 = report.sha256
    stored.computed_dt = report.computed_dt
    stored.drafted_by_id = actor.id if actor is not None else None
    db.session.flush()
    record_audit("report.draft_saved", object_type="monthly_report", object_id=period.key,
                 changes={"period": period.key, "sha256": stored.sha256}, actor=actor)
    return stored


def prepare_monthly_draft(due_period: str) -> MonthlyReport:
    """The scheduler's hook on the 20th: draft the report due this month (before the 25th).

    ``due_period`` is the month the job runs in (``YYYY-MM``), the month in which the report
    is due; the report drafted is of the month before it, the last complete month (see
    docs/decisions/0012-monthly-report-period-and-snapshot.md). A final report is left alone.
    Returns the stored report (its ``period`` is the month reported). Flushes; the job
    commits.
    """
    period = Period.parse(due_period).previous()
    stored = stored_report(period)
    if stored is not None and stored.is_final:
        return stored
    return save_draft(period)


def finalise_report(period: Period, *, actor: User, expected_sha256: str | None = None
                    ) -> MonthlyReport:
    """Freeze a month's report as reported (the reform office only).

    The figures are computed afresh; with ``expected_sha256`` (the hash of the figures the
    reader had on screen) a change of the data in between is refused (``Conflict``), so what
    is frozen is what was read. Writes ``report.finalised``; flushes, does not commit.
    """
    if actor is None or actor.role != Role.reform_office:
        raise Forbidden("只有改革办可以定稿月报。")
    _require_ended(period)
    stored = stored_report(period)
    if stored is not None and stored.is_final:
        raise ReportAlreadyFinal()
    report = build_monthly_report(period)
    if expected_sha256 and expected_sha256 != report.sha256:
        raise Conflict("月报数据在您查看后发生了变化，请核对最新数据后再定稿。",
                       code="report_changed")
    if stored is None:
        stored = MonthlyReport(period=period.key, status=ReportStatus.draft)
        db.session.add(stored)
    stored.definitions_version = DEFINITIONS_VERSION
    stored.figures = report.snapshot
    stored.sha256 = report.sha256
    stored.computed_dt = report.computed_dt
    stored.status = ReportStatus.final
    stored.finalised_dt = utcnow()
    stored.finalised_by_id = actor.id
    db.session.flush()
    record_audit("report.finalised", object_type="monthly_report", object_id=period.key,
                 changes={"period": period.key, "sha256": stored.sha256}, actor=actor)
    return stored


def verify_stored(stored: MonthlyReport) -> bool:
    """Return whether a stored snapshot still matches its SHA-256."""
    return snapshot_hash(stored.figures) == stored.sha256


@dataclass(frozen=True)
class Difference:
    """A figure whose stored value differs from the value computed now."""

    scope: str
    figure: str
    stored: int
    live: int


def differences(stored: MonthlyReportData, live: MonthlyReportData) -> list[Difference]:
    """Compare a stored report with a fresh computation: totals and departments."""
    from licensing.reports.figures import BY_KEY

    out = []
    for key in FIGURE_KEYS:
        a, b = stored.totals.get(key), live.totals.get(key)
        if a is not None and b is not None and a != b:
            out.append(Difference(stored.scope_name, BY_KEY[key].label, a, b))
    live_rows = {r.code: r for r in live.departments}
    for row in stored.departments:
        other = live_rows.get(row.code)
        for key in DEPARTMENTAL:
            b = other.figures[key] if other is not None else 0
            if row.figures[key] != b:
                out.append(Difference(row.name, BY_KEY[key].label, row.figures[key], b))
    return out


# --- several months ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    """One month of a trend: its totals and whether they are final or still partial."""

    period: Period
    totals: dict[str, int]
    source: str  # live | draft | final
    partial: bool  # the month is not over yet


def month_totals(period: Period, user: User, figures: set[str]) -> dict[str, int]:
    """Some of a month's totals in the reader's scope, counted live (a home page's panel).

    The same conditions as ``build_monthly_report``; only the tables the figures come from
    are read, and for the month in progress only the rows their bounds admit.
    """
    own = _reader_department(user)
    if user is not None and own is None and not user.sees_all_departments:
        raise Forbidden()
    totals = queries.monthly_totals([period], user if own is not None else None,
                                    figures=figures)[period]
    return {name: totals.get(name, 0) for name in figures}


def trend(until: Period, user: User, months: int = 12,
          known: dict[Period, dict[str, int]] | None = None) -> list[TrendPoint]:
    """Return the totals of the ``months`` months ending with ``until`` (the reader's scope).

    Finalised months come from their snapshots; ``known`` gives the totals of months the
    caller has just built (the city view's month in progress, not counted twice); the others
    are counted together, one query per table (``queries.monthly_totals``).
    """
    known = known or {}
    periods = last_months(months, until)
    stored = {r.period: r for r in db.session.scalars(
        select(MonthlyReport).where(MonthlyReport.period.in_([p.key for p in periods])))}
    own = _reader_department(user)
    if user is not None and own is None and not user.sees_all_departments:
        raise Forbidden()
    final = {p: stored[p.key] for p in periods if p.key in stored and stored[p.key].is_final}
    computed = dict(known)
    to_count = [p for p in periods if p not in final and p not in known]
    if to_count:
        computed.update(queries.monthly_totals(to_count, user if own is not None else None))
    points = []
    for period in periods:
        if period in final:
            totals = snapshot_totals(final[period].figures,
                                     department_code=own.code if own else None)
            source = "final"
        else:
            totals = computed[period]
            source = "draft" if period.key in stored else "live"
        points.append(TrendPoint(period, totals, source, not period.has_ended()))
    return points


def month_list(until: Period, count: int = 24) -> list[tuple[Period, MonthlyReport | None]]:
    """Return the last ``count`` months up to ``until``, newest first, with their reports."""
    periods = last_months(count, until)
    stored = {r.period: r for r in db.session.scalars(
        select(MonthlyReport).where(MonthlyReport.period.in_([p.key for p in periods])))}
    return [(p, stored.get(p.key)) for p in reversed(periods)]


__all__ = ["MonthlyReportData", "Row", "build_monthly_report", "differences",
           "finalise_report", "from_snapshot", "month_list", "prepare_monthly_draft",
           "report_for", "save_draft", "snapshot_hash", "stored_report", "trend",
           "verify_stored"]
