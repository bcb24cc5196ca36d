"""Demo renewals: NNLM CHIS renews every three years with 12 (Level 1) or 24 (Level 2) CE
hours, as the Medical Library Association asks. Two of the spring CHIS cohort had earned Level
1 nearly three years before and took the cohort towards renewing it: Gabriel's lapses in a
month (so ``flask reminders send`` reminds him), Hannah's lapsed three weeks ago. Loads once:
a period the admin changed stays as it is, and each older credential is added only if missing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from app.extensions import db
from app.models import (
    Circle,
    Credential,
    Enrollment,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    User,
    credential_key,
)
from app.timeutil import utcnow

RENEWALS = {"NNLM CHIS Level 1": (36, 12), "NNLM CHIS Level 2": (36, 24)}
COHORT = "CHIS cohort (spring)"
# Who earned Level 1 before the cohort, and in how many days it lapses (negative: it lapsed).
EARLIER = {"staff07@example.org": 30, "staff08@example.org": -21}


def load_renewals() -> bool:
    added = False
    credentials = {}
    for name, (months, hours) in RENEWALS.items():
        credential = db.session.scalar(
            sa.select(Credential).filter_by(name_key=credential_key(name))
        )
        credentials[name] = credential
        if credential is not None and credential.renewal_months is None:
            credential.renewal_months, credential.renewal_ce_hours = months, hours
            added = True
    level_1 = credentials["NNLM CHIS Level 1"]
    cohort = db.session.scalar(sa.select(Circle).filter_by(title=COHORT))
    if level_1 is None or cohort is None:
        return added
    today = utcnow().astimezone(ZoneInfo(cohort.timezone)).date()
    lead = cohort.facilitations[0].user_id if cohort.facilitations else None
    for email, days in EARLIER.items():
        place = db.session.scalar(
            sa.select(Enrollment)
            .join(User, User.id == Enrollment.user_id)
            .where(Enrollment.circle_id == cohort.id, User.email == email)
        )
        if place is None or _holds(place, level_1):
            continue
        db.session.add(
            Outcome(
                circle_id=cohort.id,
                enrollment_id=place.id,
                kind=OutcomeKind.credential,
                credential=level_1,
                title=level_1.name,
                ce_hours=level_1.ce_hours,
                achieved_on=today + dt.timedelta(days=days) - relativedelta(months=36),
                status=OutcomeStatus.confirmed,
                confirmed_by_id=lead,
            )
        )
        added = True
    db.session.flush()
    return added


def _holds(place: Enrollment, credential: Credential) -> bool:
    return (
        db.session.scalar(
            sa.select(Outcome.id).filter_by(enrollment_id=place.id, credential_id=credential.id)
        )
        is not None
    )
