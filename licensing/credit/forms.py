"""Forms of the credit pages: repair, objection, objection decision."""

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class RepairForm(FlaskForm):
    """Mark a record repaired (信用修复)."""

    repaired_on = DateField("信用修复日期", validators=[DataRequired("请填写信用修复日期。")])
    basis = TextAreaField("修复依据", validators=[
        DataRequired("请填写修复依据（如修复决定书文号）。"), Length(max=2000)])


class ObjectionForm(FlaskForm):
    """File an objection (异议) against a record."""

    filed_on = DateField("异议提出日期", validators=[Optional()])
    reason = TextAreaField("异议理由", validators=[
        DataRequired("请填写异议理由。"), Length(max=2000)])


class ResolveObjectionForm(FlaskForm):
    """Decide an objection."""

    outcome = RadioField("处理结果", choices=[SelectChoice("upheld", "异议成立（撤销该记录）"),
                                          SelectChoice("rejected", "异议不成立（恢复使用该记录）")],
                         validators=[DataRequired("请选择处理结果。")])
    resolved_on = DateField("处理日期", validators=[Optional()])
    resolution = TextAreaField("处理意见", validators=[
        DataRequired("请填写处理意见。"), Length(max=2000)])


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (check now, retry now)."""
