"""The rules of evaluation: when a circle's survey is open, who may answer it (once), the
invitations to answer, the wrap-up and reflections, and the figures shown from the answers.
No Flask requests here: views and the CLI call these."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from app.evaluation import notifications
from app.extensions import db
from app.labels import when
from app.models import (
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    MeetingStatus,
    SurveyAnswer,
    SurveyInvitation,
    User,
    WrapUp,
)
from app.rules import RuleViolation, unique_or_violation
from app.timeutil import UTCDateTime

# Places that may answer: those who held a seat to the end, or completed.
ANSWERING = (EnrollmentStatus.enrolled, EnrollmentStatus.completed)
# Circles that ran (a cancelled or draft circle has no survey).
RAN = (CircleStatus.published, CircleStatus.completed)


def window_days() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["EVALUATION_WINDOW_DAYS"])


@dataclass(frozen=True)
class Window:
    opens_at: dt.datetime
    closes_at: dt.datetime

    def is_open(self, now: dt.datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def window(circle: Circle) -> Window | None:
    """From the last scheduled meeting's start to EVALUATION_WINDOW_DAYS after its end;
    None for a circle that did not run or has no meetings."""
    last = circle.scheduled_meetings[-1] if circle.scheduled_meetings else None
    if last is None or circle.status not in RAN:
        return None
    return Window(last.starts_at, last.ends_at + window_days())


def has_ended(circle: Circle, now: dt.datetime) -> bool:
    last = circle.scheduled_meetings[-1] if circle.scheduled_meetings else None
    return circle.status in RAN and last is not None and last.ends_at <= now


def place_of(circle: Circle, user: User) -> Enrollment | None:
    """The signed-in person's place that may answer (matched by email, as joining does)."""
    return db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.circle_id == circle.id,
            Enrollment.email == user.email,
            Enrollment.status.in_(ANSWERING),
        )
    )


# --- guests' survey links -------------------------------------------------------------------
# A guest (no account) answers through a link of their own: the place's id and a fingerprint
# of its email, signed with SECRET_KEY under a salt of its own (no other signed link passes
# for one). Not the guest's manage link: only that link's hash is kept, so the invitation could
# carry it only by issuing a new one, which would end the link the guest already holds; and a
# forwarded survey link should answer the survey, not give away the place (leaving the circle).
# It has no age limit of its own: the survey's window (which moves with the meetings) is when
# it stops working, and the page then says when the survey closed.
SURVEY_LINK_SALT = "end-of-circle-survey"


class BadSurveyLink(Exception):
    """Not a survey link we signed (altered, cut short, made up) or its place is gone."""


def _survey_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SURVEY_LINK_SALT)


def _fingerprint(enrollment: Enrollment) -> str:
    return hashlib.sha256(enrollment.email.lower().encode()).hexdigest()[:16]


def survey_token(enrollment: Enrollment) -> str:
    return _survey_serializer().dumps([enrollment.id, _fingerprint(enrollment)])


def place_for_survey_token(token: str) -> Enrollment:
    """The place a guest's survey link names, whatever its status now (the view asks
    ``answering``); ``BadSurveyLink`` if the link was altered or the place is gone."""
    try:
        enrollment_id, fingerprint = _survey_serializer().loads(token[:500])
        enrollment = db.session.get(Enrollment, int(enrollment_id))
    except (BadSignature, TypeError, ValueError):
        raise BadSurveyLink from None
    if enrollment is None or _fingerprint(enrollment) != fingerprint:
        raise BadSurveyLink
    return enrollment


def answering(enrollment: Enrollment) -> Enrollment | None:
    """The place if it may answer (held to the end or completed); None if it was left."""
    return enrollment if enrollment.status in ANSWERING else None


def answer_of(enrollment: Enrollment) -> SurveyAnswer | None:
    return db.session.scalar(
        sa.select(SurveyAnswer).where(SurveyAnswer.enrollment_id == enrollment.id)
    )


def _already(answer: SurveyAnswer, tz: str) -> RuleViolation:
    return RuleViolation(
        _("You already answered on %(date)s.", date=when(answer.created_at, tz, "date")),
        conflict=True,
    )


def refusal(circle: Circle, enrollment: Enrollment | None, now: dt.datetime) -> str | None:
    """Why this person may not answer now, or None."""
    if enrollment is None:
        return _("Only the participants of this circle answer its survey.")
    span = window(circle)
    if span is None or now < span.opens_at:
        return _("The survey opens when the circle's last meeting begins.")
    if now >= span.closes_at:
        return _(
            "The survey closed on %(date)s.", date=when(span.closes_at, circle.timezone, "date")
        )
    return None


def answer(
    circle: Circle, enrollment: Enrollment | None, values: dict, now: dt.datetime, tz: str
) -> SurveyAnswer:
    """Save a participant's answer: once, inside the window."""
    if enrollment is not None and (earlier := answer_of(enrollment)) is not None:
        raise _already(earlier, tz)
    if (reason := refusal(circle, enrollment, now)) is not None:
        raise RuleViolation(reason)
    row = SurveyAnswer(enrollment_id=enrollment.id, circle_id=circle.id, created_at=now, **values)
    with unique_or_violation(_("You already answered this survey.")):  # two at once
        db.session.add(row)
    return row


