"""Flask commands lti-register-platform and lti-rotate-key (registered by forum/cli.py);
the work is forum/services/lti.py and forum/services/lti_keys.py."""

from __future__ import annotations

import click

from forum.errors import Invalid


class Console:
    """Whoever runs a command on the server: a site admin of the tool, in no course."""

    id = None
    is_authenticated = True
    is_admin = True
    guest_ids = frozenset()

    def course_role(self, course_id: int):
        return None

    def has_unlocked(self, discussion) -> bool:
        return False


@click.command("lti-register-platform")
@click.option("--name", default=None, help="How admins know it (default: the issuer).")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the LMS gave the tool.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="A deployment id; repeat for several.")
@click.option("--keyset-url", required=True, help="The platform's public key set (JWKS).")
@click.option("--auth-url", required=True, help="The platform's OIDC authorization URL.")
@click.option("--token-url", required=True, help="The platform's OAuth2 token URL.")
def register_platform_command(name, issuer, client_id, deployment_ids, keyset_url, auth_url,
                              token_url) -> None:
    """Register an LMS (LTI 1.3 platform) and print the tool's URLs to give it."""
    from flask import url_for

    from forum.services import lti

    try:
        platform = lti.register_platform(
            Console(), name=name or issuer, issuer=issuer, client_id=client_id,
            deployment_ids=list(deployment_ids), keyset_url=keyset_url, auth_url=auth_url,
            token_url=token_url)
    except Invalid as error:
        for field, messages in error.errors.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
        raise SystemExit(1) from error
    click.echo(f"Registered {platform.name} ({platform.issuer}, client {platform.client_id}; "
               f"deployments {', '.join(platform.deployment_ids)}).")
    try:
        for label, endpoint in (("Login initiation URL", "lti.login"),
                                ("Launch (redirect) URL", "lti.launch"),
                                ("Key set (JWKS) URL", "lti.jwks")):
            click.echo(f"  {label}: {url_for(endpoint, _external=True)}")
    except RuntimeError:  # no SERVER_NAME: no absolute URL outside a request
        click.echo("  The tool's URLs: /lti/login, /lti/launch, /lti/jwks on this site.")


@click.command("lti-rotate-key")
def rotate_key_command() -> None:
    """Let the published next key sign, retire the one before, publish a new next key."""
    from forum.services import lti_keys

    rotation = lti_keys.rotate_keys(Console())
    click.echo(f"Signing with {rotation.current_kid}; published next: {rotation.next_kid}.")


@click.command("lti-sync-roster")
@click.argument("code")
def sync_roster_command(code: str) -> None:
    """Read course CODE's roster from its LMS (Names and Roles) now: members enrolled
    with their LMS role, people the LMS no longer lists taken out (their work stays)."""
    from forum.errors import NotFound
    from forum.services import lti_roster
    from forum.services.lti_connect import PlatformError
    from forum.transactions import WRITE, unit_of_work

    try:
        with unit_of_work(WRITE):
            done = lti_roster.sync_roster(lti_roster.context_of_course(code).id)
    except (NotFound, PlatformError) as error:
        click.echo(f"Roster not synced: {error}", err=True)
        raise SystemExit(1) from error
    click.echo(f"{done.course_code}: {done.members} members in the LMS roster; "
               f"{len(done.added)} added, {len(done.changed)} changed, "
               f"{len(done.removed)} removed, {done.ignored} without access here.")
    for label, names in (("added", done.added), ("changed", done.changed),
                         ("removed", done.removed)):
        for name in names:
            click.echo(f"  {label}: {name}")
