"""Tokens and the caller's own account: /tokens, /me, /me/prompts."""

from __future__ import annotations

from flask.views import MethodView

from forum.api.auth import TokenRefused, require_user
from forum.api.common import (
    PAGINATION,
    Blueprint,
    at,
    created,
    page_of,
    page_presented_together,
)
from forum.api.present import prompt_views
from forum.api.schemas import (
    MeSchema,
    MeUpdateSchema,
    NewTokenSchema,
    PromptSchema,
    TokenRequestSchema,
    TokenSchema,
)
from forum.extensions import limiter
from forum.limits import account_key, failed_login, login_limit, login_per_account_limit
from forum.models import ApiToken
from forum.services import accounts, tokens
from forum.services.threads import prompts_awaiting

bp = Blueprint("Accounts", __name__, url_prefix="/api/v1",
               description="Tokens and your own account")


@bp.route("/tokens")
class Tokens(MethodView):
    @bp.arguments(TokenRequestSchema)
    @bp.created(NewTokenSchema, ApiToken, at(".Token", "token_id"))
    @bp.errors(422)
    @bp.doc(security=[])
    @limiter.limit(login_limit)
    @limiter.limit(login_per_account_limit, key_func=account_key, deduct_when=failed_login)
    @bp.doc(operationId="createToken")
    def post(self, data):
        """Create a token with your email and password (the secret is shown once)"""
        user = accounts.authenticate(data["email"], data["password"])
        if user is None:
            raise TokenRefused("Email or password is not correct.")
        token, secret = tokens.create_token(user, data["name"], data["expires_in_days"])
        return created(lambda: {**_token_view(token), "token": secret}, token)

    @bp.response(200, TokenSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listTokens")
    def get(self, pagination_parameters):
        """List your tokens, newest first"""
        found = tokens.tokens_of(require_user())
        return page_of(found, _token_view, pagination_parameters)


@bp.route("/tokens/<id:token_id>")
class Token(MethodView):
    @bp.response(204)
    @bp.errors()
    @bp.doc(operationId="revokeToken")
    def delete(self, token_id: int):
        """Revoke one of your tokens"""
        tokens.revoke_token(require_user(), token_id)


@bp.route("/me")
class Me(MethodView):
    @bp.etag
    @bp.response(200, MeSchema)
    @bp.errors()
    @bp.doc(operationId="getMe")
    def get(self):
        """Your account, with your email"""
        user = require_user()
        bp.set_etag(_me_etag(user))
        return user

    @bp.etag
    @bp.arguments(MeUpdateSchema)
    @bp.response(200, MeSchema)
    @bp.errors(422)
    @bp.doc(operationId="updateMe")
    def patch(self, data):
        """Change your display name (email, role and admin rights are not settable here)"""
        user = require_user()
        bp.check_etag(_me_etag(user))
        accounts.update_profile(user, data["display_name"])
        bp.set_etag(_me_etag(user))
        return user


@bp.route("/me/prompts")
class MyPrompts(MethodView):
    @bp.response(200, PromptSchema(many=True))
    @bp.paginate(**PAGINATION)
    @bp.errors()
    @bp.doc(operationId="listMyPrompts")
    def get(self, pagination_parameters):
        """Prompts awaiting your response, oldest first"""
        user = require_user()
        return page_presented_together(
            prompts_awaiting(user), lambda page: prompt_views(page, user), pagination_parameters)


def _me_etag(user) -> dict:
    return {"id": user.id, "display_name": user.display_name, "email": user.email}


def _token_view(token) -> dict:
    return {name: getattr(token, name) for name in (
        "id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")}

