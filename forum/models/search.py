"""The full-text index of posts (title, body, sources) and replies (prompts included),
kept by the database itself in the transaction that writes the text.

- SQLite: FTS5 tables over the rows (external content, porter stemming) that read the
  text from `posts` and `replies`; AFTER INSERT/UPDATE/DELETE triggers keep them.
- PostgreSQL: a STORED generated `search_vector` (tsvector) on `posts` and `replies`,
  each with a GIN index.
- Both: a post's sources live in `post_sources`; triggers there copy them into
  `posts.search_sources`, so the index of posts sees them whoever writes them (the
  services, an import, the benchmark's bulk inserts).

None of this is mapped by the ORM (it never writes nor loads these columns); the same
statements run from `db.create_all()` (DDL events below) and from migration 0010. All
the names start with `search_`, which `include_in_comparison` keeps out of Alembic's
comparison of the models with a database.
"""

from __future__ import annotations

from sqlalchemy import DDL, Column, Integer, MetaData, Table, Text, event, literal_column
from sqlalchemy.dialects.postgresql import TSVECTOR

from forum.models.posts import Post, PostSource
from forum.models.replies import Reply

PREFIX = "search_"

SQLITE_SOURCES_TEXT = ("coalesce((SELECT group_concat(s.citation || ' ' || coalesce(s.url, ''),"
                       " ' ') FROM post_sources s WHERE s.post_id = {row}.post_id), '')")


def _sqlite_sources_trigger(when: str, row: str) -> str:
    return (f"CREATE TRIGGER search_sources_{when[0].lower()} AFTER {when} ON post_sources "  # noqa: S608
            f"BEGIN UPDATE posts SET search_sources = {SQLITE_SOURCES_TEXT.format(row=row)} "
            f"WHERE id = {row}.post_id; END")


_POSTS_FTS = "search_posts(rowid, title, body, search_sources)"
_POSTS_OLD = ("INSERT INTO search_posts(search_posts, rowid, title, body, search_sources) "
              "VALUES ('delete', old.id, old.title, old.body, old.search_sources);")
_POSTS_NEW = f"INSERT INTO {_POSTS_FTS} VALUES (new.id, new.title, new.body, new.search_sources);"  # noqa: S608
_REPLIES_OLD = ("INSERT INTO search_replies(search_replies, rowid, body) "
                "VALUES ('delete', old.id, old.body);")
_REPLIES_NEW = "INSERT INTO search_replies(rowid, body) VALUES (new.id, new.body);"

SQLITE_POSTS = [
    "ALTER TABLE posts ADD COLUMN search_sources TEXT NOT NULL DEFAULT ''",
    "CREATE VIRTUAL TABLE search_posts USING fts5(title, body, search_sources, "
    "content='posts', content_rowid='id', tokenize='porter unicode61')",
    f"CREATE TRIGGER search_posts_i AFTER INSERT ON posts BEGIN {_POSTS_NEW} END",
    f"CREATE TRIGGER search_posts_d AFTER DELETE ON posts BEGIN {_POSTS_OLD} END",
    "CREATE TRIGGER search_posts_u AFTER UPDATE OF title, body, search_sources ON posts "
    f"BEGIN {_POSTS_OLD} {_POSTS_NEW} END",
]
SQLITE_REPLIES = [
    "CREATE VIRTUAL TABLE search_replies USING fts5(body, content='replies', "
    "content_rowid='id', tokenize='porter unicode61')",
    f"CREATE TRIGGER search_replies_i AFTER INSERT ON replies BEGIN {_REPLIES_NEW} END",
    f"CREATE TRIGGER search_replies_d AFTER DELETE ON replies BEGIN {_REPLIES_OLD} END",
    "CREATE TRIGGER search_replies_u AFTER UPDATE OF body ON replies "
    f"BEGIN {_REPLIES_OLD} {_REPLIES_NEW} END",
]
SQLITE_SOURCES = [
    _sqlite_sources_trigger("INSERT", "new"),
    _sqlite_sources_trigger("DELETE", "old"),
    "CREATE TRIGGER search_sources_u AFTER UPDATE ON post_sources BEGIN "  # noqa: S608
    f"UPDATE posts SET search_sources = {SQLITE_SOURCES_TEXT.format(row='old')} "
    "WHERE id = old.post_id; "
    f"UPDATE posts SET search_sources = {SQLITE_SOURCES_TEXT.format(row='new')} "
    "WHERE id = new.post_id; END",
]

