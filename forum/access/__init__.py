"""Who sees and does what: every access rule of the forum, and nowhere else.

Each rule is a `can_*` predicate (actor, object) -> bool that services check before
acting and templates call to show or hide controls. Each visibility predicate has a
twin, a scope: the SQL condition selecting exactly the rows the predicate allows, for
lists, counts, search and exports. `TWINS` pairs them; tests/test_access_agreement.py
holds every pair in agreement across every seat. Deny by default: a predicate returns
False unless a rule allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forum.access.actor import (
    Actor,
    is_admin,
    is_author,
    is_instructor,
    is_member,
    is_staff,
    is_student,
    role_in,
    takes_part,
)
from forum.access.content import (
    THREAD_RULES,
    attributed_posts,
    can_ask_prompt,
    can_attribute_post,
    can_comment_as_guest,
    can_create_discussion,
    can_create_post,
    can_delete_post,
    can_delete_reply,
    can_edit_discussion,
    can_edit_post,
    can_edit_reply,
    can_endorse,
    can_flag,
    can_like,
    can_list_post,
    can_lock,
    can_moderate,
    can_reply,
    can_resolve_prompt,
    can_restore_post,
    can_restore_reply,
    can_see_author,
    can_see_guest_details,
    can_see_likes,
    can_see_reply_controls,
    can_view_deleted,
    can_view_discussion,
    can_view_held,
    can_view_post,
    can_view_prompt_list,
    can_view_reply,
    can_view_reply_revisions,
    can_view_revisions,
    can_write_anonymously,
    can_write_in,
    is_tombstone_for,
    is_withheld_from,
    listed_posts,
    must_write_anonymously,
    takes_replies,
    visible_discussions,
    visible_posts,
    visible_replies,
    visible_replies_in,
)
from forum.access.courses import (
    can_create_course,
    can_edit_course,
    can_export_course,
    can_manage_accounts,
    can_manage_members,
    can_see_archive_job,
    can_see_member_emails,
    can_view_course,
    can_view_enrollment,
    can_view_members,
    can_view_profile,
    member_courses,
    my_courses,
    staff_courses,
    student_enrollments,
    visible_courses,
    visible_enrollments,
    visible_people,
)
from forum.access.grading import (
    can_annotate,
    can_delete_annotation,
    can_edit_grading_settings,
    can_export_gradebook,
    can_grade,
    can_release_grades,
    can_view_annotation,
    can_view_grade,
    can_view_gradebook,
    visible_annotations,
    visible_grades,
)
from forum.access.notifications import (
    can_view_notification,
    may_be_told,
    visible_notifications,
)
from forum.access.reveal import (
    by_classmate,
    is_unrevealed,
    peers_revealed,
    revealed_anywhere,
    revealed_discussions,
)
from forum.access.search import (
    attributed_replies,
    can_attribute_reply,
    can_find_post,
    can_find_reply,
    found_posts,
    found_replies,
    is_searched,
    searched_courses,
)
from forum.models import (
    Annotation,
    Course,
    Discussion,
    Enrollment,
    Grade,
    Notification,
    Post,
    Reply,
    User,
)


@dataclass(frozen=True)
class Twin:
    """A predicate and its scope. `within` picks, for an object, the container the scope
    is asked about (None: the scope covers every row)."""

    predicate: Callable[..., bool]
    scope: Callable
    model: type
    within: Callable | None = None


def _with_post(rule):
    """can_view_annotation reads the post beside the annotation."""
    def predicate(actor, annotation):
        return rule(actor, annotation, annotation.post)
    predicate.__name__ = rule.__name__
    return predicate


def _search_twins() -> tuple[Twin, ...]:
    """The search's rules, each way a search may be asked: across the actor's courses
    or narrowed to one, with or without an author filter."""
    twins = []
    for predicate, scope, model, course in (
            (can_find_post, found_posts, Post, lambda p: p.discussion.course),
            (can_find_reply, found_replies, Reply, lambda r: r.post.discussion.course)):
        for attributed in (False, True):
            def anywhere(actor, item, _p=predicate, _a=attributed):
                return _p(actor, item, attributed=_a)

            def narrowed(actor, item, _p=predicate, _a=attributed):
                return _p(actor, item, narrowed=True, attributed=_a)

            def scoped(actor, within=None, _s=scope, _a=attributed):
                return _s(actor, within, attributed=_a)

            for rule in (anywhere, narrowed):
                rule.__name__ = predicate.__name__
            scoped.__name__ = f"{scope.__name__}{'~by_author' if attributed else ''}"
            twins += [Twin(anywhere, scoped, model), Twin(narrowed, scoped, model, course)]
    return tuple(twins)


def _twins() -> tuple[Twin, ...]:
    return (
        Twin(can_view_profile, visible_people, User),
        Twin(can_view_course, visible_courses, Course),
        Twin(is_member, member_courses, Course),
        Twin(takes_part, my_courses, Course),
        Twin(is_staff, staff_courses, Course),
        Twin(can_view_enrollment, visible_enrollments, Enrollment, lambda e: e.course),
        Twin(can_view_discussion, visible_discussions, Discussion, lambda d: d.course),
        Twin(can_view_post, visible_posts, Post, lambda p: p.discussion),
        Twin(can_view_post, visible_posts, Post, lambda p: p.discussion.course),
        Twin(can_list_post, listed_posts, Post, lambda p: p.discussion),
        Twin(can_list_post, listed_posts, Post, lambda p: p.discussion.course),
        Twin(can_attribute_post, attributed_posts, Post, lambda p: p.discussion),
        Twin(can_attribute_post, attributed_posts, Post, lambda p: p.discussion.course),
        Twin(can_view_reply, visible_replies, Reply, lambda r: r.post),
        Twin(can_attribute_reply, attributed_replies, Reply, lambda r: r.post.discussion),
        Twin(can_attribute_reply, attributed_replies, Reply,
             lambda r: r.post.discussion.course),
        Twin(is_searched, searched_courses, Course),
        *_search_twins(),
        Twin(can_view_grade, visible_grades, Grade, lambda g: g.discussion),
        Twin(can_view_grade, visible_grades, Grade),
        Twin(_with_post(can_view_annotation), visible_annotations, Annotation,
             lambda a: a.post),
        Twin(can_view_notification, visible_notifications, Notification),
    )


TWINS = _twins()

__all__ = [
    "THREAD_RULES",
    "TWINS",
    "Actor",
    "Twin",
    "attributed_posts",
    "attributed_replies",
    "by_classmate",
    "can_annotate",
    "can_ask_prompt",
    "can_attribute_post",
    "can_attribute_reply",
    "can_comment_as_guest",
    "can_create_course",
    "can_create_discussion",
    "can_create_post",
    "can_delete_annotation",
    "can_delete_post",
    "can_delete_reply",
    "can_edit_course",
    "can_edit_discussion",
    "can_edit_grading_settings",
    "can_edit_post",
    "can_edit_reply",
    "can_endorse",
    "can_export_course",
    "can_export_gradebook",
    "can_find_post",
    "can_find_reply",
    "can_flag",
    "can_grade",
    "can_like",
    "can_list_post",
    "can_lock",
    "can_manage_accounts",
    "can_manage_members",
    "can_moderate",
    "can_release_grades",
    "can_reply",
    "can_resolve_prompt",
    "can_restore_post",
    "can_restore_reply",
    "can_see_archive_job",
    "can_see_author",
    "can_see_guest_details",
    "can_see_likes",
    "can_see_member_emails",
    "can_see_reply_controls",
    "can_view_annotation",
    "can_view_course",
    "can_view_deleted",
    "can_view_discussion",
    "can_view_enrollment",
    "can_view_grade",
    "can_view_gradebook",
    "can_view_held",
    "can_view_members",
    "can_view_notification",
    "can_view_post",
    "can_view_profile",
    "can_view_prompt_list",
    "can_view_reply",
    "can_view_reply_revisions",
    "can_view_revisions",
    "can_write_anonymously",
    "can_write_in",
    "found_posts",
    "found_replies",
    "is_admin",
    "is_author",
    "is_instructor",
    "is_member",
    "is_searched",
    "is_staff",
    "is_student",
    "is_tombstone_for",
    "is_unrevealed",
    "is_withheld_from",
    "listed_posts",
    "may_be_told",
    "member_courses",
    "must_write_anonymously",
    "my_courses",
    "peers_revealed",
    "revealed_anywhere",
    "revealed_discussions",
    "role_in",
    "searched_courses",
    "staff_courses",
    "student_enrollments",
    "takes_part",
    "takes_replies",
    "visible_annotations",
    "visible_courses",
    "visible_discussions",
    "visible_enrollments",
    "visible_grades",
    "visible_notifications",
    "visible_people",
    "visible_posts",
    "visible_replies",
    "visible_replies_in",
]
