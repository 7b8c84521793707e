"""Printable documents (licences, decision letters, notices) as PDF, with reportlab.

Text is set in an embedded TrueType font (WenQuanYi Micro Hei, Apache-2.0, Debian package
``fonts-wqy-microhei``; ``make fonts`` installs it; ``LICENSING_PDF_FONT`` names another
TrueType file): the glyphs used are embedded as a subset, so every viewer prints the same
characters and the file keeps for archiving. Without the font file the documents fall back to
reportlab's CID font ``STSong-Light``, whose glyphs each viewer supplies (some print 「·」 as a
box): ``EMBEDDED`` says which, and the start-up log warns.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
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
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

log = logging.getLogger(__name__)

#: Where the embedded font is looked for, in order (a .ttf, or a .ttc's first face).
FONT_FILES = tuple(p for p in (
    os.environ.get("LICENSING_PDF_FONT", ""),
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
) if p)
FALLBACK_FONT = "STSong-Light"


def _register_font() -> tuple[str, TTFont | None]:
    for path in FONT_FILES:
        if os.path.isfile(path):
            font = TTFont("LicenceSans", path, subfontIndex=0)
            pdfmetrics.registerFont(font)
            return "LicenceSans", font
    log.warning("no embeddable CJK TrueType font found (%s): PDFs use the CID font %s, "
                "not embedded", ", ".join(FONT_FILES), FALLBACK_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT, None


FONT, _EMBEDDED_FONT = _register_font()
#: Whether documents embed their font (a TrueType subset).
EMBEDDED = _EMBEDDED_FONT is not None


def covers(char: str) -> bool | None:
    """Whether the embedded font has a glyph for ``char`` (``None``: no font to ask)."""
    if _EMBEDDED_FONT is None:
        return None
    return ord(char) in _EMBEDDED_FONT.face.charToGlyph

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


def document_to_dict(document: Document) -> dict:
    """The printable document as plain JSON-able data (to store it as issued)."""
    return dataclasses.asdict(document)


def document_from_dict(content: dict) -> Document:
    """Rebuild a printable document stored with ``document_to_dict``."""
    sections = [Section(heading=s.get("heading"), paragraphs=tuple(s.get("paragraphs") or ()),
                        pairs=tuple(tuple(p) for p in s.get("pairs") or ()),
                        rows=tuple(tuple(r) for r in s.get("rows") or ()))
                for s in content.get("sections") or ()]
    return Document(title=content["title"], subtitle=content.get("subtitle"),
                    sections=sections, qr_url=content.get("qr_url"),
                    qr_caption=content.get("qr_caption"), footer=content.get("footer"))
