"""Passage feedback: staff comments anchored to a quoted passage of a post."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from forum.access import (
    Actor,
    can_annotate,
    can_delete_annotation,
    can_view_annotation,
    can_view_post,
    visible_annotations,
)
from forum.errors import NotFound, PermissionDenied
from forum.extensions import db
from forum.models import Annotation, AnnotationVisibility, Post
from forum.services.markup import render_markdown
from forum.services.validation import BODY_MAX, QUOTE_MAX, clean_text, collecting_errors
from forum.transactions import writes

CONTEXT = 32  # characters kept on each side of the quote to tell repeats apart


@dataclass(frozen=True)
class Anchored:
    annotation: Annotation
    found: bool  # False: the passage is gone from the post (orphaned)


def _pattern(quote: str) -> re.Pattern:
    """The quote as people copy it from the page: line breaks and spaces may differ,
    and Markdown's emphasis marks between words do not show."""
    words = quote.split()
    return re.compile(r"[\s*_]+".join(re.escape(word) for word in words))


def _matches(text: str, quote: str) -> list[re.Match]:
    return list(_pattern(quote).finditer(text)) if quote.strip() else []


def _shared_tail(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _shared_head(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def locate(text: str, quote: str, prefix: str, suffix: str) -> int | None:
    """Where the quote stands in the text now, preferring the occurrence whose
    surroundings match best; None when the passage is gone."""
    best, best_score = None, -1
    for match in _matches(text, quote):
        start, end = match.span()
        score = _shared_tail(text[max(0, start - CONTEXT):start], prefix) + _shared_head(
            text[end:end + CONTEXT], suffix)
        if score > best_score:
            best, best_score = start, score
    return best


@writes
def annotate(actor: Actor, post: Post, *, quote: str | None, body: str | None,
             visibility: str | None = None) -> Annotation:
    """Comment on a passage of a post (staff). Raises NotFound, PermissionDenied, Invalid."""
    if not can_view_post(actor, post):
        raise NotFound("No such post.")
    if not can_annotate(actor, post):
        raise PermissionDenied("Only instructors and TAs comment on passages.")
    with collecting_errors() as errors:
        quote = " ".join(clean_text(errors, "quote", quote, max_length=QUOTE_MAX,
                                    label="Passage").split())
        body = clean_text(errors, "body", body, max_length=BODY_MAX, label="Comment")
        try:
            shared = AnnotationVisibility(visibility or AnnotationVisibility.PRIVATE.value)
        except ValueError:
            errors.add("visibility", "Visibility is private or class.")
            shared = AnnotationVisibility.PRIVATE
        found = _matches(post.body, quote)
        if quote and "quote" not in errors and not found:
            errors.add_conflict("quote", "The passage must be copied from the post.")
    start, end = found[0].span()
    annotation = Annotation(
        post_id=post.id, author_id=actor.id, quote=quote, body=body,
        body_html=render_markdown(body), visibility=shared,
        prefix=post.body[max(0, start - CONTEXT):start], suffix=post.body[end:end + CONTEXT],
    )
    db.session.add(annotation)
    db.session.commit()
    return annotation


# Whether a post has any annotation standing, loaded with the post for its page.
ANY_ANNOTATION = (exists().where(Annotation.post_id == Post.id, Annotation.is_live)
                  .correlate(Post))


def annotations_for(actor: Actor, post: Post) -> list[Anchored]:
    """The annotations of a post the actor may see, each found again or orphaned."""
    if post.has_annotations is False:  # known from the post's own query
        return []
    found = db.session.scalars(
        select(Annotation).where(visible_annotations(actor, post))
        .options(joinedload(Annotation.author)).order_by(Annotation.id))
    return [Anchored(a, locate(post.body, a.quote, a.prefix, a.suffix) is not None)
            for a in found]


def get_annotation(actor: Actor, annotation_id: int) -> Annotation:
    """An annotation the actor may see. Raises NotFound."""
    annotation = db.session.get(Annotation, annotation_id)
    post = db.session.get(Post, annotation.post_id) if annotation else None
    if annotation is None or not can_view_annotation(actor, annotation, post):
        raise NotFound("No such annotation.")
    return annotation


@writes
def delete_annotation(actor: Actor, annotation: Annotation) -> None:
    """Withdraw an annotation (staff); it stays in the database. Raises PermissionDenied."""
    post = db.session.get(Post, annotation.post_id)
    if not can_delete_annotation(actor, annotation, post):
        raise PermissionDenied("Only instructors and TAs withdraw passage comments.")
    annotation.mark_deleted(actor.id)
    db.session.commit()
