"""where the system departed from the work plan (issue 15)

Revision ID: 0003_issue15
Revises: 0002
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

import licensing.types

revision = "0003_issue15"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # 1. Dual track: the commitment track never comes without the general one.
    with op.batch_alter_table("item_versions") as batch:
        batch.create_check_constraint("commitment_requires_general",
                                      "offers_general OR NOT offers_commitment")
    # 5. Deadlines given in writing: the earlier date a held deadline would have had; the
    # calendar version of an objection's decision deadline (now recomputed too).
    op.add_column("calendar_recompute_events",
                  sa.Column("computed_due_on", sa.Date(), nullable=True))
    op.add_column("credit_objections",
                  sa.Column("due_calendar_version", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("credit_objections") as batch:
        batch.drop_column("due_calendar_version")
    with op.batch_alter_table("calendar_recompute_events") as batch:
        batch.drop_column("computed_due_on")
    with op.batch_alter_table("item_versions") as batch:
        batch.drop_constraint(op.f("ck_item_versions_commitment_requires_general"),
                              type_="check")
