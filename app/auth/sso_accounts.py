"""Whose account a single sign-on is (rules only: no request or response here).

No column records the provider's subject: a person is their verified email address, as for
the password sign-in. An address the provider has not verified (``email_verified`` true) is
refused, so that nobody can claim a colleague's account by typing their address into a
provider that does not check it. A first sign-in makes the account (no password); the groups
claim, if set up, adds roles (never takes one away: an administrator does that here).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Branch, User
from app.rules import RuleViolation
from app.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    default_role: str = "participant"
    groups_claim: str = ""
    group_roles: Mapping[str, str] = field(default_factory=dict)


def _verified_email(claims: Mapping) -> str:
    email = claims.get("email")
    # Microsoft Entra ID never sends email_verified; its optional claim xms_edov (the email's
    # domain is verified as the tenant's own) stands in for it only when it is missing.
    verified = claims.get("email_verified", claims.get("xms_edov"))
    # Some providers send the boolean as a string.
    if verified is not True and str(verified).lower() != "true":
        raise RuleViolation(
            _(
                "Your identity provider has not confirmed your email address, so it cannot be "
                "used to sign in here. Ask your library's IT team to verify it, or sign in with "
                "your password."
            )
        )
    if not isinstance(email, str) or "@" not in email or len(email.strip()) > 254:
        raise RuleViolation(_("Your identity provider did not give a usable email address."))
    return email.strip().lower()


def _name(claims: Mapping, email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = (claims.get("given_name"), claims.get("family_name"))
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return (name.strip() or email.split("@")[0])[:120]


def _groups(claims: Mapping, claim: str) -> list[str]:
    value = claims.get(claim) if claim else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return []


def _grant_group_roles(user: User, groups: list[str], roles: Mapping[str, str]) -> None:
    for group in groups:
        role = roles.get(group)
        if role == "facilitator":
            user.is_facilitator = True
        elif role and role.startswith("manager:"):
            slug = role.removeprefix("manager:")
            branch = db.session.scalar(sa.select(Branch).where(Branch.slug == slug))
            if branch is None:
                log.warning("SSO_GROUP_ROLES: no branch %r (group %r)", slug, group)
            elif branch not in user.managed_branches:
                user.managed_branches.append(branch)


def account_for(claims: Mapping, settings: Settings) -> User:
    """The account of whoever the provider vouches for: matched by verified email
    (case aside), or made now. An inactive one is refused."""
    email = _verified_email(claims)
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    if user is None:
        user = User(
            email=email,
            name=_name(claims, email),
            password_hash=None,
            is_facilitator=settings.default_role == "facilitator",
        )
        db.session.add(user)
    elif not user.active:
        raise RuleViolation(
            _("This account is switched off. Ask an administrator to switch it back on.")
        )
    _grant_group_roles(user, _groups(claims, settings.groups_claim), settings.group_roles)
    user.last_login_at = utcnow()
    db.session.flush()
    return user
