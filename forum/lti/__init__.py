"""The LTI 1.3 door: OIDC login, launch and the tool's key set (views), and the admins'
platform registrations (admin)."""

from __future__ import annotations

from flask import Flask

from forum.extensions import csrf
from forum.lti.blueprint import bp


def register_lti(app: Flask) -> None:
    from forum.lti import accounts, admin, views  # noqa: F401 - their routes join the blueprint

    app.register_blueprint(bp)
    # The LMS's login initiation and its id_token arrive as cross-site requests without
    # our CSRF token; they carry their own proof (state cookie, nonce, signed token).
    # Only these two views are exempt: the link set-up form keeps its CSRF token.
    csrf.exempt(views.login)
    csrf.exempt(views.launch)
