"""Forms of enforcement: breach cases, rectification, the revocation procedure."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from licensing.enforcement.models import MANUAL_BREACH_ORIGINS, Finding, ServiceMethod

FINDING_CHOICES = [SelectChoice(f.value, f"{f.label}：{f.explanation}") for f in Finding]


class _Versioned(FlaskForm):
    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class DecisionForm(_Versioned):
    """Revoke or not (the button pressed says which)."""

    outcome = HiddenField()
    reason = TextAreaField("决定理由（撤销时须回应当事人的陈述、申辩）",
                           validators=[Optional(), Length(max=5000)])
    legal_basis = TextAreaField("法律依据（撤销时）", validators=[Optional(), Length(max=5000)])
    public_interest = BooleanField(
        "不予撤销系因撤销可能对公共利益造成重大损害（行政许可法第六十九条）")


class NoticeForm(_Versioned):
    """拟撤销行政许可告知书."""

    facts = TextAreaField("拟撤销的事实", validators=[DataRequired("请写明拟撤销的事实。"),
                                                  Length(max=5000)])
    reasons = TextAreaField("理由", validators=[DataRequired("请写明拟撤销的理由。"),
                                              Length(max=5000)])
    legal_basis = TextAreaField("法律依据", validators=[Optional(), Length(max=5000)])


class StatementForm(FlaskForm):
    """The statement and defence received, or the written waiver."""

    received_on = DateField("收到日期", validators=[DataRequired("请填写收到日期。")])
    text = TextAreaField("陈述、申辩内容（口头陈述的记录笔录要点）",
                         validators=[Optional(), Length(max=5000)])
    hearing_requested = BooleanField("当事人要求听证")
    waives_rights = BooleanField("当事人书面放弃陈述、申辩和听证权利")


class HearingForm(FlaskForm):
    """The hearing."""

    held_on = DateField("听证日期", validators=[DataRequired("请填写听证日期。")])
    place = StringField("听证地点", validators=[DataRequired("请填写听证地点。"), Length(max=200)])
    host = StringField("听证主持人（非本案调查人员）",
                       validators=[DataRequired("请填写听证主持人。"), Length(max=100)])
    minutes = TextAreaField("听证笔录要点", validators=[DataRequired("请记录听证笔录要点。"),
                                                  Length(max=5000)])


class ServiceForm(FlaskForm):
    """送达."""

    method = SelectField("送达方式",
                         choices=[SelectChoice(m.value, m.label) for m in ServiceMethod])
    served_on = DateField("送达日期", validators=[DataRequired("请填写送达日期。")])
    receipt = TextAreaField("送达回执（签收人、回执编号或公告载体）",
                            validators=[DataRequired("请填写送达回执。"), Length(max=5000)])


class ReversalForm(FlaskForm):
    """A served revocation withdrawn on review."""

    reversed_on = DateField("撤回日期", validators=[DataRequired("请填写日期。")])
    reason = TextAreaField("依据（如行政复议决定书文号）",
                           validators=[DataRequired("请写明依据。"), Length(max=5000)])


class BreachForm(FlaskForm):
    """A breach found in routine supervision, on a complaint, a referral or a credit re-check."""

    licence_number = StringField("许可证号", validators=[DataRequired("请填写许可证号。"),
                                                     Length(max=40)])
    origin = SelectField("来源", choices=[SelectChoice(o.value, o.label)
                                          for o in MANUAL_BREACH_ORIGINS])
    finding = RadioField("违诺性质", choices=FINDING_CHOICES, default="breach")
    facts = TextAreaField("发现的事实及认定理由",
                          validators=[DataRequired("请写明发现的事实及认定理由。"),
                                      Length(max=5000)])
    found_on = DateField("发现日期", validators=[DataRequired("请填写发现日期。")])


class BreachRectificationForm(FlaskForm):
    """责令限期整改."""

    due_on = DateField("整改期限", validators=[DataRequired("请填写整改期限。")])
    requirements = TextAreaField("整改要求", validators=[DataRequired("请写明整改要求。"),
                                                      Length(max=5000)])


class BreachOutcomeForm(FlaskForm):
    """Whether the breach was put right."""

    rectified = HiddenField()
    note = TextAreaField("整改情况（未整改到位时必填）", validators=[Optional(), Length(max=5000)])
    reinspected_on = DateField("复查日期（整改期限届满前认定未整改到位时必填）",
                               validators=[Optional()])
    penalty_ref = StringField("处罚决定书文号（依法依规予以查处的）",
                              validators=[Optional(), Length(max=100)])


class JudicialTransferForm(FlaskForm):
    """移送司法机关."""

    reference = StringField("移送文书编号", validators=[DataRequired("请填写移送文书编号。"),
                                                    Length(max=100)])
    transferred_on = DateField("移送日期", validators=[DataRequired("请填写移送日期。")])
