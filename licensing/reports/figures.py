"""The figures of the monthly progress report: names, units, whose they are, what they count.

Every figure is a count of rows selected by dates stored on the rows themselves, so a month
that is over always gives the same number (docs/reports.md has the precise rules, and why).
``Side`` says which department a figure is attributed to: the approval department of the
application (审批), the supervisory department of the verification task (监管), or the city as
a whole (credit pushes carry no department).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Side(enum.StrEnum):
    """Whose work a figure counts."""

    approval = "approval"
    supervisory = "supervisory"
    city = "city"


@dataclass(frozen=True)
class Figure:
    """One figure of the report."""

    key: str
    label: str
    unit: str
    side: Side
    group: str
    definition: str


#: The groups, in the order the report shows them.
GROUPS = ("申请与审批", "现场核查", "违诺处理", "信用推送与期限")

FIGURES: tuple[Figure, ...] = (
    Figure("applications_commitment", "告知承诺制申请", "件", Side.approval, "申请与审批",
           "选择告知承诺制并签署告知承诺书的申请，按签署提交时间（北京时间）计入当月。"),
    Figure("applications_general", "一般程序申请", "件", Side.approval, "申请与审批",
           "按一般程序提交全部法定材料并受理的申请，按受理提交时间（北京时间）计入当月。"),
    Figure("approved_on_the_spot", "告知承诺制当场审批", "件", Side.approval, "申请与审批",
           "告知承诺制申请不晚于签署告知承诺书的当个工作日（非工作日签署的，为其后第一个"
           "工作日）作出准予许可决定的，按决定日期计入当月。"),
    Figure("approved_later", "告知承诺制未当场审批", "件", Side.approval, "申请与审批",
           "告知承诺制申请在签署告知承诺书的工作日之后才作出准予许可决定的，按决定日期计入当月。"),
    Figure("credit_ineligible", "信用核查不予适用承诺制", "人次", Side.approval, "申请与审批",
           "申请告知承诺制时信用核查发现严重失信或虚假承诺记录、不予适用的申请，"
           "按申请创建时间（北京时间）计入当月，一件申请计一人次。"),
    Figure("tasks_due", "到期应核查", "件", Side.supervisory, "现场核查",
           "现场核查期限（核查到期日）在当月的核查任务；未经核查、已于月末前因许可撤销而终止的除外。"),
    Figure("tasks_on_time", "按期完成核查", "件", Side.supervisory, "现场核查",
           "当月到期的核查任务中，核查日期不晚于到期日的。"),
    Figure("tasks_done_late", "逾期完成核查", "件", Side.supervisory, "现场核查",
           "核查日期在当月、且晚于核查到期日的核查任务（按完成月份计）。"),
    Figure("tasks_overdue", "月末逾期未核查", "件", Side.supervisory, "现场核查",
           "到期日不晚于月末、到月末仍未完成核查，且月末前未因许可撤销而终止的核查任务"
           "（含以前月份到期的积压任务）。"),
    Figure("results_pushed", "推送核查结果", "件", Side.supervisory, "现场核查",
           "推送至审批部门的核查结果，按推送时间（北京时间）计入当月。"),
    Figure("results_pushed_late", "超期推送核查结果", "件", Side.supervisory, "现场核查",
           "当月推送的核查结果中，推送日晚于推送期限（核查结束后5个工作日）的。"),
    Figure("breaches", "发现违诺", "件", Side.supervisory, "违诺处理",
           "违诺案件（不实承诺或违反承诺），无论在核查、日常监管检查中发现，还是来自投诉举报、"
           "其他机关移送或信用复核，按发现日期计入当月。"),
    Figure("rectifications_ordered", "责令限期整改", "件", Side.supervisory, "违诺处理",
           "违诺案件的责令限期整改决定，按责令日期计入当月。"),
    Figure("rectifications_completed", "整改到位", "件", Side.supervisory, "违诺处理",
           "确认整改到位的违诺案件，按确认时间（北京时间）计入当月。"),
    Figure("revocations", "撤销许可", "件", Side.approval, "违诺处理",
           "撤销行政许可决定已送达（许可自送达之日起撤销）的案件，无论违诺案件来源，"
           "按送达日期计入当月。"),
    Figure("judicial_transfers", "移送司法机关", "件", Side.supervisory, "违诺处理",
           "涉嫌犯罪移送司法机关的违诺案件，按移送日期计入当月。"),
    Figure("credit_pushes_delivered", "信用信息推送送达", "条", Side.city, "信用推送与期限",
           "推送至信用信息共享平台并取得回执的信息，按送达时间（北京时间）计入当月；全市统计。"),
    Figure("credit_pushes_pending", "月末信用信息待推送", "条", Side.city, "信用推送与期限",
           "月末前已生成、到月末仍未送达信用信息共享平台的信息（含被拒收待处理的）；全市统计。"),
    Figure("publicity_late", "超期公示行政许可信息", "条", Side.approval, "信用推送与期限",
           "当月公示（推送送达）的行政许可、变更、延续、注销和撤销决定信息中，送达日晚于"
           "公示期限（决定之日起7个工作日）的。"),
    Figure("publicity_overdue", "月末逾期未公示行政许可信息", "条", Side.approval,
           "信用推送与期限",
           "公示期限（决定之日起7个工作日）不晚于月末、到月末仍未公示的行政许可决定信息"
           "（含以前月份到期的积压信息）。"),
    Figure("provisional_deadlines", "月末暂定期限未了结", "件", Side.supervisory,
           "信用推送与期限",
           "月末尚未了结、且月末时因次年节假日安排未公布而为暂定的现场核查期限"
           "和核查结果推送期限。"),
)

FIGURE_KEYS: tuple[str, ...] = tuple(f.key for f in FIGURES)
BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}
#: Figures counted for the city only (no department column to attribute them to).
CITY_ONLY: tuple[str, ...] = tuple(f.key for f in FIGURES if f.side == Side.city)
#: Figures attributed to a department (summed into departments and items).
DEPARTMENTAL: tuple[str, ...] = tuple(f.key for f in FIGURES if f.side != Side.city)

#: Version of these definitions, stored with every snapshot: a change of a definition is a
#: new version, so a frozen report always says which rules it was counted by.
#: 2: on the spot means the signing working day; 3: breaches, rectifications and judicial
#: transfers counted from the breach cases of every origin, revocations on service.
DEFINITIONS_VERSION = 3


def zero(keys: tuple[str, ...] = FIGURE_KEYS) -> dict[str, int]:
    """Return a figures dict of zeros."""
    return dict.fromkeys(keys, 0)


def rate(numerator: int, denominator: int) -> float | None:
    """Return ``numerator / denominator`` as a percentage (one decimal), or ``None`` for 0/0."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def on_time_rate(figures: dict[str, int]) -> float | None:
    """Return the share of the month's due tasks checked on time (按期核查率), in %."""
    return rate(figures.get("tasks_on_time", 0), figures.get("tasks_due", 0))


def figures_by_group() -> list[tuple[str, list[Figure]]]:
    """Return the figures grouped, in report order."""
    return [(group, [f for f in FIGURES if f.group == group]) for group in GROUPS]
