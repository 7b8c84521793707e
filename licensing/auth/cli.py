"""``flask --app wsgi users ...`` and ``flask --app wsgi departments ...``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from licensing.auth.models import Role
from licensing.auth.services import (
    create_user,
    department_by_code,
    list_departments,
    set_password,
    unlock_user,
    user_by_username,
)
from licensing.errors import DomainError
from licensing.extensions import db

users = AppGroup("users", help="Manage user accounts.")
departments = AppGroup("departments", help="Show departments.")
groups = [users, departments]


@users.command("create")
@click.argument("username")
@click.option("--role", "role", required=True, type=click.Choice([r.value for r in Role]),
              help="Stable role identifier.")
@click.option("--department", "department_code", default=None,
              help="Department code (see `departments list`); required for staff roles.")
@click.option("--name", "display_name", default=None, help="Display name (defaults to USERNAME).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of prompting.")
def create_user_command(username, role, department_code, display_name, password_stdin):
    """Create USERNAME with a role; the password is never taken from the command line."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        department = department_by_code(department_code) if department_code else None
        user = create_user(username, password, Role(role), department, display_name)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(2)
    click.echo(f"已创建用户 {user.username}（{user.role.label}）")


@users.command("unlock")
@click.argument("username")
@click.option("--address", default=None,
              help="Also forget the throttled login failures from this client address.")
def unlock_user_command(username, address):
    """Clear USERNAME's failure count and any lock (audited)."""
    try:
        unlock_user(user_by_username(username), address=address)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(2)
    click.echo(f"已解除用户 {username} 的锁定。")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the new password from standard input instead of prompting.")
def set_password_command(username, password_stdin):
    """Set USERNAME's password (policy checked), unlock it and end all its sessions."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码")
    try:
        user = user_by_username(username)
        set_password(user, password)  # clears the failure count and any lock as well
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(2)
    click.echo(f"已为用户 {username} 设置新密码，其所有登录已失效。")


@departments.command("list")
def list_departments_command():
    """Print every department: code, kind and name."""
    for department in list_departments():
        click.echo(f"{department.code:<8} {department.kind.value:<14} {department.name}")
