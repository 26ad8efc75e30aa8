"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from flask import request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
cache = Cache()  # rendered fragments; see forum/web/thread_view.py
mail = Mail()  # SMTP from FORUM_MAIL_URL; see forum/services/mailing.py

class ForumApi(Api):
    """flask-smorest's Api, documenting If-Match and If-None-Match as entity tags, and
    writing each blueprint's part of the OpenAPI document when the document is first
    read rather than when the app is made (most of the time an app takes to start, and
    the tests make one per test)."""

    # Functions given the document once every blueprint is in it (to add what applies
    # to many operations at once).
    finishers: list = []

    def init_app(self, app, *, spec_kwargs=None):
        self._undocumented: list[tuple] = []
        super().init_app(app, spec_kwargs=spec_kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, self._app, name, parameters))

    @property
    def spec(self):
        waiting, self._undocumented = getattr(self, "_undocumented", []), []
        for blp, app, name, parameters in waiting:
            blp.register_views_in_doc(self, app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})
        if waiting:
            for finish in self.finishers:
                finish(self._spec)
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def _register_etag_headers(self):
        # The shape the server's tags have (a SHA-1 of the resource's state, quoted);
        # no example could be a tag the server would match.
        tag = {"type": "string", "example": f'"{ETAG_EXAMPLE}"'}
        self.spec.components.parameter("IF_NONE_MATCH", "header", {
            "name": "If-None-Match", "schema": tag,
            "description": "The ETag header of your copy (from a GET of this URL): 304 "
                           "when it is still current"}, lazy=True)
        self.spec.components.parameter("IF_MATCH", "header", {
            "name": "If-Match", "required": True, "schema": tag,
            "description": IF_MATCH_DESCRIPTION}, lazy=True)
        self.spec.components.header("ETAG", {
            "description": "Entity tag of this version: send it back as If-Match to "
                           "change it, or as If-None-Match to read it again",
            "schema": {"type": "string", "example": f'"{ETAG_EXAMPLE}"'}}, lazy=True)


ETAG_EXAMPLE = "ca997d559d1e2ff359d87b8aab8b9dfaeba5d2f6"
IF_MATCH_DESCRIPTION = (
    "The ETag header, quotes included, of the answer to a GET of this same URL (the "
    "links of that GET's 200 answer say so too); it changes with every change to the "
    "resource. Missing: 428. Any other value: 412 and nothing changes; GET again, then "
    "retry. `*` matches whatever version is current.")


api = ForumApi()


def client_address() -> str:
    """The caller's address, as the WSGI server (or a trusted proxy fix) reports it."""
    return request.remote_addr or "unknown"


# Limits are declared where they apply; RATELIMIT_* settings come from config.
limiter = Limiter(key_func=client_address)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys and the write-ahead log. How long a connection waits
    for a lock is its driver's `timeout` (config.engine_options)."""
    if _is_sqlite(dbapi_connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def render_migration_item(type_, obj, autogen_context):
    """Write our UTC column type as a plain DateTime in generated migrations."""
    from forum.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False
