"""Outcomes a circle reports (credentials, grants, promotions), confirmed or deleted by staff.

Rules: a credential or certificate names one from the admin's list (app.attendance.credentials);
a grant has an amount and a funder; the date is not after today, in the circle's time zone;
the same person reporting the same credential again is refused unless they say it is another."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.attendance.credentials import check_hours
from app.attendance.services import roster
from app.extensions import db
from app.models import (
    AuditEvent,
    Circle,
    Credential,
    CredentialKind,
    Enrollment,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    User,
)
from app.rules import RuleViolation

MAX_AMOUNT = Decimal(10_000_000)


EARLIEST_OUTCOME = dt.date(2000, 1, 1)


KINDS = frozenset(k.value for k in OutcomeKind)
NAMED_KINDS = frozenset(k.value for k in CredentialKind)  # named from the admin's list


@dataclass(frozen=True)
class OutcomeInput:
    kind: str
    title: str
    achieved_on: dt.date
    enrollment_id: int | None = None
    ce_hours: Decimal | None = None
    funder: str = ""
    amount: Decimal | None = None  # dollars
    evidence_url: str = ""
    credential_id: int | None = None  # for credentials and certificates
    again: bool = False  # record it although the person has this credential already


def _amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise RuleViolation(_("Enter an amount between $0 and $10,000,000."), "amount")
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(_("Use at most two decimal places."), "amount")
    return value


def _credential(data: OutcomeInput) -> Credential | None:
    """The credential a credential or certificate names (from the list); none for the rest."""
    if data.kind not in NAMED_KINDS:
        if data.credential_id is not None:
            raise RuleViolation(
                _("Only credentials and certificates name one from the list: leave it empty."),
                "credential_id",
            )
        if not data.title.strip():
            raise RuleViolation(_("Enter a title."), "title")
        return None
    credential = db.session.get(Credential, data.credential_id) if data.credential_id else None
    if credential is None:
        raise RuleViolation(_("Choose the credential from the list."), "credential_id")
    if not credential.active:
        raise RuleViolation(
            _("“%(name)s” is retired: choose one from the list.", name=credential.name),
            "credential_id",
        )
    return credential


def _check_outcome(
    circle: Circle, data: OutcomeInput, today: dt.date, reported: bool
) -> Credential | None:
    if data.kind not in KINDS:
        raise RuleViolation(_("Choose what kind of outcome this is."), "kind")
    credential = _credential(data)
    if data.enrollment_id is not None and data.enrollment_id not in {e.id for e in roster(circle)}:
        if reported:
            raise RuleViolation(_("Only people enrolled in the circle can report an outcome."))
        raise RuleViolation(_("Choose someone enrolled in this circle."), "enrollment_id")
    if not EARLIEST_OUTCOME <= data.achieved_on <= today:
        raise RuleViolation(
            _(
                "Enter a date between %(first)s and today (%(today)s).",
                first=EARLIEST_OUTCOME.isoformat(),
                today=today.isoformat(),
            ),
            "achieved_on",
        )
    if data.kind == OutcomeKind.grant:
        if not data.amount:  # none, or $0
            raise RuleViolation(_("Enter the amount of the grant."), "amount")
        if not data.funder.strip():
            raise RuleViolation(_("Enter who gave the grant."), "funder")
    return credential


def earlier_report(
    circle: Circle, enrollment_id: int | None, credential: Credential
) -> Outcome | None:
    """The same person's outcome naming the same credential, in any circle (a participant
    is known by email); for the whole circle, the circle's own."""
    query = sa.select(Outcome).where(Outcome.credential_id == credential.id)
    if enrollment_id is None:
        query = query.where(Outcome.circle_id == circle.id, Outcome.enrollment_id.is_(None))
    else:
        email = sa.select(Enrollment.email).where(Enrollment.id == enrollment_id)
        query = query.join(Enrollment, Enrollment.id == Outcome.enrollment_id).where(
            sa.func.lower(Enrollment.email) == sa.func.lower(email.scalar_subquery())
        )
    return db.session.scalars(query.order_by(Outcome.achieved_on, Outcome.id).limit(1)).first()


