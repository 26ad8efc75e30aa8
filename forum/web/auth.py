"""Accounts on the web: register, log in and out, change password, reset a forgotten
one by mail."""

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
from werkzeug.exceptions import HTTPException

from forum.errors import Invalid
from forum.extensions import limiter, login_manager
from forum.limits import (
    account_key,
    failed_login,
    login_limit,
    login_per_account_limit,
    register_limit,
    registered,
)
from forum.services import accounts, password_reset, tokens
from forum.services.mail_settings import mail_settings
from forum.web.forms import (
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
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


def _is_page(path: str) -> bool:
    """Whether a GET of this path on this site shows a page."""
    try:
        endpoint, _ = current_app.create_url_adapter(request).match(path, method="GET")
    except HTTPException:  # no such page, not a GET, or a redirect
        return False
    return endpoint != "static"


def form_page() -> str:
    """The page that showed the form of this request: where a refused form sends its
    writer back (a POST's own URL may have no page). The Referer, if it is a page of this
    site; else the nearest page above the URL (POST /posts/5/replies: /posts/5)."""
    if request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host and _is_page(parts.path):
            return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    path = request.path
    while path.count("/") > 1 and not _is_page(path):
        path = path.rsplit("/", 1)[0]
    return path if _is_page(path) else url_for("main.index")


SESSION_ENDED = ("Your session ended before this was sent, so nothing was saved. Log in "
                 "to go back to the page: what you wrote is kept in this browser.")


def ask_to_log_in():
    """Flask-Login's answer to a visitor who must log in: the login page, then back.
    A form sent after the session ended comes back to the page that showed it."""
    if request.method in ("GET", "HEAD"):
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    flash(SESSION_ENDED if "body" in request.form else
          "Your session ended before this was sent, so nothing was changed. Log in "
          "and try again.", "info")
    return redirect(url_for("auth.login", next=form_page()))


_LOGIN_REQUIRED = login_required(lambda: None).__code__


def needs_login(endpoint: str | None) -> bool:
    """Whether the view of `endpoint` is behind login_required (every wrapper of one
    runs the same code, whatever other decorators wrap it)."""
    view = current_app.view_functions.get(endpoint or "")
    while view is not None:
        if getattr(view, "__code__", None) is _LOGIN_REQUIRED:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


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


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.ask_for_reset(form.email.data)
        return render_template("auth/reset_asked.html", email=form.email.data,
                               mail_on=mail_settings().enabled)
    return render_template("auth/forgot_password.html", form=form,
                           mail_on=mail_settings().enabled), status_of(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def reset_password(token: str):
    """The link of a reset mail: a new password, then a fresh session."""
    form = NewPasswordForm()
    if password_reset.user_of(token) is None:
        return render_template("auth/reset_password.html", form=None,
                               expired=password_reset.EXPIRED), 410
    if form.validate_on_submit():
        try:
            user = password_reset.reset_password(token, form.new_password.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            current_app.logger.info("password reset: user %s", user.id)
            _start_session(user)
            flash("Your new password is set; you are logged in.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/reset_password.html", form=form), status_of(form)


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
