"""Issue a document once, serve it as issued ever after."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sqlalchemy import select

from licensing.audit.services import record_audit
from licensing.extensions import db
from licensing.issued.models import IssuedDocument
from licensing.pdf import Document, document_to_dict, render


def issued(owner_type: str, owner_id: int, kind: str) -> IssuedDocument | None:
    """The stored copy of a document issued on an owner, if it was issued."""
    return db.session.scalar(select(IssuedDocument).where(
        IssuedDocument.owner_type == owner_type, IssuedDocument.owner_id == owner_id,
        IssuedDocument.kind == kind))


def issue(owner_type: str, owner_id: int, kind: str, build: Callable[[], Document], *,
          number: str | None = None, actor=None) -> IssuedDocument:
    """Render and store a document as issued; return the stored copy if it exists already.

    ``build`` is called only when there is no stored copy: from then on what the document
    says no longer depends on current data or settings. Audited.
    """
    stored = issued(owner_type, owner_id, kind)
    if stored is not None:
        return stored
    document = build()
    pdf = render(document)
    stored = IssuedDocument(owner_type=owner_type, owner_id=owner_id, kind=kind, number=number,
                            title=document.title, content=document_to_dict(document), pdf=pdf,
                            sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(stored)
    db.session.flush()
    record_audit("issued_document.issued", object_type="issued_document", object_id=stored.id,
                 actor=actor, changes={"owner_type": owner_type, "owner_id": owner_id,
                                       "kind": kind, "number": number,
                                       "sha256": stored.sha256})
    return stored


def issued_pdf(owner_type: str, owner_id: int, kind: str,
               build: Callable[[], Document], *, number: str | None = None) -> bytes:
    """The PDF of a document as issued; one issued before copies were kept is kept now."""
    return issue(owner_type, owner_id, kind, build, number=number).pdf
