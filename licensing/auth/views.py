"""Login, logout, password change and the home page of each role."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from licensing.auth import home as home_panels
from licensing.auth.access import public, roles_required
from licensing.auth.errors import LoginFailed
from licensing.auth.forms import LoginForm, PasswordChangeForm
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.auth.passwords import verify_password
from licensing.auth.services import authenticate, end_sessions, set_password
from licensing.auth.throttle import login_throttle, note_login_failure
from licensing.clock import utcnow
from licensing.errors import ValidationFailed
from licensing.extensions import db

bp = Blueprint("auth", __name__)

ALL_ROLES = tuple(Role)


def _safe_next(target: str | None) -> str | None:
    """A local path to go to after the login, or ``None`` (then the home page).

    Refused: other hosts and schemes, ``//host`` and ``/\\host`` (browsers read both as a
    host), and control characters (a CR LF would split the ``Location`` header).
    """
    if not target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@login_throttle
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data.strip(), form.password.data,
                                address=request.remote_addr)
        except LoginFailed as exc:
            db.session.commit()  # keep the failure count and the audit entry
            note_login_failure()
            form.password.errors.append(exc.message)
            return render_template("auth/login.html", form=form), 200
        session.clear()  # a new session at login: nothing from before survives
        login_user(user)
        now = utcnow().timestamp()
        session["login_ts"] = now
        session["seen_ts"] = now
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required(*ALL_ROLES)
def logout():
    """End the session on the server and in the browser."""
    end_sessions(current_user, "logout")
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@roles_required(*ALL_ROLES)
def home():
    """The home page of the logged-in user's role."""
    panels = home_panels.panels_for(current_user)
    return render_template("auth/home.html", panels=panels)


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def change_password():
    """Change one's own password; every other session ends."""
    if not current_user.has_password:
        flash("您通过统一身份认证平台登录，本系统不设密码。", "info")
        return redirect(url_for("auth.home"))
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("当前密码不正确。")
        else:
            try:
                set_password(current_user, form.new_password.data)
            except ValidationFailed as exc:
                form.new_password.errors.append(exc.message)
            else:
                login_user(current_user)  # keep this session with the new token
                flash("密码已修改，其他设备上的登录已失效。", "success")
                return redirect(url_for("auth.home"))
    return render_template("auth/password.html", form=form)


# --- administration of accounts -----------------------------------------------------------

register_nav("用户管理", "auth.users", Role.admin, order=90)


@bp.route("/admin/users")
@roles_required(Role.admin)
def users():
    """Every account, with its role, department and state."""
    from licensing.auth.models import User

    accounts = db.session.scalars(db.select(User).order_by(User.role, User.username)).all()
    return render_template("auth/users.html", users=accounts, now=utcnow())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def create_user_page():
    """Create an account."""
    from licensing.auth.forms import UserCreateForm
    from licensing.auth.services import create_user, department_by_code, list_departments

    form = UserCreateForm()
    form.role.choices = [(r.value, r.label) for r in Role]
    form.department.choices = [("", "（无）")] + [
        (d.code, f"{d.name}（{d.kind.label}）") for d in list_departments()]
    if form.validate_on_submit():
        try:
            department = (department_by_code(form.department.data)
                          if form.department.data else None)
            create_user(form.username.data.strip(), form.password.data, Role(form.role.data),
                        department, form.display_name.data.strip())
        except ValidationFailed as exc:
            db.session.rollback()
            target = {"password_too_short": form.password, "password_too_common": form.password,
                      "role_department_mismatch": form.department,
                      "unknown_department": form.department}.get(exc.code, form.username)
            target.errors.append(exc.message)
        else:
            flash(f"已创建用户 {form.username.data}。", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_new.html", form=form)


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.admin)
def toggle_active(user_id: int):
    """Disable an account (its sessions and API tokens end at once) or enable it again."""
    from licensing.auth.models import User
    from licensing.auth.services import set_active

    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("不能停用自己的账号。", "error")
        return redirect(url_for("auth.users"))
    set_active(user, not user.active)
    flash(f"已{'启用' if user.active else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("auth.users"))


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@roles_required(Role.admin)
def reset_password(user_id: int):
    """Set a new password for a user; all their sessions end."""
    from licensing.auth.forms import PasswordResetForm
    from licensing.auth.models import User

    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not user.has_password:
        flash(f"{user.display_name} 通过统一身份认证平台登录，不设密码。", "error")
        return redirect(url_for("auth.users"))
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            set_password(user, form.new_password.data, actor=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            form.new_password.errors.append(exc.message)
        else:
            flash(f"已重置 {user.username} 的密码，其所有登录已失效。", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_password.html", form=form, user=user)
