"""The thread on a post page, rendered once for each kind of viewer and kept in the cache.

A thread looks the same to every viewer of one kind (anonymous, outsider, student, TA,
instructor, admin) but for two things: the viewer's CSRF token in the forms, and the
controls on the viewer's own replies. The kind's copy is rendered by a `Peer`, someone
of the viewer's standing, with a placeholder for the token and, at each reply, the
controls twice: as its author of that kind sees them, and as everyone else does. A
request puts in its token and picks, reply by reply, without a query or a template.
The copy's key holds everything it shows (see `_cache_key`), so a write never has to
find and delete copies: it changes the key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field, replace

from flask import get_template_attribute, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from forum import access as perm
from forum.access import Actor
from forum.models import Likes, Post, Reply, Role
from forum.services.authors import post_byline
from forum.services.reactions import liked_in_thread
from forum.services.reading import ReadState, by_classmate_node, read_state
from forum.services.threads import ThreadNode, held_reply_by, load_thread, thread_stamp
from forum.web.kept import keep, kept, templates_digest

TEMPLATE = "posts/_thread.html"
GUEST_COMMENTS = "guest_comments"  # session key: {guest id: post id} written by this browser

# A kind's copy is a tuple of parts: text as it is; None where the viewer's CSRF token
# goes; at each choice made per viewer, (key, parts for everyone else, parts for those
# the key names): ("o", author id) at a reply's controls, ("l", reply id) at its like
# button, ("n", reply id, seq, author id, classmate) at its "New" badge. Choices may
# nest (a like button sits in the controls others see).
Part = str | tuple | None


@dataclass(frozen=True)
class Peer:
    """Someone with the viewer's standing in the course (signed in or not, role, site
    admin or not): the viewer's kind. With no id, one who wrote nothing here, so that
    what the copy offers is offered to all of the kind; with an author's id, that author
    as one of the kind."""

    role: Role | None
    is_admin: bool
    is_authenticated: bool = True
    id: int | None = None
    guest_ids: frozenset[int] = frozenset()  # a kind's copy is never a guest's own
    # Whether the viewer's own work opened classmates' writing (Discussion.reveal).
    unlocked: bool = False

    def course_role(self, _course_id: int) -> Role | None:
        return self.role

    def has_unlocked(self, _discussion) -> bool:
        return self.unlocked


@dataclass
class ThreadPage:
    """What the thread macros read: decided once for the page, not once per reply."""

    post: Post
    thread: list[ThreadNode]
    actor: Actor
    csrf_token: str
    failed: dict = field(default_factory=dict)
    marker: str | None = None  # set while rendering a kind's copy
    liked: frozenset[int] = frozenset()  # the replies the viewer likes (not in a copy)
    read: ReadState = field(default_factory=ReadState)  # what is new to the viewer
    new_ids: list[int] = field(default_factory=list)  # filled as new replies are shown

    def __post_init__(self) -> None:
        course = self.post.discussion.course
        self.course = course
        self.signed_in = self.actor.is_authenticated
        self.can_reply = perm.can_reply(self.actor, self.post)
        self.can_prompt = perm.can_ask_prompt(self.actor, self.post)
        self.can_guest_comment = perm.can_comment_as_guest(self.actor, self.post)
        self.moderates = perm.can_moderate(self.actor, course)
        self.reply_url = url_for("posts.reply", post_id=self.post.id)
        self.prompt_url = url_for("posts.prompt", post_id=self.post.id)
        self.author_name = post_byline(self.actor, self.post).name
        self.authors = {
            item.reply.id: _hidden_name(item.reply) if item.tombstone else item.byline.name
            for item in self.thread
        }
        discussion = self.post.discussion
        self.may_be_anonymous = perm.can_write_anonymously(self.actor, discussion)
        self.must_be_anonymous = perm.must_write_anonymously(self.actor, discussion)
        self.likes_shown = perm.can_see_likes(self.actor, discussion)

    def csrf(self) -> str:
        return self._mark("t") if self.marker else self.csrf_token

    def peer_as(self, author_id: int) -> Peer:
        return replace(self.actor, id=author_id)

    # Our own placeholders, written only while rendering a kind's copy: ids and hex.
    def slot_open(self, reply: Reply) -> Markup:
        # A guest's reply has no member author: 0 is nobody's id.
        return Markup(self._mark(f"o{reply.author_id or 0}"))  # noqa: S704

    def like_open(self, reply: Reply) -> Markup:
        return Markup(self._mark(f"l{reply.id}"))  # noqa: S704

    def new_open(self, item: ThreadNode) -> Markup:
        reply = item.reply
        return Markup(self._mark(  # noqa: S704
            f"n{reply.id}.{reply.seq}.{reply.author_id or 0}.{int(by_classmate_node(item))}"))

    def is_new(self, item: ThreadNode) -> bool:
        """Outside a kind's copy: whether the reply is new to the viewer (and noted)."""
        reply = item.reply
        new = self.read.is_new(reply.seq, reply.author_id, by_classmate_node(item))
        if new:
            self.new_ids.append(reply.id)
        return new

    def slot_mid(self) -> Markup:
        return Markup(self._mark("m"))  # noqa: S704

    def slot_close(self) -> Markup:
        return Markup(self._mark("c"))  # noqa: S704

    def _mark(self, what: str) -> str:
        return f"\x00{self.marker}:{what}\x00"


