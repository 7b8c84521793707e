"""The licence and the decision letter as PDF."""

from __future__ import annotations

from flask import current_app

from licensing.applicants.identity import mask_code
from licensing.cases.models import (
    Application,
    Decision,
    IneligibilityNotice,
    Licence,
    MaterialHandling,
)
from licensing.pdf import Document, Section, render


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
    return render(Document(title=title, subtitle=f"{department.name} · {day}",
                           sections=sections, footer=f"{department.name}（印章）  {day}"))


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


def _choices(application: Application):
    from licensing.cases.services import commitment_choices

    return commitment_choices(application)
