"""Enforcement (issue 14): breach cases; the revocation procedure; the finding's class.

Revision ID: 0003_issue14
Revises: 0002
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa

import licensing.types


OLD_ORIGIN = ("(origin = 'supervision_breach' AND task_id IS NOT NULL) OR "
              "(origin IN ('supplement_missed', 'supplement_rejected') AND supplement_id IS NOT NULL)")
NEW_ORIGIN = ("(origin = 'supervision_breach' AND (task_id IS NOT NULL OR breach_case_id IS NOT NULL)) OR "
              "(origin IN ('supplement_missed', 'supplement_rejected') AND supplement_id IS NOT NULL)")
OLD_DECIDED = ("(status = 'requested' AND decided_dt IS NULL AND decided_by_id IS NULL) OR "
               "(status <> 'requested' AND decided_dt IS NOT NULL AND decided_by_id IS NOT NULL)")
NEW_DECIDED = ("(status IN ('requested', 'noticed') AND decided_dt IS NULL AND decided_by_id IS NULL) OR "
               "(status NOT IN ('requested', 'noticed') AND decided_dt IS NOT NULL AND decided_by_id IS NOT NULL)")
OLD_REVOKED = ("status <> 'revoked' OR (legal_basis IS NOT NULL AND decision_reason IS NOT NULL "
               "AND decided_on IS NOT NULL AND letter_number IS NOT NULL)")
NEW_REVOKED = ("status NOT IN ('decided', 'revoked', 'reversed') OR (legal_basis IS NOT NULL "
               "AND decision_reason IS NOT NULL AND decided_on IS NOT NULL "
               "AND letter_number IS NOT NULL)")
SERVED = "status NOT IN ('revoked', 'reversed') OR (served_on IS NOT NULL AND service_method IS NOT NULL)"
NOTICE = "noticed_on IS NULL OR (notice_number IS NOT NULL AND statement_due_on IS NOT NULL)"
STATEMENT_COMPLETE = "(statement_rule IS NULL AND statement_working_days IS NULL AND statement_start_event IS NULL AND statement_start_on IS NULL AND statement_due_on IS NULL AND statement_provisional IS NULL AND statement_calendar_version IS NULL) OR (statement_rule IS NOT NULL AND statement_working_days IS NOT NULL AND statement_start_event IS NOT NULL AND statement_start_on IS NOT NULL AND statement_due_on IS NOT NULL AND statement_provisional IS NOT NULL AND statement_calendar_version IS NOT NULL)"
STATEMENT_AFTER = ("statement_due_on IS NULL OR (statement_due_on > statement_start_on "
                   "AND statement_working_days >= 1)")

# revision identifiers, used by Alembic.
revision = '0003_issue14'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('breach_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('supervisory_department_id', sa.Integer(), nullable=False),
    sa.Column('approval_department_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.Enum('verification', 'routine_inspection', 'complaint', 'referral', 'credit_recheck', name='breachorigin', native_enum=False, length=32), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('finding', sa.Enum('false_commitment', 'breach', name='finding', native_enum=False, length=24), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'rectifying', 'rectified', 'referred', name='breachstatus', native_enum=False, length=24), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_dt', licensing.types.UTCDateTime(), nullable=False),
    sa.Column('rectification_requirements', sa.Text(), nullable=True),
    sa.Column('rectification_ordered_on', sa.Date(), nullable=True),
    sa.Column('rectification_due_on', sa.Date(), nullable=True),
    sa.Column('rectification_number', sa.String(length=60), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('reinspected_on', sa.Date(), nullable=True),
    sa.Column('outcome_recorded_dt', licensing.types.UTCDateTime(), nullable=True),
    sa.Column('outcome_by_id', sa.Integer(), nullable=True),
    sa.Column('penalty_ref', sa.String(length=100), nullable=True),
    sa.Column('judicial_transfer_ref', sa.String(length=100), nullable=True),
    sa.Column('judicial_transferred_on', sa.Date(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("origin <> 'verification' OR task_id IS NOT NULL", name=op.f('ck_breach_cases_verification_has_task')),
    sa.CheckConstraint("status = 'open' OR (rectification_ordered_on IS NOT NULL AND rectification_due_on IS NOT NULL)", name=op.f('ck_breach_cases_rectifying_has_order')),
    sa.CheckConstraint("status IN ('open', 'rectifying') OR outcome_recorded_dt IS NOT NULL", name=op.f('ck_breach_cases_outcome_recorded')),
    sa.CheckConstraint('(judicial_transfer_ref IS NULL AND judicial_transferred_on IS NULL) OR (judicial_transfer_ref IS NOT NULL AND judicial_transferred_on IS NOT NULL)', name=op.f('ck_breach_cases_judicial_transfer_complete')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_breach_cases_application_id_applications')),
    sa.ForeignKeyConstraint(['approval_department_id'], ['departments.id'], name=op.f('fk_breach_cases_approval_department_id_departments')),
    sa.ForeignKeyConstraint(['licence_id'], ['licences.id'], name=op.f('fk_breach_cases_licence_id_licences'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_breach_cases_opened_by_id_users')),
    sa.ForeignKeyConstraint(['outcome_by_id'], ['users.id'], name=op.f('fk_breach_cases_outcome_by_id_users')),
    sa.ForeignKeyConstraint(['supervisory_department_id'], ['departments.id'], name=op.f('fk_breach_cases_supervisory_department_id_departments')),
    sa.ForeignKeyConstraint(['task_id'], ['verification_tasks.id'], name=op.f('fk_breach_cases_task_id_verification_tasks'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breach_cases')),
    sa.UniqueConstraint('rectification_number', name=op.f('uq_breach_cases_rectification_number')),
    sa.UniqueConstraint('task_id', name=op.f('uq_breach_cases_task_id'))
    )
    with op.batch_alter_table('breach_cases', schema=None) as batch_op:
        batch_op.create_index('ix_breach_cases_dept_status', ['supervisory_department_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_breach_cases_licence_id'), ['licence_id'], unique=False)

    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reinspected_on', sa.Date(), nullable=True))

    with op.batch_alter_table('revocation_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('breach_case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('finding', sa.Enum('false_commitment', 'breach', name='finding', native_enum=False, length=24), server_default='breach', nullable=False))
        batch_op.add_column(sa.Column('notice_number', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('noticed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('notice_facts', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notice_reasons', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notice_legal_basis', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('statement_received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('statement_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('hearing_requested', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('rights_waived', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('hearing_held_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hearing_place', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('hearing_host', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('hearing_minutes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('public_interest', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('service_method', sa.Enum('direct', 'post', 'electronic', 'public_notice', name='servicemethod', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('served_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('service_receipt', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('served_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('served_dt', licensing.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reversed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reversal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('statement_rule', sa.Enum('standard_60', 'public_interest_7', 'item_specific', 'result_push_5', 'supplement', 'statutory', 'rectification', 'statement_period', name='deadlinerule', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('statement_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('statement_start_event', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('statement_start_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('statement_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('statement_provisional', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('statement_calendar_version', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_revocation_cases_statement_due_on'), ['statement_due_on'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_revocation_cases_breach_case_id'), ['breach_case_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_revocation_cases_notice_number'), ['notice_number'])
        batch_op.create_foreign_key(batch_op.f('fk_revocation_cases_breach_case_id_breach_cases'), 'breach_cases', ['breach_case_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_revocation_cases_served_by_id_users'), 'users', ['served_by_id'], ['id'])

    # Revocations made before the procedure took effect at once: their decision day stands as
    # their service day, so the new "revoked only when served" rule holds for them.
    op.execute("UPDATE revocation_cases SET served_on = decided_on, service_method = 'direct', "
               "service_receipt = '（送达程序启用前作出的决定，以决定日期为准）' "
               "WHERE status = 'revoked'")
    with op.batch_alter_table('revocation_cases', schema=None) as batch_op:
        batch_op.drop_constraint('origin_has_source', type_='check')
        batch_op.drop_constraint('decided_iff_decider_and_time', type_='check')
        batch_op.drop_constraint('revoked_has_reason_basis_letter', type_='check')
        batch_op.create_check_constraint('origin_has_source', NEW_ORIGIN)
        batch_op.create_check_constraint('decided_iff_decider_and_time', NEW_DECIDED)
        batch_op.create_check_constraint('revoked_has_reason_basis_letter', NEW_REVOKED)
        batch_op.create_check_constraint('revoked_when_served', SERVED)
        batch_op.create_check_constraint('notice_complete', NOTICE)
        batch_op.create_check_constraint('statement_deadline_complete', STATEMENT_COMPLETE)
        batch_op.create_check_constraint('statement_deadline_after_start', STATEMENT_AFTER)

    with op.batch_alter_table('verification_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finding', sa.String(length=24), nullable=True))



def downgrade():
    with op.batch_alter_table('verification_tasks', schema=None) as batch_op:
        batch_op.drop_column('finding')

    # Cases in states the first version did not know cannot go back: refuse rather than lose.
    conn = op.get_bind()
    unknown = conn.execute(sa.text(
        "SELECT count(*) FROM revocation_cases WHERE status IN ('noticed', 'decided', 'reversed') "
        "OR (origin = 'supervision_breach' AND task_id IS NULL)")).scalar()
    if unknown:
        raise RuntimeError(f"{unknown} revocation cases use the enforcement procedure; "
                           "downgrade would lose them")
    with op.batch_alter_table('revocation_cases', schema=None) as batch_op:
        for name in ('statement_deadline_after_start', 'statement_deadline_complete',
                     'notice_complete', 'revoked_when_served', 'revoked_has_reason_basis_letter',
                     'decided_iff_decider_and_time', 'origin_has_source'):
            batch_op.drop_constraint(name, type_='check')
        batch_op.create_check_constraint('origin_has_source', OLD_ORIGIN)
        batch_op.create_check_constraint('decided_iff_decider_and_time', OLD_DECIDED)
        batch_op.create_check_constraint('revoked_has_reason_basis_letter', OLD_REVOKED)
        batch_op.drop_constraint(batch_op.f('fk_revocation_cases_served_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_revocation_cases_breach_case_id_breach_cases'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_revocation_cases_notice_number'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_revocation_cases_breach_case_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_revocation_cases_statement_due_on'))
        batch_op.drop_column('statement_calendar_version')
        batch_op.drop_column('statement_provisional')
        batch_op.drop_column('statement_due_on')
        batch_op.drop_column('statement_start_on')
        batch_op.drop_column('statement_start_event')
        batch_op.drop_column('statement_working_days')
        batch_op.drop_column('statement_rule')
        batch_op.drop_column('reversal_reason')
        batch_op.drop_column('reversed_on')
        batch_op.drop_column('served_dt')
        batch_op.drop_column('served_by_id')
        batch_op.drop_column('service_receipt')
        batch_op.drop_column('served_on')
        batch_op.drop_column('service_method')
        batch_op.drop_column('public_interest')
        batch_op.drop_column('hearing_minutes')
        batch_op.drop_column('hearing_host')
        batch_op.drop_column('hearing_place')
        batch_op.drop_column('hearing_held_on')
        batch_op.drop_column('rights_waived')
        batch_op.drop_column('hearing_requested')
        batch_op.drop_column('statement_text')
        batch_op.drop_column('statement_received_on')
        batch_op.drop_column('notice_legal_basis')
        batch_op.drop_column('notice_reasons')
        batch_op.drop_column('notice_facts')
        batch_op.drop_column('noticed_on')
        batch_op.drop_column('notice_number')
        batch_op.drop_column('finding')
        batch_op.drop_column('breach_case_id')

    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_column('reinspected_on')

    with op.batch_alter_table('breach_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breach_cases_licence_id'))
        batch_op.drop_index('ix_breach_cases_dept_status')

    op.drop_table('breach_cases')
