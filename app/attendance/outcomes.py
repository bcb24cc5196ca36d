"""Outcomes a circle reports (credentials, projects, amounts), confirmed or deleted by staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.attendance.services import roster
from app.extensions import db
from app.models import AuditEvent, Circle, Enrollment, Outcome, OutcomeKind, OutcomeStatus, User
from app.rules import RuleViolation

MAX_AMOUNT = Decimal(10_000_000)


MAX_CE_HOURS = Decimal(1000)


EARLIEST_OUTCOME = dt.date(2000, 1, 1)


KINDS = frozenset(k.value for k in OutcomeKind)


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


def _decimal(value: Decimal | None, field: str, maximum: Decimal, message: str) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > maximum:
        raise RuleViolation(message, field)
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(_("Use at most two decimal places."), field)
    return value


def _check_outcome(circle: Circle, data: OutcomeInput, today: dt.date, reported: bool) -> None:
    if data.kind not in KINDS:
        raise RuleViolation(_("Choose what kind of outcome this is."), "kind")
    if not data.title.strip():
        raise RuleViolation(_("Enter a title."), "title")
    if data.enrollment_id is not None and data.enrollment_id not in {e.id for e in roster(circle)}:
        if reported:
            raise RuleViolation(_("Only people enrolled in the circle can report an outcome."))
        raise RuleViolation(_("Choose someone enrolled in this circle."), "enrollment_id")
    latest = today + dt.timedelta(days=365)
    if not EARLIEST_OUTCOME <= data.achieved_on <= latest:
        raise RuleViolation(
            _(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST_OUTCOME.isoformat(),
                last=latest.isoformat(),
            ),
            "achieved_on",
        )


def add_outcome(
    circle: Circle, data: OutcomeInput, *, by: User, today: dt.date, reported: bool = False
) -> Outcome:
    """A facilitator records a confirmed outcome; a participant reports one (``reported``)
    that waits for a facilitator to confirm."""
    _check_outcome(circle, data, today, reported)
    hours = _decimal(data.ce_hours, "ce_hours", MAX_CE_HOURS, _("Enter hours between 0 and 1000."))
    amount = _decimal(
        data.amount, "amount", MAX_AMOUNT, _("Enter an amount between $0 and $10,000,000.")
    )
    outcome = Outcome(
        circle_id=circle.id,
        enrollment_id=data.enrollment_id,
        kind=data.kind,
        title=data.title.strip(),
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
            .where(Outcome.enrollment_id == enrollment.id)
            .order_by(Outcome.achieved_on.desc(), Outcome.id.desc())
        )
    )
