"""Benchmark data: a large public course written with bulk inserts (COPY on PostgreSQL),
fast enough for a million replies. Used by `flask --app forum bench-data` and by bench/."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from forum.extensions import db
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    Grade,
    Post,
    PostSource,
    Reply,
    User,
    utcnow,
)
from forum.models.replies import path_segment
from forum.services.markup import render_markdown
from forum.services.words import count_words

BATCH = 5_000
MAX_DEPTH = 12
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway benchmark accounts
HOT_THREADS = (50, 500)  # replies under the posts the benchmark reads

WORDS = (
    "treaty reparations armistice republic inflation assembly delegates frontier "
    "plebiscite mandate sovereignty coalition parliament strike currency bonds ministry "
    "occupation league nations memorandum clause historians argue evidence source "
    "archive pamphlet newspaper speech election veterans workers peasants empire "
    "revolution settlement diplomacy conference minority border guarantee security "
    "the a of and in that was to it by for with as on but not this which their"
).split()


@dataclass
class Made:
    course_id: int
    discussion_id: int
    hot_posts: dict[int, int]  # replies -> post id
    student_email: str
    instructor_email: str


def _texts(rng: random.Random, count: int, low: int, high: int) -> list[tuple[str, str, int]]:
    """A pool of (markdown, html, word count) bodies: rendering once and reusing keeps it
    fast."""
    pool = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
        words[0] = words[0].capitalize()
        body = " ".join(words) + "."
        pool.append((body, render_markdown(body), count_words(body)))
    return pool


# Names a discussion of the period turns to now and then: each in about one item in 80,
# so that a search pairing one with a common word finds some hundreds of items in the
# benchmark's course (bench/setup.py's search scenario), as real searches do.
TOPICS = (
    "Locarno Rapallo Stresemann Briand Danzig Silesia Ruhr Saar Memel Fiume Trianon "
    "Lausanne Dawes Kellogg Rathenau Erzberger Ebert Hindenburg Spartacists Rhineland "
    "Bessarabia Transylvania Corfu Manchuria Abyssinia Matteotti Pilsudski Masaryk Horthy "
    "Weimar Geneva Bukovina Vilnius Teschen Burgenland Dodecanese Smyrna Chanak Genoa Spa"
).split()


def _topical(item_id: int, text: tuple[str, str, int]) -> tuple[str, str, int]:
    """Half the items also name a topic, picked by their id (not by the generator's
    random sequence, which the other figures depend on)."""
    pick = (item_id * 2654435761) % 2**32
    if pick % 2:
        return text
    topic = TOPICS[(pick >> 8) % len(TOPICS)]
    body, html, words = text
    return (f"{body} See {topic}.", html.replace("</p>", f" See {topic}.</p>", 1), words + 2)


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _bulk(model, rows: list[dict]) -> None:
    """Insert plain rows through the table, not the ORM: the ORM's bulk insert leaves out
    the columns whose value is None and splits the batch wherever that set changes from
    one row to the next, which for replies means nearly a statement per row."""
    if not rows:
        return
    table = model.__table__
    if _can_copy(table, rows[0]):
        _copy(table, rows)
        return
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def _can_copy(table, row: dict) -> bool:
    """COPY on PostgreSQL, unless a column left out has a Python-side default (COPY
    would not apply it)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    return all(column.default is None for column in table.c if column.name not in row)


def _copy(table, rows: list[dict]) -> None:
    """PostgreSQL's COPY in the session's transaction, values bound as SQLAlchemy would."""
    dialect = db.session.get_bind().dialect
    names = list(rows[0])
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in names]
    converters = list(zip(names, processors, strict=True))
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN"
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] if process is None or row[name] is None
                            else process(row[name]) for name, process in converters])


def generate(students: int, discussions: int, posts_per_discussion: int, replies: int,
             seed: int = 1, progress: Callable[[int], None] | None = None) -> Made:
    """Write one public course of the given size; commit once at the end."""
    rng = random.Random(seed)
    step = progress or (lambda _n: None)
    now = utcnow()
    password = generate_password_hash(PASSWORD)
    course_id, user_id = _next_id(Course), _next_id(User)
    db.session.execute(insert(Course), [{
        "id": course_id, "code": f"BENCH-{course_id}", "title": "Benchmark seminar",
        "term": "Bench", "timezone": "Europe/London", "visibility": "public",
        "created_at": now}])
    people = [{"id": user_id + n, "email": f"bench{course_id}-{n}@example.edu",
               "display_name": f"Bench person {n}", "password_hash": password,
               "is_admin": False, "is_disabled": False, "session_epoch": 0, "created_at": now}
              for n in range(students + 2)]
    _bulk(User, people)
    staff, learners = [p["id"] for p in people[:2]], [p["id"] for p in people[2:]]
    _bulk(Enrollment, [{"user_id": uid, "course_id": course_id, "created_at": now,
                        "role": "instructor" if i == 0 else "ta" if i == 1 else "student"}
                       for i, uid in enumerate(staff + learners)])
    step(students)
    discussion_ids = _discussions(course_id, staff[0], discussions, now)
    post_ids = _posts(rng, discussion_ids, learners, posts_per_discussion, now)
    step(len(post_ids))
    hot = {size: post_ids[i] for i, size in enumerate(HOT_THREADS)}
    spread = max(0, replies - sum(HOT_THREADS))
    _replies(rng, hot, post_ids, learners, staff, spread, now, step)
    _count_shown_replies(discussion_ids)
    _grades(rng, discussion_ids[0], learners, staff[0], now)
    _advance_sequences(Course, User, Discussion, Post, Reply)
    db.session.commit()
    return Made(course_id, discussion_ids[0], {size: pid for size, pid in hot.items()},
                people[2]["email"], people[0]["email"])


