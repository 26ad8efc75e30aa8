"""The LTI tool's own RSA keys: made, published, activated and retired in turn."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select

from forum.access import Actor
from forum.access.lti import can_manage_lti
from forum.errors import PermissionDenied
from forum.extensions import db
from forum.models import LtiKey, utcnow
from forum.transactions import writes


def _new_key() -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return LtiKey(kid=secrets.token_urlsafe(16), private_key_pem=pem)


def published_keys() -> list[LtiKey]:
    """The keys in the key set: the current one (signing) and the next, oldest first."""
    return list(db.session.scalars(
        select(LtiKey).where(LtiKey.retired_at.is_(None)).order_by(LtiKey.id)))


def signing_key() -> LtiKey | None:
    """The key the tool signs with now (None until the first rotation)."""
    return db.session.scalar(select(LtiKey).where(
        LtiKey.retired_at.is_(None), LtiKey.activated_at.is_not(None)).order_by(LtiKey.id.desc()))


def key_set() -> dict:
    """The tool's public JSON Web Key Set, as /lti/jwks serves it."""
    keys = []
    for key in published_keys():
        public = JWK.from_pem(key.private_key_pem.encode()).export_public(as_dict=True)
        keys.append({**public, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def key_set_json() -> str:
    return json.dumps(key_set(), sort_keys=True)


def ensure_keys() -> None:
    """Give the tool a current and a next key if it has none (inside a use case that
    commits)."""
    if not published_keys():
        _rotate()


def _rotate() -> tuple[LtiKey, LtiKey]:
    keys = published_keys()
    waiting = [key for key in keys if key.activated_at is None]
    now = utcnow()
    if waiting:
        # The next key has been published since it was made: it may sign now.
        promoted = waiting[0]
        for key in keys:
            if key is not promoted and key.activated_at is not None:
                key.retired_at = now
    else:
        promoted = _new_key()
        db.session.add(promoted)
        for key in keys:
            key.retired_at = now
    promoted.activated_at = now
    following = _new_key()
    db.session.add(following)
    return promoted, following


@dataclass(frozen=True)
class Rotation:
    current_kid: str
    next_kid: str


def require_lti_manager(actor: Actor) -> None:
    """Raises PermissionDenied unless the actor manages the LTI tool."""
    if not can_manage_lti(actor):
        raise PermissionDenied("Only site admins manage the LTI tool.")


@writes
def rotate_keys(actor: Actor) -> Rotation:
    """The published next key starts signing, the one it replaces is retired, and a new
    next key is published. Run it well after the last rotation: platforms must have
    fetched the key set (with the next key in it) before that key signs anything.
    Raises PermissionDenied."""
    require_lti_manager(actor)
    current, following = _rotate()
    db.session.commit()
    return Rotation(current.kid, following.kid)
