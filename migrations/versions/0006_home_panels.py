"""issue 18 (home pages): the month's application figures read from their indexes alone

The reform office's panel counts the month's commitment applications and on-the-spot
approvals. ``ix_applications_submitted_dt`` and ``ix_applications_decided_on`` gave the rows'
places only, so each count visited every application of the month in the table (about
1,200 pages at a million cases). The two indexes are replaced by ones that also carry the
columns the figures test: the same number of indexes on ``applications``, each still serving
its date range, and the counts become index-only ranges.

Revision ID: 0006_home_panels
Revises: 0005_report_month
Create Date: 2026-12-01

"""
from alembic import op

revision = "0006_home_panels"
down_revision = "0005_report_month"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_applications_submitted_track", "applications",
                    ["submitted_dt", "track"])
    op.drop_index("ix_applications_submitted_dt", table_name="applications")
    op.create_index("ix_applications_decided_spot", "applications",
                    ["decided_on", "track", "decision", "decided_on_the_spot"])
    op.drop_index("ix_applications_decided_on", table_name="applications")


def downgrade():
    op.create_index("ix_applications_decided_on", "applications", ["decided_on"])
    op.drop_index("ix_applications_decided_spot", table_name="applications")
    op.create_index("ix_applications_submitted_dt", "applications", ["submitted_dt"])
    op.drop_index("ix_applications_submitted_track", table_name="applications")
