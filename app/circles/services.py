"""Circle rules: creation from a plan (the wizard's preview and the save run the same
code), edits, publishing, cancelling and completing. Meetings, facilitators and lists have
their own modules beside this one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from app.circles import planning
from app.circles.clashes import Clash, clash_message, facilitator_clashes
from app.circles.meetings import future_meetings, refresh_weekdays, require_live
from app.circles.schedule import Plan, PlannedMeeting
from app.demand import services as demand
from app.extensions import db
from app.models import (
    Branch,
    Circle,
    CircleFormat,
    CircleStatus,
    Course,
    Facilitation,
    FacilitatorRole,
    Meeting,
    MeetingStatus,
    Room,
    User,
)
from app.participation import notifications as participation_notifications
from app.participation import services as participation
from app.rooms import bookings, circle_bookings
from app.rules import RuleViolation
from app.timeutil import to_utc, utcnow

MAX_CAPACITY = 500


@dataclass(frozen=True)
class ScheduleInput:
    first_date: dt.date | None
    weekdays: Sequence[int]
    start_time: dt.time
    duration_minutes: int
    meeting_count: int | None
    explicit_dates: str
    timezone: str
    closure_policy: str


@dataclass(frozen=True)
class CircleInput:
    course_id: int
    branch_id: int
    room_id: int | None
    format: str
    join_url: str
    title: str
    description: str
    welcome_message: str
    capacity: int
    signup_closes_on: dt.date | None
    audience: str
    publish: bool
    ask_goals: bool = False
    custom_question: str = ""
    self_checkin: bool = False
    completion_min_meetings: int | None = None


def check_seats(data: CircleInput, room: Room | None) -> None:
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise RuleViolation(_("Between 1 and %(max)d seats.", max=MAX_CAPACITY), "capacity")
    if room is not None and data.format != CircleFormat.virtual and data.capacity > room.capacity:
        raise RuleViolation(
            _("%(room)s seats %(seats)d.", room=room.name, seats=room.capacity), "capacity"
        )


def _signup_close(data: CircleInput, tz: str, first_start: dt.datetime) -> dt.datetime | None:
    if data.signup_closes_on is None:
        return None
    closes = to_utc(data.signup_closes_on + dt.timedelta(days=1), dt.time(0), tz)
    if closes <= utcnow():
        raise RuleViolation(_("The sign-up deadline has passed."), "signup_closes_on")
    if closes - first_start > dt.timedelta(days=366):
        raise RuleViolation(_("Sign-up must close before the circle ends."), "signup_closes_on")
    return closes


@dataclass(frozen=True)
class Preview:
    """What creating a circle would do: its place, its meetings (with moves and skips), the
    warnings about their times, the meetings its room cannot take and the creator's clashes.
    The wizard's review shows it; creating runs the same code."""

    course: Course
    branch: Branch
    room: Room | None
    plan: Plan
    clashes: list[Clash]
    warnings: list[str] = field(default_factory=list)
    unbooked: list[tuple[PlannedMeeting, str]] = field(default_factory=list)


def preview_circle(
    data: CircleInput, schedule: ScheduleInput, creator: User, now: dt.datetime
) -> Preview:
    where = planning.check_where_and_when(data, schedule, now)
    check_seats(data, where.room)
    intervals = [(m.starts_at, m.ends_at) for m in where.plan.meetings]
    return Preview(
        where.course,
        where.branch,
        where.room,
        where.plan,
        facilitator_clashes([creator.id], intervals),
        where.warnings,
        where.unbooked,
    )


