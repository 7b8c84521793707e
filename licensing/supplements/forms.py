"""Forms of promised supplements: hand-in and review."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class HandInForm(FlaskForm):
    """Hand in a promised material: a file, or a note on the paper handed over."""

    file = FileField("材料文件（照片或 PDF）")
    note = StringField("说明（现场提交纸质材料时注明）", validators=[Optional(), Length(max=1000)])


class ReviewForm(FlaskForm):
    """Accept or reject a handed-in material."""

    outcome = HiddenField()
    note = TextAreaField("审核意见（不予通过时必填）", validators=[Optional(), Length(max=2000)])
