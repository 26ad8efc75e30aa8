"""Field checks shared by every service, collected into one Invalid per use case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from forum.access import Actor, can_write_anonymously, must_write_anonymously
from forum.errors import Invalid
from forum.models import Discussion
from forum.models.limits import (  # the limits services check, defined with the columns
    BODY_MAX,  # noqa: F401
    POINTS_MAX,
    QUOTE_MAX,  # noqa: F401
    TITLE_MAX,  # noqa: F401
    URL_MAX,
)

# Text is made of characters a database can store: no NUL (PostgreSQL refuses it) and
# no lone UTF-16 surrogate (JSON can spell one, "\\ud800", but UTF-8 cannot encode it).
UNSTORABLE_CHARACTERS = r"\x00\ud800-\udfff"
_UNSTORABLE = re.compile(f"[{UNSTORABLE_CHARACTERS}]")
# A link: http or https (in any case), a host, and no spaces or control characters.
# The API's schemas state this very pattern in the OpenAPI document: ECMAScript and
# Python read it alike, whole (fullmatch).
LINK_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\x00-\x20]+[^\x00-\x20]*$"
LINK_MESSAGE = "URL must start with http:// or https:// and a host, and have no spaces."
_LINK = re.compile(LINK_PATTERN)


class FieldErrors(dict[str, list[str]]):
    """Field name -> messages; raise it as Invalid once all fields are checked."""

    def __init__(self):
        super().__init__()
        self.well_formed = True

    def add(self, field: str, message: str) -> None:
        """The value itself is wrong (missing, too long, out of range)."""
        self.setdefault(field, []).append(message)
        self.well_formed = False

    def add_conflict(self, field: str, message: str) -> None:
        """The value is fine but clashes with what is stored."""
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise Invalid(dict(self), conflict=self.well_formed)


@contextmanager
def collecting_errors() -> Iterator[FieldErrors]:
    """Gather field errors in the block, then raise Invalid if there were any."""
    errors = FieldErrors()
    yield errors
    errors.raise_if_any()


def clean_text(
    errors: FieldErrors,
    field: str,
    value: str | None,
    *,
    max_length: int,
    required: bool = True,
    label: str | None = None,
) -> str:
    """Strip surrounding space and check presence, length and storable characters."""
    label = label or field.replace("_", " ").capitalize()
    text = (value or "").strip()
    if not is_storable(text):
        errors.add(field, f"{label} contains a NUL character or a lone surrogate.")
        text = storable_copy(text)  # checks after this one may still query with it
    elif required and not text:
        errors.add(field, f"{label} is required.")
    elif len(text) > max_length:
        errors.add(field, f"{label} must be at most {max_length:,} characters (got {len(text):,}).")
    return text


def is_storable(text: str) -> bool:
    """Whether the text has only characters a database stores (no NUL, no lone
    surrogate)."""
    return _UNSTORABLE.search(text) is None


def storable_copy(text: str) -> str:
    """The text with each character a database cannot store replaced by U+FFFD, for
    showing refused input back (never for storing it)."""
    return _UNSTORABLE.sub("\ufffd", text)


def clean_url(errors: FieldErrors, field: str, value: str | None) -> str | None:
    """An optional absolute http(s) URL (LINK_PATTERN), with a port urlparse reads."""
    url = clean_text(errors, field, value, max_length=URL_MAX, required=False, label="URL")
    if not url or field in errors:
        return url or None
    if not _LINK.fullmatch(url):
        errors.add(field, LINK_MESSAGE)
        return url
    try:
        urlparse(url).port  # noqa: B018 - reading it checks the port (ValueError when out of range)
    except ValueError:
        errors.add(field, "URL is not well formed (check its host and port).")
    return url


def points_are_valid(value) -> bool:
    """A number of points from 0 to POINTS_MAX (a boolean is not a number here)."""
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and 0 <= value <= POINTS_MAX)


def clean_points(errors: FieldErrors, field: str, value) -> int | float:
    if not points_are_valid(value):
        errors.add(field, f"Points must be a number from 0 to {POINTS_MAX:,}.")
    return value


def anonymity_choice(errors: FieldErrors, actor: Actor, discussion: Discussion,
                     wanted: bool | None) -> bool:
    """Whether a new post or reply is written anonymously: always where the discussion
    requires it of the writer, on request where it allows it, never elsewhere."""
    if must_write_anonymously(actor, discussion):
        return True
    if wanted and not can_write_anonymously(actor, discussion):
        errors.add_conflict("anonymous", "This discussion does not take anonymous writing "
                                         "from you.")
    return bool(wanted)
