"""index replies by post and version: the kept thread's and list's stamps

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 23:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.create_index('ix_replies_post_version', ['post_id', 'version'], unique=False)


def downgrade():
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_index('ix_replies_post_version')
