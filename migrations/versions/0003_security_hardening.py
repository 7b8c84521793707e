"""security hardening (issue 19): tallies of failed logins on unknown usernames

Revision ID: 0003_issue19
Revises: 0002
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

import licensing.types

revision = "0003_issue19"
down_revision = "0003_issue14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failure_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_start_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure_tallies")),
        sa.UniqueConstraint("window_start_dt", "address",
                            name=op.f("uq_login_failure_tallies_window")),
    )


def downgrade():
    op.drop_table("login_failure_tallies")
