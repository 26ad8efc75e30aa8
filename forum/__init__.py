"""The forum: create_app() builds the Flask application."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from forum import config as forum_config
from forum.extensions import csrf, db, login_manager, migrate, render_migration_item


class IdConverter(IntegerConverter):
    """A positive database id; larger numbers never reach the database."""

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
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        root.joinpath("instance").mkdir(exist_ok=True)
    app.url_map.converters["id"] = IdConverter

    _init_extensions(app)

    from forum.web import register_web

    register_web(app)

    from forum.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from forum import models  # noqa: F401 - registers every table on the metadata

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(forum_config.PROJECT_ROOT / "migrations"),
        render_as_batch=True, compare_type=True, render_item=render_migration_item,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
