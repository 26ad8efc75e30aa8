"""The service layer's error vocabulary; web and API map these to responses."""

from __future__ import annotations


class ForumError(Exception):
    """Base of every error a service raises on purpose."""

    message = "Something went wrong."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class NotFound(ForumError):
    """The object does not exist, or the actor may not know it exists."""

    message = "Not found."


class PermissionDenied(ForumError):
    """The actor can see the object but may not do this to it."""

    message = "You are not allowed to do that."


class Invalid(ForumError):
    """Input was rejected; `errors` maps each field to its messages.

    `conflict` says the input is well formed but clashes with what is stored (a code
    already used, the same reply twice): the API answers 409 rather than 422.
    """

    message = "Please correct the errors below."

    def __init__(self, errors: dict[str, list[str]], message: str | None = None,
                 conflict: bool = False):
        super().__init__(message)
        self.errors = errors
        self.conflict = conflict


class Conflict(ForumError):
    """The object changed since the actor read it, or the action clashes with its state."""

    message = "This was changed by someone else in the meantime."


class StaleVersion(Conflict):
    """The actor edited from an older version than the one stored."""
