"""Forms of the approval side: revocation decisions, supplements."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput


class DecisionForm(FlaskForm):
    """Revoke or dismiss (the button pressed says which)."""

    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    outcome = HiddenField()
    reason = TextAreaField("决定理由", validators=[Optional(), Length(max=5000)])
    legal_basis = TextAreaField("法律依据（撤销时）", validators=[Optional(), Length(max=5000)])
