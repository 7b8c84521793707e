"""The documents of enforcement, rendered once when issued and kept as issued.

责令限期整改通知书 (rectification notice), 拟撤销行政许可告知书 (notice of intended revocation),
撤销行政许可决定书 (revocation decision) and 送达回证 (service receipt). The review authority, the
court and their time limits are city settings (``procedure.procedure_setting``); the holder's
name is the applicant's current one. Neither may change a document already handed out, so
each is stored as issued (``licensing.issued``) by the step that issues it, and every download
serves that copy (``*_pdf``).
"""

from __future__ import annotations

from datetime import date

from licensing.applicants.identity import mask_code
from licensing.cases.documents import verify_url
from licensing.enforcement.models import BreachCase, RevocationCase
from licensing.enforcement.procedure import procedure_setting
from licensing.issued.models import IssuedDocument
from licensing.issued.services import issue
from licensing.pdf import Document, Section


def _cn(day: date) -> str:
    return day.strftime("%Y年%m月%d日")


def _rights() -> str:
    return (f"如不服本决定，可以自收到本决定书之日起{procedure_setting('review_period_days')}日内"
            f"向{procedure_setting('review_authority')}申请行政复议，或者自收到本决定书之日起"
            f"{procedure_setting('litigation_period_months')}个月内向"
            f"{procedure_setting('court')}提起行政诉讼。")


def rectification_notice_document(case: BreachCase) -> Document:
    """责令限期整改通知书: the finding, what must be put right, by when."""
    if case.rectification_ordered_on is None:
        raise ValueError("no rectification was ordered on this case")
    licence = case.licence
    applicant = licence.applicant
    department = case.supervisory_department
    body = [
        f"{applicant.name}：",
        f"本机关于{_cn(case.found_on)}在{case.origin.label}中发现你（单位）持有的"
        f"“{licence.item_version.name}”许可证（许可证号：{licence.number}）存在"
        f"{case.finding.label}情形：{case.facts}",
        f"根据《定州市深化行政许可告知承诺制改革工作方案》三（四）的规定，现责令你（单位）于"
        f"{_cn(case.rectification_due_on)}前按下列要求整改到位：{case.rectification_requirements}",
        "逾期不整改或者整改后仍不符合条件的，本机关将依法依规予以查处，并告知行政审批实施部门"
        "依法撤销行政许可决定。",
    ]
    pairs = [("许可证号", licence.number), ("被许可人", applicant.name),
             (applicant.kind.code_label, mask_code(applicant.kind, applicant.code)),
             ("违诺性质", case.finding.label), ("责令日期", _cn(case.rectification_ordered_on)),
             ("整改期限", _cn(case.rectification_due_on))]
    return Document(
        title="责令限期整改通知书", subtitle=case.rectification_number,
        sections=[Section(paragraphs=body), Section(heading="要点", pairs=pairs),
                  Section(paragraphs=[department.name, _cn(case.rectification_ordered_on)])],
        footer=f"抄告：{case.approval_department.name}")


def notice_document(case: RevocationCase) -> Document:
    """拟撤销行政许可告知书: facts, reasons, basis, and the rights with their period."""
    if case.noticed_on is None:
        raise ValueError("no notice was given on this case")
    licence = case.licence
    applicant = licence.applicant
    deadline = case.statement_deadline
    body = [
        f"{applicant.name}：",
        f"本机关核发给你（单位）的“{licence.item_version.name}”许可证"
        f"（许可证号：{licence.number}），经查：{case.notice_facts}",
        f"本机关认为：{case.notice_reasons}",
        f"依据{case.notice_legal_basis}的规定，本机关拟撤销上述行政许可决定。",
        f"根据《中华人民共和国行政许可法》第七条、第四十七条的规定，你（单位）有权进行陈述和申辩，"
        f"并有权要求听证。请于{_cn(case.statement_due_on)}前（{deadline.working_days}个工作日内）"
        "向本机关提出；逾期未提出的，视为放弃上述权利。",
    ]
    pairs = [("许可证号", licence.number), ("被许可人", applicant.name),
             (applicant.kind.code_label, mask_code(applicant.kind, applicant.code)),
             ("告知日期", _cn(case.noticed_on)),
             ("陈述、申辩和要求听证期限", f"{_cn(case.statement_due_on)}（{deadline.rule.label}，"
                                     f"{deadline.working_days}个工作日）")]
    return Document(
        title="拟撤销行政许可告知书", subtitle=case.notice_number,
        sections=[Section(paragraphs=body), Section(heading="要点", pairs=pairs),
                  Section(paragraphs=[case.approval_department.name, _cn(case.noticed_on)])],
        footer=f"抄告：{case.supervisory_department.name}")


def _statement_answer(case: RevocationCase) -> str:
    if case.rights_waived:
        return f"你（单位）于{_cn(case.statement_received_on)}书面放弃陈述、申辩和听证的权利。"
    if case.statement_received_on is None:
        return (f"你（单位）在规定期限（{_cn(case.statement_due_on)}前）内未提出陈述、申辩，"
                "亦未要求听证。")
    text = f"你（单位）于{_cn(case.statement_received_on)}提出陈述、申辩：{case.statement_text}"
    if case.hearing_held_on is not None:
        text += (f"本机关于{_cn(case.hearing_held_on)}在{case.hearing_place}举行听证，"
                 f"由{case.hearing_host}主持。")
    return text


