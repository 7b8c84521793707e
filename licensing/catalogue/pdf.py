"""The one-time notice (一次性告知书) as a PDF, drawn from ``item_rules_dict``.

reportlab's built-in CID font STSong-Light covers Simplified Chinese without any font file:
the PDF viewer supplies the glyphs (Adobe-GB1), so the files stay small.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24,
                                alignment=TA_CENTER, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=18,
                                   alignment=TA_CENTER, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=20, spaceBefore=8,
                             spaceAfter=3),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=13),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13.5),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _modes_text(material: dict) -> str:
    if not material["modes"]:
        return "须按一般程序提交"
    parts = []
    for mode in material["modes"]:
        text = mode["label"]
        if mode["supplement_working_days"]:
            text += f"（许可决定后 {mode['supplement_working_days']} 个工作日内补齐）"
        parts.append(text)
    return "；或".join(parts)


def notice_pdf(rules: dict[str, Any], printed_on: date | None = None) -> bytes:
    """Render the one-time notice of ``rules`` (from ``item_rules_dict``) as PDF bytes."""
    s = _styles()
    item = rules["item"]
    story: list = [
        _p(item["name"], s["title"]),
        _p("一次性告知书", s["subtitle"]),
    ]
    validity = f"第 {item['version']} 版，自 {item['valid_from_on']} 起施行"
    if item["valid_until_on"]:
        validity += f"，至 {item['valid_until_on']} 止"
    meta = [
        ("事项编码", item["code"]),
        ("版本", validity),
        ("行政审批实施部门", rules["approval_department"]["name"]),
        ("行业监管部门", rules["supervisory_department"]["name"]),
        ("申请人类型", "、".join(k["label"] for k in rules["applicant_kinds"])),
        ("办理程序", "、".join(t["label"] for t in rules["tracks"])),
        ("办结时限", f"一般程序法定 {rules['time_limits']['statutory_working_days']} 个工作日，"
                    f"承诺 {rules['time_limits']['promised_working_days']} 个工作日"
                    + ("；告知承诺制当场作出决定" if rules["offers_commitment"] else "")),
        ("设定依据", item["legal_basis"]),
    ]
    story.append(_table([[_p(k, s["cell"]), _p(v, s["cell"])] for k, v in meta],
                        [32 * mm, None], header=False))

    number = iter("一二三四五六七八九十")
    if rules["offers_commitment"]:
        policy = rules["policy"]
        story += [_p(f"{next(number)}、办理方式", s["h2"]),
                  _p(policy["choice"], s["body"]), _p(policy["credit"], s["body"]),
                  _p(policy["decision"], s["body"])]
    else:
        story += [_p(f"{next(number)}、办理方式", s["h2"]),
                  _p("本事项只按一般程序办理，不适用告知承诺制。", s["body"])]
        if rules["exclusions"]:
            story.append(_p("原因：" + "、".join(e["label"] for e in rules["exclusions"])
                            + "（工作方案 二（一））。", s["body"]))

    story.append(_p(f"{next(number)}、申请材料及承诺方式", s["h2"]))
    rows = [[_p(h, s["cell"]) for h in ("序号", "材料名称", "一般程序", "告知承诺制下的办理方式",
                                         "纸质原件")]]
    for index, material in enumerate(rules["materials"], start=1):
        rows.append([
            _p(index, s["cell"]), _p(material["name"], s["cell"]),
            _p("须提交" if material["required_general"] else "视情提交", s["cell"]),
            _p(_modes_text(material) if rules["offers_commitment"] else "—", s["cell"]),
            _p("须在窗口出示" if material["paper_at_counter"] else "—", s["cell"]),
        ])
    story.append(_table(rows, [11 * mm, 52 * mm, 20 * mm, None, 22 * mm], header=True))
    if rules["offers_commitment"]:
        story.append(Spacer(1, 3))
        for _code, label, description in _mode_legend(rules):
            story.append(_p(f"{label}：{description}", s["small"]))

        commitment = rules["commitment"]
        story += [_p(f"{next(number)}、承诺条件", s["h2"]), _p(commitment["conditions"], s["body"]),
                  _p(f"{next(number)}、承诺内容", s["h2"]), _p(commitment["content"], s["body"])]

    verification = rules["verification"]
    block = [_p(f"{next(number)}、核查办法", s["h2"]), _p(verification["summary"], s["body"]),
             _p(f"核查时限规则：{verification['rule']['label']}"
                f"（{verification['working_days']} 个工作日）", s["body"])]
    if verification["basis"]:
        block.append(_p(f"依据：{verification['basis']}", s["body"]))
    if verification["moved_checks"]:
        block.append(_p("移至审批决定后实施的环节："
                        + "、".join(c["label"] for c in verification["moved_checks"]), s["body"]))
    if verification["checklist"]:
        block.append(_p("核查要点：", s["body"]))
        block += [_p(f"{i}. {point}", s["body"])
                  for i, point in enumerate(verification["checklist"], start=1)]
    story.append(KeepTogether(block[:3]))
    story += block[3:]

    if rules["offers_commitment"]:
        story += [_p(f"{next(number)}、违反承诺的后果", s["h2"]),
                  _p(rules["commitment"]["breach_consequences"], s["body"]),
                  _p(rules["policy"]["record"], s["body"])]
    if rules["supervision_measures"]:
        story += [_p(f"{next(number)}、事中事后监管", s["h2"]),
                  _p(rules["supervision_measures"], s["body"])]
        if rules["offers_commitment"]:
            story.append(_p(rules["policy"]["non_discrimination"], s["body"]))

    buffer = BytesIO()
    footer = f"{item['code']} 第 {item['version']} 版 · 一次性告知书"
    if printed_on:
        footer += f" · 打印日期 {printed_on.isoformat()}"

    def _page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm,
                            title=f"{item['name']} 一次性告知书", author="告知承诺制审批监管系统",
                            subject=item["code"], lang="zh-CN")
    doc.build(story, onFirstPage=_page, onLaterPages=_page)
    return buffer.getvalue()


def _mode_legend(rules: dict) -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for material in rules["materials"]:
        for mode in material["modes"]:
            seen.setdefault(mode["code"], (mode["code"], mode["label"], mode["description"]))
    return list(seen.values())


def _table(rows: list[list], widths: list, header: bool) -> Table:
    width = A4[0] - 36 * mm
    fixed = sum(w for w in widths if w is not None)
    widths = [w if w is not None else width - fixed for w in widths]
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f5f7fa")))
    table.setStyle(TableStyle(style))
    return table
