"""The monthly report as an Excel workbook (openpyxl) and as a PDF (``licensing.pdf``).

Both carry the month, the scope, where the figures come from (final snapshot or computed),
the SHA-256 of the snapshot and the definitions of every figure, so a printed or forwarded
copy can be traced back to what was reported.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from licensing.auth.models import DepartmentKind
from licensing.clock import LOCAL_TZ
from licensing.pdf import Document, Section, render
from licensing.reports.figures import (
    BY_KEY,
    DEPARTMENTAL,
    FIGURES,
    on_time_rate,
)
from licensing.reports.figures import Side as FigureSide
from licensing.reports.services import MonthlyReportData, Row
from licensing.xlsx import save_workbook

SIDE_LABELS = {FigureSide.approval: "审批部门", FigureSide.supervisory: "监管部门",
               FigureSide.city: "全市"}

#: The counting rules every export repeats (docs/reports.md has the full text).
RULES = (
    "统计月份按北京时间（Asia/Shanghai）的自然月：日期类事件（决定日期、核查日期、到期日等）"
    "按其日期计入所在月份；时间类事件（签署提交、推送、送达等）按北京时间折算的日期计入，"
    "即当月1日0时（含）至次月1日0时（不含）。",
    "每项指标只按记录上保存的事件日期统计，不依赖记录的当前状态，已结束月份的数据任何时候"
    "重新计算结果相同；月报定稿后另保存快照及其SHA-256摘要。",
    "审批类指标计入申请的审批实施部门，核查类指标计入核查任务的行业监管部门；"
    "信用信息推送只统计全市合计。",
    "按期核查率 = 按期完成核查 ÷ 到期应核查。",
)

_HEADER_FONT = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="EEF2F7")
_TOTAL_FILL = PatternFill("solid", fgColor="F5F7FA")
_THIN = Side(style="thin", color="D9E2EC")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _local(report: MonthlyReportData) -> str:
    return report.computed_dt.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def title(report: MonthlyReportData) -> str:
    """Return the report's title: month and scope."""
    return f"{report.period.label}告知承诺制工作进展月报（{report.scope_name}）"


def meta_lines(report: MonthlyReportData) -> list[tuple[str, str]]:
    """Return the report's provenance as ``(label, value)`` pairs."""
    lines = [
        ("统计月份", f"{report.period.label}（{report.period.first_day} 至 "
                     f"{report.period.last_day}，北京时间）"),
        ("统计范围", report.scope_name),
        ("数据来源", report.source_label),
        ("计算时间", _local(report) + "（北京时间）"),
        ("数据摘要（SHA-256）", report.sha256),
    ]
    stored = report.stored
    if stored is not None and stored.is_final and stored.finalised_dt is not None:
        who = stored.finalised_by.display_name if stored.finalised_by else ""
        lines.insert(3, ("定稿", f"{stored.finalised_dt.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M} "
                                 f"{who}".strip()))
    return lines


RATE_FORMAT = "0.0%"


def _rate_value(figures: dict[str, int]) -> float | None:
    """The on-time rate as a number for a spreadsheet cell (0.875 shown as 87.5%), or empty."""
    due = figures.get("tasks_due", 0)
    return figures.get("tasks_on_time", 0) / due if due else None


def _rate_text(figures: dict[str, int]) -> str:
    rate = on_time_rate(figures)
    return f"{rate:.1f}%" if rate is not None else "—"


def _header(label_key: str) -> str:
    figure = BY_KEY[label_key]
    return f"{figure.label}（{figure.unit}）"


# --- XLSX --------------------------------------------------------------------------------------


def _style_table(sheet, first_row: int, last_row: int, columns: int,
                 total_row: int | None = None) -> None:
    for row in sheet.iter_rows(min_row=first_row, max_row=last_row, max_col=columns):
        for cell in row:
            cell.border = _BORDER
            if cell.row == first_row:
                cell.font = _HEADER_FONT
                cell.fill = _HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            elif cell.row == total_row:
                cell.font = _HEADER_FONT
                cell.fill = _TOTAL_FILL


