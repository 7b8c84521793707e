"""issues 15 and 16: the agent's power of attorney as a file, the publisher's exclusion answers,
documents kept as issued

Revision ID: 0004_issue15_16
Revises: 0004_issue18_read
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

import licensing.types

revision = "0004_issue15_16"
down_revision = "0004_issue18_read"
branch_labels = None
depends_on = None


def upgrade():
    # Issue 15, point 8: the agent's power of attorney is an uploaded material. Letters signed
    # before keep their description only (no file was asked for then).
    with op.batch_alter_table("commitment_letters") as batch:
        batch.add_column(sa.Column("power_of_attorney_stored_name", sa.String(length=64),
                                   nullable=True))
        batch.add_column(sa.Column("power_of_attorney_file_name", sa.String(length=200),
                                   nullable=True))
        batch.add_column(sa.Column("power_of_attorney_sha256", sa.String(length=64),
                                   nullable=True))
        batch.create_check_constraint(
            "attorney_file_has_digest",
            "(power_of_attorney_stored_name IS NULL) = (power_of_attorney_sha256 IS NULL)")
        batch.create_check_constraint(
            "attorney_file_only_for_agents",
            "power_of_attorney_stored_name IS NULL OR signer_capacity = 'agent'")

    # Issue 15, point 9: the publisher's yes/no to each exclusion ground, kept on the version.
    # Versions published before were not asked: NULL, shown as such.
    op.add_column("item_versions", sa.Column("exclusion_check", sa.JSON(), nullable=True))

    # Issue 15, point 4: a nonconform routine inspection is classified by the inspector.
    # Earlier nonconform results opened their breach case as 违反承诺: recorded as such.
    op.add_column("routine_inspections",
                  sa.Column("finding", sa.String(length=24), nullable=True))
    op.execute("UPDATE routine_inspections SET finding = 'breach' WHERE outcome = 'nonconform'")
    with op.batch_alter_table("routine_inspections") as batch:
        batch.create_check_constraint(
            "nonconform_is_classified",
            "(outcome = 'nonconform' AND finding IN ('false_commitment', 'breach'))"
            " OR ((outcome IS NULL OR outcome <> 'nonconform') AND finding IS NULL)")

    # Issue 16: refusal and enforcement documents stored as issued.
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint("owner_type", "owner_id", "kind",
                            name="one_copy_per_document"),
    )


def downgrade():
    op.drop_table("issued_documents")
    with op.batch_alter_table("routine_inspections") as batch:
        batch.drop_constraint(op.f("ck_routine_inspections_nonconform_is_classified"),
                              type_="check")
        batch.drop_column("finding")
    with op.batch_alter_table("item_versions") as batch:
        batch.drop_column("exclusion_check")
    with op.batch_alter_table("commitment_letters") as batch:
        batch.drop_constraint(op.f("ck_commitment_letters_attorney_file_only_for_agents"),
                              type_="check")
        batch.drop_constraint(op.f("ck_commitment_letters_attorney_file_has_digest"),
                              type_="check")
        batch.drop_column("power_of_attorney_sha256")
        batch.drop_column("power_of_attorney_file_name")
        batch.drop_column("power_of_attorney_stored_name")
