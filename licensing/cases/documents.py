"""The public verification URL of a licence, and the refusal letter as PDF.

The certificate and the decision of a grant are stored as printed when they are issued
(``licensing.cases.licences``); a refusal issues no licence: its letter is rendered from
the application's own record (the applicant's data as filed) at the decision and stored as
issued (``licensing.issued``), so a later download serves the same bytes.
"""

from __future__ import annotations

from datetime import date

from flask import current_app

from licensing.cases.models import Application, CaseDocumentKind, IneligibilityNotice, Licence
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


#: Owner type and kind of the refusal letter stored as issued (``licensing.issued``).
REFUSAL_OWNER, REFUSAL_KIND = "application", "refusal_letter"


def refusal_document(application: Application, authority_name: str) -> Document:
    """The refusal (不予行政许可决定书) of a rejected application, from its own record."""
    holder = application.applicant_version or application.applicant
    version = application.item_version
    day = application.decided_on.strftime("%Y年%m月%d日")
    sections = [Section(paragraphs=[
        f"{holder.name}：",
        f"你（单位）提出的“{version.name}”申请，经审查，决定不予行政许可。",
        f"理由：{application.decision_reason}",
        "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
        "或者在六个月内依法提起行政诉讼。",
    ])]
    return Document(title="不予行政许可决定书", subtitle=f"{authority_name} · {day}",
                    sections=sections, footer=f"{authority_name}（印章）  {day}")


def refusal_pdf(application: Application, authority_name: str) -> bytes:
    """Render the refusal of a rejected application (what is stored when it is issued)."""
    return render(refusal_document(application, authority_name))


def ineligibility_notice_pdf(notice: IneligibilityNotice) -> bytes:
    """Render the 不适用告知承诺制告知书 from the notice's own copy of its facts."""
    day = notice.issued_on.strftime("%Y年%m月%d日")
    sections = [
        Section(paragraphs=[
            f"{notice.applicant_name}：",
            f"你（单位）申请以告知承诺制方式办理“{notice.item_name}”。本机关通过信用信息共享平台"
            "核查了你（单位）的信用记录。根据《关于深化行政许可告知承诺制改革的工作方案》"
            "三（一）“申请人有较严重不良信用记录或者存在曾作出虚假承诺等情形的，在信用修复前"
            "不适用告知承诺制”的规定，本次申请不适用告知承诺制。"]),
        Section(heading="一、不适用的理由", paragraphs=[
            f"{n}. {reason}" for n, reason in enumerate(notice.reasons, start=1)]),
        Section(heading="二、如何修复信用记录或提出异议", paragraphs=[
            f"{n}. {line}" for n, line in enumerate(notice.repair_guidance, start=1)]
            or ["信用记录修复或异议处理完成后，可以重新申请以告知承诺制方式办理。"]),
        Section(heading="三、可以按一般程序办理", paragraphs=[notice.general_track]),
    ]
    return render(Document(
        title="不适用告知承诺制告知书", subtitle=f"{notice.approval_department_name} · {day}",
        sections=sections, footer=f"{notice.approval_department_name}（印章）  {day}"))


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
