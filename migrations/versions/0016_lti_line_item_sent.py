"""what the tool last told the LMS about a link's line item (its label and points), and
when to try again after the LMS refused

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 03:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_resource_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lineitem_label', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('lineitem_score_maximum', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lineitem_retry_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('lti_resource_links', schema=None) as batch_op:
        batch_op.drop_column('lineitem_retry_at')
        batch_op.drop_column('lineitem_score_maximum')
        batch_op.drop_column('lineitem_label')
