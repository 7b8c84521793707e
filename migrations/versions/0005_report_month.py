"""issue 18 (reading): indexes for the monthly report's month in progress

Revision ID: 0005_report_month
Revises: 0004_issue17_oidc
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

revision = "0005_report_month"
down_revision = "0004_issue17_oidc"
branch_labels = None
depends_on = None

_UNCHECKED = "checked_on IS NULL AND closed_dt IS NULL"
_PROVISIONAL = "verification_provisional OR result_push_provisional"


def _partial(name, columns, where):
    op.create_index(name, "verification_tasks", columns,
                    postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade():
    op.create_index("ix_verification_tasks_checked_dept", "verification_tasks",
                    ["checked_on", "supervisory_department_id"])
    op.create_index("ix_verification_tasks_pushed_dept", "verification_tasks",
                    ["pushed_dt", "supervisory_department_id"])
    _partial("ix_verification_tasks_closed_dt", ["closed_dt"], "closed_dt IS NOT NULL")
    _partial("ix_verification_tasks_judicial_on", ["judicial_transferred_on"],
             "judicial_transferred_on IS NOT NULL")
    _partial("ix_verification_tasks_unchecked",
             ["verification_due_on", "supervisory_department_id"], _UNCHECKED)
    _partial("ix_verification_tasks_provisional", ["supervisory_department_id"], _PROVISIONAL)
    op.create_index("ix_publicity_records_delivered_on", "publicity_records", ["delivered_on"])


def downgrade():
    op.drop_index("ix_publicity_records_delivered_on", table_name="publicity_records")
    for name in ("provisional", "unchecked", "judicial_on", "closed_dt", "pushed_dept",
                 "checked_dept"):
        op.drop_index(f"ix_verification_tasks_{name}", table_name="verification_tasks")