# Titles weigh more than bodies, bodies more than sources (ts_rank reads the weights).
POSTGRES_POSTS = [
    "ALTER TABLE posts ADD COLUMN search_sources TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(search_sources, '')), 'C')) STORED",
    "CREATE INDEX search_posts_vector ON posts USING gin (search_vector)",
]
POSTGRES_REPLIES = [
    "ALTER TABLE replies ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('english', coalesce(body, ''))) STORED",
    "CREATE INDEX search_replies_vector ON replies USING gin (search_vector)",
]
_PG_SOURCES_TEXT = ("coalesce((SELECT string_agg(s.citation || ' ' || coalesce(s.url, ''), ' ' "
                    "ORDER BY s.position) FROM post_sources s WHERE s.post_id = {row}.post_id), "
                    "'')")
POSTGRES_SOURCES = [
    "CREATE FUNCTION search_post_sources() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
    "IF TG_OP <> 'INSERT' THEN UPDATE posts SET search_sources = "
    f"{_PG_SOURCES_TEXT.format(row='OLD')} WHERE id = OLD.post_id; END IF; "
    "IF TG_OP <> 'DELETE' THEN UPDATE posts SET search_sources = "
    f"{_PG_SOURCES_TEXT.format(row='NEW')} WHERE id = NEW.post_id; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER search_post_sources AFTER INSERT OR UPDATE OR DELETE ON post_sources "
    "FOR EACH ROW EXECUTE FUNCTION search_post_sources()",
]

# What a database needs for each table the models create, by dialect.
MACHINERY = {
    "sqlite": {"posts": SQLITE_POSTS, "replies": SQLITE_REPLIES,
               "post_sources": SQLITE_SOURCES},
    "postgresql": {"posts": POSTGRES_POSTS, "replies": POSTGRES_REPLIES,
                   "post_sources": POSTGRES_SOURCES},
}
DROPS = {
    "sqlite": {"posts": ["DROP TABLE IF EXISTS search_posts"],
               "replies": ["DROP TABLE IF EXISTS search_replies"]},
    "postgresql": {"post_sources": ["DROP FUNCTION IF EXISTS search_post_sources() CASCADE"]},
}


def _listen(table, when: str, statements: dict[str, dict[str, list[str]]]) -> None:
    for dialect, by_table in statements.items():
        for statement in by_table.get(table.name, []):
            event.listen(table, when, DDL(statement).execute_if(dialect=dialect))


for _table in (Post.__table__, Reply.__table__, PostSource.__table__):
    _listen(_table, "after_create", MACHINERY)
    _listen(_table, "before_drop", DROPS)


def include_in_comparison(name: str | None, type_: str, parent_names: dict) -> bool:
    """For Alembic's comparison (autogenerate, tests/test_migrations.py): the search
    machinery is the database's own, described here rather than by the models."""
    return not (name or "").startswith(PREFIX)


# The index as queries see it: the FTS5 tables (rowid is the post's or reply's id) and
# PostgreSQL's vectors. Not part of the models' metadata: nothing creates them from here.
_fts = MetaData()
posts_fts = Table("search_posts", _fts, Column("rowid", Integer), Column("title", Text),
                  Column("body", Text), Column("search_sources", Text))
replies_fts = Table("search_replies", _fts, Column("rowid", Integer), Column("body", Text))
post_vector = literal_column("posts.search_vector", TSVECTOR)
reply_vector = literal_column("replies.search_vector", TSVECTOR)
post_sources_text = literal_column("posts.search_sources", Text)
