"""The admins' LTI page: the tool's URLs to paste into an LMS, its keys, and the
registered platforms (list and register), and the scores the LMS has not taken."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.errors import Invalid
from forum.lti.blueprint import bp
from forum.services import lti, lti_grades, lti_keys

FIELDS = ("name", "issuer", "client_id", "deployment_ids", "keyset_url", "auth_url",
          "token_url")


def tool_urls() -> dict[str, str]:
    """What an LMS asks for when the forum is added as a tool."""
    return {
        "Login initiation URL": url_for("lti.login", _external=True),
        "Launch (redirect) URL": url_for("lti.launch", _external=True),
        "Key set (JWKS) URL": url_for("lti.jwks", _external=True),
    }


def _page(form: dict, problems: dict, status: int = 200):
    platforms = lti.list_platforms(current_user)  # PermissionDenied for non-admins
    return render_template("lti/admin.html", platforms=platforms, urls=tool_urls(),
                           keys=lti_keys.published_keys(), form=form,
                           problems=problems), status


@bp.get("/admin/lti")
@login_required
def admin():
    return _page({}, {})


@bp.post("/admin/lti/platforms")
@login_required
def register_platform():
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        platform = lti.register_platform(
            current_user, name=form["name"], issuer=form["issuer"],
            client_id=form["client_id"],
            deployment_ids=form["deployment_ids"].replace(",", " ").split(),
            keyset_url=form["keyset_url"], auth_url=form["auth_url"],
            token_url=form["token_url"])
    except Invalid as error:
        return _page(form, error.errors, 409 if error.conflict else 422)
    flash(f"Registered {platform.name}.", "success")
    return redirect(url_for("lti.admin"))


@bp.post("/admin/lti/keys/rotate")
@login_required
def rotate_keys():
    rotation = lti_keys.rotate_keys(current_user)
    flash(f"Key {rotation.current_kid} signs now; key {rotation.next_kid} is published "
          "as the next one.", "success")
    return redirect(url_for("lti.admin"))


@bp.get("/admin/lti/scores")
@login_required
def passbacks():
    """Scores the LMS has not taken: retried or skipped, with the last answer."""
    waiting = lti_grades.passbacks_to_watch(current_user)  # PermissionDenied
    return render_template("lti/passbacks.html", passbacks=waiting)


@bp.post("/admin/lti/scores/<id:passback_id>/send")
@login_required
def send_again(passback_id: int):
    try:
        passback = lti_grades.send_again(current_user, passback_id)
    except Invalid as error:
        flash(" ".join(m for messages in error.errors.values() for m in messages), "error")
    else:
        flash(f"The score of {passback.grade.student.display_name} goes to the LMS now.",
              "success")
    return redirect(url_for("lti.passbacks"))
