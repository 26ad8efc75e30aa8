"""Preview: a text rendered exactly as a post or reply would store it, nothing saved."""

from __future__ import annotations

from forum.access import Actor
from forum.services.markup import render_markdown
from forum.services.validation import BODY_MAX, clean_text, collecting_errors


def preview(actor: Actor, body: str | None) -> str:
    """The sanitized HTML that saving `body` as a post, reply, prompt or comment would
    store, checked as those forms check it (present, at most BODY_MAX characters, only
    storable characters). Every actor may preview, signed in or not, alike: nothing
    is read or written. Raises Invalid (field `body`)."""
    with collecting_errors() as errors:
        text = clean_text(errors, "body", body, max_length=BODY_MAX, label="Text")
    return render_markdown(text)
