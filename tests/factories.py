"""Factories: rows with sensible defaults, made through the same services users go
through wherever the service computes something (paths, rendered Markdown)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from werkzeug.security import generate_password_hash

from forum.extensions import db
from forum.models import (
    Anonymous,
    Course,
    Discussion,
    Enrollment,
    Post,
    PostSource,
    PostStatus,
    Reply,
    Role,
    User,
    Visibility,
    utcnow,
)
from forum.services import guests, replies
from forum.services.markup import render_markdown
from forum.services.words import count_words

PASSWORD = "correct horse battery"
_PASSWORD_HASH = generate_password_hash(PASSWORD)
_numbers = itertools.count(1)


class Factory:
    def user(self, name: str | None = None, *, admin: bool = False, **fields) -> User:
        n = next(_numbers)
        user = User(email=fields.pop("email", f"user{n}@example.edu"),
                    display_name=name or f"Person {n}", password_hash=_PASSWORD_HASH,
                    is_admin=admin, **fields)
        db.session.add(user)
        db.session.commit()
        return user

    def course(self, *, public: bool = False, timezone: str = "UTC", **fields) -> Course:
        n = next(_numbers)
        course = Course(code=fields.pop("code", f"HIST-{n}"),
                        title=fields.pop("title", f"Modern History {n}"), term="Autumn 2026",
                        timezone=timezone,
                        visibility=Visibility.PUBLIC if public else Visibility.PRIVATE, **fields)
        db.session.add(course)
        db.session.commit()
        return course

    def member(self, course: Course, role: Role | str = Role.STUDENT, name: str | None = None,
               **fields) -> User:
        user = self.user(name, **fields)
        db.session.add(Enrollment(user=user, course=course, role=Role(role)))
        db.session.commit()
        return user

    def discussion(self, course: Course | None = None, **fields) -> Discussion:
        course = course or self.course()
        now = utcnow()
        creator = fields.pop("created_by_id", None) or self.user(admin=True).id
        prompt = fields.pop("prompt", "Discuss the sources.")
        discussion = Discussion(
            course=course, title=fields.pop("title", "Was the treaty too harsh?"),
            prompt=prompt, prompt_html=render_markdown(prompt),
            opens_at=fields.pop("opens_at", now - timedelta(days=1)),
            due_at=fields.pop("due_at", now + timedelta(days=7)), created_by_id=creator,
            points_possible=fields.pop("points_possible", 10),
            **fields,
        )
        db.session.add(discussion)
        db.session.commit()
        return discussion

    def post(self, discussion: Discussion | None = None, author: User | None = None, *,
             draft: bool = False, sources: list[tuple[str, str | None]] = (), **fields) -> Post:
        discussion = discussion or self.discussion()
        author = author or self.member(discussion.course)
        body = fields.pop("body", "The settlement was harsh in tone but moderate in substance.")
        now = utcnow()
        post = Post(
            discussion=discussion, author_id=author.id, title=fields.pop("title", "My post"),
            body=body, body_html=render_markdown(body), word_count=count_words(body),
            status=PostStatus.DRAFT if draft else PostStatus.PUBLISHED,
            published_at=None if draft else fields.pop("published_at", now),
            sources=[PostSource(position=i, citation=c, url=u) for i, (c, u) in
                     enumerate(sources)],
            **fields,
        )
        db.session.add(post)
        db.session.commit()
        return post

    def reply(self, post: Post, author: User, parent: Reply | None = None,
              body: str | None = None) -> Reply:
        body = body or f"I see it differently, for reason {next(_numbers)}."
        return replies.reply_to(author, post, parent.id if parent else None, body)

    def guest_comment(self, post: Post, body: str = "A visitor's view of the treaty.", *,
                      name: str = "Grete Visitor", email: str = "grete@example.org",
                      website: str | None = None, ip: str = "", parent: Reply | None = None,
                      **fields) -> Reply:
        """A visitor's comment through the guests' door (scored, held as the course
        says); no time on the form unless given, as through the API."""
        return guests.comment_as_guest(Anonymous(), post, guests.GuestInput(
            name=name, email=email, body=body, website=website, ip_address=ip,
            parent_id=parent.id if parent else None, **fields))

    def prompt(self, post: Post, author: User, parent: Reply | None = None,
               body: str = "What do you mean here?", quote: str | None = None) -> Reply:
        return replies.ask_prompt(author, post, parent.id if parent else None, body, quote)
