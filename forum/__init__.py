"""The forum: create_app() builds the Flask application."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from forum import config as forum_config
from forum.extensions import (
    cache,
    csrf,
    db,
    limiter,
    login_manager,
    mail,
    migrate,
    render_migration_item,
)
from forum.transactions import request_units


class IdConverter(IntegerConverter):
    """A positive database id in ASCII digits (werkzeug's \\d also takes "٤");
    larger numbers never reach the database."""

    regex = "[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


def create_app(config: dict | None = None) -> Flask:
    """Configuration, then extensions, blueprints, error pages and commands."""
    root = forum_config.PROJECT_ROOT
    app = Flask(
        __name__,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
        instance_path=str(root / "instance"),
    )
    app.config.update(forum_config.BASE)
    app.config.update(forum_config.from_environment())
    app.config.update(config or {})
    forum_config.check_production(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          forum_config.engine_options(app.config))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        root.joinpath("instance").mkdir(exist_ok=True)
    app.url_map.converters["id"] = IdConverter
    if proxies := app.config["FORUM_TRUSTED_PROXIES"]:
        # The address and scheme as the nearest `proxies` proxies saw them; hops a client
        # wrote itself are not believed. Host is the proxy's to set, so X-Forwarded-Host
        # (which a client could send through) is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    _init_extensions(app)

    from forum.api import register_api
    from forum.lti import register_lti
    from forum.web import register_web

    register_web(app)
    register_api(app)
    register_lti(app)
    _register_error_handlers(app)

    from forum.cli import register_cli

    register_cli(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """Each error is answered as JSON under /api and as an HTML page elsewhere."""
    from flask import request

    from forum import outages
    from forum.api import errors as api_errors
    from forum.web import handlers as web_errors

    def dispatch(api_handler, web_handler):
        def handle(error):
            if request.path.startswith("/api/"):
                return api_handler(error)
            return web_handler(error)

        return handle

    def closest(handlers: dict, error_class: type):
        return next(handlers[base] for base in error_class.__mro__ if base in handlers)

    for error_class in {*api_errors.HANDLERS, *web_errors.HANDLERS}:
        app.register_error_handler(error_class, dispatch(
            closest({**api_errors.HANDLERS, Exception: api_errors.unexpected}, error_class),
            closest({**web_errors.HANDLERS, Exception: web_errors.unexpected}, error_class)))
    for error_class in outages.UNAVAILABLE:
        app.register_error_handler(
            error_class, dispatch(api_errors.database_down, web_errors.database_down))
    app.register_error_handler(Exception, dispatch(api_errors.unexpected, web_errors.unexpected))


def _end_sessions_quietly(app: Flask) -> None:
    """Each request's session ends by rolling back; on a connection the server dropped
    (after the answer was built) that rollback fails, and the failure must not turn the
    answer into a 500. Teardowns run newest first: this one ends the session before
    Flask-SQLAlchemy's would."""
    from forum import outages

    @app.teardown_appcontext
    def _end_session(_error=None) -> None:
        try:
            db.session.remove()
        except outages.UNAVAILABLE as error:
            outages.database_unavailable(error, app.logger, "ending a session")
            db.session.registry.clear()


def _init_extensions(app: Flask) -> None:
    from forum import models  # noqa: F401 - registers every table on the metadata

    db.init_app(app)
    _end_sessions_quietly(app)
    request_units(app)  # first of the hooks: before any statement of the request
    migrate.init_app(
        app, db, directory=str(forum_config.PROJECT_ROOT / "migrations"),
        render_as_batch=True, compare_type=True, render_item=render_migration_item,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    mail.init_app(app)

    from forum.worker import init_queue

    init_queue(app)
