"""The discussion page's list of posts, rendered once for each kind of viewer and kept.

As the post page's thread is (forum/web/thread_view.py): the kind's copy is rendered by a
`Peer` (the viewer's standing, no identity) and kept under a key of everything it shows
(`_cache_key`), so a write never deletes copies: it changes the key. What is one person's
own is never in the copy:
- per post, the "New" badge, the response count and "n new" are slots, filled per request
  from the viewer's unread posts and replies (read anyway for the page) and from the
  replies counted for them and not for their kind (their own held ones, say);
- the posts their list shows otherwise than their kind's (their own: drafts, held posts,
  anonymous posts under "you (anonymous)"; a tombstone kept only by their own reply) are
  rendered for them alone and put in the list's order (`_order`, twin of _LISTING_ORDER).
"""

from __future__ import annotations

import hashlib
import heapq
import re
import secrets

from flask import get_template_attribute
from markupsafe import Markup

from forum import access as perm
from forum.models import Discussion, Post
from forum.services import post_list as list_service
from forum.services import posts as post_service
from forum.services.authors import Byline, byline
from forum.services.reading import UnreadPosts
from forum.web.kept import keep, kept, templates_digest
from forum.web.templating import counted
from forum.web.thread_view import Peer

TEMPLATE = "discussions/_posts.html"
_NEW = Markup('<span class="badge badge-new">New</span>')

# A kind's copy is a tuple of entries (order, post id, parts); parts are text as it is,
# or a slot: ("n", post id) the New badge, ("c", post id, the kind's count) the response
# count, ("f", post id) how many replies are new.
Entry = tuple[tuple, int, tuple]


class ListPage:
    """What the item macro reads: the actor it is rendered for, and the slots, filled
    for one viewer (`unread`, `deltas`) or left as placeholders (`marker`)."""

    def __init__(self, actor, discussion: Discussion, unread: UnreadPosts | None = None,
                 marker: str | None = None):
        self.actor, self.course, self.marker = actor, discussion.course, marker
        self.unread = unread or UnreadPosts()
        self.moderates = perm.can_moderate(actor, self.course)

    def byline(self, post: Post) -> Byline:
        return byline(self.actor, post, self.course)

    def new(self, post_id: int) -> Markup:
        if self.marker:
            return self._mark(f"n{post_id}")
        return _new(self.unread, post_id)

    def count(self, post_id: int, n: int) -> Markup:
        if self.marker:
            return self._mark(f"c{post_id}.{n}")
        return _count(n)

    def fresh(self, post_id: int) -> Markup:
        if self.marker:
            return self._mark(f"f{post_id}")
        return _fresh(self.unread, post_id)

    def _mark(self, what: str) -> Markup:
        return Markup(f"\x00{self.marker}:{what}\x00")  # noqa: S704 (ids and hex only)


# The slots' texts, one function each whether filled at once or from a copy.
def _new(unread: UnreadPosts, post_id: int) -> Markup:
    return _NEW if post_id in unread.posts else Markup("")


def _count(n: int) -> Markup:
    return Markup(counted(n, "response"))  # noqa: S704 (a number and a word)


def _fresh(unread: UnreadPosts, post_id: int) -> Markup:
    n = unread.replies.get(post_id)
    return Markup(f', <span class="new">{int(n)} new</span>') if n else Markup("")  # noqa: S704


class PostList:
    """The list as one viewer sees it: how many posts, and their items."""

    def __init__(self, count: int, html: Markup):
        self.count, self.html = count, html


def _order(post: Post) -> tuple:
    """A post's place in the list (twin of posts._LISTING_ORDER): drafts first, then
    pinned posts, then by publication, then by id."""
    published = post.published_at
    moment = -1 if published is None else int(published.timestamp()) * 10**6 \
        + published.microsecond
    return (int(post.is_published), int(post.pinned_at is None), moment, post.id)


def _item(summary, page: ListPage) -> str:
    return str(get_template_attribute(TEMPLATE, "post_item")(summary, page))


