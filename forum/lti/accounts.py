"""The page where someone whose LMS made them an account joins it to the forum account
they already had (services/lti_accounts.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user

from forum.errors import Invalid, NotFound
from forum.extensions import limiter
from forum.limits import account_key, failed_login, login_limit, login_per_account_limit
from forum.lti.blueprint import bp
from forum.services import lti_accounts
from forum.web.forms import JoinAccountForm, show_errors, status_of


@bp.route("/lti/account", methods=["GET", "POST"])
@login_required
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_per_account_limit, key_func=account_key, methods=["POST"],
               deduct_when=failed_login)
def join_account():
    """A password check, limited as the login is; then the LMS signs in to the old one."""
    if not lti_accounts.made_by_a_launch(current_user):
        raise NotFound("Only an account your LMS made can be joined to another.")
    form = JoinAccountForm()
    if form.validate_on_submit():
        try:
            account = lti_accounts.join_existing_account(current_user, form.email.data,
                                                         form.password.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            session.clear()
            login_user(account)
            flash(f"Your LMS now signs you in as {account.display_name}, with your "
                  "courses here.", "success")
            return redirect(url_for("main.index"))
    return render_template("lti/join_account.html", form=form,
                           has_work=lti_accounts.has_work(current_user)), status_of(form)