def create_circle(
    data: CircleInput,
    schedule: ScheduleInput,
    creator: User,
    now: dt.datetime,
    *,
    book_room: bool = True,
) -> Circle:
    """Create the circle and its meetings and, when a room was picked for a circle that meets
    in the branch, book it for every meeting it is free for (in the same transaction: a
    circle created with a room has it, except for the meetings the review named)."""
    preview = preview_circle(data, schedule, creator, now)
    course, branch, room, plan = preview.course, preview.branch, preview.room, preview.plan
    if preview.clashes:
        raise RuleViolation(clash_message(preview.clashes, schedule.timezone), "first_date")
    circle = Circle(
        title=data.title or course.title,
        description=data.description,
        welcome_message=data.welcome_message,
        course=course,
        branch=branch,
        room=room,
        format=data.format,
        join_url=data.join_url,
        timezone=schedule.timezone,
        capacity=data.capacity,
        signup_closes_at=_signup_close(data, schedule.timezone, plan.meetings[0].starts_at),
        audience=data.audience,
        ask_goals=data.ask_goals,
        custom_question=data.custom_question,
        status=CircleStatus.published if data.publish else CircleStatus.draft,
        created_by_id=creator.id,
    )
    circle.meetings = [
        Meeting(starts_at=m.starts_at, ends_at=m.ends_at, status=MeetingStatus.scheduled)
        for m in plan.meetings
    ]
    circle.facilitations = [Facilitation(user=creator, role=FacilitatorRole.lead)]
    refresh_weekdays(circle)
    db.session.add(circle)
    db.session.flush()
    if book_room and room is not None and data.format != CircleFormat.virtual:
        circle_bookings.book_circle(circle, room, circle.meetings, by=creator, all_or_nothing=False)
    demand.invite_interested(circle, now)  # when created published
    return circle


def update_circle(circle: Circle, data: CircleInput) -> None:
    require_live(circle)
    course, branch, room = planning.check_place(data)
    check_seats(data, room)
    if branch.id != circle.branch_id:
        raise RuleViolation(
            _("A circle cannot move to another branch; create a new one."), "branch_id"
        )
    place_changed = (room.id if room else None) != circle.room_id or data.format != circle.format
    first = next(iter(circle.scheduled_meetings), None)
    circle.course = course
    circle.room = room
    circle.format = data.format
    circle.join_url = data.join_url
    circle.title = data.title or course.title
    circle.description = data.description
    circle.welcome_message = data.welcome_message
    if data.capacity < circle.enrolled_count:
        raise RuleViolation(
            ngettext(
                "%(num)d person is enrolled: the circle needs at least that many seats.",
                "%(num)d people are enrolled: the circle needs at least that many seats.",
                circle.enrolled_count,
            ),
            "capacity",
        )
    more_seats = data.capacity > circle.capacity
    circle.capacity = data.capacity
    circle.audience = data.audience
    circle.ask_goals = data.ask_goals
    circle.custom_question = data.custom_question
    circle.self_checkin = data.self_checkin
    meeting_count = len(circle.scheduled_meetings)
    if data.completion_min_meetings is not None and not (
        1 <= data.completion_min_meetings <= meeting_count
    ):
        raise RuleViolation(
            _("Between 1 and %(count)d (the number of meetings).", count=meeting_count),
            "completion_min_meetings",
        )
    circle.completion_min_meetings = data.completion_min_meetings
    circle.signup_closes_at = _signup_close(
        data, circle.timezone, first.starts_at if first else utcnow()
    )
    if place_changed:
        for meeting in future_meetings(circle):
            meeting.changed()
    db.session.flush()
    if more_seats:
        participation.fill_seats(circle, utcnow())


def publish(circle: Circle) -> None:
    if circle.status != CircleStatus.draft:
        raise RuleViolation(_("Only a draft can be published."))
    if not future_meetings(circle):
        raise RuleViolation(_("Add a meeting in the future before publishing."))
    circle.status = CircleStatus.published
    db.session.flush()
    demand.invite_interested(circle, utcnow())


def cancel_circle(circle: Circle) -> list[Meeting]:
    """Cancel the circle and every meeting still to come; returns those meetings."""
    require_live(circle)
    circle.status = CircleStatus.cancelled
    cancelled = future_meetings(circle)
    for meeting in cancelled:
        meeting.status = MeetingStatus.cancelled
        meeting.changed()
        bookings.release_meeting(meeting)
    db.session.flush()
    participation_notifications.circle_cancelled(circle)
    return cancelled


def complete_circle(circle: Circle) -> None:
    meetings = circle.scheduled_meetings
    if circle.status != CircleStatus.published or not meetings:
        raise RuleViolation(_("Only a running circle can be completed."))
    if meetings[-1].starts_at > utcnow():
        raise RuleViolation(_("A circle is completed after its last meeting has started."))
    circle.status = CircleStatus.completed
    db.session.flush()
