"""Flask commands: create-user, seed-demo."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from forum.errors import Invalid
from forum.extensions import db
from forum.models import User
from forum.services import accounts


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)


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


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any account exists.")
def seed_demo_command(if_empty: bool) -> None:
    """Load a demo course on modern European history and print the demo logins."""
    from forum.demo import DEMO_PASSWORD, seed_demo

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
    for email, role in (("admin@example.edu", "site admin"),
                        ("okafor@example.edu", "instructor"),
                        ("reyes@example.edu", "TA"),
                        ("ana@example.edu", "student"),
                        ("ben@example.edu", "student")):
        click.echo(f"  {email:<22} {role}")