def _refuse_a_second_report(circle: Circle, data: OutcomeInput, credential: Credential) -> None:
    earlier = earlier_report(circle, data.enrollment_id, credential)
    if earlier is None or data.again:
        return
    recorded = earlier.created_at.astimezone(ZoneInfo(circle.timezone)).date()
    raise RuleViolation(
        _(
            "Already reported on %(date)s (%(name)s, achieved %(achieved)s). If this is "
            "another one, such as a renewal, tick “Record it again”.",
            date=recorded.isoformat(),
            name=credential.name,
            achieved=earlier.achieved_on.isoformat(),
        ),
        "again",
        conflict=True,
    )


def add_outcome(
    circle: Circle, data: OutcomeInput, *, by: User, today: dt.date, reported: bool = False
) -> Outcome:
    """A facilitator records a confirmed outcome; a participant reports one (``reported``)
    that waits for a facilitator to confirm. ``today`` is the circle's (its time zone).

    A credential or certificate names one from the admin's list: its name is the title, its
    kind the outcome's, and its CE hours the default. The same person with the same
    credential again is refused unless ``again`` says it is another one (a renewal)."""
    credential = _check_outcome(circle, data, today, reported)
    hours = check_hours(data.ce_hours)
    amount = _amount(data.amount)
    if credential is not None:
        _refuse_a_second_report(circle, data, credential)
        if hours is None:
            hours = credential.ce_hours
    outcome = Outcome(
        circle_id=circle.id,
        enrollment_id=data.enrollment_id,
        kind=OutcomeKind(credential.kind) if credential else data.kind,
        credential_id=credential.id if credential else None,
        title=credential.name if credential else data.title.strip(),
        ce_hours=hours,
        funder=data.funder,
        amount_cents=int(amount * 100) if amount is not None else None,
        achieved_on=data.achieved_on,
        evidence_url=data.evidence_url,
        status=OutcomeStatus.reported if reported else OutcomeStatus.confirmed,
        reported_by_id=by.id,
        confirmed_by_id=None if reported else by.id,
    )
    db.session.add(outcome)
    db.session.flush()
    return outcome


def confirm_outcome(outcome: Outcome, *, by: User) -> None:
    if not outcome.is_reported:
        raise RuleViolation(_("This outcome is already confirmed."))
    outcome.status = OutcomeStatus.confirmed
    outcome.confirmed_by_id = by.id
    db.session.flush()


def delete_outcome(outcome: Outcome, *, by: User) -> None:
    db.session.add(
        AuditEvent(
            actor_id=by.id,
            action="outcome.delete",
            subject=f"circle:{outcome.circle_id}",
            detail=f"outcome:{outcome.id} {outcome.kind} {outcome.title}"[:500],
        )
    )
    db.session.delete(outcome)
    db.session.flush()


def outcomes_of(circle: Circle) -> list[Outcome]:
    """Reported ones (waiting for a facilitator) first, then newest first."""
    return list(
        db.session.scalars(
            sa.select(Outcome)
            .options(so.selectinload(Outcome.credential))
            .where(Outcome.circle_id == circle.id)
            .order_by(
                (Outcome.status == OutcomeStatus.reported).desc(),
                Outcome.achieved_on.desc(),
                Outcome.id.desc(),
            )
        )
    )


def outcomes_of_enrollment(enrollment: Enrollment) -> list[Outcome]:
    return list(
        db.session.scalars(
            sa.select(Outcome)
            .options(so.selectinload(Outcome.credential))
            .where(Outcome.enrollment_id == enrollment.id)
            .order_by(Outcome.achieved_on.desc(), Outcome.id.desc())
        )
    )
