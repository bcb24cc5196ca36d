"""The list of credentials the admin keeps: outcomes of kind credential or certificate name one
of these, so that reports count one credential once whatever people would have typed.

A credential that outcomes use is retired (kept, no longer offered), never deleted; one that
nobody used yet (a typo) may be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import AuditEvent, Credential, CredentialKind, Outcome, User, credential_key
from app.rules import RuleViolation, unique_or_violation

MAX_CE_HOURS = Decimal(1000)
MAX_RENEWAL_MONTHS = 120
KINDS = frozenset(k.value for k in CredentialKind)


@dataclass(frozen=True)
class CredentialInput:
    name: str
    kind: str
    awarding_body: str = ""
    ce_hours: Decimal | None = None
    renewal_months: int | None = None  # None: it never lapses
    renewal_ce_hours: Decimal | None = None  # CE hours to earn within the period to renew it


def check_hours(value: Decimal | None, field: str = "ce_hours") -> Decimal | None:
    """CE hours: none, or 0 to 1000 in hundredths (what the Numeric(6, 2) columns hold)."""
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > MAX_CE_HOURS:
        raise RuleViolation(_("Enter hours between 0 and 1000."), field)
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(_("Use at most two decimal places."), field)
    return value


def check_renewal(months: int | None, hours: Decimal | None) -> tuple[int | None, Decimal | None]:
    """A renewal period of whole months, 1 to 120 (or none: it never lapses), and the CE hours
    renewing asks for, which need a period to be earned within."""
    if months is not None and not 1 <= months <= MAX_RENEWAL_MONTHS:
        raise RuleViolation(_("Enter whole months from 1 to 120, like 36."), "renewal_months")
    hours = check_hours(hours, "renewal_ce_hours")
    if hours is not None and months is None:
        raise RuleViolation(
            _("Enter the renewal period too: the CE hours are earned within it."),
            "renewal_ce_hours",
        )
    return months, hours


def uses(credential: Credential) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Outcome).filter_by(credential_id=credential.id)
    )


def credentials_with_uses() -> list[tuple[Credential, int]]:
    """Every credential with how many outcomes name it: those offered first, then by name."""
    used = (
        sa.select(Outcome.credential_id, sa.func.count().label("n"))
        .group_by(Outcome.credential_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Credential, sa.func.coalesce(used.c.n, 0))
        .outerjoin(used, used.c.credential_id == Credential.id)
        .order_by(Credential.active.desc(), Credential.name_key)
    )
    return [(credential, n) for credential, n in rows]


def offered_credentials() -> list[Credential]:
    """What an outcome can name: the active ones, by name."""
    return list(
        db.session.scalars(
            sa.select(Credential).filter_by(active=True).order_by(Credential.name_key)
        )
    )


def _audit(by: User, action: str, credential: Credential) -> None:
    db.session.add(
        AuditEvent(
            actor_id=by.id,
            action=f"credential.{action}",
            subject=f"credential:{credential.id}",
            detail=credential.name,
        )
    )


def save_credential(
    credential: Credential | None, data: CredentialInput, *, by: User
) -> Credential:
    """Add a credential (``credential`` None) or change one."""
    name = " ".join(data.name.split())
    if not name:
        raise RuleViolation(_("Enter the credential's name."), "name")
    if data.kind not in KINDS:
        raise RuleViolation(_("Choose whether it is a credential or a certificate."), "kind")
    hours = check_hours(data.ce_hours)
    months, renewal_hours = check_renewal(data.renewal_months, data.renewal_ce_hours)
    same = db.session.scalar(sa.select(Credential).filter_by(name_key=credential_key(name)))
    message = _("“%(name)s” is already on the list.", name=name)
    if same is not None and same is not credential:
        raise RuleViolation(message, "name", conflict=True)
    if credential is not None and credential.kind != data.kind and uses(credential):
        raise RuleViolation(_("Outcomes already name it: its kind cannot change any more."), "kind")
    added = credential is None
    if added:
        credential = Credential(active=True)
        db.session.add(credential)
    credential.name = name
    credential.kind = data.kind
    credential.awarding_body = " ".join(data.awarding_body.split())
    credential.ce_hours = hours
    credential.renewal_months, credential.renewal_ce_hours = months, renewal_hours
    with unique_or_violation(message, "name"):  # two admins adding the same name at once
        db.session.flush()
    _audit(by, "add" if added else "edit", credential)
    return credential


def retire_credential(credential: Credential, *, by: User) -> None:
    """No longer offered for new outcomes; the outcomes that name it keep it."""
    if not credential.active:
        raise RuleViolation(_("“%(name)s” is already retired.", name=credential.name))
    credential.active = False
    _audit(by, "retire", credential)
    db.session.flush()


def restore_credential(credential: Credential, *, by: User) -> None:
    if credential.active:
        raise RuleViolation(_("“%(name)s” is already on the list.", name=credential.name))
    credential.active = True
    _audit(by, "restore", credential)
    db.session.flush()


def delete_credential(credential: Credential, *, by: User) -> None:
    """Only one no outcome names (a typo, say): the others are retired instead."""
    if uses(credential):
        raise RuleViolation(
            _("Outcomes name “%(name)s”: retire it instead.", name=credential.name),
            conflict=True,
        )
    _audit(by, "delete", credential)
    db.session.delete(credential)
    db.session.flush()
