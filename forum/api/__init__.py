"""The JSON API under /api/v1: bearer tokens, flask-smorest, one error shape."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template
from swagger_ui_bundle import swagger_ui_path

from forum.api import (
    accounts,
    archives,
    auth,
    courses,
    discussions,
    errors,
    feedback,
    feeds,
    grading,
    idempotency,
    images,
    mentions,
    moderation,
    notifications,
    posts,
    preconditions,
    preview,
    progress,
    reactions,
    reading,
    replies,
    schemas,
    search,
)
from forum.extensions import api, client_address, csrf, limiter
from forum.limits import WRITE_METHODS, caller_key, preview_limit, writes_limit, writes_per_ip_limit

RESOURCES = (accounts, courses, archives, discussions, posts, replies, reactions, grading, feedback,
             moderation, preview, mentions, images, progress, search, reading, feeds,
             notifications)
# POSTs that write nothing: they have a limit of their own, not a share of the writes'.
WRITING = tuple(module for module in RESOURCES if module is not preview)
DOCS_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self'; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'")

docs = Blueprint("api_docs", __name__, url_prefix="/api/docs",
                 static_folder=str(swagger_ui_path), static_url_path="/assets")


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@docs.get("")
def show_docs() -> str:
    """The operations of the OpenAPI document as a plain, accessible page."""
    areas: dict[str, list[dict]] = {}
    for path, item in api.spec.to_dict()["paths"].items():
        for method in (m for m in HTTP_METHODS if m in item):
            operation = item[method]
            for tag in operation.get("tags", ["Other"]):
                areas.setdefault(tag, []).append(
                    {"method": method.upper(), "path": path, **operation})
    return render_template("api/operations.html", areas=areas)


@docs.get("/interactive")
def interactive_docs() -> Response:
    """Swagger UI, served from this site (no outside scripts); its third-party markup
    is not held to the site's accessibility checks, so it has a page of its own."""
    response = Response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


# Blueprints are module-level, so they are set up once, here, before any app uses them.
for _module in RESOURCES:
    # Image and archive uploads come as multipart/form-data; every other body is JSON.
    _module.bp.before_request(
        images.require_multipart if _module is images
        else archives.check_body if _module is archives else auth.require_json_body)
    _module.bp.before_request(auth.authenticate)
    if _module is archives:
        _module.bp.before_request(archives.allow_one_archive)
    _module.bp.before_request(idempotency.replay_or_claim)
    _module.bp.after_request(auth.record_token_use)
    _module.bp.after_request(idempotency.keep_answer)
api.finishers.append(idempotency.document)
api.finishers.append(archives.document)
api.finishers.append(preconditions.document)
api.finishers.append(schemas.document_rules)
for _module in WRITING:
    limiter.limit(writes_limit, key_func=caller_key, methods=WRITE_METHODS)(_module.bp)
    limiter.limit(writes_per_ip_limit, key_func=client_address,
                  methods=WRITE_METHODS)(_module.bp)
limiter.limit(preview_limit, key_func=caller_key)(preview.bp)


def register_api(app: Flask) -> None:
    api.ERROR_SCHEMA = errors.ErrorSchema
    api.init_app(app)
    for module in RESOURCES:
        api.register_blueprint(module.bp)
        csrf.exempt(module.bp)
    app.register_blueprint(docs)
