"""Forms of the account-to-company links."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class SelfLinkForm(FlaskForm):
    """The applicant links a company the platform asserted."""

    code = HiddenField(validators=[DataRequired(message="请选择企业。")])


class CounterLinkForm(FlaskForm):
    """The clerk links an account on a checked authorisation."""

    id_number = StringField("申请人身份证号码", validators=[
        DataRequired(message="请填写申请人的身份证号码。")])
    credit_code = StringField("企业统一社会信用代码", validators=[
        DataRequired(message="请填写统一社会信用代码。")])
    company_name = StringField("企业名称", validators=[
        DataRequired(message="请填写企业名称。"), Length(max=200)])
    evidence = TextAreaField("核验的授权材料", validators=[
        DataRequired(message="请填写核验的授权材料。"), Length(max=500)])


class RevokeLinkForm(FlaskForm):
    """The clerk ends a link."""

    reason = StringField("撤销理由", validators=[
        DataRequired(message="请填写撤销关联的理由。"), Length(max=500)])
