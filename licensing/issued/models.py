"""The stored copy of an issued document."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class IssuedDocument(db.Model):
    """One document as issued (不予许可决定书, 撤销行政许可决定书, 送达回证 …), never changed.

    ``owner_type``/``owner_id`` name the record it was issued on (an application, a breach
    case, a revocation case); ``kind`` says which of its documents it is. There is one copy
    per owner and kind: issuing again returns the stored one.
    """

    __tablename__ = "issued_documents"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "kind", name="one_copy_per_document"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    #: The document number (文书号) printed on it, when it has one.
    number: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(100))
    #: The printable document (title, sections, QR code) the PDF was rendered from.
    content: Mapped[dict] = mapped_column(JSON)
    #: The PDF exactly as issued; every later download serves these bytes.
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<IssuedDocument {self.owner_type}/{self.owner_id} {self.kind}>"


@event.listens_for(Session, "before_flush")
def _issued_documents_are_immutable(session: Session, flush_context, instances) -> None:
    """Refuse any change to, or deletion of, an issued document."""
    for obj in session.dirty:
        if isinstance(obj, IssuedDocument) and session.is_modified(obj):
            raise ValueError("an issued document never changes")
    for obj in session.deleted:
        if isinstance(obj, IssuedDocument):
            raise ValueError("an issued document is never deleted")
