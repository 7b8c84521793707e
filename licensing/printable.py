"""Which characters a licence can print: refuse the others at input, not as boxes on paper.

Licences, decisions and served documents print the facts they state. A character that the
documents' font cannot show would print as an empty box; it is refused where the fact is
entered, with a message that names the field and the character: emoji, pictographs,
private-use, unassigned, control and format code points always, and with the embedded font
(``licensing.pdf.EMBEDDED``) any character it has no glyph for (a rare ideograph outside it).
"""

from __future__ import annotations

import unicodedata

from licensing.errors import ValidationFailed
from licensing.pdf import covers

#: Unicode general categories no licence prints: other symbols (emoji, pictographs),
#: surrogates, private use, unassigned, controls and format characters (zero-width joiners).
_REFUSED_CATEGORIES = {"So", "Cs", "Co", "Cn", "Cc", "Cf"}
#: Symbols of category ``So`` that official documents do use.
_ALLOWED_SYMBOLS = set("№℃°※〇々〆〒")


class UnprintableCharacter(ValidationFailed):
    """A character that no licence can print, such as an emoji."""

    code = "unprintable_character"
    default_message = "包含无法打印的字符。"


def unprintable_characters(text: str) -> list[str]:
    """Return the characters of ``text`` that no licence can print, in order, once each."""
    found: list[str] = []
    for char in text or "":
        if char in _ALLOWED_SYMBOLS or char in found:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES or (
                not char.isspace() and covers(char) is False):
            found.append(char)
    return found


def require_printable(text: str | None, label: str, *, code: str | None = None) -> str | None:
    """Return ``text``, or raise ``UnprintableCharacter`` naming the field and the characters."""
    bad = unprintable_characters(text or "")
    if bad:
        shown = "、".join(f"“{c}”（U+{ord(c):04X}）" if unicodedata.category(c)[0] != "C"
                         else f"U+{ord(c):04X}" for c in bad)
        raise UnprintableCharacter(
            f"{label}包含许可证无法打印的字符：{shown}。请删除后重新填写。",
            code=code or UnprintableCharacter.code)
    return text
