"""Demo departments and one demo user per role (passwords are listed in the README)."""

from __future__ import annotations

from sqlalchemy import select

from licensing.auth.models import DepartmentKind, Role, User
from licensing.auth.services import create_user, department_by_code, ensure_department
from licensing.demo import demo_loader
from licensing.extensions import db

DEPARTMENTS = [
    ("xzspj", "市行政审批局", DepartmentKind.approval),
    ("scjgj", "市市场监督管理局", DepartmentKind.supervisory),
    ("wsjkj", "市卫生健康局", DepartmentKind.supervisory),
    ("zjj", "市住房和城乡建设局", DepartmentKind.supervisory),
    ("jtysj", "市交通运输局", DepartmentKind.supervisory),
    ("wglj", "市文化广电和旅游局", DepartmentKind.supervisory),
    ("rsj", "市人力资源和社会保障局", DepartmentKind.supervisory),
    ("jyj", "市教育局", DepartmentKind.supervisory),
    ("yjglj", "市应急管理局", DepartmentKind.supervisory),
    ("nyncj", "市农业农村局", DepartmentKind.supervisory),
    ("cgj", "市城市管理综合行政执法局", DepartmentKind.supervisory),
    ("slj", "市水利局", DepartmentKind.supervisory),
    ("ggb", "市行政审批制度改革工作领导小组办公室", DepartmentKind.reform_office),
]

# (username, display name, role, department code, password)
DEMO_USERS = [
    ("admin", "系统管理员", Role.admin, None, "demo-admin-2026"),
    ("clerk", "窗口 王芳", Role.clerk, "xzspj", "demo-clerk-2026"),
    ("approver", "审批 李强", Role.approver, "xzspj", "demo-approver-2026"),
    ("head", "监管科长 赵敏", Role.head, "wsjkj", "demo-head-2026"),
    ("inspector", "监管 张伟", Role.inspector, "wsjkj", "demo-inspector-2026"),
    ("inspector2", "监管 刘洋", Role.inspector, "scjgj", "demo-inspector-2026"),
    ("reform", "改革办 陈静", Role.reform_office, "ggb", "demo-reform-2026"),
    ("applicant", "申请人 定州市示例餐饮有限公司", Role.applicant, None, "demo-applicant-2026"),
]


def ensure_demo_departments() -> None:
    """Create the city's departments used by the demo (idempotent)."""
    for code, name, kind in DEPARTMENTS:
        ensure_department(code, name, kind)
    db.session.flush()


@demo_loader(order=10)
def load_departments_and_users() -> None:
    """Create the demo departments and one user per role."""
    ensure_demo_departments()
    for username, display_name, role, department_code, password in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        department = department_by_code(department_code) if department_code else None
        create_user(username, password, role, department, display_name)


def working_demo_accounts() -> list[str]:
    """The demo accounts that are active and still accept their published demo password."""
    from licensing.auth.passwords import verify_password

    working = []
    for username, _, _, _, password in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and user.active and verify_password(user.password_hash, password):
            working.append(username)
    return working


def refuse_demo_passwords(app) -> None:
    """Refuse to serve production while any demo account still accepts its demo password.

    The demo passwords are published (README); a production database restored from, or
    upgraded out of, a demo one would serve them. A database not created yet is no risk.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from config.settings import ConfigurationError

    with app.app_context():
        try:
            working = working_demo_accounts()
        except SQLAlchemyError:  # no users table yet: `flask db upgrade` has not run
            db.session.rollback()
            return
        finally:
            db.session.remove()
    if working:
        raise ConfigurationError(
            "demo accounts still accept their published demo passwords: "
            + ", ".join(working)
            + "; disable them or run `flask --app wsgi users set-password USER "
              "--password-stdin` before serving production")
