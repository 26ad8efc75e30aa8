"""Importing a WordPress course blog (read by forum/formats/wxr.py) into a course: its
categories as discussions, its posts with their images, and their comments as threads
of replies, with members matched by email, outsiders as guests and old approved spam
held for review. Importing a later export adds only its new posts and comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from forum.access import Actor, can_create_discussion
from forum.errors import PermissionDenied
from forum.extensions import db
from forum.formats.wp_markdown import WpImage, find_images, to_markdown
from forum.formats.wxr import WxrBlog, WxrComment, WxrPost
from forum.models import (
    Course,
    Discussion,
    Enrollment,
    Image,
    Post,
    PostSource,
    PostStatus,
    Reply,
    Role,
    User,
    utcnow,
)
from forum.models.limits import CITATION_MAX, TITLE_MAX
from forum.services.markup import render_markdown
from forum.services.wordpress_comments import TRASH_REASON as TRASH_REASON
from forum.services.wordpress_comments import checked_body, import_comment, optional_url
from forum.services.wordpress_images import ImageCopies, LeftImage, image_path
from forum.services.wordpress_origins import (
    FIRST_PUBLISHED,
    PUBLISHED_STATES,
    KnownComments,
    KnownPosts,
    is_imported,
    plain,
    post_title,
)
from forum.services.words import count_words
from forum.transactions import writes

UNCATEGORIZED = "Course blog"  # the discussion of posts without a category
_UNCATEGORIZED_NICENAMES = {"", "uncategorized"}


@dataclass
class ImportSummary:
    """What an import did, for the instructor."""

    posts: int = 0
    drafts: int = 0
    posts_by_members: int = 0
    posts_by_importer: int = 0  # the author is no member: the importer's, named in it
    already_imported: int = 0  # posts imported before (their new comments are added)
    other_items: int = 0  # pages, attachments, menu items, trashed posts: not imported
    discussions_created: list[str] = field(default_factory=list)
    comments: int = 0
    comments_already_imported: int = 0
    comments_by_members: int = 0
    members_matched: set[int] = field(default_factory=set)
    guests: int = 0
    prompts: int = 0
    published: int = 0
    pending: int = 0  # held for review as they were on the blog
    held_as_spam: int = 0  # approved on the blog, held now by the spam filter
    spam: int = 0
    hidden: int = 0
    pingbacks: int = 0  # pingbacks and trackbacks: not imported
    images_copied: int = 0  # into the forum's image storage, shown by the posts
    images_left: list[LeftImage] = field(default_factory=list)  # at the blog's address

    @property
    def remote_images(self) -> int:
        return len(self.images_left)


class _Import:
    """One import's state: the course's members and discussions, what was written."""

    def __init__(self, actor: Actor, course: Course, blog: WxrBlog, images: ImageCopies):
        self.actor, self.course, self.blog, self.images = actor, course, blog, images
        self.summary = ImportSummary()
        self.members: dict[str, tuple[User, Role]] = {
            user.email.lower(): (user, role) for user, role in db.session.execute(
                select(User, Enrollment.role).join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == course.id))}
        self.roles = {user.id: role for user, role in self.members.values()}
        self.discussions: dict[str, Discussion] = {
            d.title: d for d in db.session.scalars(
                select(Discussion).where(Discussion.course_id == course.id))}
        self.known = KnownPosts(course)
        self.attachments = {p.id: p.attachment_url for p in blog.posts
                            if p.post_type == "attachment" and p.attachment_url}
        self.blog_name = plain(blog.title) or "the course blog"

    def discussion_for(self, post: WxrPost) -> Discussion:
        named = [(nice, name) for nice, name in post.categories
                 if nice not in _UNCATEGORIZED_NICENAMES]
        title = (plain(named[0][1]) or named[0][0]) if named else UNCATEGORIZED
        title = title[:TITLE_MAX]
        if title not in self.discussions:
            prompt = f"Posts imported from {self.blog_name} ({title})."
            discussion = Discussion(course=self.course, title=title, prompt=prompt,
                                    prompt_html=render_markdown(prompt), points_possible=0,
                                    created_by_id=self.actor.id, created_at=utcnow(),
                                    updated_at=utcnow())
            db.session.add(discussion)
            self.discussions[title] = discussion
            self.summary.discussions_created.append(title)
        return self.discussions[title]

    def author_of(self, email: str) -> tuple[User, Role] | None:
        return self.members.get(email.lower()) if email else None

    def import_post(self, item: WxrPost) -> None:
        if not is_imported(item):
            self.summary.other_items += 1
            return
        title = post_title(item)
        known = self.known.find(item, title)
        if known is not None:
            self.summary.already_imported += 1
            self.import_comments(db.session.get(Post, known), item, KnownComments(known))
            return
        what = f"the post {title!r} (WordPress id {item.id})"
        wp_author = self.blog.authors.get(item.author_login)
        name = (wp_author.display_name if wp_author else "") or item.author_login or "unknown"
        matched = self.author_of(wp_author.email if wp_author else "")
        author_id = matched[0].id if matched else self.actor.id
        images = self.post_images(item, title, author_id)
        body = to_markdown(item.content, self.attachments,
                           {found.src: (image_path(image), image.alt)
                            for found, image in images}) or plain(item.excerpt)
        if matched is None:
            body = f"*Written by {name} on {self.blog_name}.*\n\n{body}".strip()
        body = checked_body(what, body or "(This post had no text.)")
        published = item.status in PUBLISHED_STATES
        citation = (f"{FIRST_PUBLISHED}{self.blog_name} by {name}, "
                    f"{item.date_gmt:%d %B %Y}")[:CITATION_MAX]
        post = Post(discussion=self.discussion_for(item), author_id=author_id, title=title,
                    body=body, body_html=render_markdown(body), word_count=count_words(body),
                    status=PostStatus.PUBLISHED if published else PostStatus.DRAFT,
                    created_at=item.date_gmt, published_at=item.date_gmt if published else None,
                    sources=[PostSource(position=0, citation=citation,
                                        url=optional_url(item.link))])
        db.session.add(post)
        for _found, image in images:
            image.post = post
        db.session.flush()
        self.known.remember(item, title, post)
        summary = self.summary
        summary.posts += 1
        summary.drafts += not published
        if matched:
            summary.posts_by_members += 1
            summary.members_matched.add(matched[0].id)
        else:
            summary.posts_by_importer += 1
        self.import_comments(post, item, KnownComments(None))

    def post_images(self, item: WxrPost, title: str, author_id: int
                    ) -> list[tuple[WpImage, Image]]:
        """The post's copied images as rows of its author (with their ids, for the
        body to show them); the others are reported, left at the blog's address."""
        copies = self.images.take(item.id)
        for position, (_found, image) in enumerate(copies):
            image.uploader_id, image.position = author_id, position
            db.session.add(image)
        if copies:
            db.session.flush()
        copied = {found.src for found, _image in copies}
        self.summary.images_copied += len(copies)
        self.summary.images_left.extend(
            LeftImage(title, found.src, self.images.reason(item.id, found.src))
            for found in find_images(item.content, self.attachments)
            if found.src not in copied)
        return copies

    def import_comments(self, post: Post, item: WxrPost, known: KnownComments) -> None:
        """The item's comments as the post's replies, parents before their children;
        a comment imported before is kept as it is and stands as the parent of its new
        answers."""
        comments = [c for c in item.comments if c.comment_type in ("", "comment")]
        self.summary.pingbacks += len(item.comments) - len(comments)
        ids = {c.id for c in comments}
        children: dict[int | None, list[WxrComment]] = {}
        for comment in comments:
            parent = comment.parent_id if comment.parent_id in ids else None
            children.setdefault(parent, []).append(comment)
        student_post = self.roles.get(post.author_id) is Role.STUDENT
        stack: list[tuple[WxrComment, Reply | None]] = [
            (c, None) for c in sorted(children.get(None, []), key=_order, reverse=True)]
        while stack:  # depth first, parents before their children, each level in order
            comment, parent = stack.pop()
            matched = self.author_of(comment.author_email)
            reply = known.match(comment, matched[0].id if matched else None)
            if reply is None:
                reply = import_comment(self.course, self.summary, matched, post, parent,
                                       comment, student_post)
            else:
                self.summary.comments_already_imported += 1
            stack.extend((c, reply) for c in sorted(children.get(comment.id, []), key=_order,
                                                    reverse=True))


def _order(comment: WxrComment) -> tuple[datetime, int]:
    return comment.date_gmt, comment.id


@writes
def import_wordpress(actor: Actor, course: Course, blog: WxrBlog,
                     images: ImageCopies | None = None) -> ImportSummary:
    """Import a WordPress blog's posts and comments into the course (its instructors),
    all or nothing, with the images `copy_images` copied for it (removed if the import
    fails). What an earlier import of the blog brought is not imported again: a later
    export adds its new posts, and new comments on the posts already here.
    Raises PermissionDenied, Invalid."""
    images = images or ImageCopies()
    try:
        if not can_create_discussion(actor, course):
            raise PermissionDenied("Only the course's instructors import a blog into it.")
        work = _Import(actor, course, blog, images)
        for item in sorted(blog.posts, key=lambda p: (p.date_gmt, p.id)):
            work.import_post(item)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        images.discard()
        raise
    images.discard(all_files=False)
    return work.summary