def _advance_sequences(*models) -> None:
    """Ids were given explicitly; PostgreSQL's sequences must move past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT max(id) FROM {table}))"))


def _discussions(course_id: int, creator: int, count: int, now) -> list[int]:
    first = _next_id(Discussion)
    _bulk(Discussion, [{
        "id": first + n, "course_id": course_id, "title": f"Week {n + 1} discussion",
        "prompt": "Argue from the sources.", "prompt_html": "<p>Argue from the sources.</p>\n",
        "opens_at": now - timedelta(days=30), "due_at": now + timedelta(days=n + 1),
        "points_possible": 10, "created_by_id": creator, "created_at": now,
        "updated_at": now, "version": 1, "rubric": [], "min_posts": 1, "min_peer_replies": 2,
        "require_prompt_answers": False, "allow_extra_credit": False,
    } for n in range(count)])
    return [first + n for n in range(count)]


def _posts(rng, discussion_ids, learners, per_discussion, now) -> list[int]:
    pool = _texts(rng, 60, 150, 400)
    first, rows, sources = _next_id(Post), [], []
    for d_index, discussion_id in enumerate(discussion_ids):
        for n in range(per_discussion):
            post_id = first + len(rows)
            body, html, words = _topical(post_id, rng.choice(pool))
            moment = now - timedelta(days=20, minutes=-(d_index * per_discussion + n))
            rows.append({"id": post_id, "discussion_id": discussion_id,
                         "author_id": learners[(d_index + n) % len(learners)],
                         "title": f"Post {n + 1} on week {d_index + 1}", "body": body,
                         "body_html": html, "word_count": words, "status": "published",
                         "created_at": moment, "published_at": moment, "version": 1})
            sources.append({"post_id": post_id, "position": 0,
                            "citation": "Keynes, The Economic Consequences of the Peace",
                            "url": None})
    _bulk(Post, rows)
    _bulk(PostSource, sources)
    return [row["id"] for row in rows]


def _count_shown_replies(discussion_ids: list[int]) -> None:
    """Each post's count of replies shown, as writing them one by one would leave it."""
    table = Post.__table__
    shown = select(func.coalesce(func.max(Reply.seq), 0)).where(
        Reply.post_id == table.c.id).scalar_subquery()
    db.session.execute(table.update().where(table.c.discussion_id.in_(discussion_ids))
                       .values(reply_seq=shown))


def _replies(rng, hot, post_ids, learners, staff, spread, now, step) -> None:
    """Threads up to 12 levels deep: each reply answers the post or a recent reply."""
    pool = _texts(rng, 200, 20, 120)
    next_id = _next_id(Reply)
    plan = [(pid, size) for size, pid in hot.items()]
    others = post_ids[len(hot):] or post_ids
    per_post: dict[int, int] = {}
    for _ in range(spread):
        pid = rng.choice(others)
        per_post[pid] = per_post.get(pid, 0) + 1
    plan += list(per_post.items())
    batch: list[dict] = []
    for post_id, size in plan:
        thread: list[tuple[int, str, int]] = []  # (id, path, depth)
        for n in range(size):
            parent = None
            if thread and rng.random() < 0.7:
                parent = rng.choice(thread[-8:])
                if parent[2] + 1 >= MAX_DEPTH:
                    parent = None
            reply_id = next_id
            next_id += 1
            path = (parent[1] if parent else "") + path_segment(reply_id)
            depth = parent[2] + 1 if parent else 0
            prompt = n % 25 == 3
            body, html, words = _topical(reply_id, rng.choice(pool))
            batch.append({
                "id": reply_id, "post_id": post_id, "parent_id": parent[0] if parent else None,
                "author_id": staff[n % 2] if prompt else learners[(reply_id * 7) % len(learners)],
                "kind": "prompt" if prompt else "reply", "body": body, "body_html": html,
                "word_count": words, "seq": n + 1,
                "prompt_state": "open" if prompt else None, "path": path, "depth": depth,
                "created_at": now - timedelta(days=10, seconds=-n), "version": 1})
            thread.append((reply_id, path, depth))
            if len(batch) >= BATCH:
                _bulk(Reply, batch)
                step(len(batch))
                batch = []
    _bulk(Reply, batch)
    step(len(batch))


def _grades(rng, discussion_id, learners, grader, now) -> None:
    _bulk(Grade, [{"discussion_id": discussion_id, "student_id": sid,
                   "score": float(rng.randint(4, 10)), "rubric_scores": {}, "feedback": "",
                   "feedback_html": "", "state": "released" if sid % 2 else "draft",
                   "grader_id": grader, "updated_at": now, "version": 1}
                  for sid in learners])
