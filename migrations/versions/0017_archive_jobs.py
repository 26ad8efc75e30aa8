"""course archive jobs: exports and imports run by the worker, with their progress

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('archive_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('export', 'import', name='archivejobkind', native_enum=False, length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='archivejobstate', native_enum=False, length=16), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_total', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=200), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_archive_jobs_course_id_courses')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_archive_jobs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_jobs')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_archive_jobs_stored_name'))
    )
    with op.batch_alter_table('archive_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_jobs_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_jobs_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index('ix_archive_jobs_state', ['state', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('archive_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_archive_jobs_state')
        batch_op.drop_index(batch_op.f('ix_archive_jobs_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_archive_jobs_course_id'))

    op.drop_table('archive_jobs')
