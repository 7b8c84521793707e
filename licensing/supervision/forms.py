"""Forms of the supervision pages. Every form that edits a task carries its ``lock_version``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
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

from licensing.supervision.models import Outcome


class _Versioned(FlaskForm):
    """A form on one task: the version of the task the page showed."""

    lock_version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class ResultForm(_Versioned):
    """The result of the on-site check."""

    outcome = RadioField("核查结果", choices=[SelectChoice(o.value, o.label) for o in Outcome],
                         validators=[DataRequired("请选择核查结果。")])
    findings = TextAreaField("核查情况 / 发现的问题（不符合承诺时必填）",
                             validators=[Optional(), Length(max=5000)])
    checked_on = DateField("核查完成日期", validators=[DataRequired("请填写核查完成日期。")])
    finding = RadioField("违诺性质（不符合承诺时）", default="breach", choices=[
        SelectChoice("breach", "违反承诺：未履行承诺的条件、补交材料或整改要求"),
        SelectChoice("false_commitment", "不实承诺：签署承诺书时承诺的条件并不存在")],
        validators=[Optional()])
    push = BooleanField("保存后立即推送至审批部门", default=True)


class RoutineResultForm(FlaskForm):
    """The result of a routine inspection (日常监管检查), with the finding's classification."""

    outcome = RadioField("检查结果", choices=[SelectChoice("conform", "符合"),
                                           SelectChoice("nonconform", "不符合")],
                         validators=[DataRequired("请选择检查结果。")])
    findings = TextAreaField("检查情况 / 发现的问题（不符合时必填）",
                             validators=[Optional(), Length(max=5000)])
    # No default: a nonconform result must be classified by the inspector, on purpose.
    finding = RadioField("违诺性质（不符合时必选）", choices=[
        SelectChoice("breach", "违反承诺：未持续符合许可条件或未履行承诺"),
        SelectChoice("false_commitment", "不实承诺：承诺的条件在许可时并不存在")],
        validators=[Optional()])
    checked_on = DateField("检查日期", validators=[DataRequired("请填写检查日期。")])


class PushForm(_Versioned):
    """Push a recorded result to the approval department."""


class AssignForm(_Versioned):
    """Assign the task to an inspector of the department."""

    inspector_id = SelectField("核查人员", coerce=int, validate_choice=False,
                               validators=[DataRequired("请选择核查人员。")])


class EvidenceForm(FlaskForm):
    """A photo or PDF as evidence."""

    file = FileField("照片或 PDF 文件", validators=[FileRequired("请选择要上传的文件。")])
    note = StringField("说明", validators=[Optional(), Length(max=500)])


class RectificationForm(_Versioned):
    """Order the breach put right by a date (责令限期整改)."""

    due_on = DateField("整改期限", validators=[DataRequired("请填写整改期限。")])
    requirements = TextAreaField("整改要求", validators=[Optional(), Length(max=5000)])


class RectificationOutcomeForm(_Versioned):
    """Whether the breach was put right."""

    rectified = HiddenField()
    note = TextAreaField("整改情况（未整改到位时必填）", validators=[Optional(), Length(max=5000)])
    reinspected_on = DateField("复查日期（整改期限届满前认定未整改到位时必填）",
                               validators=[Optional()])


class JudicialTransferForm(FlaskForm):
    """A suspected crime handed to the judicial authorities (移送司法机关)."""

    reference = StringField("移送文书编号", validators=[DataRequired("请填写移送文书编号。"),
                                                    Length(max=100)])
    transferred_on = DateField("移送日期", validators=[DataRequired("请填写移送日期。")])
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000)])


class SampleForm(FlaskForm):
    """Draw the routine supervision sample (双随机抽查) by credit risk level."""

    seed = StringField("复核已有抽取时填写其随机种子（新抽取请留空，系统随机生成并记录）",
                       validators=[Optional(), Length(max=64)])
