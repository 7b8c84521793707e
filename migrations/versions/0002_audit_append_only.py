"""audit tables append-only on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

"""
from alembic import op

from licensing.audit.models import (
    APPEND_ONLY_FUNCTION,
    APPEND_ONLY_TABLES,
    append_only_trigger_sql,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(APPEND_ONLY_FUNCTION.replace("%%", "%"))
    for table in APPEND_ONLY_TABLES:
        op.execute(append_only_trigger_sql(table))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