def _hidden_name(reply: Reply) -> str:
    return "a deleted reply" if reply.is_deleted else "a hidden reply"


def _sees_own_held(viewer, post: Post) -> bool:
    """Whether the viewer wrote a reply in this thread that the moderators hold back:
    only they (and staff) see it, so no kind's copy may serve them. A member's is read
    with the post (Post.viewer_holds); a guest's from the comments this browser wrote."""
    if viewer.is_authenticated:
        if post.viewer_holds is None:  # the post was not loaded for its page
            return held_reply_by(viewer, post)
        return post.viewer_holds
    return post.id in guest_posts()


def guest_posts() -> set[int]:
    """The posts this browser commented on as a guest (kept in its session)."""
    return {post_id for post_id in session.get(GUEST_COMMENTS, {}).values()
            if isinstance(post_id, int)}


@dataclass
class Picks:
    """What one viewer's request picks at the choices of a kind's copy, and the new
    replies it showed (in thread order)."""

    viewer_id: int | None
    liked: frozenset[int]
    read: ReadState
    new_ids: list[int] = field(default_factory=list)

    def named(self, key: tuple) -> bool:
        kind, number = key[0], key[1]
        if kind == "o":
            return number == self.viewer_id
        if kind == "l":
            return number in self.liked
        _, reply_id, seq, author_id, classmate = key
        new = self.read.is_new(seq, author_id or None, bool(classmate))
        if new:
            self.new_ids.append(reply_id)
        return new


@dataclass(frozen=True)
class ThreadHtml:
    """The thread section, and the replies in it that are new to the viewer."""

    html: Markup
    new_ids: list[int]


def thread_html(post: Post, failed: dict | None = None) -> ThreadHtml:
    """The thread section of the post page as the current viewer may see it."""
    viewer = current_user._get_current_object()  # once, not through the proxy at each use
    token = generate_csrf() if viewer.is_authenticated else ""
    liked = _liked(viewer, post)
    read = read_state(viewer, post)
    if failed or _sees_own_held(viewer, post):
        # A refused form shown again with its text, or the viewer's own held reply:
        # this viewer's alone.
        page = ThreadPage(post, load_thread(viewer, post), viewer, token, failed or {},
                          liked=liked, read=read)
        return ThreadHtml(_render(page), page.new_ids)
    picks = Picks(viewer.id, liked, read)
    # Pieces of one escaped rendering, and the CSRF token, which is URL-safe.
    html = Markup("".join(_fill(_kind_copy(viewer, post), token, picks)))  # noqa: S704
    return ThreadHtml(html, picks.new_ids)


