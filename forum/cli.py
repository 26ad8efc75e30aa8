"""Flask commands: create-user, seed-demo, bench-data, spam-retrain, clean-uploads,
worker, process-events, backup, restore, import-wordpress."""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask
from sqlalchemy import select

from forum.errors import Invalid
from forum.extensions import db
from forum.models import User
from forum.services import accounts


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(set_password_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(bench_data_command)
    app.cli.add_command(spam_retrain_command)
    app.cli.add_command(clean_uploads_command)
    app.cli.add_command(worker_command)
    from forum.cli_backups import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from forum.cli_archives import export_course_command, import_course_command

    app.cli.add_command(export_course_command)
    app.cli.add_command(import_course_command)
    from forum.cli_lti import register_platform_command, rotate_key_command, sync_roster_command

    app.cli.add_command(register_platform_command)
    app.cli.add_command(rotate_key_command)
    app.cli.add_command(sync_roster_command)
    from forum.cli_wordpress import import_wordpress_command

    app.cli.add_command(import_wordpress_command)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Threads running tasks.")
def worker_command(workers: int) -> None:
    """Run the task queue's consumer (FORUM_QUEUE_URL): notifications, mail, digests.
    Stop it with Ctrl-C (SIGINT) for a graceful stop, or SIGTERM."""
    from flask import current_app

    from forum.worker import queue, tasks, use_queue

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    tasks.bind(app)
    use_queue(app.config["FORUM_QUEUE_URL"])
    click.echo(f"Worker: {workers} thread(s) on {type(queue.storage).__name__}; "
               f"mail {'on' if app.config.get('FORUM_MAIL_ENABLED') else 'off'}.")
    consumer = queue.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                     initial_delay=0.05, backoff=1.5, max_delay=0.5)
    consumer.run()


@click.command("clean-uploads")
def clean_uploads_command() -> None:
    """Remove uploaded images no post took, older than a day (rows and files)."""
    from forum.services.images import clean_orphans

    removed = clean_orphans()
    click.echo(f"Removed {removed} unattached image{'' if removed == 1 else 's'} "
               "older than a day.")


@click.command("spam-retrain")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the model (default: the shipped forum/spam/model.json).")
def spam_retrain_command(out: str | None) -> None:
    """Retrain the shipped spam model from the corpus in forum/spam/corpus/ (what staff
    taught the site stays in the database)."""
    from forum.spam.model import BASE_MODEL_PATH
    from forum.spam.train import retrain

    target = out or BASE_MODEL_PATH
    counts = retrain(out=target)
    click.echo(f"Trained on {counts.spam_docs} spam and {counts.ham_docs} genuine comments; "
               f"{len(counts.features):,} features written to {target}.")


@click.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.password_option()
@click.option("--admin", is_flag=True, help="Make the account a site admin.")
def create_user_command(email: str, display_name: str, password: str, admin: bool) -> None:
    """Create an account (optionally a site admin)."""
    try:
        user = accounts.create_user(email, display_name, password, admin=admin)
    except Invalid as error:
        for field, messages in error.errors.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
        raise SystemExit(1) from error
    click.echo(f"Created {'admin ' if admin else ''}{user.display_name} <{user.email}>.")


@click.command("set-password")
@click.argument("email")
@click.password_option()
def set_password_command(email: str, password: str) -> None:
    """Set the password of the account with EMAIL (when the forum sends no mail, this
    is how a forgotten one is replaced); its sessions end."""
    from forum.cli_lti import Console

    user = accounts.find_user_by_email(email.strip().lower())
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    try:
        accounts.set_password(Console(), user, password)
    except Invalid as error:
        raise click.ClickException(" ".join(m for ms in error.errors.values() for m in ms)
                                   ) from error
    click.echo(f"New password set for {user.display_name} <{user.email}>.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any account exists.")
def seed_demo_command(if_empty: bool) -> None:
    """Load a demo course on modern European history and print the demo logins."""
    from forum.demo import DEMO_PASSWORD, PEOPLE, seed_demo

    if db.session.scalar(select(User.id).limit(1)) is not None:
        if if_empty:
            click.echo("The database already has accounts; demo data not loaded.")
        else:
            click.echo("The database already has accounts; seed-demo needs an empty one.",
                       err=True)
            raise SystemExit(1)
    else:
        seed_demo()
        click.echo("Demo data loaded.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in PEOPLE:
        click.echo(f"  {email:<22} {role.value if role else 'site admin':<11} {name}")


@click.command("bench-data")
@click.option("--students", default=400, show_default=True)
@click.option("--discussions", default=30, show_default=True)
@click.option("--posts-per-discussion", default=300, show_default=True)
@click.option("--replies", default=200_000, show_default=True)
@click.option("--seed", default=1, show_default=True)
def bench_data_command(students: int, discussions: int, posts_per_discussion: int,
                       replies: int, seed: int) -> None:
    """Add a large public course for benchmarks (bulk inserts, nested threads)."""
    from forum.benchdata import PASSWORD, generate

    total = students + discussions * posts_per_discussion + replies
    # The bar goes to stderr, so stdout keeps only the summary line.
    with click.progressbar(length=total, label="Writing", show_pos=True,
                           file=sys.stderr) as bar:
        made = generate(students, discussions, posts_per_discussion, replies, seed,
                        progress=bar.update)
    click.echo(f"Course {made.course_id}; posts with 50 and 500 replies: "
               f"{made.hot_posts[50]} and {made.hot_posts[500]}; "
               f"student {made.student_email} / {PASSWORD}")
