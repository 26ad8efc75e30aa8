"""A small LMS of the tests' own, for LTI 1.3: its RSA key, its key set (and a token
endpoint, for the services that come later) served over HTTP on loopback, and id_tokens
signed with PyJWT as a real platform signs them."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTRUCTOR = [f"{MEMBERSHIP}#Instructor"]
TA = [f"{MEMBERSHIP}#Instructor", f"{MEMBERSHIP}/Instructor#TeachingAssistant"]
LEARNER = [f"{MEMBERSHIP}#Learner"]
MENTOR = [f"{MEMBERSHIP}#Mentor"]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass
class Person:
    sub: str
    roles: list[str]
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""


@dataclass
class Platform:
    """The LMS: `start()` serves /jwks and /token on a loopback port."""

    issuer: str = "https://lms.example.edu"
    client_id: str = "forum-tool-1"
    deployment_id: str = "deployment-1"
    kid: str = "lms-key-1"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    requests: list[str] = field(default_factory=list)  # paths asked of the platform

    def start(self) -> Platform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                platform.requests.append(self.path)
                if self.path == "/jwks":
                    self._json(200, platform.key_set())
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self):
                platform.requests.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                if self.path == "/token" and form.get("grant_type") == ["client_credentials"]:
                    self._json(200, {"access_token": uuid.uuid4().hex, "token_type": "Bearer",
                                     "expires_in": 3600, "scope": " ".join(form.get("scope", []))})
                else:
                    self._json(400, {"error": "unsupported_grant_type"})

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    @property
    def keyset_url(self) -> str:
        return f"{self.url}/jwks"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def key_set(self) -> dict:
        public = JWK.from_pem(pem(self.key)).export_public(as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, nonce: str, person: Person, *, context_id: str = "course-7",
                 context_title: str = "Modern Europe", context_label: str = "HIST-207",
                 link_id: str = "link-1", link_title: str = "Week 1 discussion",
                 signing_key: rsa.RSAPrivateKey | None = None, aud: str | None = None,
                 iss: str | None = None, deployment_id: str | None = None,
                 expires_in: int = 300, message_type: str = "LtiResourceLinkRequest") -> str:
        now = int(time.time())
        body = {
            "iss": iss or self.issuer, "aud": aud or self.client_id, "sub": person.sub,
            "iat": now - 5, "exp": now + expires_in, "nonce": nonce,
            "name": person.name, "given_name": person.given_name,
            "family_name": person.family_name, "email": person.email,
            f"{CLAIM}message_type": message_type, f"{CLAIM}version": "1.3.0",
            f"{CLAIM}deployment_id": deployment_id or self.deployment_id,
            f"{CLAIM}target_link_uri": "http://localhost/lti/launch",
            f"{CLAIM}roles": person.roles,
            f"{CLAIM}context": {"id": context_id, "title": context_title,
                                "label": context_label},
            f"{CLAIM}resource_link": {"id": link_id, "title": link_title},
        }
        return jwt.encode(body, pem(signing_key or self.key), algorithm="RS256",
                          headers={"kid": self.kid})

    # The browser's walk through login and launch, with a Flask test client.

    def login(self, client, login_hint: str = "hint") -> tuple[str, str, str]:
        """POST the OIDC login initiation to the tool; returns the state, the nonce and
        the launch URL it sends the browser to the platform with."""
        response = client.post("/lti/login", data={
            "iss": self.issuer, "login_hint": login_hint, "client_id": self.client_id,
            "target_link_uri": "http://localhost/lti/launch",
            "lti_deployment_id": self.deployment_id})
        assert response.status_code == 302, response.get_data(as_text=True)
        location = urlsplit(response.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.auth_url
        query = parse_qs(location.query)
        assert query["client_id"] == [self.client_id]
        assert query["response_mode"] == ["form_post"] and query["prompt"] == ["none"]
        return query["state"][0], query["nonce"][0], query["redirect_uri"][0]

    def launch(self, client, person: Person, **token_options):
        """Login, then the platform's form post of a signed id_token to the launch URL."""
        state, nonce, redirect_uri = self.login(client, person.sub)
        token = self.id_token(nonce, person, **token_options)
        return client.post(urlsplit(redirect_uri).path,
                           data={"id_token": token, "state": state})
