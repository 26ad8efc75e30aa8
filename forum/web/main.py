"""Home: the dashboard for members, a welcome for visitors; profiles."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from forum.services.accounts import get_profile
from forum.services.courses import public_courses
from forum.services.dashboard import build_dashboard

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html", public_courses=public_courses())
    board = build_dashboard(current_user)
    return render_template("main/dashboard.html", board=board,
                           waiting=board.todo.waiting_counts)


@bp.get("/users/<id:user_id>")
def profile(user_id: int):
    return render_template("main/profile.html", user=get_profile(current_user, user_id))
