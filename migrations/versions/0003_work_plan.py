"""where the system departed from the work plan (issue 15)

Revision ID: 0003_issue15
Revises: 0002
Create Date: 2026-12-01

"""
import sqlalchemy as sa
from alembic import op

import licensing.types

revision = "0003_issue15"
down_revision = "0003_issue16"
branch_labels = None
depends_on = None

ITEM_VERSION_TEXTS = ("qualification_reasons", "list_approval_document",
                      "letter_template_source")


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


    # 6. On the spot: decided on the working day the letter was signed. Past decisions are
    # judged by the signing date itself (the calendar is not at hand in SQL).
    op.add_column("applications", sa.Column("decided_on_the_spot", sa.Boolean(), nullable=True))
    local_signing_day = ("date(submitted_dt, '+8 hours')"
                         if op.get_bind().dialect.name == "sqlite"
                         else "CAST(submitted_dt + INTERVAL '8 hours' AS DATE)")
    op.execute(f"UPDATE applications SET decided_on_the_spot = (decided_on = {local_signing_day})"
               " WHERE track = 'commitment' AND decision = 'approve'"
               " AND submitted_dt IS NOT NULL")

    # 7. The written notice to a refused applicant (不适用告知承诺制告知书).
    op.create_table(
        "ineligibility_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("credit_check_id", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_code", sa.String(length=40), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("approval_department_name", sa.String(length=200), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("repair_guidance", sa.JSON(), nullable=False),
        sa.Column("general_track", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name=op.f("fk_ineligibility_notices_application_id_applications")),
        sa.ForeignKeyConstraint(["credit_check_id"], ["credit_checks.id"],
                                name=op.f("fk_ineligibility_notices_credit_check_id_credit_checks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ineligibility_notices")),
    )
    op.create_index(op.f("ix_ineligibility_notices_application_id"), "ineligibility_notices",
                    ["application_id"])

    # 8. Who signs: the signer's capacity and ID number; an agent's power of attorney.
    with op.batch_alter_table("commitment_letters") as batch:
        batch.add_column(sa.Column("signer_capacity", sa.String(length=24), nullable=False,
                                   server_default="legal_representative"))
        batch.add_column(sa.Column("signer_id_number", sa.String(length=18), nullable=True))
        batch.add_column(sa.Column("capacity_defaulted", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("power_of_attorney", sa.String(length=200), nullable=True))
        batch.create_check_constraint(
            "agent_has_power_of_attorney",
            "signer_capacity <> 'agent' OR (power_of_attorney IS NOT NULL"
            " AND signer_id_number IS NOT NULL)")
    # Letters signed before: an individual's signer was the person (the v1 default).
    op.execute("UPDATE commitment_letters SET signer_capacity = 'self' WHERE application_id IN"
               " (SELECT a.id FROM applications a JOIN applicants p ON p.id = a.applicant_id"
               " WHERE p.kind = 'individual')")
    with op.batch_alter_table("commitment_letters") as batch:
        batch.alter_column("signer_capacity", server_default=None)
        batch.alter_column("capacity_defaulted", server_default=None)

    # 8./9. What the list and the letter stand on: why the item qualifies, the list's approval
    # document, the provincial standard letter the template follows.
    with op.batch_alter_table("item_versions") as batch:
        for name in ITEM_VERSION_TEXTS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("item_versions") as batch:
        for name in ITEM_VERSION_TEXTS:
            batch.alter_column(name, server_default=None)

    # 2. The re-check queue of credit checks the platform could not answer.
    op.create_table(
        "credit_rechecks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("degraded_check_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("queued_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_dt", licensing.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("resolved_dt", licensing.types.UTCDateTime(), nullable=True),
        sa.Column("result_check_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(status = 'pending') = (resolved_dt IS NULL)",
                           name=op.f("ck_credit_rechecks_resolved_iff_not_pending")),
        sa.CheckConstraint("status = 'pending' OR result_check_id IS NOT NULL",
                           name=op.f("ck_credit_rechecks_resolved_with_a_check")),
        sa.ForeignKeyConstraint(["applicant_id"], ["applicants.id"], ondelete="RESTRICT",
                                name=op.f("fk_credit_rechecks_applicant_id_applicants")),
        sa.ForeignKeyConstraint(["degraded_check_id"], ["credit_checks.id"],
                                name=op.f("fk_credit_rechecks_degraded_check_id_credit_checks")),
        sa.ForeignKeyConstraint(["result_check_id"], ["credit_checks.id"],
                                name=op.f("fk_credit_rechecks_result_check_id_credit_checks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_rechecks")),
        sa.UniqueConstraint("degraded_check_id",
                            name=op.f("uq_credit_rechecks_degraded_check_id")),
    )
    op.create_index(op.f("ix_credit_rechecks_applicant_id"), "credit_rechecks",
                    ["applicant_id"])
    op.create_index("ix_credit_rechecks_status_queued", "credit_rechecks",
                    ["status", "queued_dt"])

    # 4. Routine inspections drawn by the routine sample.
    op.create_table(
        "routine_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_seed", sa.String(length=64), nullable=False),
        sa.Column("drawn_dt", licensing.types.UTCDateTime(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("supervisory_department_id", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=1), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(outcome IS NULL AND checked_on IS NULL AND checked_by_id IS NULL) OR "
            "(outcome IS NOT NULL AND checked_on IS NOT NULL AND checked_by_id IS NOT NULL)",
            name=op.f("ck_routine_inspections_result_complete")),
        sa.CheckConstraint("outcome <> 'nonconform' OR (findings IS NOT NULL AND findings <> '')",
                           name=op.f("ck_routine_inspections_nonconform_has_findings")),
        sa.ForeignKeyConstraint(["applicant_id"], ["applicants.id"],
                                name=op.f("fk_routine_inspections_applicant_id_applicants")),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"],
                                name=op.f("fk_routine_inspections_checked_by_id_users")),
        sa.ForeignKeyConstraint(["licence_id"], ["licences.id"],
                                name=op.f("fk_routine_inspections_licence_id_licences")),
        sa.ForeignKeyConstraint(
            ["supervisory_department_id"], ["departments.id"],
            name=op.f("fk_routine_inspections_supervisory_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routine_inspections")),
    )
    op.create_index(op.f("ix_routine_inspections_licence_id"), "routine_inspections",
                    ["licence_id"])
    op.create_index("ix_routine_inspections_dept_open", "routine_inspections",
                    ["supervisory_department_id", "checked_on"])


def downgrade():
    op.drop_index("ix_routine_inspections_dept_open", table_name="routine_inspections")
    op.drop_index(op.f("ix_routine_inspections_licence_id"), table_name="routine_inspections")
    op.drop_table("routine_inspections")
    op.drop_index("ix_credit_rechecks_status_queued", table_name="credit_rechecks")
    op.drop_index(op.f("ix_credit_rechecks_applicant_id"), table_name="credit_rechecks")
    op.drop_table("credit_rechecks")
    with op.batch_alter_table("item_versions") as batch:
        for name in ITEM_VERSION_TEXTS:
            batch.drop_column(name)
    with op.batch_alter_table("commitment_letters") as batch:
        batch.drop_constraint(op.f("ck_commitment_letters_agent_has_power_of_attorney"),
                              type_="check")
        batch.drop_column("power_of_attorney")
        batch.drop_column("capacity_defaulted")
        batch.drop_column("signer_id_number")
        batch.drop_column("signer_capacity")
    op.drop_index(op.f("ix_ineligibility_notices_application_id"),
                  table_name="ineligibility_notices")
    op.drop_table("ineligibility_notices")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("decided_on_the_spot")
    with op.batch_alter_table("credit_objections") as batch:
        batch.drop_column("due_calendar_version")
    with op.batch_alter_table("calendar_recompute_events") as batch:
        batch.drop_column("computed_due_on")
    with op.batch_alter_table("item_versions") as batch:
        batch.drop_constraint(op.f("ck_item_versions_commitment_requires_general"),
                              type_="check")