def send_invitations(now: dt.datetime) -> int:
    """Email each participant once when their circle's survey opens: someone with an account
    (matched by email, as ``place_of`` does) is sent to the survey page behind sign-in, a
    guest gets a signed link of their own (``survey_token``). Safe to run every hour: what
    was sent is recorded and never sent again."""
    last = (
        sa.select(
            Meeting.circle_id,
            sa.func.max(Meeting.starts_at).label("starts_at"),
            sa.func.max(Meeting.ends_at).label("ends_at"),
        )
        .where(Meeting.status == MeetingStatus.scheduled)
        .group_by(Meeting.circle_id)
        .subquery()
    )
    due = db.session.execute(
        sa.select(Enrollment, User)
        .join(Circle, Circle.id == Enrollment.circle_id)
        .join(last, last.c.circle_id == Circle.id)
        .outerjoin(User, User.email == Enrollment.email)
        .outerjoin(SurveyInvitation, SurveyInvitation.enrollment_id == Enrollment.id)
        .outerjoin(SurveyAnswer, SurveyAnswer.enrollment_id == Enrollment.id)
        .where(
            Circle.status.in_(RAN),
            Enrollment.status.in_(ANSWERING),
            last.c.starts_at <= now,
            last.c.ends_at > now - window_days(),
            SurveyInvitation.enrollment_id.is_(None),
            SurveyAnswer.id.is_(None),
        )
        .order_by(Enrollment.id)
    ).all()
    for enrollment, user in due:
        db.session.add(SurveyInvitation(enrollment_id=enrollment.id, sent_at=now))
        span = window(enrollment.circle)
        if user is None:
            notifications.guest_invitation(enrollment, span, survey_token(enrollment))
        else:
            notifications.invitation(user, enrollment.circle, span)
    db.session.flush()
    return len(due)


# --- facilitators ------------------------------------------------------------------------


def save_wrap_up(circle: Circle, values: dict, by: User) -> WrapUp:
    wrap_up = db.session.get(WrapUp, circle.id) or WrapUp(circle_id=circle.id)
    for key, value in values.items():
        setattr(wrap_up, key, value)
    wrap_up.written_by_id = by.id
    db.session.add(wrap_up)
    db.session.flush()
    return wrap_up


def save_reflection(meeting: Meeting, text: str, now: dt.datetime) -> None:
    if meeting.starts_at > now:
        raise RuleViolation(_("Reflect on a meeting once it has begun."), "reflection")
    meeting.reflection = text.strip() or None


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    answers: int
    course_rating: float | None
    circle_rating: float | None
    goal_met_pct: int | None
    recommend_pct: int | None


def _pct(part, whole: int) -> int | None:
    return round(100 * (part or 0) / whole) if whole else None


def _figure_columns() -> tuple[sa.ColumnElement, ...]:
    return (
        sa.func.count(SurveyAnswer.id),
        sa.func.avg(SurveyAnswer.course_rating),
        sa.func.avg(SurveyAnswer.circle_rating),
        sa.func.sum(sa.case((SurveyAnswer.goal_met, 1), else_=0)),
        sa.func.sum(sa.case((SurveyAnswer.recommend, 1), else_=0)),
    )


def _figures_of(row: Sequence) -> Figures:
    count = row[0]
    return Figures(
        count,
        round(float(row[1]), 1) if count else None,
        round(float(row[2]), 1) if count else None,
        _pct(row[3], count),
        _pct(row[4], count),
    )


def figures(*where: sa.ColumnElement[bool]) -> Figures:
    """Aggregates of the answers matching ``where`` (one query)."""
    row = db.session.execute(
        sa.select(*_figure_columns())
        .join(Circle, Circle.id == SurveyAnswer.circle_id)
        .where(*where)
    ).one()
    return _figures_of(row)


@dataclass(frozen=True)
class CourseRecord:
    figures: Figures
    runs: int  # circles on the course that ended
    completed: int  # completions in them


@functools.cache
def _course_record_question() -> sa.Select:
    """Runs, completions and answers of ``course_id`` at ``now`` in one query, built once
    (the course page asks it on every request)."""
    course_id = sa.bindparam("course_id", type_=sa.Integer())
    ended = (
        sa.select(Meeting.circle_id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(
            Circle.course_id == course_id,
            Circle.status.in_(RAN),
            Meeting.status == MeetingStatus.scheduled,
        )
        .group_by(Meeting.circle_id)
        .having(sa.func.max(Meeting.ends_at) <= sa.bindparam("now", type_=UTCDateTime()))
        .subquery()
    )
    runs = sa.select(sa.func.count()).select_from(ended).scalar_subquery()
    completed = (
        sa.select(sa.func.count(Enrollment.id))
        .where(
            Enrollment.circle_id.in_(sa.select(ended.c.circle_id)),
            Enrollment.status == EnrollmentStatus.completed,
        )
        .scalar_subquery()
    )
    answers = (
        sa.select(*_figure_columns())
        .join(Circle, Circle.id == SurveyAnswer.circle_id)
        .where(Circle.course_id == course_id)
        .subquery()
    )
    return sa.select(runs, completed, *answers.c)


def course_record(course_id: int, now: dt.datetime) -> CourseRecord:
    row = db.session.execute(_course_record_question(), {"course_id": course_id, "now": now}).one()
    return CourseRecord(_figures_of(row[2:]), row[0] or 0, row[1] or 0)


def circle_answers(circle: Circle) -> list[SurveyAnswer]:
    return list(
        db.session.scalars(
            sa.select(SurveyAnswer)
            .where(SurveyAnswer.circle_id == circle.id)
            .order_by(SurveyAnswer.created_at)
        )
    )
