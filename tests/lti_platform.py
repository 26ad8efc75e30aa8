"""A small LMS of the tests' own, for LTI 1.3: its RSA key and key set, an OAuth2 token
endpoint that takes the tool's signed client assertion (verified against the tool's
/lti/jwks over HTTP), a Names and Roles memberships endpoint (paged with a Link header),
Assignment and Grade Services line items and scores, an OIDC auth endpoint that posts
the id_token back as a browser form, and a deep linking return URL that verifies the
tool's LtiDeepLinkingResponse against its /lti/jwks, all served over HTTP on loopback;
and id_tokens (resource links and deep linking requests) signed with PyJWT as a real
platform signs them."""

from __future__ import annotations

import html
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
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"


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


# The class the tests launch: an instructor and two students.
OKAFOR = Person("lms-user-1", INSTRUCTOR, name="Dr. Okafor", email="okafor@uni.example")
ANA = Person("lms-user-2", LEARNER, given_name="Ana", family_name="Lindqvist",
             email="ana@uni.example")
BEN = Person("lms-user-3", LEARNER, name="Ben Carter", email="ben@uni.example")


@dataclass
class Platform:
    """The LMS: `start()` serves /jwks and /token on a loopback port."""

    issuer: str = "https://lms.example.edu"
    client_id: str = "forum-tool-1"
    deployment_id: str = "deployment-1"
    kid: str = "lms-key-1"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    requests: list[str] = field(default_factory=list)  # paths asked of the platform
    # The services: the tool's key set URL (to check its client assertions), the
    # roster (NRPS members, as the platform sends them), line items and scores received.
    tool_jwks_url: str = ""
    members: list[dict] = field(default_factory=list)
    members_page_size: int = 2
    line_items: list[dict] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)  # each: {"lineitem": path, **score}
    assertions: list[dict] = field(default_factory=list)  # verified client assertions
    refused_tokens: list[str] = field(default_factory=list)
    fail_scores: int = 0  # answer the next N score posts with a 503
    fail_line_items: int = 0  # answer the next N line item posts or puts with a 503
    line_item_puts: int = 0
    score_posts: int = 0
    tokens: dict[str, set[str]] = field(default_factory=dict)
    # Deep linking: the responses received at the return URL, verified (their claims
    # and header), and those refused (why).
    deep_link_responses: list[dict] = field(default_factory=list)
    refused_deep_links: list[str] = field(default_factory=list)
    # The browser's way in: the people /auth knows by login hint, and what the next
    # id_token it posts says (id_token's options; `deep_linking` for a deep linking
    # request, with its settings' overrides).
    people: dict[str, Person] = field(default_factory=lambda: {
        person.sub: person for person in (OKAFOR, ANA, BEN)})
    next_launch: dict = field(default_factory=dict)

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

            def _scopes(self) -> set[str]:
                auth = self.headers.get("Authorization", "")
                return platform.tokens.get(auth.removeprefix("Bearer "), set())

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _html(self, status: int, page: str) -> None:
                data = page.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                platform.requests.append(self.path)
                path = urlsplit(self.path)
                if path.path == "/auth":
                    self._html(200, platform.auth_answer(parse_qs(path.query)))
                elif path.path == "/jwks":
                    self._json(200, platform.key_set())
                elif path.path == "/memberships":
                    if NRPS_SCOPE not in self._scopes():
                        return self._json(401, {"error": "invalid_token"})
                    page = int(parse_qs(path.query).get("page", ["1"])[0])
                    size = platform.members_page_size
                    members = platform.members[(page - 1) * size:page * size]
                    body = json.dumps({"id": f"{platform.url}/memberships",
                                       "context": {"id": "course-7"},
                                       "members": members}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.ims.lti-nrps.v2."
                                     "membershipcontainer+json")
                    if page * size < len(platform.members):
                        self.send_header("Link", f'<{platform.url}/memberships?page='
                                         f'{page + 1}>; rel="next"')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif path.path == "/lineitems":
                    if LINEITEM_SCOPE not in self._scopes():
                        return self._json(401, {"error": "invalid_token"})
                    self._json(200, platform.line_items)
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self):
                platform.requests.append(self.path)
                data = self._body()
                if self.path == "/token":
                    return self._token(parse_qs(data.decode()))
                if self.path.startswith("/deep-link-return"):
                    form = parse_qs(data.decode())
                    try:
                        platform.receive_deep_link(form["JWT"][0])
                    except Exception as error:  # any fault: refused, as a platform would
                        platform.refused_deep_links.append(f"{type(error).__name__}: {error}")
                        return self._html(400, "<title>Refused</title><h1>Refused</h1>")
                    return self._html(200, "<title>Added</title><h1>Content added</h1>")
                if self.path == "/lineitems":
                    if LINEITEM_SCOPE not in self._scopes():
                        return self._json(401, {"error": "invalid_token"})
                    if platform.fail_line_items > 0:
                        platform.fail_line_items -= 1
                        return self._json(503, {"error": "gradebook busy, try later"})
                    item = {**json.loads(data),
                            "id": f"{platform.url}/lineitems/{len(platform.line_items) + 1}"}
                    platform.line_items.append(item)
                    return self._json(201, item)
                if self.path.startswith("/lineitems/") and self.path.endswith("/scores"):
                    if SCORE_SCOPE not in self._scopes():
                        return self._json(401, {"error": "invalid_token"})
                    platform.score_posts += 1
                    if platform.fail_scores > 0:
                        platform.fail_scores -= 1
                        return self._json(503, {"error": "gradebook busy, try later"})
                    platform.scores.append({"lineitem": self.path.removesuffix("/scores"),
                                            **json.loads(data)})
                    self.send_response(204)
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not found"})

            def do_PUT(self):
                """A line item's new label and points (only its own URL, by number)."""
                platform.requests.append(f"PUT {self.path}")
                data = self._body()
                number = self.path.removeprefix("/lineitems/")
                if not self.path.startswith("/lineitems/") or not number.isdigit() \
                        or not 0 < int(number) <= len(platform.line_items):
                    return self._json(404, {"error": "not found"})
                if LINEITEM_SCOPE not in self._scopes():
                    return self._json(401, {"error": "invalid_token"})
                if platform.fail_line_items > 0:
                    platform.fail_line_items -= 1
                    return self._json(503, {"error": "gradebook busy, try later"})
                platform.line_item_puts += 1
                item = platform.line_items[int(number) - 1]
                item.update({**json.loads(data), "id": item["id"]})
                return self._json(200, item)

            def _token(self, form: dict) -> None:
                """client_credentials with a private_key_jwt client assertion, checked
                against the tool's published key set (fetched over HTTP)."""
                try:
                    assert form.get("grant_type") == ["client_credentials"]
                    assert form.get("client_assertion_type") == [
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
                    assertion = form["client_assertion"][0]
                    key = jwt.PyJWKClient(platform.tool_jwks_url, cache_jwk_set=False
                                          ).get_signing_key_from_jwt(assertion)
                    claims = jwt.decode(assertion, key.key, algorithms=["RS256"],
                                        audience=platform.token_url,
                                        issuer=platform.client_id,
                                        options={"require": ["exp", "iat", "jti", "sub"]})
                    assert claims["sub"] == platform.client_id
                except Exception as error:  # any fault: refused, as a platform would
                    platform.refused_tokens.append(f"{type(error).__name__}: {error}")
                    return self._json(401, {"error": "invalid_client"})
                platform.assertions.append({**claims, "kid": jwt.get_unverified_header(
                    assertion).get("kid")})
                token = uuid.uuid4().hex
                scopes = " ".join(form.get("scope", []))
                platform.tokens[token] = set(scopes.split())
                self._json(200, {"access_token": token, "token_type": "Bearer",
                                 "expires_in": 3600, "scope": scopes})

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

    @property
    def memberships_url(self) -> str:
        return f"{self.url}/memberships"

    @property
    def lineitems_url(self) -> str:
        return f"{self.url}/lineitems"

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.url}/deep-link-return?course=7"

    def key_set(self) -> dict:
        public = JWK.from_pem(pem(self.key)).export_public(as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, nonce: str, person: Person, *, context_id: str = "course-7",
                 context_title: str = "Modern Europe", context_label: str = "HIST-207",
                 link_id: str = "link-1", link_title: str = "Week 1 discussion",
                 signing_key: rsa.RSAPrivateKey | None = None, aud: str | None = None,
                 iss: str | None = None, deployment_id: str | None = None,
                 expires_in: int = 300, message_type: str = "LtiResourceLinkRequest",
                 services: bool = True, lineitem: str | None = None,
                 custom: dict | None = None, deep_linking_settings: dict | None = None
                 ) -> str:
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
        if services:  # the roster and the gradebook this context offers the tool
            body[NRPS_CLAIM] = {"context_memberships_url": self.memberships_url,
                                "service_versions": ["2.0"]}
            body[AGS_CLAIM] = {"scope": [LINEITEM_SCOPE, SCORE_SCOPE],
                               "lineitems": self.lineitems_url}
            if lineitem:
                body[AGS_CLAIM]["lineitem"] = lineitem
        if custom is not None:
            body[f"{CLAIM}custom"] = custom
        if message_type == DEEP_LINKING_REQUEST:
            del body[f"{CLAIM}resource_link"]  # a request for content, not a link's launch
            body[f"{DL_CLAIM}deep_linking_settings"] = deep_linking_settings
        return jwt.encode(body, pem(signing_key or self.key), algorithm="RS256",
                          headers={"kid": self.kid})

    def deep_linking_settings(self, **overrides) -> dict:
        """What the LMS's content picker accepts back (a None override drops a key)."""
        settings = {"deep_link_return_url": self.deep_link_return_url,
                    "accept_types": ["link", "ltiResourceLink"],
                    "accept_presentation_document_targets": ["iframe", "window"],
                    "accept_multiple": True, "auto_create": True,
                    "data": "csrftoken:c7fbba78-7b75-46e3-9201-11e6d5f36f53"}
        settings.update(overrides)
        return {name: value for name, value in settings.items() if value is not None}

    def deep_linking_token(self, nonce: str, person: Person, settings: dict | None = None,
                           **token_options) -> str:
        """A signed LtiDeepLinkingRequest: the instructor asks, from the LMS's content
        picker, for content to place in the course."""
        return self.id_token(nonce, person, message_type=DEEP_LINKING_REQUEST,
                             deep_linking_settings=self.deep_linking_settings()
                             if settings is None else settings, **token_options)

    def receive_deep_link(self, token: str) -> dict:
        """The return URL's check of a tool's LtiDeepLinkingResponse: its signature
        against the tool's key set fetched over HTTP (by the header's kid), then its
        claims; the verified claims and header are recorded."""
        key = jwt.PyJWKClient(self.tool_jwks_url, cache_jwk_set=False
                              ).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.issuer,
                            issuer=self.client_id,
                            options={"require": ["exp", "iat", "nonce", "aud", "iss"]})
        assert claims[f"{CLAIM}message_type"] == "LtiDeepLinkingResponse"
        assert claims[f"{CLAIM}version"] == "1.3.0"
        assert claims[f"{CLAIM}deployment_id"] == self.deployment_id
        assert isinstance(claims[f"{DL_CLAIM}content_items"], list)
        received = {"claims": claims, "header": jwt.get_unverified_header(token)}
        self.deep_link_responses.append(received)
        return received

    def auth_answer(self, query: dict) -> str:
        """The platform's answer to the tool's OIDC auth request: a page whose form
        posts the signed id_token and the state back to the tool's redirect URI."""
        person = self.people.get(query["login_hint"][0]) or OKAFOR
        options = dict(self.next_launch)
        if options.pop("deep_linking", False):
            token = self.deep_linking_token(query["nonce"][0], person, **options)
        else:
            token = self.id_token(query["nonce"][0], person, **options)
        return (f'<!doctype html><title>LMS</title><form method="post" action="'
                f'{html.escape(query["redirect_uri"][0])}"><input type="hidden" '
                f'name="id_token" value="{token}"><input type="hidden" name="state" '
                f'value="{html.escape(query["state"][0])}"><button>Go</button></form>'
                "<script>document.forms[0].submit()</script>")

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

    def deep_link(self, client, person: Person, settings: dict | None = None,
                  **token_options):
        """Login, then the form post of a signed LtiDeepLinkingRequest."""
        state, nonce, redirect_uri = self.login(client, person.sub)
        token = self.deep_linking_token(nonce, person, settings, **token_options)
        return client.post(urlsplit(redirect_uri).path,
                           data={"id_token": token, "state": state})
