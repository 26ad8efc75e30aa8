"""reading: a read mark per person and post (how far its thread was read), the number
each reply appeared at in its thread; when a student last saw a released grade

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('posts', sa.Column('reply_seq', sa.Integer(), server_default='0',
                                     nullable=False))
    op.add_column('replies', sa.Column('seq', sa.Integer(), server_default='0',
                                       nullable=False))
    op.add_column('grades', sa.Column('seen_at', sa.DateTime(), nullable=True))
    # Grades released so far count as seen: they were shown before this change.
    op.execute("UPDATE grades SET seen_at = COALESCE(changed_after_release_at, released_at) "
               "WHERE state = 'released'")
    # Replies so far appeared in the order of their ids.
    op.execute("UPDATE replies SET seq = id")
    op.execute("UPDATE posts SET reply_seq = COALESCE("
               "(SELECT MAX(replies.id) FROM replies WHERE replies.post_id = posts.id), 0)")
    op.create_index('ix_replies_post_seq', 'replies', ['post_id', 'seq'], unique=False)
    op.create_table('post_reads',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('through', sa.Integer(), nullable=False),
    sa.Column('unrevealed', sa.Boolean(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_reads_post_id_posts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_post_reads_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'post_id', name=op.f('pk_post_reads'))
    )
    op.create_index(op.f('ix_post_reads_post_id'), 'post_reads', ['post_id'], unique=False)
    # A visit to a discussion read every post and reply there was then.
    op.execute(
        "INSERT INTO post_reads (user_id, post_id, through, unrevealed, read_at) "
        "SELECT m.user_id, p.id, COALESCE((SELECT MAX(r.id) FROM replies r "
        "WHERE r.post_id = p.id AND r.created_at <= m.seen_at), 0), "
        f"{_false()}, m.seen_at FROM read_marks m JOIN posts p "
        "ON p.discussion_id = m.discussion_id "
        "WHERE COALESCE(p.published_at, p.created_at) <= m.seen_at")
    op.drop_index('ix_read_marks_discussion_id', table_name='read_marks')
    op.drop_table('read_marks')


def downgrade():
    op.create_table('read_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('discussion_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['discussion_id'], ['discussions.id'], name=op.f('fk_read_marks_discussion_id_discussions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_read_marks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_read_marks')),
    sa.UniqueConstraint('user_id', 'discussion_id', name='uq_read_marks_user_discussion')
    )
    op.create_index('ix_read_marks_discussion_id', 'read_marks', ['discussion_id'],
                    unique=False)
    # The latest read of a discussion's posts stands for its visit.
    op.execute(
        "INSERT INTO read_marks (user_id, discussion_id, seen_at) "
        "SELECT r.user_id, p.discussion_id, MAX(r.read_at) FROM post_reads r "
        "JOIN posts p ON p.id = r.post_id GROUP BY r.user_id, p.discussion_id")
    op.drop_index(op.f('ix_post_reads_post_id'), table_name='post_reads')
    op.drop_table('post_reads')
    op.drop_index('ix_replies_post_seq', table_name='replies')
    _sqlite_foreign_keys(False)  # SQLite rebuilds the tables that lose a column
    with op.batch_alter_table('grades', schema=None) as batch_op:
        batch_op.drop_column('seen_at')
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_column('seq')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('reply_seq')
    _sqlite_foreign_keys(True)


def _sqlite_foreign_keys(on: bool) -> None:
    """Rows of other tables point at posts and replies while SQLite copies them."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _false() -> str:
    return "0" if op.get_bind().dialect.name == "sqlite" else "false"