def _liked(viewer, post: Post) -> frozenset[int]:
    """The replies the viewer likes, where they may like any."""
    if post.discussion.likes is Likes.OFF or not perm.is_member(viewer, post.discussion.course):
        return frozenset()
    return liked_in_thread(viewer, post)[1]


def _render(page: ThreadPage) -> Markup:
    return get_template_attribute(TEMPLATE, "thread")(page)


def _kind_copy(viewer, post: Post) -> tuple[Part, ...]:
    key = _cache_key(viewer, post)
    copy = kept(key)
    if copy is None:
        copy = _render_kind_copy(viewer, post)
        keep(key, copy)
    return copy


def _peer_of(actor, post: Post) -> Peer:
    discussion = post.discussion
    course = discussion.course
    return Peer(role=perm.role_in(actor, course), is_admin=perm.is_admin(actor),
                is_authenticated=actor.is_authenticated,
                unlocked=perm.peers_revealed(actor, discussion))


def copy_key(viewer, post: Post) -> str:
    """The key of the viewer's kind's copy of the thread: it changes whenever the copy
    would show something else (also the ETag's part for the thread of a shared page)."""
    return _cache_key(viewer, post)


def _cache_key(viewer, post: Post) -> str:
    """Everything the kind's copy shows that could change: the thread (its stamp),
    names and roles, the course's time zone, the post's state, and what the viewer's
    kind may do now (replying depends on the clock) and see (classmates' writing, in a
    discussion that reveals it late)."""
    discussion = post.discussion
    course = discussion.course
    facts = (
        _template_digest(), post.id, thread_stamp(post), course.people_version,
        course.timezone, post.author.display_name, post.status.value, post.is_deleted,
        post.moderation.value, post.is_locked, post.anonymous, _peer_of(viewer, post),
        discussion.likes.value, discussion.anonymity.value,
        perm.can_reply(viewer, post), perm.can_ask_prompt(viewer, post),
        perm.can_comment_as_guest(viewer, post),
    )
    return "thread:" + hashlib.sha256(repr(facts).encode()).hexdigest()


def _template_digest() -> str:
    return templates_digest(TEMPLATE, "_macros.html")


def _render_kind_copy(viewer, post: Post) -> tuple[Part, ...]:
    peer = _peer_of(viewer, post)
    marker = secrets.token_hex(8)
    page = ThreadPage(post, load_thread(viewer, post), peer, "", marker=marker)
    return _split(str(_render(page)), marker)


def _split(html: str, marker: str) -> tuple[Part, ...]:
    """Turn the placeholders of a rendered copy into parts."""
    pieces = re.split(f"\x00{marker}:([^\x00]*)\x00", html)
    stack: list[list[Part]] = [[]]
    opened: list[list] = []  # per open choice: [key, parts for everyone else]
    _add_text(stack[-1], pieces[0])
    for tag, text in zip(pieces[1::2], pieces[2::2], strict=True):
        if tag == "t":
            stack[-1].append(None)
        elif tag[0] in "oln":  # a choice opens: first as everyone else sees it
            opened.append([(tag[0], *map(int, tag[1:].split("."))), ()])
            stack.append([])
        elif tag == "m":  # then as those its key names do
            opened[-1][1] = tuple(stack.pop())
            stack.append([])
        else:  # "c"
            key, others = opened.pop()
            chosen = tuple(stack.pop())
            stack[-1].append((key, others, chosen))
        _add_text(stack[-1], text)
    return tuple(stack[0])


def _add_text(parts: list[Part], text: str) -> None:
    if not text:
        return
    if parts and isinstance(parts[-1], str):
        parts[-1] += text
    else:
        parts.append(text)


def _fill(parts: tuple[Part, ...], token: str, picks: Picks):
    """The kind's copy with this viewer's token, own controls, likes and new replies."""
    for part in parts:
        if part.__class__ is str:
            yield part
        elif part is None:
            yield token
        else:
            key, others, chosen = part
            yield from _fill(chosen if picks.named(key) else others, token, picks)
