"""Course pages: the list, one course with its discussions, settings, members."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from forum.access import can_see_member_emails
from forum.errors import Invalid
from forum.services import courses as course_service
from forum.services import reading
from forum.services.discussions import summarize_discussions
from forum.services.moderation import waiting_counts
from forum.services.subscriptions import subscription_level
from forum.web.conditional import is_shared, share
from forum.web.forms import CourseForm, MemberForm, RoleForm, show_errors, status_of

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.get("")
@login_required
def index():
    return render_template("courses/index.html",
                           courses=course_service.courses_for(current_user))


@bp.get("/<id:course_id>")
def show(course_id: int):
    course = course_service.get_course(current_user, course_id)
    page = render_template("courses/show.html", course=course,
                           summaries=summarize_discussions(current_user, course),
                           follows=subscription_level(current_user, course),
                           waiting=waiting_counts(current_user, [course]).get(course.id))
    # Its ETag is a digest of the bytes: a 304 spares the sending, not the rendering.
    return share(page) if is_shared(course) else page


@bp.post("/<id:course_id>/read")
@login_required
def mark_read(course_id: int):
    course = course_service.get_course(current_user, course_id)
    reading.mark_course_read(current_user, course)
    flash(f"Everything in {course.code} is marked read.", "success")
    return redirect(url_for("courses.show", course_id=course.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    course_service.authorize_create_course(current_user)
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = course_service.create_course(current_user, **_course_fields(form))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(f"Course {course.code} created.", "success")
            return redirect(url_for("courses.members", course_id=course.id))
    return render_template("courses/form.html", form=form, course=None), status_of(form)


@bp.route("/<id:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit(course_id: int):
    course = course_service.get_course(current_user, course_id)
    course_service.authorize_edit_course(current_user, course)
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        try:
            course_service.update_course(current_user, course, **_course_fields(form))
        except Invalid as error:
            show_errors(form, error)
        else:
            flash("Course settings saved.", "success")
            return redirect(url_for("courses.show", course_id=course.id))
    elif not form.is_submitted():
        form.visibility.data = course.visibility.value
        form.guest_comments.data = course.guest_comments.value
        form.notify_held.data = course.notify_held
    return render_template("courses/form.html", form=form, course=course), status_of(form)


def _course_fields(form: CourseForm) -> dict:
    return {name: getattr(form, name).data
            for name in ("code", "title", "term", "timezone", "visibility", "guest_comments",
                         "spam_threshold", "hold_threshold", "notify_held")}


@bp.route("/<id:course_id>/members", methods=["GET", "POST"])
@login_required
def members(course_id: int):
    course = course_service.get_course(current_user, course_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            enrollment = course_service.add_member(current_user, course, form.email.data,
                                                   form.role.data)
        except Invalid as error:
            show_errors(form, error)
        else:
            flash(f"{enrollment.user.display_name} added as {enrollment.role.label}.", "success")
            return redirect(url_for("courses.members", course_id=course.id))
    return render_template(
        "courses/members.html", course=course, form=form, role_form=RoleForm(),
        enrollments=course_service.members_of(current_user, course),
        show_emails=can_see_member_emails(current_user, course),
    ), status_of(form)


@bp.post("/<id:course_id>/members/<id:enrollment_id>/role")
@login_required
def change_role(course_id: int, enrollment_id: int):
    course = course_service.get_course(current_user, course_id)
    enrollment = course_service.get_enrollment(current_user, course, enrollment_id)
    form = RoleForm()
    try:
        course_service.change_role(current_user, enrollment, form.role.data)
    except Invalid as error:
        _flash_invalid(error)
    else:
        flash(f"{enrollment.user.display_name} is now {enrollment.role.label}.", "success")
    return redirect(url_for("courses.members", course_id=course.id))


@bp.post("/<id:course_id>/members/<id:enrollment_id>/remove")
@login_required
def remove_member(course_id: int, enrollment_id: int):
    course = course_service.get_course(current_user, course_id)
    enrollment = course_service.get_enrollment(current_user, course, enrollment_id)
    try:
        user = course_service.remove_member(current_user, enrollment)
    except Invalid as error:
        _flash_invalid(error)
    else:
        flash(f"{user.display_name} was removed from the course.", "success")
    return redirect(url_for("courses.members", course_id=course.id))


def _flash_invalid(error: Invalid) -> None:
    for messages in error.errors.values():
        for message in messages:
            flash(message, "error")
