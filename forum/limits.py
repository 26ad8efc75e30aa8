"""Rate limits shared by the pages and the API; the numbers come from configuration."""

from __future__ import annotations

import hashlib

from flask import current_app, request

from forum.extensions import client_address

WRITE_METHODS = ["POST", "PATCH", "PUT", "DELETE"]


def login_limit() -> str:
    return current_app.config["FORUM_LIMIT_LOGIN"]


def login_per_account_limit() -> str:
    return current_app.config["FORUM_LIMIT_LOGIN_PER_ACCOUNT"]


def register_limit() -> str:
    return current_app.config["FORUM_LIMIT_REGISTER"]


def registered(response) -> bool:
    """Only accounts made count (a registration redirects); a form sent back to be
    corrected does not."""
    return response.status_code == 302


def lti_limit() -> str:
    """LTI logins and launches per address."""
    return current_app.config["FORUM_LIMIT_LTI"]


def guest_limit() -> str:
    """Guest comments per address (pages and API)."""
    return current_app.config["FORUM_LIMIT_GUEST"]


def preview_limit() -> str:
    """Previews per person, token or address (pages and API; not counted as writes)."""
    return current_app.config["FORUM_LIMIT_PREVIEW"]


def writes_limit() -> str:
    return current_app.config["FORUM_LIMIT_WRITES"]


def writes_per_ip_limit() -> str:
    return current_app.config["FORUM_LIMIT_WRITES_PER_IP"]


def failed_login(response) -> bool:
    """Only failures count against an account (a login redirects, a token is 201)."""
    return response.status_code not in (201, 302)


def account_key() -> str:
    """Failures count per account *and* address, so nobody can lock a victim out."""
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return f"account:{str(email or '').strip().lower()}:{client_address()}"


def caller_key() -> str:
    """API writes count per token, or per address for calls without one."""
    header = request.headers.get("Authorization")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:24]
    return "ip:" + client_address()


def member_key() -> str:
    """Page writes count per signed-in person (or address)."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + client_address()
