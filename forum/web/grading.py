"""Grading pages: settings, the roster, one student's work beside the grade form,
release, the gradebook and its CSV, and a student's own grades."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    after_this_request,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from forum.errors import Conflict, Invalid
from forum.extensions import limiter
from forum.limits import member_key, writes_limit
from forum.services import grading as grading_service
from forum.services import rubrics
from forum.services.contributions import student_work
from forum.services.courses import get_course
from forum.services.discussions import get_discussion
from forum.services.gradebook import gradebook, gradebook_csv
from forum.services.participation import (
    arrange,
    drafts_to_release,
    parse_roster_query,
    participation,
    state_counts,
)
from forum.services.progress import discussion_progress, mark_grades_seen, unseen_ids
from forum.timeutil import to_local
from forum.transactions import WRITE, unit_of_work
from forum.web.charts import contributions_timeline, score_histogram
from forum.web.forms import (
    CopyRubricForm,
    GradeForm,
    GradingSettingsForm,
    form_version,
    show_errors,
    status_of,
)
from forum.web.rubric_text import parse_rubric, rubric_text

bp = Blueprint("grading", __name__)
limiter.limit(writes_limit, key_func=member_key, methods=["POST"])(bp)


@bp.route("/discussions/<id:discussion_id>/grading/settings", methods=["GET", "POST"])
@login_required
def settings(discussion_id: int):
    discussion = get_discussion(current_user, discussion_id)
    rubrics.authorize_grading_settings(current_user, discussion)
    form = GradingSettingsForm(obj=discussion)
    copy_form = CopyRubricForm(prefix="copy")
    copy_form.source.choices = [(d.id, d.title) for d in discussion.course.discussions
                                if d.id != discussion.id and d.rubric]
    if form.validate_on_submit():
        try:
            rubrics.update_grading_settings(
                current_user, discussion, version=form_version(form.version.data),
                points_possible=form.points_possible.data, rubric=parse_rubric(form.rubric.data),
                min_posts=form.min_posts.data, min_peer_replies=form.min_peer_replies.data,
                require_prompt_answers=form.require_prompt_answers.data,
                allow_extra_credit=form.allow_extra_credit.data)
        except Invalid as error:
            show_errors(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        else:
            flash("Grading settings saved.", "success")
            return redirect(url_for("grading.roster", discussion_id=discussion.id))
    elif not form.is_submitted():
        form.rubric.data = rubric_text(discussion.rubric)
        form.version.data = discussion.version
    return render_template("grading/settings.html", form=form, copy_form=copy_form,
                           discussion=discussion, course=discussion.course), status_of(form)


@bp.post("/discussions/<id:discussion_id>/grading/copy-rubric")
@login_required
def copy_rubric(discussion_id: int):
    discussion = get_discussion(current_user, discussion_id)
    form = CopyRubricForm(prefix="copy")
    try:
        source = int(form.source.raw_data[0]) if form.source.raw_data else 0
    except ValueError:
        source = 0
    try:
        rubrics.copy_rubric(current_user, discussion, source)
    except Invalid as error:
        for messages in error.errors.values():
            flash(" ".join(messages), "error")
    else:
        flash("Rubric copied.", "success")
    return redirect(url_for("grading.settings", discussion_id=discussion.id))


@bp.get("/discussions/<id:discussion_id>/grading")
@login_required
def roster(discussion_id: int):
    discussion = get_discussion(current_user, discussion_id)
    rows = participation(current_user, discussion)
    query, problems = parse_roster_query(request.args)
    scores = [row.grade.score for row in rows if row.grade and row.grade.score is not None]
    return render_template(
        "grading/roster.html", discussion=discussion, course=discussion.course,
        rows=arrange(rows, query), all_rows=rows, query=query, problems=problems,
        counts=state_counts(rows),
        histogram=score_histogram(scores, discussion.points_possible))


def _neighbours(rows, student_id: int) -> tuple[int | None, int | None, int | None]:
    """Previous and next student on the roster, and the next one still ungraded."""
    ids = [row.student.id for row in rows]
    at = ids.index(student_id)
    previous = ids[at - 1] if at > 0 else None
    following = ids[at + 1] if at + 1 < len(ids) else None
    graded = {row.student.id for row in rows if row.grade is not None}
    ungraded = next((sid for sid in ids[at + 1:] + ids[:at] if sid not in graded), None)
    return previous, following, ungraded


@bp.route("/discussions/<id:discussion_id>/grading/<id:student_id>", methods=["GET", "POST"])
@login_required
def student(discussion_id: int, student_id: int):
    discussion = get_discussion(current_user, discussion_id)
    grade = grading_service.grade_for(current_user, discussion, student_id)
    form = GradeForm(obj=grade)
    conflict = None
    if form.validate_on_submit():
        chosen = {c["id"]: request.form.get(f"criterion-{c['id']}")
                  for c in discussion.rubric if request.form.get(f"criterion-{c['id']}")}
        try:
            grading_service.save_grade(
                current_user, discussion, student_id, version=form_version(form.version.data),
                rubric_scores=chosen, score=_typed_score(form, chosen),
                override_reason=form.override_reason.data, feedback=form.feedback.data)
        except Invalid as error:
            show_errors(form, error)
        except Conflict:
            conflict = grading_service.grade_for(current_user, discussion, student_id)
            form.form_errors.append(
                "Another grader saved this grade while you were working. Their version is "
                "shown below; nothing of yours was saved. Reload to start from theirs.")
        else:
            return _after_save(discussion, student_id)
    elif not form.is_submitted() and grade is not None:
        form.version.data = grade.version
        if grade.rubric_scores and not grade.override_reason:
            form.score.data = None  # it is the rubric's sum: let the box follow the rubric
        form.shown_score.data = "" if form.score.data is None else str(form.score.data)
    return _student_page(discussion, student_id, form, grade, conflict)


def _typed_score(form: GradeForm, chosen: dict) -> float | None:
    """The score the grader typed; None to follow the rubric. A box left as the page drew
    it, with levels chosen and no reason given, follows the rubric, so re-grading by
    changing levels works without JavaScript too."""
    score = form.score.data
    try:
        shown = float(form.shown_score.data) if form.shown_score.data else None
    except ValueError:
        shown = None
    untouched = score is not None and shown is not None and abs(score - shown) < 1e-9
    if untouched and chosen and not (form.override_reason.data or "").strip():
        return None
    return score


def _after_save(discussion, student_id: int):
    rows = participation(current_user, discussion)
    _previous, _following, ungraded = _neighbours(rows, student_id)
    flash("Grade saved as a draft." if ungraded else "Grade saved. Everyone is graded.",
          "success")
    if ungraded:
        return redirect(url_for("grading.student", discussion_id=discussion.id,
                                student_id=ungraded))
    return redirect(url_for("grading.roster", discussion_id=discussion.id))


def _student_page(discussion, student_id: int, form, grade, conflict):
    course = discussion.course
    rows = participation(current_user, discussion)
    row = next(r for r in rows if r.student.id == student_id)
    work = student_work(current_user, discussion, student_id)
    previous, following, ungraded = _neighbours(rows, student_id)
    moments = [(p.published_at, "post") for p in work.posts] + \
        [(r.created_at, "reply") for r in work.replies]
    timeline = contributions_timeline(
        sorted(moments), discussion.due_at,
        lambda m: to_local(m, course.timezone).strftime("%d %b %H:%M"))
    chosen = request.form if form.is_submitted() else {
        f"criterion-{cid}": lid for cid, lid in (grade.rubric_scores if grade else {}).items()}
    rubric_sum = sum(lvl["points"] for c in discussion.rubric for lvl in c["levels"]
                     if chosen.get(f"criterion-{c['id']}") == lvl["id"])
    return render_template(
        "grading/student.html", discussion=discussion, course=course, row=row, work=work,
        form=form, grade=grade, conflict=conflict, chosen=chosen, previous=previous,
        following=following, ungraded=ungraded, timeline=timeline,
        rubric_sum=rubric_sum), status_of(form)


@bp.get("/discussions/<id:discussion_id>/grading/release")
@login_required
def confirm_release(discussion_id: int):
    discussion = get_discussion(current_user, discussion_id)
    return _confirm_page(discussion)


def _confirm_page(discussion, changed_from: int | None = None, status: int = 200):
    """How many students (and who) will see their grade if every draft is released."""
    students = drafts_to_release(current_user, discussion)
    return render_template("grading/release.html", discussion=discussion,
                           course=discussion.course, students=students,
                           changed_from=changed_from), status


@bp.post("/discussions/<id:discussion_id>/grading/release")
@login_required
def release_all(discussion_id: int):
    """Releases only what the instructor confirmed: the form carries the number of
    drafts the confirmation showed; any other number shows the confirmation again."""
    discussion = get_discussion(current_user, discussion_id)
    waiting = len(drafts_to_release(current_user, discussion))  # refuses TAs and students
    confirmed = (request.form.get("expected") or "").strip()
    if not (confirmed.isascii() and confirmed.isdigit() and len(confirmed) <= 9):
        return redirect(url_for("grading.confirm_release", discussion_id=discussion.id))
    if int(confirmed) != waiting:
        return _confirm_page(discussion, changed_from=int(confirmed), status=409)
    released = grading_service.release_grades(current_user, discussion)
    flash(f"{len(released)} grade(s) released to students.", "success")
    return redirect(url_for("grading.roster", discussion_id=discussion.id))


@bp.post("/discussions/<id:discussion_id>/grading/<id:student_id>/release")
@login_required
def release_one(discussion_id: int, student_id: int):
    discussion = get_discussion(current_user, discussion_id)
    released = grading_service.release_grades(current_user, discussion, [student_id])
    flash("Grade released." if released else "There was no draft to release.", "success")
    return redirect(url_for("grading.student", discussion_id=discussion.id,
                            student_id=student_id))


@bp.get("/courses/<id:course_id>/gradebook")
@login_required
def course_gradebook(course_id: int):
    course = get_course(current_user, course_id)
    book = gradebook(current_user, course)
    histograms = {
        d.id: score_histogram([g.score for (_, did), g in book.grades.items()
                               if did == d.id and g.score is not None], d.points_possible)
        for d in book.discussions}
    return render_template("grading/gradebook.html", course=course, book=book,
                           histograms=histograms)


@bp.get("/courses/<id:course_id>/gradebook.csv")
@login_required
def gradebook_export(course_id: int):
    course = get_course(current_user, course_id)
    body = gradebook_csv(current_user, course)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{course.code}-gradebook.csv"',
        "Cache-Control": "no-store"})


@bp.get("/grades")
@login_required
def my_grades():
    grades = grading_service.my_grades(current_user)
    new = unseen_ids(grades)
    mark_seen_after_rendering(current_user, new)
    return render_template("grading/my_grades.html", grades=grades, new=new)


def page_progress(actor, discussion):
    """The student's own progress for the discussion page (None for others). The page
    shows their grade, so a grade released since they last looked is then seen."""
    progress = discussion_progress(actor, discussion)
    if progress is not None and progress.grade_is_new:
        mark_seen_after_rendering(actor, {progress.grade.id})
    return progress


def mark_seen_after_rendering(actor, grade_ids: set[int]) -> None:
    """Mark the grades seen once the page is rendered (the commit would expire what the
    page loaded), in a write unit of its own: the one write of this GET."""
    if not grade_ids:
        return

    @after_this_request
    def mark(response):
        if response.status_code == 200:
            with unit_of_work(WRITE):
                mark_grades_seen(actor, grade_ids)
        return response
