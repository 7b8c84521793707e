"""The revocation letter (撤销行政许可决定书) as PDF, rendered from the stored decision."""

from __future__ import annotations

from licensing.applicants.identity import mask_code
from licensing.enforcement.models import RevocationCase, RevocationStatus
from licensing.pdf import Document, Section, render


def revocation_letter_pdf(case: RevocationCase) -> bytes:
    """Render the letter of a revoked case; every word comes from stored, immutable fields."""
    from licensing.cases.documents import verify_url

    if case.status != RevocationStatus.revoked:
        raise ValueError("only a revoked case has a revocation letter")
    licence = case.licence
    applicant = licence.applicant
    version = licence.item_version
    department = case.approval_department
    decided = case.decided_on.strftime("%Y年%m月%d日")
    issued = licence.issued_on.strftime("%Y年%m月%d日")
    body = [
        f"{applicant.name}：",
        f"本机关于{issued}依据你（单位）作出的书面承诺，以告知承诺方式当场作出准予行政许可决定，"
        f"核发“{version.name}”许可证（许可证号：{licence.number}）。",
        f"经查：{case.request_reason}",
        f"本机关认为：{case.decision_reason}",
        f"根据{case.legal_basis}的规定，本机关决定撤销上述行政许可决定，"
        f"许可证（{licence.number}）自本决定作出之日起失效。",
        "你（单位）违反承诺的情况已记入信用记录，并推送至信用信息共享平台。",
        "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
        "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。",
    ]
    pairs = [
        ("许可证号", licence.number),
        ("许可事项", version.name),
        ("被许可人", applicant.name),
        (applicant.kind.code_label, mask_code(applicant.kind, applicant.code)),
        ("撤销事由", case.origin.label),
        ("法律依据", case.legal_basis or ""),
        ("决定日期", decided),
    ]
    return render(Document(
        title="撤销行政许可决定书",
        subtitle=case.letter_number,
        sections=[Section(paragraphs=body), Section(heading="决定要点", pairs=pairs),
                  Section(paragraphs=[f"{department.name}", decided])],
        qr_url=verify_url(licence),
        qr_caption="扫描二维码查询该许可证的当前状态。",
        footer=f"抄告：{case.supervisory_department.name}",
    ))
