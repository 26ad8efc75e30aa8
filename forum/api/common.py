"""What every API module shares: the blueprint class, strict schemas, error docs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TypeVar
from urllib.parse import urlencode

from flask import current_app, request, url_for
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.etag import _get_etag_ctx
from flask_smorest.exceptions import PreconditionFailed, PreconditionRequired
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import inspect

from forum import outages
from forum.extensions import db
from forum.services.validation import BODY_MAX, TITLE_MAX, is_storable


class TextRule(validate.Regexp):
    """A pattern the document states, plus the services' rule on characters: no NUL
    (in the pattern too) and no lone surrogate, which JSON Schema patterns cannot spell
    the same way in every engine, so the document leaves it to the error answer."""

    def __call__(self, value: str) -> str:
        value = super().__call__(value)
        if not is_storable(value):
            raise ValidationError(self._format_error(value))
        return value


STORABLE = TextRule(r"^[^\x00]*$",
                    error="Text must not contain NUL characters or lone surrogates.")
# Some text: a character that is whitespace neither to Python nor to JSON Schema's
# ECMAScript patterns (their \s differ on \x1c-\x1f, \x85 and \ufeff).
HAS_TEXT = TextRule(r"^[^\x00]*[^\s\x00\x1c-\x1f\x85\ufeff][^\x00]*$",
                    error="Write some text (no NUL characters or lone surrogates).")

# Statuses any authenticated operation may answer besides its own successes.
COMMON_ERRORS = (400, 401, 404, 405, 413, 415, 429)
# Far past the last page of any list, and small enough that page times page size stays an
# offset every database takes (an unbounded page overflowed SQLite's integers).
PAGE_MAX = 1_000_000


def title_field(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=TITLE_MAX), HAS_TEXT], **kwargs)


def body_field(**kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=BODY_MAX), HAS_TEXT], **kwargs)


def optional_text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(max=max_length), STORABLE], **kwargs)


class Flag(fields.Boolean):
    """A JSON true or false; 0, 1, "yes" and the like are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def flag(**kwargs) -> Flag:
    return Flag(**kwargs)


def whole_number(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


class Number(fields.Float):
    """A JSON number; numbers written as strings, and booleans, are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictSchema(Schema):
    """Input schemas refuse fields they do not list (author_id, role, is_admin …)."""

    class Meta:
        unknown = RAISE


@dataclass(frozen=True)
class Versioned:
    """ETag data of a resource with a version: `resource` names it (kind and ids)."""

    resource: str
    version: int

    @property
    def tag(self) -> str:
        return f"{self.resource}-v{self.version}"


class Blueprint(SmorestBlueprint):
    """flask-smorest's blueprint, adding a Link header beside X-Pagination."""

    def _check_precondition(self):
        """428 only when If-Match is absent; any other value that is not the current
        ETag (even a malformed one) is a stale precondition: 412."""
        if (request.method in self.METHODS_NEEDING_CHECK_ETAG
                and "If-Match" not in request.headers):
            raise PreconditionRequired

    def check_etag(self, etag_data, etag_schema=None):
        if request.if_match or "If-Match" not in request.headers:
            return super().check_etag(etag_data, etag_schema)
        raise PreconditionFailed

    @staticmethod
    def _generate_etag(etag_data, extra_data=None):
        """A versioned resource's tag names its version, so that an edit's If-Match can
        reach the service as the version it expects, unread; others are hashed."""
        if isinstance(etag_data, Versioned) and extra_data is None:
            return etag_data.tag
        return SmorestBlueprint._generate_etag(etag_data, extra_data)

    def expected_version(self, resource: str) -> int | None:
        """The version named by If-Match for this resource (412 when it names none);
        None for `If-Match: *`, which any version matches."""
        _get_etag_ctx()["etag_checked"] = True
        if request.if_match and request.if_match.star_tag:
            return None
        for tag in request.if_match.as_set() if request.if_match else ():
            prefix, _, version = tag.rpartition("-v")
            if prefix == resource and version.isdigit() and version.isascii():
                return int(version)
        raise PreconditionFailed

    def paginate(self, pager=None, **kwargs):
        """flask-smorest's pagination, with `page` bounded by PAGE_MAX (in the document
        too): past it a 422, before it an empty page after the last one."""
        decorator = super().paginate(pager, **kwargs)

        def bounded(func):
            wrapper = decorator(func)
            # The same schema class parses the query and is documented: bound it there.
            schema = wrapper._apidoc["pagination"]["parameters"]["schema"]
            schema._declared_fields["page"] = fields.Integer(
                load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))
            return wrapper

        return bounded

    def _set_pagination_metadata(self, page_params, result, headers):
        result, headers = super()._set_pagination_metadata(page_params, result, headers)
        meta = json.loads(headers[self.PAGINATION_HEADER_NAME])
        links = []
        for rel, key in (("first", "first_page"), ("prev", "previous_page"),
                         ("next", "next_page"), ("last", "last_page")):
            if key in meta:
                query = {**request.args.to_dict(), "page": meta[key],
                         "page_size": page_params.page_size}
                links.append(f'<{request.base_url}?{urlencode(query)}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return result, headers

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {}).update({
            self.PAGINATION_HEADER_NAME: {
                "description": "JSON object: total, total_pages, first_page, last_page, "
                               "page, previous_page, next_page",
                "schema": {"type": "string"},
            },
            "Link": {"description": "RFC 8288 links: first, prev, next, last",
                     "schema": {"type": "string"}},
        })

    def created(self, schema, model: type, locate: Callable[[object], str]):
        """The 201 answer of a creating operation, with its Location header: the
        operation creates one `model`, found at `locate(it)` (see `at`)."""
        respond = self.response(201, schema, headers={"Location": {
            "description": "The URL of what was created",
            "schema": {"type": "string", "format": "uri"}}})

        def decorator(func):
            func = respond(func)
            # Takes an Idempotency-Key (forum/api/idempotency.py).
            func.creates = Creates(model, locate)
            return func

        return decorator

    def errors(self, *codes: int):
        """Document the error answers of an operation, beside the common ones."""

        def decorator(func):
            for code in sorted({*COMMON_ERRORS, *codes}):
                # flask-smorest names a response component after each status.
                func = self.alt_response(code, response=HTTPStatus(code).name)(func)
            return func

        return decorator


