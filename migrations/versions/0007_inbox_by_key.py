"""issue 18 (deep pages): the notification inbox continued by key

The inbox listed a user's notices newest first by ``OFFSET`` and counted them all for its
page numbers; an approver is told of every case waiting for a decision, so the list grows by
thousands a year and each page cost every page before it. It now continues from the last
row's ``(created_dt, id)`` (``licensing.paging.key_page``). The two indexes serve that order
for all notices and, partial, for the unread ones alone (a user who has read nearly
everything would otherwise walk the read ones to fill a page); the second replaces
``(user_id, read_dt)``: the unread count in every page's header reads it too.

Revision ID: 0007_inbox_by_key
Revises: 0006_home_panels
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

revision = "0007_inbox_by_key"
down_revision = "0006_home_panels"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notifications_user_created", "notifications",
                    ["user_id", "created_dt", "id"])
    op.create_index("ix_notifications_user_unread_created", "notifications",
                    ["user_id", "created_dt", "id"],
                    postgresql_where=sa.text("read_dt IS NULL"),
                    sqlite_where=sa.text("read_dt IS NULL"))
    op.drop_index("ix_notifications_user_unread", table_name="notifications")


def downgrade():
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "read_dt"])
    op.drop_index("ix_notifications_user_unread_created", table_name="notifications")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
