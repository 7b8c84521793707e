"""Login and password forms."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=256)])


class PasswordChangeForm(FlaskForm):
    """Change one's own password."""

    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new_password = PasswordField("新密码",
                                 validators=[DataRequired("请输入新密码。"), Length(max=256)])
    confirm = PasswordField(
        "确认新密码",
        validators=[DataRequired("请再次输入新密码。"),
                    EqualTo("new_password", "两次输入不一致。")],
    )


class UserCreateForm(FlaskForm):
    """An administrator creates an account."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=100)])
    role = SelectField("角色", validators=[DataRequired("请选择角色。")])
    department = SelectField("所属部门", validate_choice=False)
    password = PasswordField("初始密码", validators=[DataRequired("请输入初始密码。"),
                                                     Length(max=256)])


class PasswordResetForm(FlaskForm):
    """An administrator sets a new password for a user."""

    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"),
                                                      Length(max=256)])
