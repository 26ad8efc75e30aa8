"""writing: images with credit, likes, endorsements, mentions, quotes of replies,
anonymous posts and replies; reveal, anonymity and likes settings of discussions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:10:17.182260

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds posts and replies to add their foreign keys; rows of other tables
    point at them, so the checks wait while the tables are copied (SQLite's own advice)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    op.create_table('images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.Column('credit', sa.String(length=500), nullable=False),
    sa.Column('credit_url', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_images_post_id_posts')),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_images_uploader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_images_stored_name'))
    )
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_images_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_images_uploader_id'), ['uploader_id'], unique=False)

    op.create_table('likes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('reply_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(post_id IS NULL) <> (reply_id IS NULL)', name=op.f('ck_likes_one_target')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_likes_post_id_posts')),
    sa.ForeignKeyConstraint(['reply_id'], ['replies.id'], name=op.f('fk_likes_reply_id_replies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_likes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_likes')),
    sa.UniqueConstraint('post_id', 'user_id', name='uq_likes_post_user'),
    sa.UniqueConstraint('reply_id', 'user_id', name='uq_likes_reply_user')
    )
    with op.batch_alter_table('likes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_likes_user_id'), ['user_id'], unique=False)

    op.create_table('mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('reply_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(post_id IS NULL) <> (reply_id IS NULL)', name=op.f('ck_mentions_one_target')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_mentions_post_id_posts')),
    sa.ForeignKeyConstraint(['reply_id'], ['replies.id'], name=op.f('fk_mentions_reply_id_replies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentions')),
    sa.UniqueConstraint('post_id', 'user_id', name='uq_mentions_post_user'),
    sa.UniqueConstraint('reply_id', 'user_id', name='uq_mentions_reply_user')
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reveal', sa.Enum('always', 'after_posting', 'after_due', 'after_release', name='reveal', native_enum=False, length=16), server_default='always', nullable=False))
        batch_op.add_column(sa.Column('anonymity', sa.Enum('off', 'allowed', 'required', name='anonymity', native_enum=False, length=16), server_default='off', nullable=False))
        batch_op.add_column(sa.Column('likes', sa.Enum('visible', 'staff', 'off', name='likes', native_enum=False, length=16), server_default='visible', nullable=False))

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endorsed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('endorsed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('like_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_posts_endorsed_by_id_users'), 'users', ['endorsed_by_id'], ['id'])

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quoted_reply_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('endorsed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('endorsed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('like_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_replies_quoted_reply_id_replies'), 'replies', ['quoted_reply_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_replies_endorsed_by_id_users'), 'users', ['endorsed_by_id'], ['id'])

    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    # The tables that point at posts and replies go first.
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentions_user_id'))

    op.drop_table('mentions')
    with op.batch_alter_table('likes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_likes_user_id'))

    op.drop_table('likes')
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_images_uploader_id'))
        batch_op.drop_index(batch_op.f('ix_images_post_id'))
        batch_op.drop_index(batch_op.f('ix_images_created_at'))

    op.drop_table('images')

    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_replies_endorsed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_replies_quoted_reply_id_replies'), type_='foreignkey')
        batch_op.drop_column('anonymous')
        batch_op.drop_column('like_count')
        batch_op.drop_column('endorsed_by_id')
        batch_op.drop_column('endorsed_at')
        batch_op.drop_column('quoted_reply_id')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_endorsed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('anonymous')
        batch_op.drop_column('like_count')
        batch_op.drop_column('endorsed_by_id')
        batch_op.drop_column('endorsed_at')

    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.drop_column('likes')
        batch_op.drop_column('anonymity')
        batch_op.drop_column('reveal')

    # ### end Alembic commands ###
    _sqlite_foreign_keys(True)