def revocation_letter_document(case: RevocationCase) -> Document:
    """撤销行政许可决定书: it answers the statement and names the review authority and court."""
    if case.letter_number is None:
        raise ValueError("only a case decided to revoke has a revocation letter")
    licence = case.licence
    applicant = licence.applicant
    version = licence.item_version
    decided = _cn(case.decided_on)
    body = [
        f"{applicant.name}：",
        f"本机关于{_cn(licence.issued_on)}作出准予行政许可决定，核发“{version.name}”许可证"
        f"（许可证号：{licence.number}）。",
        f"经查：{case.notice_facts or case.request_reason}",
        (f"本机关于{_cn(case.noticed_on)}告知你（单位）拟撤销该行政许可的事实、理由、依据及"
         f"陈述、申辩和要求听证的权利（{case.notice_number}）。" if case.noticed_on else ""),
        _statement_answer(case) if case.noticed_on else "",
        f"本机关认为：{case.decision_reason}",
        f"根据{case.legal_basis}的规定，本机关决定撤销上述行政许可决定，"
        f"许可证（{licence.number}）自本决定送达之日起失效。",
        _rights(),
    ]
    pairs = [("许可证号", licence.number), ("许可事项", version.name),
             ("被许可人", applicant.name),
             (applicant.kind.code_label, mask_code(applicant.kind, applicant.code)),
             ("撤销事由", case.origin.label), ("违诺性质", case.finding.label),
             ("法律依据", case.legal_basis or ""), ("决定日期", decided),
             ("行政复议机关", f"{procedure_setting('review_authority')}"
                        f"（{procedure_setting('review_period_days')}日内）"),
             ("人民法院", f"{procedure_setting('court')}"
                      f"（{procedure_setting('litigation_period_months')}个月内）")]
    return Document(
        title="撤销行政许可决定书", subtitle=case.letter_number,
        sections=[Section(paragraphs=[p for p in body if p]),
                  Section(heading="决定要点", pairs=pairs),
                  Section(paragraphs=[case.approval_department.name, decided])],
        qr_url=verify_url(licence), qr_caption="扫描二维码查询该许可证的当前状态。",
        footer=f"抄告：{case.supervisory_department.name}")


def service_receipt_document(case: RevocationCase) -> Document:
    """送达回证: what was served, to whom, how, when, and the receipt."""
    if case.served_on is None:
        raise ValueError("the decision was not served")
    licence = case.licence
    applicant = licence.applicant
    pairs = [("送达文书", f"撤销行政许可决定书（{case.letter_number}）"),
             ("受送达人", applicant.name), ("许可证号", licence.number),
             ("送达方式", case.service_method.label), ("送达日期", _cn(case.served_on)),
             ("送达回执", case.service_receipt or ""),
             ("送达人", case.served_by.display_name if case.served_by else "")]
    return Document(
        title="送达回证", subtitle=f"{case.letter_number}-SD",
        sections=[Section(pairs=pairs),
                  Section(paragraphs=[f"许可证自{_cn(case.served_on)}起撤销。",
                                      case.approval_department.name])])


# --- stored as issued -------------------------------------------------------------------------

BREACH_OWNER = "breach_case"
REVOCATION_OWNER = "revocation_case"


def issue_rectification_notice(case: BreachCase, *, actor=None) -> IssuedDocument:
    """Store the rectification notice as issued (when the rectification is ordered)."""
    return issue(BREACH_OWNER, case.id, "rectification_notice",
                 lambda: rectification_notice_document(case),
                 number=case.rectification_number, actor=actor)


def issue_notice(case: RevocationCase, *, actor=None) -> IssuedDocument:
    """Store the notice of intended revocation as issued (when the notice is given)."""
    return issue(REVOCATION_OWNER, case.id, "revocation_notice", lambda: notice_document(case),
                 number=case.notice_number, actor=actor)


def issue_revocation_letter(case: RevocationCase, *, actor=None) -> IssuedDocument:
    """Store the revocation decision as issued (when revocation is decided)."""
    return issue(REVOCATION_OWNER, case.id, "revocation_letter",
                 lambda: revocation_letter_document(case), number=case.letter_number,
                 actor=actor)


def issue_service_receipt(case: RevocationCase, *, actor=None) -> IssuedDocument:
    """Store the service receipt as issued (when the decision is served)."""
    return issue(REVOCATION_OWNER, case.id, "service_receipt",
                 lambda: service_receipt_document(case),
                 number=f"{case.letter_number}-SD", actor=actor)


def rectification_notice_pdf(case: BreachCase) -> bytes:
    """The rectification notice as issued."""
    return issue_rectification_notice(case).pdf


def notice_pdf(case: RevocationCase) -> bytes:
    """The notice of intended revocation as issued."""
    return issue_notice(case).pdf


def revocation_letter_pdf(case: RevocationCase) -> bytes:
    """The revocation decision as issued."""
    return issue_revocation_letter(case).pdf


def service_receipt_pdf(case: RevocationCase) -> bytes:
    """The service receipt as issued."""
    return issue_service_receipt(case).pdf
