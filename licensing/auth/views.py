"""Login, logout, password change and the home page of each role."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from licensing.auth import home as home_panels
from licensing.auth.access import public, roles_required
from licensing.auth.errors import LoginFailed
from licensing.auth.forms import LoginForm, PasswordChangeForm
from licensing.auth.models import Role
from licensing.auth.passwords import verify_password
from licensing.auth.services import authenticate, end_sessions, set_password
from licensing.clock import utcnow
from licensing.errors import ValidationFailed
from licensing.extensions import db

bp = Blueprint("auth", __name__)

ALL_ROLES = tuple(Role)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data.strip(), form.password.data)
        except LoginFailed as exc:
            db.session.commit()  # keep the failure count and the audit entry
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
