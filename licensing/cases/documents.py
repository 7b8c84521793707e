"""The licence and the decision letter as PDF."""

from __future__ import annotations

from datetime import date

from flask import current_app

from licensing.applicants.identity import mask_code
from licensing.cases.models import (
    Application,
    CaseDocumentKind,
    Decision,
    Licence,
    MaterialHandling,
)
from licensing.pdf import Document, Section, render

REMEDIES = ("如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
            "或者在六个月内依法向人民法院提起行政诉讼。")


def _day(value: date | str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def verify_url(licence: Licence) -> str:
    """The absolute URL of a licence's public verification page."""
    base = current_app.config["SETTINGS"].public_base_url.rstrip("/")
    return f"{base}/verify/{licence.verify_token}"


def licence_pdf(licence: Licence) -> bytes:
    """Render the licence with a QR code to its verification page."""
    holder = licence.applicant
    version = licence.item_version
    pairs = [
        ("许可证号", licence.number),
        ("受理编号", licence.application.case_number or ""),
        ("许可事项", version.name),
        ("持证人", holder.name),
        (holder.kind.code_label, mask_code(holder.kind, holder.code)),
        ("发证机关", licence.approval_department.name),
        ("发证日期", licence.issued_on.strftime("%Y年%m月%d日")),
        ("办理方式", licence.application.track.label if licence.application.track else ""),
        ("状态", licence.status.label),
    ]
    notes = []
    if licence.application.track and licence.application.track.value == "commitment":
        notes.append("本许可依申请人书面承诺当场作出。监管部门将依法对承诺内容进行核查，"
                     "发现承诺不实或违反承诺的，依法撤销本许可并纳入信用记录。")
    return render(Document(
        title="行政许可证",
        subtitle=licence.number,
        sections=[Section(pairs=pairs, paragraphs=notes)],
        qr_url=verify_url(licence),
        qr_caption="扫描二维码核验本许可证的真实性和当前状态。",
    ))


def decision_pdf(application: Application) -> bytes:
    """Render the decision letter: 准予行政许可决定书 or 不予行政许可决定书."""
    applicant = application.applicant
    version = application.item_version
    department = application.approval_department
    day = application.decided_on.strftime("%Y年%m月%d日")
    if application.decision == Decision.approve:
        licence = application.licence
        body = [
            f"{applicant.name}：",
            f"你（单位）于{application.submitted_dt.strftime('%Y年%m月%d日')}提出的"
            f"“{version.name}”申请，经审查，符合法定条件。"
            + ("申请人已书面承诺符合许可条件，本机关依据告知承诺制当场作出准予行政许可决定。"
               if application.track and application.track.value == "commitment" else "")
            + f"根据{version.legal_basis or '有关法律法规'}的规定，决定准予行政许可，"
            f"许可证号：{licence.number}。",
        ]
        sections = [Section(paragraphs=body)]
        supplements = [(m.name, "") for m, h in _choices(application)
                       if h == MaterialHandling.supplement]
        if application.supplements:
            rows = [("承诺补交材料", "补交期限")] + [
                (s.material.name, s.supplement_deadline.label) for s in application.supplements]
            sections.append(Section(heading="承诺限期补齐补全的材料", rows=rows))
        elif supplements:
            sections.append(Section(heading="承诺限期补齐补全的材料",
                                    rows=[("材料", ""), *supplements]))
        if application.track and application.track.value == "commitment":
            sections.append(Section(paragraphs=[
                f"本许可作出后，{application.supervisory_department.name}将依法对你（单位）的"
                "承诺内容进行现场核查。经核查承诺不实或违反承诺的，将责令限期整改；逾期不整改或"
                "整改后仍不符合条件的，依法撤销行政许可，并纳入信用记录。"]))
        title = "准予行政许可决定书"
    else:
        sections = [Section(paragraphs=[
            f"{applicant.name}：",
            f"你（单位）提出的“{version.name}”申请，经审查，决定不予行政许可。",
            f"理由：{application.decision_reason}",
            "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
            "或者在六个月内依法提起行政诉讼。",
        ])]
        title = "不予行政许可决定书"
    subtitle = f"{department.name} · 受理编号 {application.case_number} · {day}"
    return render(Document(title=title, subtitle=subtitle,
                           sections=sections, footer=f"{department.name}（印章）  {day}"))


def letter_pdf(application: Application, text: str, digest: str, *, signed: bool) -> bytes:
    """The commitment letter to print and sign on paper, or the signed text as stored.

    The fingerprint printed at the foot is the SHA-256 of the exact text: the clerk's record of
    the signed original is checked against it, so the stored text is the one printed.
    """
    pairs = [("受理编号", application.case_number or ""),
             ("申请事项", application.item_version.name),
             ("申请人", application.applicant.name)]
    note = ("本页为已签署承诺书的存档文本。" if signed else
            "请申请人阅读全文并同时阅读一次性告知书后，在下方签字（单位申请人加盖公章）。")
    sections = [Section(pairs=pairs), Section(paragraphs=[text]),
                Section(paragraphs=[note, "签署人（签字）：__________________　　"
                                    "日期：______年____月____日"])]
    return render(Document(title="告知承诺书", subtitle=f"受理编号 {application.case_number}",
                           sections=sections, footer=f"文本指纹 SHA-256：{digest}"))


def case_document_pdf(kind: CaseDocumentKind, issued_on: date, facts: dict) -> bytes:
    """Render a general-track notice from the facts it states (kept with the case as issued)."""
    day = _day(issued_on)
    head = [f"{facts['applicant']}："]
    sections: list[Section] = []
    if kind == CaseDocumentKind.acceptance_notice:
        head.append(f"你（单位）提出的“{facts['item']}”申请，申请材料齐全、符合法定形式，"
                    f"本机关决定予以受理。本机关将自受理之日起 {facts['working_days']} 个工作日内"
                    f"（{_day(facts['due_on'])}前）作出行政许可决定，依法需要听证、检验、检测、"
                    "鉴定、专家评审的时间不计算在内。")
        sections.append(Section(paragraphs=head))
        sections.append(Section(heading="已收取的申请材料",
                                rows=[("序号", "材料名称")] + [
                                    (str(i), name) for i, name in
                                    enumerate(facts.get("received", []), 1)]))
    elif kind == CaseDocumentKind.refusal_decision:
        head += [f"你（单位）提出的“{facts['item']}”申请，经审查，决定不予受理。",
                 f"理由：{facts['reason']}", REMEDIES]
        sections.append(Section(paragraphs=head))
    else:
        head.append(f"你（单位）提出的“{facts['item']}”申请，申请材料不齐全或者不符合法定形式。"
                    "根据《中华人民共和国行政许可法》第三十二条，现一次性告知你（单位）需要补正的"
                    "全部内容如下。请补正后再次提交，补正材料齐全后本机关依法受理。")
        sections.append(Section(paragraphs=head))
        sections.append(Section(heading="需要补正的全部材料",
                                rows=[("序号", "材料名称")] + [
                                    (str(i), name) for i, name in
                                    enumerate(facts.get("missing", []), 1)]))
        if facts.get("note"):
            sections.append(Section(paragraphs=[f"补正说明：{facts['note']}"]))
    return render(Document(title=kind.label,
                           subtitle=f"{facts['department']} · 受理编号 {facts['case_number']}",
                           sections=sections, footer=f"{facts['department']}（印章）  {day}"))


def _choices(application: Application):
    from licensing.cases.services import commitment_choices

    return commitment_choices(application)
