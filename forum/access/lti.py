"""Who may manage the LTI tool: register platforms, rotate keys, set up a link."""

from __future__ import annotations

from forum.access.actor import Actor, is_admin, is_instructor
from forum.models import Course


def can_manage_lti(actor: Actor) -> bool:
    """Registering platforms and rotating the tool's keys: site admins."""
    return is_admin(actor)


def can_set_up_lti_link(actor: Actor, course: Course) -> bool:
    """Choosing the discussion an LMS link opens: the course's instructors (and admins)."""
    return is_instructor(actor, course)
