"""lti services: score passbacks and their attempts, when a context's roster was read

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_contexts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roster_synced_at', sa.DateTime(), nullable=True))
    op.create_table('lti_score_passbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grade_id', sa.Integer(), nullable=False),
    sa.Column('grade_version', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('user_sub', sa.String(length=255), nullable=True),
    sa.Column('score_given', sa.Float(), nullable=True),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'accepted', 'skipped', 'superseded', name='passbackstate', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['grade_id'], ['grades.id'], name=op.f('fk_lti_score_passbacks_grade_id_grades')),
    sa.ForeignKeyConstraint(['link_id'], ['lti_resource_links.id'], name=op.f('fk_lti_score_passbacks_link_id_lti_resource_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_score_passbacks')),
    sa.UniqueConstraint('grade_id', 'grade_version', name='uq_lti_score_passbacks_grade_version')
    )
    with op.batch_alter_table('lti_score_passbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_score_passbacks_grade_id'), ['grade_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_score_passbacks_state'), ['state'], unique=False)
    op.create_table('lti_passback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('passback_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['passback_id'], ['lti_score_passbacks.id'], name=op.f('fk_lti_passback_attempts_passback_id_lti_score_passbacks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_passback_attempts'))
    )
    with op.batch_alter_table('lti_passback_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_passback_attempts_passback_id'), ['passback_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lti_passback_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_passback_attempts_passback_id'))
    op.drop_table('lti_passback_attempts')
    with op.batch_alter_table('lti_score_passbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_score_passbacks_state'))
        batch_op.drop_index(batch_op.f('ix_lti_score_passbacks_grade_id'))
    op.drop_table('lti_score_passbacks')
    with op.batch_alter_table('lti_contexts', schema=None) as batch_op:
        batch_op.drop_column('roster_synced_at')
