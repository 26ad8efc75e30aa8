"""Flask commands export-course and import-course (registered by forum/cli.py); the work
is forum/services/course_archives.py."""

from __future__ import annotations

import time
from pathlib import Path

import click
from sqlalchemy import select

from forum.errors import ForumError
from forum.extensions import db
from forum.models import Course, Role
from forum.transactions import READ, unit_of_work


class Operator:
    """Whoever runs a command on the server: they hold the database already, so they act
    as a site admin (the Actor protocol, read by the rules like any other actor)."""

    id = None
    is_authenticated = True
    is_admin = True
    guest_ids = frozenset()
    display_name = "the server's operator"

    def course_role(self, course_id: int) -> Role | None:
        return None

    def has_unlocked(self, discussion) -> bool:
        return True


def _progress(line: str, *_counts) -> None:
    """A line of the work's progress on stderr (its step counts are for the job page)."""
    click.echo(line, err=True)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def _actor(as_email: str | None):
    if as_email is None:
        return Operator()
    from forum.services.accounts import find_user_by_email

    user = find_user_by_email(as_email)
    if user is None:
        _fail(f"No account has the address {as_email}.")
    return user


@click.command("export-course")
@click.argument("code")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "as_email", metavar="EMAIL",
              help="Export the course as this person may see it (one of its instructors, "
                   "or an admin). By default, as the server's operator: all of it.")
def export_course_command(code: str, file: Path, as_email: str | None) -> None:
    """Write the course CODE's whole record (people and roles, discussions, posts with
    their images, replies, grades and their history, moderation) to FILE, a .tar.gz
    course archive that import-course reads."""
    from forum.services.course_archives import export_course

    started = time.monotonic()
    with unit_of_work(READ):
        course = db.session.scalar(select(Course).where(Course.code == code))
        if course is None:
            _fail(f"No course has the code {code!r}.")
        target = file.expanduser().absolute()
        if not target.parent.is_dir():
            _fail(f"{target.parent}: no such folder for the archive.")
        try:
            report = export_course(_actor(as_email), course, target, progress=_progress)
        except ForumError as error:
            _fail(error.message)
    counts = report.counts
    click.echo(f"Exported {code} to {report.path} ({report.size:,} bytes) in "
               f"{time.monotonic() - started:.1f} s: {counts['people']} people, "
               f"{counts['discussions']} discussions, {counts['posts']} posts, "
               f"{counts['replies']} replies, {counts['grades']} grades, "
               f"{counts['images']} images.")


@click.command("import-course")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--code", help="The new course's code (by default the archive's, which "
                             "must not be in use).")
def import_course_command(file: Path, code: str | None) -> None:
    """Make a new course from the course archive FILE: new ids, the same threads, times
    and grades; people matched by email to accounts, or given new accounts that cannot
    sign in yet (the forum has no password reset). All or nothing."""
    from forum.services.course_imports import import_course

    started = time.monotonic()
    try:
        report = import_course(Operator(), file, code=code, progress=_progress)
    except ForumError as error:
        _fail(error.message)
    counts = report.counts
    click.echo(f"Imported {report.course.code} in {time.monotonic() - started:.1f} s: "
               f"{counts.get('discussions', 0)} discussions, {counts.get('posts', 0)} posts, "
               f"{counts.get('replies', 0)} replies, {counts.get('grades', 0)} grades, "
               f"{counts.get('images', 0)} images; {report.people_matched} people matched "
               f"to accounts by email, {len(report.people_created)} new accounts (no "
               "password yet).")
    for email in report.people_created:
        click.echo(f"  new account: {email}")