PAGINATION = {"page_size": 20, "max_page_size": 100}


@dataclass(frozen=True)
class Creates:
    """What a creating operation makes, and where it is then found."""

    model: type
    locate: Callable[[object], str]


def at(endpoint: str, id_name: str | None = None) -> Callable[[object], str]:
    """Locate a created object at `endpoint` (of the request's blueprint: ".ReplyItem"),
    with the request's own URL values and the object's id as `id_name`. Reads no
    attribute, so it works after the commit and inside a flush."""

    def locate(instance) -> str:
        full = f"{request.blueprint}{endpoint}" if endpoint.startswith(".") else endpoint
        takes = {name for rule in current_app.url_map.iter_rules(full)
                 for name in rule.arguments}
        values = {name: value for name, value in (request.view_args or {}).items()
                  if name in takes}
        if id_name is not None:
            values[id_name] = identity(instance)
        return url_for(endpoint, _external=True, **values)

    return locate


def created(present: Callable[[], dict], instance) -> tuple[dict, dict]:
    """A created object's view and the Location the operation gives it.

    The write is committed by then, and its view is read back from the database. If the
    connection drops at that moment, the write still stands, so it is never answered as
    failed: the view is read again on a new connection, and if the database is away
    altogether the answer is 201 with the Location alone."""
    locate = operation().creates.locate
    for attempt in (1, 2):
        try:
            return present(), {"Location": locate(instance)}
        except outages.UNAVAILABLE as error:
            db.session.rollback()  # gives the broken connection back; the next is new
            outages.database_unavailable(error, current_app.logger,
                                         f"{request.path}, after its commit ({attempt})")
    return {}, {"Location": locate(instance)}


def operation():
    """The function that answers this request: a MethodView's method, or the view."""
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, request.method.lower(), None) if view_class else view


def takes_body() -> bool:
    """Whether this request's operation reads a body (declared with Blueprint.arguments)."""
    return bool(getattr(operation(), "_apidoc", {}).get("arguments"))


def identity(instance) -> int:
    """A stored object's id without asking the database: after a commit every attribute
    is expired and reading one would load the row again; its identity stays. (Inside a
    flush, before the identity is given, the id just inserted is read.)"""
    state = inspect(instance)
    if state.identity is None:
        return state.mapper.primary_key_from_instance(instance)[0]
    return state.identity[0]

T = TypeVar("T")


def fetched_page(fetch: Callable[[int, int], tuple[Sequence[T], int]],
                 present: Callable[[T], dict], pagination_parameters) -> list[dict]:
    """Present the page that `fetch(offset, limit)` loads along with the total of all
    pages, recording the total for the headers."""
    items, pagination_parameters.item_count = fetch(pagination_parameters.first_item,
                                                    pagination_parameters.page_size)
    return [present(item) for item in items]


def page_of(items: Sequence[T], present: Callable[[T], dict],
            pagination_parameters) -> list[dict]:
    """Present one page of an already filtered list: only that page's items."""
    return fetched_page(lambda offset, limit: (items[offset: offset + limit], len(items)),
                        present, pagination_parameters)


def page_presented_together(items: Sequence[T],
                            present_all: Callable[[Sequence[T]], list[dict]],
                            pagination_parameters) -> list[dict]:
    """Like page_of, for presenters that read what the whole page needs at once."""
    first, size = pagination_parameters.first_item, pagination_parameters.page_size
    pagination_parameters.item_count = len(items)
    return present_all(items[first: first + size])
