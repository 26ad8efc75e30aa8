"""word counts on posts and replies

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from forum.services.words import count_words


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 1_000


def _count_existing(table_name):
    """Fill the new column from each row's body, a batch of rows at a time, with the
    function the application uses when text is written."""
    connection = op.get_bind()
    table = sa.table(table_name, sa.column('id', sa.Integer), sa.column('body', sa.Text),
                     sa.column('word_count', sa.Integer))
    update = (table.update().where(table.c.id == sa.bindparam('row_id'))
              .values(word_count=sa.bindparam('count')))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c.body).where(table.c.id > last_id)
            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(update, [{'row_id': row_id, 'count': count_words(body)}
                                    for row_id, body in rows])
        last_id = rows[-1][0]


def upgrade():
    for table_name in ('posts', 'replies'):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('word_count', sa.Integer(), server_default='0',
                                          nullable=False))
        _count_existing(table_name)


def downgrade():
    for table_name in ('replies', 'posts'):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column('word_count')
