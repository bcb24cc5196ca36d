"""User and role administration."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.api import tokens
from app.auth import notifications
from app.auth.services import reset_token
from app.extensions import db
from app.models import Branch, User
from app.querying import contains
from app.rules import RuleViolation, unique_or_violation


def search_users(q: str | None) -> sa.Select[tuple[User]]:
    query = sa.select(User).order_by(User.name, User.id)
    if q:
        query = query.where(contains(q, User.search_text))
    return query


def save_user(
    user: User | None,
    *,
    acting: User,
    name: str,
    email: str,
    timezone: str,
    is_facilitator: bool,
    is_admin: bool,
    active: bool,
    branch_ids: list[int],
    home_branch_id: int | None = None,
) -> User:
    """Create or change an account. ``branch_ids``: the branches the person manages;
    ``home_branch_id``: where they work, which makes them that branch's managers' own staff
    (``app.auth.permissions.manages_person``)."""
    if user is not None and user.anonymised_at is not None:
        # Deleted (app/privacy/services.py): giving it an address or a role again would hand
        # someone the anonymous history it keeps for the reports.
        raise RuleViolation(_("This account is deleted and cannot be changed."), conflict=True)
    if user is acting and (not is_admin or not active):
        raise RuleViolation(
            _("You cannot remove your own administrator role or deactivate yourself."), "is_admin"
        )
    branches = (
        list(db.session.scalars(sa.select(Branch).where(Branch.id.in_(branch_ids))))
        if branch_ids
        else []
    )
    if len(branches) != len(set(branch_ids)):
        raise RuleViolation(_("Unknown branch."), "managed_branches")
    if home_branch_id is not None and db.session.get(Branch, home_branch_id) is None:
        raise RuleViolation(_("Unknown branch."), "home_branch")
    user = user or User(password_hash=None)
    with unique_or_violation(_("Another account already uses that email."), "email"):
        if user.active and not active:
            user.end_sessions()
            tokens.revoke_all(user)  # their tools stop too, for good
        user.name = name
        user.email = email.strip().lower()
        user.timezone = timezone
        user.is_facilitator = is_facilitator
        user.is_admin = is_admin
        user.active = active
        user.home_branch_id = home_branch_id
        db.session.add(user)
        user.managed_branches = branches
    return user


def invite(user: User) -> None:
    """A new account has no password: the welcome email links to setting one."""
    if user.password_hash is None:
        user.set_password(secrets.token_urlsafe(32))
    days = current_app.config["WELCOME_LINK_DAYS"]
    notifications.welcome(user, reset_token(user, welcome=True), days)
