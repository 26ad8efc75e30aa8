"""Every model change ships its migration: `flask db upgrade` on an empty database
yields exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, make_url, text

from forum import create_app
from forum.extensions import db
from forum.models.search import include_in_comparison
from tests.conftest import TEST_DATABASE_URL


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_migration_check"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            # The search index is the database's own machinery (forum/models/search.py).
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_name": include_in_comparison})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_downgrade_to_nothing_and_back(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            tables = set(db.inspect(connection).get_table_names())
        db.engine.dispose()
    assert {table.name for table in db.metadata.sorted_tables} <= tables


def test_read_marks_survive_the_change_to_marks_per_post(empty_database_url):
    """0009 turns a visit of a discussion into read marks of the posts and replies there
    were then, and its downgrade turns them back into visits."""
    from datetime import timedelta

    from forum.models import Course, Discussion, Post, PostStatus, ReadMark, Reply, User, utcnow

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade()
        now = utcnow()
        reader = User(email="r@example.edu", display_name="Reader", password_hash="x")
        writer = User(email="w@example.edu", display_name="Writer", password_hash="x")
        course = Course(code="HIST-1", title="History", term="T")
        db.session.add_all([reader, writer])
        db.session.flush()
        discussion = Discussion(course=course, title="D", prompt="", prompt_html="",
                                created_by_id=writer.id)
        post = Post(discussion=discussion, author_id=writer.id, title="P", body="b", body_html="b",
                    status=PostStatus.PUBLISHED, published_at=now - timedelta(hours=2))
        db.session.add_all([reader, writer, course, discussion, post])
        db.session.flush()
        seen = Reply(post=post, author_id=writer.id, body="seen", body_html="seen", path="",
                     created_at=now - timedelta(hours=1))
        later = Reply(post=post, author_id=writer.id, body="later", body_html="later", path="",
                      created_at=now + timedelta(hours=1))
        db.session.add_all([seen, later])
        db.session.flush()
        db.session.add(ReadMark(user_id=reader.id, post_id=post.id, through=seen.seq,
                                read_at=now))
        db.session.commit()
        ids = (reader.id, post.id, seen.id)
        db.session.remove()
        flask_migrate.downgrade(revision="0008")
        flask_migrate.upgrade()
        mark = db.session.get(ReadMark, ids[:2])
        assert mark is not None and mark.through == ids[2] and not mark.unrevealed
        db.session.remove()
        db.engine.dispose()
