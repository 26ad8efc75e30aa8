"""search: the full-text index of posts (title, body, sources) and replies, kept by
the database (FTS5 tables and triggers on SQLite; generated tsvector columns with GIN
indexes on PostgreSQL; post sources copied into posts.search_sources by triggers)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:10:00.000000

The statements are written out here (not imported from forum/models/search.py) so that
this revision keeps meaning what it meant; tests/test_search.py checks that the models'
create_all and this migration build the same machinery.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_SQLITE_SOURCES = ("coalesce((SELECT group_concat(s.citation || ' ' || coalesce(s.url, ''), "
                   "' ') FROM post_sources s WHERE s.post_id = {row}.post_id), '')")
_POSTS_OLD = ("INSERT INTO search_posts(search_posts, rowid, title, body, search_sources) "
              "VALUES ('delete', old.id, old.title, old.body, old.search_sources);")
_POSTS_NEW = ("INSERT INTO search_posts(rowid, title, body, search_sources) "
              "VALUES (new.id, new.title, new.body, new.search_sources);")
_REPLIES_OLD = ("INSERT INTO search_replies(search_replies, rowid, body) "
                "VALUES ('delete', old.id, old.body);")
_REPLIES_NEW = "INSERT INTO search_replies(rowid, body) VALUES (new.id, new.body);"


def _sqlite_upgrade():
    op.execute("ALTER TABLE posts ADD COLUMN search_sources TEXT NOT NULL DEFAULT ''")
    op.execute("UPDATE posts SET search_sources = coalesce((SELECT group_concat("
               "s.citation || ' ' || coalesce(s.url, ''), ' ') FROM post_sources s "
               "WHERE s.post_id = posts.id), '')")
    op.execute("CREATE VIRTUAL TABLE search_posts USING fts5(title, body, search_sources, "
               "content='posts', content_rowid='id', tokenize='porter unicode61')")
    op.execute(f"CREATE TRIGGER search_posts_i AFTER INSERT ON posts BEGIN {_POSTS_NEW} END")
    op.execute(f"CREATE TRIGGER search_posts_d AFTER DELETE ON posts BEGIN {_POSTS_OLD} END")
    op.execute("CREATE TRIGGER search_posts_u AFTER UPDATE OF title, body, search_sources "
               f"ON posts BEGIN {_POSTS_OLD} {_POSTS_NEW} END")
    op.execute("CREATE VIRTUAL TABLE search_replies USING fts5(body, content='replies', "
               "content_rowid='id', tokenize='porter unicode61')")
    op.execute(f"CREATE TRIGGER search_replies_i AFTER INSERT ON replies BEGIN {_REPLIES_NEW} END")
    op.execute(f"CREATE TRIGGER search_replies_d AFTER DELETE ON replies BEGIN {_REPLIES_OLD} END")
    op.execute("CREATE TRIGGER search_replies_u AFTER UPDATE OF body ON replies "
               f"BEGIN {_REPLIES_OLD} {_REPLIES_NEW} END")
    for when, row in (("INSERT", "new"), ("DELETE", "old")):
        op.execute(f"CREATE TRIGGER search_sources_{when[0].lower()} AFTER {when} ON "  # noqa: S608
                   f"post_sources BEGIN UPDATE posts SET search_sources = "
                   f"{_SQLITE_SOURCES.format(row=row)} WHERE id = {row}.post_id; END")
    op.execute("CREATE TRIGGER search_sources_u AFTER UPDATE ON post_sources BEGIN "  # noqa: S608
               f"UPDATE posts SET search_sources = {_SQLITE_SOURCES.format(row='old')} "
               "WHERE id = old.post_id; "
               f"UPDATE posts SET search_sources = {_SQLITE_SOURCES.format(row='new')} "
               "WHERE id = new.post_id; END")
    # Index what was written before this revision.
    op.execute("INSERT INTO search_posts(search_posts) VALUES ('rebuild')")
    op.execute("INSERT INTO search_replies(search_replies) VALUES ('rebuild')")


_PG_SOURCES = ("coalesce((SELECT string_agg(s.citation || ' ' || coalesce(s.url, ''), ' ' "
               "ORDER BY s.position) FROM post_sources s WHERE s.post_id = {row}), '')")


def _postgres_upgrade():
    op.execute("ALTER TABLE posts ADD COLUMN search_sources TEXT NOT NULL DEFAULT ''")
    op.execute("UPDATE posts SET search_sources = " + _PG_SOURCES.format(row="posts.id"))  # noqa: S608
    # Adding a stored generated column computes it for every existing row.
    op.execute("ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
               "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
               "setweight(to_tsvector('english', coalesce(body, '')), 'B') || "
               "setweight(to_tsvector('english', coalesce(search_sources, '')), 'C')) STORED")
    op.execute("CREATE INDEX search_posts_vector ON posts USING gin (search_vector)")
    op.execute("ALTER TABLE replies ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
               "to_tsvector('english', coalesce(body, ''))) STORED")
    op.execute("CREATE INDEX search_replies_vector ON replies USING gin (search_vector)")
    op.execute(
        "CREATE FUNCTION search_post_sources() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
        "IF TG_OP <> 'INSERT' THEN UPDATE posts SET search_sources = "
        f"{_PG_SOURCES.format(row='OLD.post_id')} WHERE id = OLD.post_id; END IF; "
        "IF TG_OP <> 'DELETE' THEN UPDATE posts SET search_sources = "
        f"{_PG_SOURCES.format(row='NEW.post_id')} WHERE id = NEW.post_id; END IF; "
        "RETURN NULL; END $$")
    op.execute("CREATE TRIGGER search_post_sources AFTER INSERT OR UPDATE OR DELETE ON "
               "post_sources FOR EACH ROW EXECUTE FUNCTION search_post_sources()")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER search_post_sources ON post_sources")
        op.execute("DROP FUNCTION search_post_sources()")
        op.execute("DROP INDEX search_replies_vector")
        op.execute("ALTER TABLE replies DROP COLUMN search_vector")
        op.execute("DROP INDEX search_posts_vector")
        op.execute("ALTER TABLE posts DROP COLUMN search_vector")
        op.execute("ALTER TABLE posts DROP COLUMN search_sources")
        return
    for trigger in ("search_sources_i", "search_sources_d", "search_sources_u",
                    "search_replies_i", "search_replies_d", "search_replies_u",
                    "search_posts_i", "search_posts_d", "search_posts_u"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE search_replies")
    op.execute("DROP TABLE search_posts")
    op.execute("ALTER TABLE posts DROP COLUMN search_sources")
