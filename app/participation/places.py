"""Who holds which place in a circle: reads shared by the services, the notifications and
the views."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, Enrollment, EnrollmentStatus, User


def held_by(person: User) -> sa.ColumnElement[bool]:
    """The person's places, whatever their status: by account, or by the email they joined
    with (a guest place taken before the account existed). Both, because a finished circle's
    roster may have lost the address (the retention run, app/privacy/retention.py)."""
    return sa.or_(Enrollment.user_id == person.id, Enrollment.email == person.email.lower())


def place_of(circle: Circle, email: str) -> Enrollment | None:
    """The person's place in the circle, if they have not left it (completed counts)."""
    return db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.circle_id == circle.id,
            Enrollment.email == email.lower(),
            Enrollment.status != EnrollmentStatus.withdrawn,
        )
    )


def waitlist_position(enrollment: Enrollment) -> int | None:
    if enrollment.status != EnrollmentStatus.waitlisted:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count(Enrollment.id)).where(
            Enrollment.circle_id == enrollment.circle_id,
            Enrollment.status == EnrollmentStatus.waitlisted,
            Enrollment.waitlist_seq < enrollment.waitlist_seq,
        )
    )
    return ahead + 1


def enrolled_in(circle: Circle) -> list[Enrollment]:
    return list(
        db.session.scalars(
            sa.select(Enrollment)
            .where(
                Enrollment.circle_id == circle.id, Enrollment.status == EnrollmentStatus.enrolled
            )
            .order_by(Enrollment.enrolled_at, Enrollment.id)
        )
    )


def waitlisted_in(circle: Circle) -> list[Enrollment]:
    return list(
        db.session.scalars(
            sa.select(Enrollment)
            .where(
                Enrollment.circle_id == circle.id, Enrollment.status == EnrollmentStatus.waitlisted
            )
            .order_by(Enrollment.waitlist_seq)
        )
    )
