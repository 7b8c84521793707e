"""Every form answers in Chinese and trims what people type, without each form asking.

WTForms ships Simplified Chinese messages (``locales=("zh",)``), but Flask-WTF only uses them
through Flask-Babel, which this system does not need: so its forms fall back to English
(「Field cannot be longer than 200 characters.」). And spaces pasted around a code or a name
are part of the value unless a filter removes them, so a length is checked on them.

``install()`` gives ``FlaskForm``'s meta class both behaviours once, at start-up, so every
form of every domain gets them (see docs/decisions/0016-counter-day.md).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.meta import DefaultMeta


def strip_text(value):
    """Remove surrounding white space (ASCII and full-width) from a submitted string."""
    return value.strip() if isinstance(value, str) else value


class ChineseTrimmingMeta:
    """Meta mixin: WTForms' Chinese messages, and a strip filter on every text field."""

    locales = ("zh",)

    def get_translations(self, form):
        """Use WTForms' own catalogue of ``locales`` (not Flask-WTF's Babel hook)."""
        return DefaultMeta.get_translations(self, form)

    def bind_field(self, form, unbound_field, options):
        """Add ``strip_text`` to one-line text fields.

        Passwords keep every character typed; text areas and hidden fields may carry text that
        must stay byte for byte (a notice file whose digest is checked), and their services
        trim what they store themselves.
        """
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(
                field_class, PasswordField | TextAreaField | HiddenField):
            filters = tuple(unbound_field.kwargs.get("filters") or ())
            if strip_text not in filters:
                options = {**options, "filters": (strip_text, *filters)}
        return super().bind_field(form, unbound_field, options)


def install() -> None:
    """Give every ``FlaskForm`` the Chinese messages and the trimming (idempotent)."""
    if not issubclass(FlaskForm.Meta, ChineseTrimmingMeta):
        FlaskForm.Meta = type("Meta", (ChineseTrimmingMeta, FlaskForm.Meta), {})
