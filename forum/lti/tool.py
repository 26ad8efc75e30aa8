"""pylti1p3 wired to the forum: the tool's configuration read from the database, and
login state kept out of the Flask session."""

from __future__ import annotations

import requests
from pylti1p3.contrib.flask import FlaskSessionService
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract

from forum.services import lti

# Seconds to wait for a platform's key set: a platform that does not answer must not
# hold a worker.
KEY_SET_TIMEOUT = 10


class DatabaseToolConf(ToolConfAbstract):
    """Registrations and deployments as admins registered them (forum/models/lti.py).
    An issuer may have several client ids, so lookups go by (issuer, client id)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = lti.find_platform(iss, client_id)
        if platform is None:
            return None
        return (Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
                .set_key_set_url(platform.keyset_url).set_auth_login_url(platform.auth_url)
                .set_auth_token_url(platform.token_url))

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = lti.find_platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


class NonceStore(FlaskSessionService):
    """pylti1p3 keeps nonces and launch data in the Flask session by default. Ours is a
    SameSite=Lax cookie the LMS's cross-site POST does not bring, and a per-process cache
    is not shared by several workers or hosts: so the nonce goes to the database
    (services.lti.record_login, used once by services.lti.launch), the browser is bound
    by pylti1p3's own state cookie, and no launch data is stored."""

    issued: str | None = None

    def save_nonce(self, nonce: str) -> None:
        self.issued = nonce  # the login view records it with its platform

    def check_nonce(self, nonce: str) -> bool:
        return lti.nonce_is_pending(nonce)

    def save_launch_data(self, key, jwt_body) -> None:
        pass

    def get_launch_data(self, key):
        return None

    def save_state_params(self, state, params) -> None:
        pass

    def get_state_params(self, state):
        return {}

    def set_state_valid(self, state, id_token_hash) -> None:
        pass

    def check_state_is_valid(self, state, id_token_hash) -> bool:
        return False  # so the state is always checked against the browser's cookie


class TimedSession(requests.Session):
    """Requests to platforms, each with a deadline."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", KEY_SET_TIMEOUT)
        return super().request(*args, **kwargs)
