"""Home: the dashboard for members, a welcome for visitors; profiles."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from forum.errors import NotFound
from forum.extensions import db
from forum.models import Course, User, Visibility
from forum.services.dashboard import build_dashboard

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        public = db.session.scalars(
            select(Course).where(Course.visibility == Visibility.PUBLIC).order_by(Course.code)
        )
        return render_template("main/welcome.html", public_courses=list(public))
    return render_template("main/dashboard.html", board=build_dashboard(current_user))


@bp.get("/users/<id:user_id>")
def profile(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such person.")
    return render_template("main/profile.html", user=user)
