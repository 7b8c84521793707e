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
    legal_representative = StringField("法定代表人（负责人）",
                                       validators=[Optional(), Length(max=100)])
    address = StringField("住所", validators=[Optional(), Length(max=300)])
    licensed_scope = TextAreaField("许可内容", validators=[Optional(), Length(max=2000)])
    business_address = StringField("经营场所地址", validators=[Optional(), Length(max=300)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=50)])
    submission_token = HiddenField()


class LicenceRequestForm(FlaskForm):
    """Open a change (with what changes), renewal or reissue case of a licence."""

    purpose = HiddenField(validators=[DataRequired()])
    holder_name = StringField("持证人名称", validators=[Optional(), Length(max=200)])
    legal_representative = StringField("法定代表人（负责人）",
                                       validators=[Optional(), Length(max=100)])
    address = StringField("住所", validators=[Optional(), Length(max=300)])
    scope = TextAreaField("许可内容", validators=[Optional(), Length(max=2000)])


class CancellationForm(FlaskForm):
    """Cancel a licence (注销)."""

    reason = SelectField("注销原因", choices=[("surrender", "持证人申请注销"),
                                           ("dissolved", "持证人依法终止"),
                                           ("expired", "有效期届满未延续"),
                                           ("revoked", "行政许可依法被撤销")],
                         validators=[DataRequired("请选择注销原因。")])
    note = StringField("说明", validators=[Optional(), Length(max=500)])


class ServiceForm(FlaskForm):
    """Record the service (送达) of a document."""

    method = SelectField("送达方式", choices=[("in_person", "直接送达"), ("post", "邮寄送达"),
                                          ("electronic", "电子送达"), ("entrusted", "委托送达"),
                                          ("public_notice", "公告送达")],
                         validators=[DataRequired("请选择送达方式。")])
    served_on = DateField("送达日期", validators=[DataRequired("请填写送达日期。")])
    served_to = StringField("受送达人", validators=[DataRequired("请填写受送达人。"),
                                                 Length(max=200)])


class StepForm(FlaskForm):
    """A step with no fields of its own (CSRF only)."""


class TrackForm(FlaskForm):
    """The applicant's free choice of track."""

    track = HiddenField(validators=[DataRequired()])


class SignForm(FlaskForm):
    """Sign the commitment letter exactly as shown."""

    signer_name = StringField("签署人姓名",
                              validators=[DataRequired("请填写签署人姓名。"), Length(max=100)])
    #: Choices are set per applicant kind by the view; the service checks the capacity.
    capacity = SelectField("签署人身份", choices=[], validate_choice=False,
                           validators=[Optional()])
    signer_id_number = StringField("签署人居民身份证号码", validators=[Optional(), Length(max=18)])
    power_of_attorney = StringField("授权委托书说明（可选：名称、收取日期）",
                                    validators=[Optional(), Length(max=200)])
    power_of_attorney_file = FileField("授权委托书（委托代理人签署时必须上传，照片或 PDF）")
    letter_digest = HiddenField(validators=[DataRequired()])

    def set_capacity_choices(self, enterprise: bool) -> None:
        """Offer the capacities open to the applicant's kind (the first is the default)."""
        first = ("legal_representative", "法定代表人（负责人）") if enterprise else (
            "self", "申请人本人")
        self.capacity.choices = [first, ("agent", "委托代理人")]


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
    # Names of their own too: the electronic form on the same page has the plain ones.
    paper_capacity = SelectField("签署人身份", id="paper-capacity", choices=[],
                                 validate_choice=False, validators=[Optional()])
    paper_signer_id_number = StringField("签署人居民身份证号码", id="paper-signer-id",
                                   validators=[Optional(), Length(max=18)])
    paper_power_of_attorney = StringField("授权委托书说明（可选：名称、收取日期）",
                                          id="paper-power-of-attorney",
                                    validators=[Optional(), Length(max=200)])
    paper_power_of_attorney_file = FileField(
        "授权委托书（委托代理人签署时必须上传，照片或 PDF）", id="paper-power-of-attorney-file")
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
