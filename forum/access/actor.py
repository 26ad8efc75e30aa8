"""Who is acting: the Actor protocol, and the standing in a course that rules read.

Rules read an actor only through `Actor`: its id, whether it is signed in, whether it
is a site admin, its role in a course, which guest comments it wrote in this browser,
and whether its own work unlocked a discussion that reveals classmates' writing late.
`User`, the anonymous visitor (a guest is one who commented: `Visitor`) and the thread
cache's stand-in viewer (`forum.web.thread_view.Peer`) are actors; so will be an LTI
launch. A rule that needs anything else about the person (a name, an email,
a setting) must not be used by the thread cache until the cache's key holds it (see
docs/architecture.md).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forum.models import Course, Discussion, Role


@runtime_checkable
class Actor(Protocol):
    """The few facts about whoever acts or views that a rule may read."""

    id: int | None  # None for the anonymous visitor and the cache's kind-wide viewer
    is_authenticated: bool
    is_admin: bool
    # The guests (one per comment) this browser wrote as: empty for signed-in people.
    guest_ids: frozenset[int]

    def course_role(self, course_id: int) -> Role | None:
        """The actor's role in the course, or None outside it."""
        ...

    def has_unlocked(self, discussion: Discussion) -> bool:
        """Whether the actor's own work in the discussion (a published post, a released
        grade) opened classmates' writing to them, where the discussion reveals it so."""
        ...


def is_admin(actor: Actor) -> bool:
    return bool(actor.is_authenticated and actor.is_admin)


def role_in(actor: Actor, course: Course) -> Role | None:
    """The actor's role in the course, or None for outsiders and anonymous visitors."""
    if not actor.is_authenticated:
        return None
    return actor.course_role(course.id)


def is_member(actor: Actor, course: Course) -> bool:
    return role_in(actor, course) is not None


def takes_part(actor: Actor, course: Course) -> bool:
    """A course on the actor's own list: a member's, or any course for a site admin."""
    return is_admin(actor) or is_member(actor, course)


def is_staff(actor: Actor, course: Course) -> bool:
    """Instructors and TAs of the course, and site admins."""
    role = role_in(actor, course)
    return is_admin(actor) or (role is not None and role.is_staff)


def is_instructor(actor: Actor, course: Course) -> bool:
    return is_admin(actor) or role_in(actor, course) is Role.INSTRUCTOR


def is_student(actor: Actor, course: Course) -> bool:
    return role_in(actor, course) is Role.STUDENT


def is_author(actor: Actor, item) -> bool:
    """Whether the actor wrote the item (a post, a reply): as a member, or as a guest
    in this browser."""
    if actor.is_authenticated:
        return actor.id is not None and item.author_id == actor.id
    guest_id = getattr(item, "guest_id", None)
    return guest_id is not None and guest_id in actor.guest_ids
