"""Flask command import-wordpress (registered by forum/cli.py); the reading is
forum/formats/wxr.py, the writing forum/services/wordpress.py."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from forum.errors import Invalid, PermissionDenied
from forum.extensions import db
from forum.formats.wxr import WxrError, read_wxr
from forum.models import Course, Enrollment, Role, User
from forum.services.wordpress import ImportSummary, import_wordpress
from forum.transactions import WRITE, unit_of_work


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def _importer(course: Course, email: str | None) -> User:
    """Who imports: the person named, else the course's first instructor."""
    query = select(User).join(Enrollment, Enrollment.user_id == User.id).where(
        Enrollment.course_id == course.id)
    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            _fail(f"no account has the email {email}.")
        return user
    user = db.session.scalar(query.where(Enrollment.role == Role.INSTRUCTOR)
                             .order_by(Enrollment.id).limit(1))
    if user is None:
        _fail(f"{course.code} has no instructor; name the importer with --as.")
    return user


def summary_lines(summary: ImportSummary) -> list[str]:
    s = summary
    lines = [
        f"Posts: {s.posts} imported ({s.drafts} as drafts), {s.posts_by_members} by members "
        f"matched by email, {s.posts_by_importer} under the importer's name with the "
        f"original author named; {s.already_imported} already in the course, skipped; "
        f"{s.other_items} pages, attachments and other items not imported.",
        f"Discussions created: {', '.join(s.discussions_created) or 'none'}.",
        f"Comments: {s.comments} imported as replies ({s.prompts} staff questions as "
        f"prompts), {s.comments_by_members} by members, {s.guests} by guests; "
        f"{s.pingbacks} pingbacks and trackbacks not imported.",
        f"Members matched by email: {len(s.members_matched)}.",
        f"States: {s.published} published, {s.pending} held for review as on the blog, "
        f"{s.spam} spam, {s.hidden} hidden (trash).",
        f"Held as spam: {s.held_as_spam} approved guest comment(s) the spam filter scored "
        "as likely spam wait in the moderation queue, with its reasons.",
    ]
    if s.remote_images:
        lines.append(f"Images: {s.remote_images} left at their address on the blog "
                     "(nothing was downloaded; copy them if the blog goes away).")
    return lines


@click.command("import-wordpress")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "code", required=True, help="The code of an existing course.")
@click.option("--as", "email", default=None,
              help="The importing instructor's email (default: the course's first "
                   "instructor). Posts by people who are no member go under their name.")
def import_wordpress_command(file: Path, code: str, email: str | None) -> None:
    """Import a WordPress export (WXR, from Tools → Export) into a course: categories as
    discussions, posts, comments as replies; all or nothing."""
    try:
        blog = read_wxr(file)
    except WxrError as error:
        _fail(f"{file} was refused, nothing imported: {error}")
    with unit_of_work(WRITE):
        course = db.session.scalar(select(Course).where(Course.code == code))
        if course is None:
            _fail(f"no course has the code {code}.")
        try:
            summary = import_wordpress(_importer(course, email), course, blog)
        except (Invalid, PermissionDenied) as error:
            detail = "; ".join(m for ms in getattr(error, "errors", {}).values() for m in ms)
            _fail(f"nothing imported: {detail or error}")
    click.echo(f"Imported {file.name} into {course.code}.")
    for line in summary_lines(summary):
        click.echo(line)
