"""The public verification URL of a licence, and the refusal letter as PDF.

The certificate and the decision of a grant are stored as printed when they are issued
(``licensing.cases.licences``); a refusal issues no licence and is rendered from the
application's own record (the applicant's data as filed).
"""

from __future__ import annotations

from flask import current_app

from licensing.cases.models import Application, IneligibilityNotice, Licence
from licensing.pdf import Document, Section, render


def verify_url(licence: Licence) -> str:
    """The absolute URL of a licence's public verification page."""
    base = current_app.config["SETTINGS"].public_base_url.rstrip("/")
    return f"{base}/verify/{licence.verify_token}"


def refusal_pdf(application: Application, authority_name: str) -> bytes:
    """Render the refusal (不予行政许可决定书) of a rejected application."""
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
    return render(Document(title="不予行政许可决定书", subtitle=f"{authority_name} · {day}",
                           sections=sections, footer=f"{authority_name}（印章）  {day}"))


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
