"""issue 18 (reading): indexes for the inboxes, the item filter and the search by name

Revision ID: 0004_issue18_read
Revises: 0003_issue17
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

revision = "0004_issue18_read"
down_revision = "0003_issue17"
branch_labels = None
depends_on = None

_UNASSIGNED = ("assigned_to_id IS NULL AND status IN ('open', 'checked', 'breach', "
               "'rectifying')")


def _partial(name, columns, where):
    op.create_index(name, "verification_tasks", columns,
                    postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade():
    for status, column in (("open", "verification_due_on"), ("checked", "result_push_due_on")):
        _partial(f"ix_verification_tasks_{status}_due", [column, "id"], f"status = '{status}'")
        _partial(f"ix_verification_tasks_dept_{status}_due",
                 ["supervisory_department_id", column, "id"], f"status = '{status}'")
    _partial("ix_verification_tasks_unassigned", ["supervisory_department_id"], _UNASSIGNED)
    op.create_index("ix_verification_tasks_item_version_dept", "verification_tasks",
                    ["item_version_id", "supervisory_department_id"])
    op.create_index("ix_verification_tasks_status_id", "verification_tasks", ["status", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_applicants_name_trgm", "applicants", ["name"],
                        postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})
    else:
        op.create_index("ix_applicants_name_trgm", "applicants", ["name"])


def downgrade():
    op.drop_index("ix_applicants_name_trgm", table_name="applicants")
    # The pg_trgm extension stays: other database objects may use it, and it costs nothing.
    op.drop_index("ix_verification_tasks_status_id", table_name="verification_tasks")
    op.drop_index("ix_verification_tasks_item_version_dept", table_name="verification_tasks")
    op.drop_index("ix_verification_tasks_unassigned", table_name="verification_tasks")
    for status in ("open", "checked"):
        op.drop_index(f"ix_verification_tasks_dept_{status}_due",
                      table_name="verification_tasks")
        op.drop_index(f"ix_verification_tasks_{status}_due", table_name="verification_tasks")
