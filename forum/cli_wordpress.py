"""Flask command import-wordpress (registered by forum/cli.py); the reading is
forum/formats/wxr.py, the writing forum/services/wordpress.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

from forum.errors import Invalid, PermissionDenied
from forum.extensions import db
from forum.models import Course, Enrollment, Role, User
from forum.transactions import READ, WRITE, unit_of_work

if TYPE_CHECKING:
    from forum.services.wordpress import ImportSummary

LEFT_LISTED = 20  # images left at the blog's address, listed one a line


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


def _refusing(use_case):
    """Run the use case; its refusal ends the command, saying that nothing was imported."""
    try:
        return use_case()
    except (Invalid, PermissionDenied) as error:
        detail = "; ".join(m for ms in getattr(error, "errors", {}).values() for m in ms)
        _fail(f"nothing imported: {detail or error}")


def summary_lines(summary: ImportSummary) -> list[str]:
    s = summary
    lines = [
        f"Posts: {s.posts} imported ({s.drafts} as drafts), {s.posts_by_members} by members "
        f"matched by email, {s.posts_by_importer} under the importer's name with the "
        f"original author named; {s.already_imported} already there from an earlier "
        f"import; {s.other_items} pages, attachments and other items not imported.",
        f"Discussions created: {', '.join(s.discussions_created) or 'none'}.",
        f"Comments: {s.comments} imported as replies ({s.prompts} staff questions as "
        f"prompts), {s.comments_by_members} by members, {s.guests} by guests; "
        f"{s.comments_already_imported} already there from an earlier import; "
        f"{s.pingbacks} pingbacks and trackbacks not imported.",
        f"Members matched by email: {len(s.members_matched)}.",
        f"States: {s.published} published, {s.pending} held for review as on the blog, "
        f"{s.spam} spam, {s.hidden} hidden (trash).",
        f"Held as spam: {s.held_as_spam} approved guest comment(s) the spam filter scored "
        "as likely spam wait in the moderation queue, with its reasons.",
    ]
    if s.images_copied or s.images_left:
        lines.append(f"Images: {s.images_copied} copied into the forum; {len(s.images_left)} "
                     "left at their address on the blog (they go when the blog goes).")
    for left in s.images_left[:LEFT_LISTED]:
        lines.append(f"  {left.url} in {left.post_title!r}: {left.reason}")
    if len(s.images_left) > LEFT_LISTED:
        lines.append(f"  … and {len(s.images_left) - LEFT_LISTED} more.")
    return lines


@click.command("import-wordpress")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "code", required=True, help="The code of an existing course.")
@click.option("--as", "email", default=None,
              help="The importing instructor's email (default: the course's first "
                   "instructor). Posts by people who are no member go under their name.")
@click.option("--uploads", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="A copy of the blog's wp-content/uploads folder: the "
                                 "posts' images are copied from it.")
@click.option("--fetch-images", is_flag=True,
              help="Fetch the posts' images from the web (those not in --uploads).")
def import_wordpress_command(file: Path, code: str, email: str | None, uploads: Path | None,
                             fetch_images: bool) -> None:
    """Import a WordPress export (WXR, from Tools → Export) into a course: categories as
    discussions, posts with their images, comments as replies; all or nothing. Importing
    a later export of the same blog adds what is new."""
    # Read here, not at the module's top: web workers load this module with the app, and
    # the HTML reader (BeautifulSoup, lxml) is megabytes none of them needs.
    from forum.formats.wxr import WxrError, read_wxr
    from forum.services.wordpress import import_wordpress
    from forum.services.wordpress_images import ImageSources, copy_images

    try:
        blog = read_wxr(file)
    except WxrError as error:
        _fail(f"{file} was refused, nothing imported: {error}")
    sources = ImageSources(uploads=uploads, fetch=fetch_images)
    # The images are copied before the write begins: fetching them may take a while,
    # and SQLite's write lock would keep everyone else waiting meanwhile.
    with unit_of_work(READ):
        course = db.session.scalar(select(Course).where(Course.code == code))
        if course is None:
            _fail(f"no course has the code {code}.")
        importer = _importer(course, email)
        copies = _refusing(lambda: copy_images(importer, course, blog, sources))
        db.session.rollback()  # the reads end here; the write begins afresh
    with unit_of_work(WRITE):
        summary = _refusing(lambda: import_wordpress(importer, course, blog, copies))
    click.echo(f"Imported {file.name} into {code}.")
    for line in summary_lines(summary):
        click.echo(line)
