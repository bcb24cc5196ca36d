"""When a person's credential lapses, and the continuing education that renewing it asks for.

A credential on the admin's list may renew every ``renewal_months`` (None: it never lapses).
A person's confirmed outcome naming it lapses that many months after the day it was achieved
(31 January + 1 month: the last day of February), on which day it is no longer valid; unless a
later outcome of the same person and credential renewed it. When the credential asks for
``renewal_ce_hours``, what counts towards them is what the learning record counts as CE hours:
those of the person's other confirmed credentials and certificates (their own and their
circles' as a whole), achieved after the day they earned it and before the day it lapses.

``standings`` works on outcomes already loaded (a record's: no queries of its own);
``send_reminders`` finds whom to remind in one query however many people there are, and
reminds each outcome once per lapse date, even with two senders at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.attendance import notifications
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Circle,
    CircleStatus,
    Credential,
    CredentialKind,
    CredentialReminder,
    Enrollment,
    Outcome,
    OutcomeStatus,
    User,
)
from app.reports.services import PARTICIPATING

STATES = {
    "valid": _l("valid"),
    "lapsing": _l("lapsing soon"),
    "lapsed": _l("lapsed"),
    "renewed": _l("renewed"),
}


class Held(Protocol):
    """A confirmed credential or certificate of one person (the record's ``OutcomeLine``)."""

    outcome_id: int
    credential_id: int | None
    achieved_on: dt.date
    ce_hours: Decimal | None
    renewal_months: int | None
    renewal_ce_hours: Decimal | None
    own: bool  # the person's own, not their circle's as a whole


@dataclass(frozen=True)
class Standing:
    lapses_on: dt.date
    today: dt.date  # in the person's time zone
    soon_days: int  # within this many days of lapsing it is "lapsing"
    renewed_on: dt.date | None  # a later outcome of the same credential renewed it
    ce_required: Decimal | None
    ce_earned: Decimal

    @property
    def days_left(self) -> int:
        return (self.lapses_on - self.today).days

    @property
    def state(self) -> str:
        if self.renewed_on is not None:
            return "renewed"
        if self.days_left <= 0:
            return "lapsed"
        return "lapsing" if self.days_left <= self.soon_days else "valid"

    @property
    def label(self) -> str:
        return str(STATES[self.state])

    @property
    def ce_missing(self) -> Decimal:
        """CE hours still to earn before it lapses (none when none are required)."""
        return max(Decimal(0), (self.ce_required or Decimal(0)) - self.ce_earned)


def lapse_date(achieved_on: dt.date, months: int) -> dt.date:
    """The day it lapses: the same day ``months`` later, or that month's last day."""
    return achieved_on + relativedelta(months=months)


def soon_days() -> int:
    return current_app.config["CREDENTIAL_REMINDER_DAYS"]


def _hours(value) -> Decimal:
    """Exact hundredths (SQLite may hand numbers back as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def standings(held: Sequence[Held], today: dt.date, soon: int) -> dict[int, Standing]:
    """By outcome id: the standing of each of one person's own outcomes that can lapse."""
    by_credential: dict[int, list[Held]] = defaultdict(list)
    for outcome in held:
        if outcome.own and outcome.credential_id is not None:
            by_credential[outcome.credential_id].append(outcome)
    found: dict[int, Standing] = {}
    for outcomes in by_credential.values():
        outcomes.sort(key=lambda o: (o.achieved_on, o.outcome_id))
        for n, outcome in enumerate(outcomes):
            if outcome.renewal_months is None:
                continue
            lapses_on = lapse_date(outcome.achieved_on, outcome.renewal_months)
            later = outcomes[n + 1] if n + 1 < len(outcomes) else None
            earned = sum(
                (
                    _hours(o.ce_hours)
                    for o in held
                    if o.outcome_id != outcome.outcome_id
                    and outcome.achieved_on < o.achieved_on < lapses_on
                ),
                Decimal("0.00"),
            )
            found[outcome.outcome_id] = Standing(
                lapses_on=lapses_on,
                today=today,
                soon_days=soon,
                renewed_on=later.achieved_on if later else None,
                ce_required=outcome.renewal_ce_hours,
                ce_earned=earned,
            )
    return found


# --- reminders -------------------------------------------------------------------------------


@dataclass
class _Row:
    """One outcome as one person holds it (a ``Held``), with where a reminder would go."""

    outcome_id: int
    credential_id: int | None
    achieved_on: dt.date
    ce_hours: Decimal | None
    renewal_months: int | None
    renewal_ce_hours: Decimal | None
    own: bool
    email: str
    account_id: int | None
    timezone: str


def _held_rows() -> Iterable[_Row]:
    """Every confirmed credential or certificate that can lapse or counts CE hours, once per
    place that holds it (a circle's as a whole: each of its places), with the person's
    account (by the place's account, else by its email) and time zone."""
    account = so.aliased(User)
    place_circle = so.aliased(Circle)
    own = Outcome.enrollment_id == Enrollment.id
    rows = db.session.execute(
        sa.select(
            Outcome.id,
            Outcome.credential_id,
            Outcome.achieved_on,
            Outcome.ce_hours,
            Credential.renewal_months,
            Credential.renewal_ce_hours,
            own,
            Enrollment.email,
            account.id,
            sa.func.coalesce(account.timezone, place_circle.timezone),
        )
        .join(
            Enrollment,
            sa.or_(
                own,
                sa.and_(Outcome.enrollment_id.is_(None), Outcome.circle_id == Enrollment.circle_id),
            ),
        )
        .join(place_circle, place_circle.id == Enrollment.circle_id)
        .outerjoin(Credential, Credential.id == Outcome.credential_id)
        .outerjoin(
            account,
            sa.or_(
                account.id == Enrollment.user_id,
                sa.and_(Enrollment.user_id.is_(None), account.email == Enrollment.email),
            ),
        )
        .where(
            Outcome.status == OutcomeStatus.confirmed,
            Outcome.kind.in_([k.value for k in CredentialKind]),
            sa.or_(Credential.renewal_months.is_not(None), Outcome.ce_hours.is_not(None)),
            Enrollment.status.in_(PARTICIPATING),
            place_circle.status != CircleStatus.draft,
        )
        .order_by(Outcome.id)
    )
    return (_Row(*row) for row in rows)


def _due(now: dt.datetime, soon: int) -> list[tuple[int, Standing]]:
    """(outcome id, lapse date) of the current credentials that lapse within ``soon`` days."""
    people: dict[object, dict[int, _Row]] = defaultdict(dict)
    zones: dict[object, str] = {}
    for row in _held_rows():
        # A person: their account, else (a guest) the email of their places.
        key = row.account_id or row.email
        people[key].setdefault(row.outcome_id, row)
        zones.setdefault(key, row.timezone)
    due = []
    for key, held in people.items():
        today = now.astimezone(ZoneInfo(zones[key])).date()
        for outcome_id, standing in standings(list(held.values()), today, soon).items():
            if standing.state == "lapsing":
                due.append((outcome_id, standing))
    if not due:
        return []
    sent = {
        (outcome_id, lapses_on)
        for outcome_id, lapses_on in db.session.execute(
            sa.select(CredentialReminder.outcome_id, CredentialReminder.lapses_on).where(
                CredentialReminder.outcome_id.in_([o for o, _ in due])
            )
        )
    }
    return sorted(
        ((o, s) for o, s in due if (o, s.lapses_on) not in sent), key=lambda pair: pair[0]
    )


def send_reminders(now: dt.datetime) -> int:
    """Email each person whose credential lapses within ``CREDENTIAL_REMINDER_DAYS`` (and was
    not renewed, and has not lapsed yet), once per outcome and lapse date: the reminder is
    recorded first, in a savepoint, so that a second sender at the same moment, which finds
    it taken (the unique outcome and lapse date), passes by instead of emailing again.
    Returns how many were queued."""
    due = _due(now, soon_days())
    if not due:
        return 0
    outcomes = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Outcome)
            .where(Outcome.id.in_([o for o, _ in due]))
            .options(
                so.joinedload(Outcome.credential),
                so.joinedload(Outcome.enrollment).joinedload(Enrollment.circle),
            )
        )
    }
    accounts = _accounts([outcomes[o].enrollment for o, _ in due])
    queued = 0
    for outcome_id, standing in due:
        outcome = outcomes[outcome_id]
        account = accounts.get(outcome.enrollment_id)
        if account is not None and not account.active:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    CredentialReminder(
                        outcome_id=outcome_id, lapses_on=standing.lapses_on, sent_at=now
                    )
                )
        except IntegrityError:
            continue  # another sender reminded this one a moment ago
        notifications.credential_lapsing(outcome, standing, account)
        queued += 1
    db.session.flush()
    return queued


def _accounts(enrollments: list[Enrollment]) -> dict[int, User]:
    """By place: its account (by the place's account, else by its email), in one query."""
    ids = {e.user_id for e in enrollments if e.user_id}
    emails = {e.email for e in enrollments if not e.user_id}
    users = list(
        db.session.scalars(sa.select(User).where(sa.or_(User.id.in_(ids), User.email.in_(emails))))
    )
    by_id = {u.id: u for u in users}
    by_email = {u.email: u for u in users}
    found = {e.id: by_id.get(e.user_id) or by_email.get(e.email) for e in enrollments}
    return {place: user for place, user in found.items() if user is not None}