def _table_sheet(workbook: Workbook, name: str, report: MonthlyReportData, lead: list[str],
                 rows: list[tuple[list[str], dict[str, int]]]) -> None:
    sheet = workbook.create_sheet(name)
    sheet.append([f"{title(report)}：{name}"])
    sheet["A1"].font = _TITLE_FONT
    sheet.append([])
    header = [*lead, *(_header(k) for k in DEPARTMENTAL), "按期核查率"]
    sheet.append(header)
    first = sheet.max_row
    for labels, figures in rows:
        sheet.append([*labels, *(figures[k] for k in DEPARTMENTAL), _rate_value(figures)])
    total = {k: sum(f[k] for _, f in rows) for k in DEPARTMENTAL}
    sheet.append(["合计", *([""] * (len(lead) - 1)), *(total[k] for k in DEPARTMENTAL),
                  _rate_value(total)])
    for row in range(first + 1, sheet.max_row + 1):
        sheet.cell(row=row, column=len(header)).number_format = RATE_FORMAT
    _style_table(sheet, first, sheet.max_row, len(header), total_row=sheet.max_row)
    sheet.freeze_panes = sheet.cell(row=first + 1, column=len(lead) + 1)
    sheet.column_dimensions["A"].width = 16 if lead[0] == "事项编码" else 28
    if len(lead) > 1:
        sheet.column_dimensions["B"].width = 40 if lead[0] == "事项编码" else 16
    for index in range(len(lead) + 1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 11
    sheet.row_dimensions[first].height = 45


def to_xlsx(report: MonthlyReportData) -> bytes:
    """Return the report as an XLSX workbook: summary, departments, items, definitions."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = "全市" if report.is_city else "汇总"
    summary.append([title(report)])
    summary["A1"].font = _TITLE_FONT
    summary.append([])
    for label, value in meta_lines(report):
        summary.append([label, value])
        summary.cell(row=summary.max_row, column=1).font = _HEADER_FONT
    summary.append([])
    summary.append(["分组", "指标", "数值", "单位"])
    first = summary.max_row
    for figure in FIGURES:
        value = report.totals.get(figure.key)
        if value is None:
            continue
        summary.append([figure.group, figure.label, value, figure.unit])
    summary.append(["现场核查", "按期核查率", _rate_value(report.totals), ""])
    summary.cell(row=summary.max_row, column=3).number_format = RATE_FORMAT
    _style_table(summary, first, summary.max_row, 4)
    for column, width in zip("ABCD", (22, 30, 14, 8), strict=True):
        summary.column_dimensions[column].width = width
    summary.column_dimensions["B"].width = 66  # the SHA-256 line
    _table_sheet(workbook, "各部门", report, ["部门", "部门类别"],
                 [([r.name, r.kind_label], r.figures) for r in report.departments])
    _table_sheet(workbook, "各事项", report, ["事项编码", "事项名称"],
                 [([r.code, r.name], r.figures) for r in report.items])
    definitions = workbook.create_sheet("指标说明")
    definitions.append(["指标", "单位", "归属", "统计口径"])
    for figure in FIGURES:
        definitions.append([figure.label, figure.unit, SIDE_LABELS[figure.side],
                            figure.definition])
    definitions.append(["按期核查率", "%", "监管部门", "按期完成核查 ÷ 到期应核查。"])
    _style_table(definitions, 1, definitions.max_row, 4)
    definitions.append([])
    for rule in RULES:
        definitions.append(["说明", "", "", rule])
    for column, width in zip("ABCD", (24, 6, 10, 90), strict=True):
        definitions.column_dimensions[column].width = width
    for row in definitions.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.properties.title = title(report)
    workbook.properties.creator = "告知承诺制审批监管系统"
    return save_workbook(workbook)  # every text as text: no formula from an item's name


# --- PDF ---------------------------------------------------------------------------------------

_APPROVAL_COLUMNS = ("applications_commitment", "applications_general", "approved_on_the_spot",
                     "approved_later", "credit_ineligible", "revocations")
_SUPERVISORY_COLUMNS = ("tasks_due", "tasks_on_time", "tasks_done_late", "tasks_overdue",
                        "results_pushed_late", "breaches", "rectifications_ordered",
                        "judicial_transfers", "provisional_deadlines")
_ITEM_COLUMNS = ("applications_commitment", "applications_general", "approved_on_the_spot",
                 "tasks_due", "tasks_on_time", "tasks_overdue", "breaches", "revocations")


def _rows(lead: str, rows: list[Row], columns: tuple[str, ...], name=lambda r: r.name):
    return [[lead, *(BY_KEY[k].label for k in columns)]] + [
        [name(r), *(str(r.figures[k]) for k in columns)] for r in rows]


def to_pdf(report: MonthlyReportData) -> bytes:
    """Return the report as a printable PDF (A4)."""
    from licensing.reports.figures import figures_by_group

    sections = [Section("基本信息", pairs=meta_lines(report)[:-1])]
    for group, figures in figures_by_group():
        pairs = [(f.label, f"{report.totals[f.key]} {f.unit}") for f in figures
                 if f.key in report.totals]
        if group == "现场核查":
            pairs.append(("按期核查率", _rate_text(report.totals)))
        if pairs:
            sections.append(Section(group, pairs=pairs))
    approval = [r for r in report.departments if r.kind == DepartmentKind.approval]
    supervisory = [r for r in report.departments if r.kind == DepartmentKind.supervisory]
    if approval:
        sections.append(Section("各审批部门", rows=_rows("部门", approval, _APPROVAL_COLUMNS)))
    if supervisory:
        sections.append(Section("各监管部门", rows=_rows("部门", supervisory,
                                                         _SUPERVISORY_COLUMNS)))
    if report.items:
        sections.append(Section("各事项", rows=_rows("事项", report.items, _ITEM_COLUMNS,
                                                     name=lambda r: f"{r.name}（{r.code}）")))
    sections.append(Section("指标说明", paragraphs=[
        *(f"{f.label}：{f.definition}" for f in FIGURES), *RULES]))
    return render(Document(
        title="告知承诺制工作进展月报",
        subtitle=f"{report.period.label} · {report.scope_name} · {report.source_label}",
        sections=sections,
        footer=f"数据摘要（SHA-256）：{report.sha256}　计算时间：{_local(report)}（北京时间）"))
