"""Forms of the approval side: revocation decisions, supplements."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput


class DecisionForm(FlaskForm):
    """Revoke or dismiss (the button pressed says which)."""

    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    outcome = HiddenField()
    reason = TextAreaField("决定理由", validators=[Optional(), Length(max=5000)])
    legal_basis = TextAreaField("法律依据（撤销时）", validators=[Optional(), Length(max=5000)])


class HandInForm(FlaskForm):
    """Hand in a promised material: a file, or a note on the paper handed over."""

    file = FileField("材料文件（照片或 PDF）")
    note = StringField("说明（现场提交纸质材料时注明）", validators=[Optional(), Length(max=1000)])


class ReviewForm(FlaskForm):
    """Accept or reject a handed-in material."""

    outcome = HiddenField()
    note = TextAreaField("审核意见（不予通过时必填）", validators=[Optional(), Length(max=2000)])
