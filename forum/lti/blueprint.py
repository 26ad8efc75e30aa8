"""The blueprint the LTI door's views and admin pages share."""

from flask import Blueprint

bp = Blueprint("lti", __name__)
