"""Accounts on the web: register, log in and out, change password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from forum.errors import Invalid
from forum.extensions import limiter
from forum.limits import (
    account_key,
    failed_login,
    login_limit,
    login_per_account_limit,
    register_limit,
    registered,
)
from forum.services import accounts, tokens
from forum.web.forms import (
    LoginForm,
    PasswordForm,
    RegisterForm,
    TokenForm,
    show_errors,
    status_of,
)

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else goes to the dashboard."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("main.index")
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. "/x?[": what urlsplit cannot read is no local path
        return url_for("main.index")
    if parts.scheme or parts.netloc:
        return url_for("main.index")
    return target


def _start_session(user, remember: bool = False) -> None:
    session.clear()  # a fresh session on every login
    login_user(user, remember=remember)


def _register_later(_limit):
    """The form again, as typed (never the password), with why it was not sent."""
    form = RegisterForm()
    form.form_errors.append("Too many accounts were created from your address in the last "
                            "hour. Nothing was saved: please try again later.")
    return make_response(render_template("auth/register.html", form=form), 429)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"], deduct_when=registered,
               on_breach=_register_later)
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(form.email.data, form.display_name.data, form.password.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            _start_session(user)
            flash(f"Welcome, {user.display_name}. Ask your instructor to add you to a course.",
                  "success")
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), status_of(form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_per_account_limit, key_func=account_key, methods=["POST"],
               deduct_when=failed_login)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            current_app.logger.info("login: user %s", user.id)
            _start_session(user, remember=form.remember.data)
            flash(f"Logged in as {user.display_name}.", "success")
            return redirect(safe_next(form.next.data))
        current_app.logger.info("login failed for %r", (form.email.data or "")[:254])
        form.form_errors.append("Email or password is not correct.")
    return render_template("auth/login.html", form=form), status_of(form)


@bp.post("/logout")
def logout():
    # CSRFProtect has already refused a forged request.
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            _start_session(current_user._get_current_object())
            flash("Password changed. Your other sessions were logged out.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), status_of(form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """Personal access tokens for the API; a new secret is shown on this response only."""
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        days = int(form.expires_in_days.data) if form.expires_in_days.data else None
        try:
            token, secret = tokens.create_token(current_user, form.name.data, days)
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(f"Token “{token.name}” created. Copy it now: it is not shown again.",
                  "success")
            form = TokenForm(formdata=None)
    return render_template("auth/tokens.html", form=form, secret=secret,
                           tokens=tokens.tokens_of(current_user)), status_of(form)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    token = tokens.revoke_token(current_user, token_id)
    flash(f"Token “{token.name}” revoked: it stops working at once.", "success")
    return redirect(url_for("auth.api_tokens"))
