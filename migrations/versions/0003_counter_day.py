"""issue 17: case numbers, paper signing, withdrawal, notices, the business address

Revision ID: 0003_issue17
Revises: 0002
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

import licensing.types

revision = "0003_issue17"
down_revision = "0003_issue15"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("case_number", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("withdrawn_dt", licensing.types.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("business_address", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("contact_name", sa.String(length=50), nullable=True))
        batch.create_unique_constraint(batch.f("uq_applications_case_number"), ["case_number"])
    # Existing applications get their case number from their year and id, as new ones do.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, created_dt FROM applications")).fetchall()
    for row in rows:
        created = row[1]
        year = created.year if hasattr(created, "year") else int(str(created)[:4])
        bind.execute(sa.text("UPDATE applications SET case_number = :n WHERE id = :id"),
                     {"n": f"SL{year}-{row[0]:06d}", "id": row[0]})

    with op.batch_alter_table("commitment_letters") as batch:
        batch.add_column(sa.Column(
            "signing_method",
            sa.Enum("electronic", "paper", name="signingmethod", native_enum=False, length=24),
            server_default="electronic", nullable=False))
        batch.add_column(sa.Column("original_received_dt", licensing.types.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column("scan_stored_name", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("scan_original_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("scan_sha256", sa.String(length=64), nullable=True))

    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("acceptance_notice", "refusal_decision", "correction_notice",
                                  name="casedocumentkind", native_enum=False, length=24),
                  nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name=op.f("fk_case_documents_application_id_applications")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"],
                                name=op.f("fk_case_documents_issued_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
    )
    op.create_index(op.f("ix_case_documents_application_id"), "case_documents",
                    ["application_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_case_documents_application_id"), table_name="case_documents")
    op.drop_table("case_documents")
    with op.batch_alter_table("commitment_letters") as batch:
        for column in ("scan_sha256", "scan_original_name", "scan_stored_name",
                       "original_received_dt", "signing_method"):
            batch.drop_column(column)
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint(batch.f("uq_applications_case_number"), type_="unique")
        for column in ("contact_name", "business_address", "withdrawal_reason",
                       "withdrawn_dt", "case_number"):
            batch.drop_column(column)
