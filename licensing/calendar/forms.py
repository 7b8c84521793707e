"""Forms of the calendar administration page."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from licensing.calendar.notice_file import MAX_FILE_BYTES


class NoticeUploadForm(FlaskForm):
    """Upload a notice file (YAML) for preview."""

    file = FileField("节假日安排通知文件（YAML）",
                     validators=[FileRequired("请选择要上传的文件。")])


class NoticeConfirmForm(FlaskForm):
    """Confirm the import of exactly the previewed file against the previewed version."""

    content = TextAreaField(validators=[DataRequired(), Length(max=MAX_FILE_BYTES)],
                            render_kw={"hidden": True})
    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    base_version = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
