"""Certificates of completion and their verification links.

The link carries the place's id and the moment its completion was confirmed, signed with the
app's SECRET_KEY (a salt of its own, so no other signed link can pass for one). No table keeps
certificates: one is valid while the place is still completed *with that same completion*.
Undoing the completion revokes it, and completing again makes a new link; the old one stays
revoked. Certificates do not expire.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db
from app.models import Enrollment, EnrollmentStatus
from app.records.services import attended_seconds, hours

SALT = "certificate-of-completion"


class Verdict(enum.StrEnum):
    valid = "valid"
    revoked = "revoked"  # the completion was undone (or the place is gone)
    unreadable = "unreadable"  # not a link we signed: tampered with, cut short, made up


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    name: str = ""
    circle: str = ""
    course: str = ""
    completed_on: dt.datetime | None = None
    hours: float = 0.0
    timezone: str = "UTC"  # the circle's: the day it was completed there


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _completion(enrollment: Enrollment) -> str:
    assert enrollment.completed_at is not None
    return enrollment.completed_at.isoformat()


def certificate_token(enrollment: Enrollment) -> str:
    """The token of a completed place's certificate (the same each time it is asked for)."""
    return _serializer().dumps([enrollment.id, _completion(enrollment)])


def person_name(enrollment: Enrollment) -> str:
    return enrollment.user.name if enrollment.user else enrollment.name


def verify(token: str, now: dt.datetime) -> Verification:
    try:
        enrollment_id, completion = _serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return Verification(Verdict.unreadable)
    if not isinstance(enrollment_id, int) or not isinstance(completion, str):
        return Verification(Verdict.unreadable)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if (
        enrollment is None
        or enrollment.status != EnrollmentStatus.completed
        or enrollment.completed_at is None
        or _completion(enrollment) != completion
    ):
        return Verification(Verdict.revoked)
    return Verification(
        Verdict.valid,
        name=person_name(enrollment),
        circle=enrollment.circle.title,
        course=enrollment.circle.course.title,
        completed_on=enrollment.completed_at,
        hours=hours(attended_seconds(enrollment.id, now)),
        timezone=enrollment.circle.timezone,
    )
