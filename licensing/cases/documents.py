"""The public verification URL of a licence, and the refusal letter as PDF.

The certificate and the decision of a grant are stored as printed when they are issued
(``licensing.cases.licences``); a refusal issues no licence and is rendered from the
application's own record (the applicant's data as filed).
"""

from __future__ import annotations

from flask import current_app

from licensing.cases.models import Application, Licence
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