def _peer_of(viewer, discussion: Discussion) -> Peer:
    return Peer(role=perm.role_in(viewer, discussion.course), is_admin=perm.is_admin(viewer),
                is_authenticated=viewer.is_authenticated,
                unlocked=perm.peers_revealed(viewer, discussion))


def post_list_alone(viewer, discussion: Discussion, unread: UnreadPosts) -> PostList:
    """The list rendered for this viewer alone, without a kept copy."""
    summaries = post_service.list_posts(viewer, discussion)
    page = ListPage(viewer, discussion, unread)
    return PostList(len(summaries),
                    Markup("".join(_item(s, page) for s in summaries)))  # noqa: S704


def post_list(viewer, discussion: Discussion, unread: UnreadPosts) -> PostList:
    """The list of the discussion's posts as the viewer may see it: the kind's kept copy,
    with the viewer's slots filled and their own posts rendered for them alone."""
    kind = _peer_of(viewer, discussion)
    # Only a visitor with no guest comment of their own is exactly their kind.
    personal = viewer.is_authenticated or bool(viewer.guest_ids)
    stamp = list_service.list_stamp(viewer, kind, discussion, personal=personal)
    key = _cache_key(kind, discussion, stamp.stamp)
    copy = kept(key)
    if copy is None:
        copy = _render_kind_copy(kind, discussion)
        keep(key, copy)
    own = post_service.list_posts(viewer, discussion, list_service.personal_posts(
        viewer, kind, discussion)) if stamp.own_posts else []
    deltas = list_service.reply_count_deltas(viewer, kind, discussion) \
        if stamp.own_replies else {}
    page = ListPage(viewer, discussion, unread)
    mine = sorted(((_order(s.post), _item(s, page)) for s in own), key=lambda e: e[0])
    skip = {s.post.id for s in own}
    theirs = ((order, "".join(_fill(parts, unread, deltas)))
              for order, post_id, parts in copy if post_id not in skip)
    items = [html for _, html in heapq.merge(theirs, mine, key=lambda entry: entry[0])]
    return PostList(len(items), Markup("".join(items)))  # noqa: S704 (escaped renderings)


def _cache_key(kind: Peer, discussion: Discussion, stamp: tuple[int, ...]) -> str:
    """Everything the kind's copy shows that could change: the posts and replies (their
    stamp), names and roles (people_version), the time zone, the discussion (its version,
    and the settings it shows by: anonymity, reveal, due date for "Late"), and what the
    kind may see now (role, admin, signed in, classmates' writing revealed)."""
    course = discussion.course
    facts = (
        _template_digest(), discussion.id, discussion.version, stamp, course.people_version,
        course.timezone, course.visibility.value, discussion.anonymity.value,
        discussion.reveal.value, discussion.due_at, kind,
    )
    return "post-list:" + hashlib.sha256(repr(facts).encode()).hexdigest()


def _template_digest() -> str:
    return templates_digest(TEMPLATE, "_macros.html")


def _render_kind_copy(kind: Peer, discussion: Discussion) -> tuple[Entry, ...]:
    marker = secrets.token_hex(8)
    page = ListPage(kind, discussion, marker=marker)
    entries = [(_order(s.post), s.post.id, _split(_item(s, page), marker))
               for s in post_service.list_posts(kind, discussion)]
    entries.sort(key=lambda entry: entry[0])  # already so; merging relies on it
    return tuple(entries)


def _split(html: str, marker: str) -> tuple:
    pieces = re.split(f"\x00{marker}:([^\x00]*)\x00", html)
    parts: list = [pieces[0]] if pieces[0] else []
    for tag, text in zip(pieces[1::2], pieces[2::2], strict=True):
        numbers = tuple(int(n) for n in tag[1:].split("."))
        parts.append((tag[0], *numbers))
        if text:
            parts.append(text)
    return tuple(parts)


def _fill(parts: tuple, unread: UnreadPosts, deltas: dict[int, int]):
    for part in parts:
        if part.__class__ is str:
            yield part
        elif part[0] == "n":
            yield _new(unread, part[1])
        elif part[0] == "c":
            yield _count(part[2] + deltas.get(part[1], 0))
        else:
            yield _fresh(unread, part[1])
