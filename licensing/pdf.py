"""Printable documents (licences, decision letters, notices) as PDF, with reportlab.

Chinese text uses reportlab's built-in CID font ``STSong-Light``: PDF readers supply the glyphs,
so no font file has to ship with the system.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=28, alignment=1,
                        spaceAfter=6 * mm, wordWrap="CJK")
_SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=11, leading=16, alignment=1,
                           spaceAfter=6 * mm, wordWrap="CJK")
_HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=20, spaceBefore=4 * mm,
                          spaceAfter=2 * mm, wordWrap="CJK")
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18, wordWrap="CJK")
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK",
                        textColor=colors.grey)


@dataclass
class Section:
    """A heading with paragraphs, a key-value table and/or a table of rows."""

    heading: str | None = None
    paragraphs: Sequence[str] = ()
    pairs: Sequence[tuple[str, str]] = ()
    rows: Sequence[Sequence[str]] = ()  # first row is the header


@dataclass
class Document:
    """A printable document: title, sections, an optional QR code with its caption."""

    title: str
    subtitle: str | None = None
    sections: list[Section] = field(default_factory=list)
    qr_url: str | None = None
    qr_caption: str | None = None
    footer: str | None = None


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def render(document: Document) -> bytes:
    """Return the document as PDF bytes (A4)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm, title=document.title)
    story: list = [_p(document.title, _TITLE)]
    if document.subtitle:
        story.append(_p(document.subtitle, _SUBTITLE))
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f4f7")),
    ])
    for section in document.sections:
        if section.heading:
            story.append(_p(section.heading, _HEADING))
        for paragraph in section.paragraphs:
            story.append(_p(paragraph, _BODY))
            story.append(Spacer(1, 2 * mm))
        if section.pairs:
            data = [[_p(k, _CELL), _p(v, _CELL)] for k, v in section.pairs]
            table = Table(data, colWidths=[40 * mm, 130 * mm])
            table.setStyle(grid)
            story.append(table)
        if section.rows:
            data = [[_p(str(c), _CELL) for c in row] for row in section.rows]
            table = Table(data, repeatRows=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f4f7")),
            ]))
            story.append(table)
    if document.qr_url:
        story.append(Spacer(1, 6 * mm))
        story.append(_qr(document.qr_url))
        if document.qr_caption:
            story.append(_p(document.qr_caption, _SMALL))
    if document.footer:
        story.append(Spacer(1, 6 * mm))
        story.append(_p(document.footer, _SMALL))
    doc.build(story)
    return buffer.getvalue()
