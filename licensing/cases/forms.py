"""Forms of the case journey."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from licensing.cases.models import PauseReason


class NewApplicationForm(FlaskForm):
    """Who applies for which item."""

    item_code = SelectField("申请事项", validators=[DataRequired("请选择申请事项。")],
                            validate_choice=False)
    applicant_kind = RadioField(
        "申请人类型", choices=[("enterprise", "企业（统一社会信用代码）"),
                               ("individual", "个人（居民身份证号码）")],
        default="enterprise", validators=[DataRequired("请选择申请人类型。")])
    applicant_code = StringField(
        "统一社会信用代码 / 身份证号码",
        # No maxlength of 18 in the page: a code pasted with a space around it would be cut
        # short by the browser. Spaces are trimmed; the identity check counts the 18.
        validators=[DataRequired("请填写统一社会信用代码或身份证号码。"), Length(max=40)])
    applicant_name = StringField("申请人名称 / 姓名",
                                 validators=[DataRequired("请填写申请人名称。"), Length(max=200)])
    applicant_phone = StringField("联系电话", validators=[Optional(), Length(max=32)])
    business_address = StringField("经营场所地址", validators=[Optional(), Length(max=300)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=50)])
    submission_token = HiddenField()


class StepForm(FlaskForm):
    """A step with no fields of its own (CSRF only)."""


class TrackForm(FlaskForm):
    """The applicant's free choice of track."""

    track = HiddenField(validators=[DataRequired()])


class SignForm(FlaskForm):
    """Sign the commitment letter exactly as shown."""

    signer_name = StringField("签署人姓名",
                              validators=[DataRequired("请填写签署人姓名。"), Length(max=100)])
    letter_digest = HiddenField(validators=[DataRequired()])


class DecisionForm(FlaskForm):
    """Approve or reject on the spot."""

    outcome = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("理由（不予许可时必填）", validators=[Optional(), Length(max=2000)])


class PauseForm(FlaskForm):
    """Stop the statutory clock."""

    reason = SelectField("暂停事由（行政许可法第四十五条）", id="pause-reason",
                         choices=[(r.value, r.label) for r in PauseReason])
    paused_on = DateField("暂停日期", validators=[DataRequired("请填写日期。")])
    note = StringField("说明", id="pause-note", validators=[Optional(), Length(max=500)])


class ResumeForm(FlaskForm):
    """Restart the statutory clock."""

    resumed_on = DateField("恢复计时日期", validators=[DataRequired("请填写日期。")])


class PaperSignForm(FlaskForm):
    """At the counter: the signed paper original of the printed letter was received."""

    # Its own name: the electronic form on the same page has ``signer_name``.
    original_signer_name = StringField("签署人姓名（与纸质原件一致）", id="paper-signer-name",
                              validators=[DataRequired("请填写签署人姓名。"), Length(max=100)])
    letter_digest = HiddenField(id="paper-letter-digest", validators=[DataRequired()])
    scan = FileField("签署原件扫描件（可选，照片或 PDF）")


class WithdrawForm(FlaskForm):
    """Withdraw (撤回) an application before the decision."""

    reason = TextAreaField("撤回理由", id="withdraw-reason",
                           validators=[DataRequired("请填写撤回理由。"), Length(max=500)])


class NotAcceptForm(FlaskForm):
    """General track: do not accept (不予受理)."""

    reason = TextAreaField("不予受理理由", id="not-accept-reason",
                           validators=[DataRequired("请填写不予受理的理由。"), Length(max=2000)])


class CorrectionForm(FlaskForm):
    """General track: tell at once everything missing (补正材料通知书)."""

    note = TextAreaField("补正说明（可选）", id="correction-note",
                         validators=[Optional(), Length(max=1000)])
