"""Signing in with the library's identity provider (app/auth/sso.py): the button's link sends
the browser there, and the provider sends it back to the callback. Nested in the auth
blueprint: endpoints ``auth.sso.login`` and ``auth.sso.callback``.

Addresses given to the provider are built from BASE_URL (app.links), never from the request's
Host header. A refusal (any RuleViolation) rolls back in the request boundary, so nothing is
created, and is said on the sign-in page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user

from app.auth import sso, sso_accounts
from app.auth.permissions import public
from app.boundary import back_to
from app.extensions import limiter
from app.links import external_url
from app.rules import RuleViolation
from app.security import safe_next

bp = Blueprint("sso", __name__, url_prefix="/login/sso")

SIGNED_IN_WITH = "signed_in_with"  # in the session: "sso" after this sign-in (for sign-out)
_NEXT = "sso_next"


def _configured_or_404() -> None:
    if not sso.configured():
        abort(404)


def _settings() -> sso_accounts.Settings:
    config = current_app.config
    return sso_accounts.Settings(
        default_role=config["SSO_DEFAULT_ROLE"],
        groups_claim=config["SSO_GROUPS_CLAIM"],
        group_roles=config["SSO_GROUP_ROLES"] or {},
    )


def _refused(_response) -> bool:
    """Refused callbacks count against the address, as failed password sign-ins do."""
    return bool(g.get("sso_refused"))


@bp.get("")
@public
def login():
    _configured_or_404()
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    back_to(url_for("auth.login"))
    session[_NEXT] = safe_next(request.args.get("next"), url_for("main.index"))
    return sso.authorization_redirect(external_url("auth.sso.callback"))


@bp.get("/callback")
@public
@limiter.limit(lambda: current_app.config["LOGIN_IP_LIMITS"], deduct_when=_refused)
def callback():
    _configured_or_404()
    back_to(url_for("auth.login"))
    try:
        claims = sso.verified_claims()
        user = sso_accounts.account_for(claims, _settings())
    except RuleViolation:
        g.sso_refused = True
        raise  # the boundary rolls back and says it on the sign-in page
    target = safe_next(session.get(_NEXT), url_for("main.index"))
    session.clear()  # a fresh session at sign-in: nothing planted before it survives
    login_user(user)
    session[SIGNED_IN_WITH] = "sso"
    refresh()  # in their profile's language now, like the pages that follow
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    return redirect(target)
