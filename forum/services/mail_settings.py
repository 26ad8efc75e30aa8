"""The mail settings a use case reads (from the app's configuration)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class MailSettings:
    enabled: bool
    sender: str
    base_url: str
    thread_gap_seconds: float
    retry_seconds: float
    attempts: int


def mail_settings() -> MailSettings:
    config = current_app.config
    return MailSettings(
        enabled=bool(config.get("FORUM_MAIL_ENABLED")),
        sender=config["FORUM_MAIL_FROM"],
        base_url=config["FORUM_BASE_URL"].rstrip("/"),
        thread_gap_seconds=config["FORUM_MAIL_THREAD_GAP_SECONDS"],
        retry_seconds=config["FORUM_MAIL_RETRY_SECONDS"],
        attempts=config["FORUM_MAIL_ATTEMPTS"],
    )
