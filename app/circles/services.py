"""Circle rules: creation from a plan, edits, meetings, facilitators, clash detection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _

from app.circles.schedule import (
    MAX_MEETINGS,
    Plan,
    parse_dates,
    plan_meetings,
    weekly_dates,
)
from app.extensions import db
from app.models import (
    AuditEvent,
    Branch,
    Circle,
    CircleFormat,
    CircleStatus,
    Course,
    Facilitation,
    Meeting,
    MeetingStatus,
    Room,
    User,
)
from app.participation import notifications as participation_notifications
from app.participation import services as participation
from app.places import branch_calendar, check_open
from app.querying import contains
from app.rooms import bookings
from app.rules import RuleViolation, unique_or_violation
from app.timeutil import is_timezone, to_utc, utcnow

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


@dataclass(frozen=True)
class Clash:
    circle_title: str
    circle_id: int
    starts_at: dt.datetime
    user_name: str


def plan_schedule(branch: Branch, schedule: ScheduleInput, now: dt.datetime) -> Plan:
    if not is_timezone(schedule.timezone):
        raise RuleViolation(_("Choose a time zone from the list."), "timezone")
    if schedule.explicit_dates.strip():
        dates: Iterable[dt.date] = parse_dates(schedule.explicit_dates)
        count = None
    else:
        if schedule.first_date is None:
            raise RuleViolation(_("Enter the date of the first meeting."), "first_date")
        if not schedule.meeting_count:
            raise RuleViolation(
                _("Between 1 and %(max)d meetings.", max=MAX_MEETINGS), "meeting_count"
            )
        dates = weekly_dates(schedule.first_date, schedule.weekdays)
        count = schedule.meeting_count
    plan = plan_meetings(
        dates,
        count=count,
        start_time=schedule.start_time,
        duration=dt.timedelta(minutes=schedule.duration_minutes),
        tz=schedule.timezone,
        calendar=branch_calendar(branch),
        on_closure=schedule.closure_policy,
    )
    field = "explicit_dates" if schedule.explicit_dates.strip() else "first_date"
    if plan.meetings[0].starts_at <= now:
        raise RuleViolation(_("The first meeting must be in the future."), field)
    _check_horizon(plan.meetings[-1].ends_at, field)
    return plan


def _check_horizon(ends: dt.datetime, field: str) -> None:
    """Meetings are planned no further ahead than rooms can be booked."""
    if ends > bookings.horizon_end():
        raise RuleViolation(
            _(
                "Meetings can be planned up to %(days)d days ahead.",
                days=current_app.config["BOOKING_HORIZON_DAYS"],
            ),
            field,
        )


def facilitator_clashes(
    user_ids: Iterable[int],
    intervals: Sequence[tuple[dt.datetime, dt.datetime]],
    exclude_circle_id: int | None = None,
) -> list[Clash]:
    """Scheduled meetings of other live circles, led or co-led by these people, that overlap."""
    if not intervals:
        return []
    overlaps = sa.or_(
        *(sa.and_(Meeting.starts_at < end, Meeting.ends_at > start) for start, end in intervals)
    )
    query = (
        sa.select(Circle.title, Circle.id, Meeting.starts_at, User.name)
        .join(Meeting, Meeting.circle_id == Circle.id)
        .join(Facilitation, Facilitation.circle_id == Circle.id)
        .join(User, User.id == Facilitation.user_id)
        .where(
            Facilitation.user_id.in_(list(user_ids)),
            Meeting.status == MeetingStatus.scheduled,
            Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            overlaps,
        )
        .order_by(Meeting.starts_at)
    )
    if exclude_circle_id is not None:
        query = query.where(Circle.id != exclude_circle_id)
    return [Clash(*row) for row in db.session.execute(query)]


def clash_message(clashes: list[Clash], tz: str) -> str:
    first = clashes[0]
    when = first.starts_at.astimezone(ZoneInfo(tz)).strftime("%a %d %b %Y %H:%M")
    message = _(
        "%(name)s already facilitates “%(circle)s” at %(when)s.",
        name=first.user_name,
        circle=first.circle_title,
        when=when,
    )
    if len(clashes) > 1:
        message += " " + _("(%(count)d clashing meetings in all.)", count=len(clashes))
    return message


def check_place(data: CircleInput) -> tuple[Course, Branch, Room | None]:
    course = db.session.get(Course, data.course_id)
    if course is None or course.retired:
        raise RuleViolation(_("Choose a course from the catalogue."), "course_id")
    branch = db.session.get(Branch, data.branch_id)
    if branch is None:
        raise RuleViolation(_("Choose a branch."), "branch_id")
    room = db.session.get(Room, data.room_id) if data.room_id else None
    if data.room_id and (room is None or room.branch_id != branch.id):
        raise RuleViolation(_("Choose a room of this branch."), "room_id")
    if data.format != CircleFormat.in_person and not data.join_url:
        raise RuleViolation(_("Online and hybrid circles need a join link."), "join_url")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise RuleViolation(_("Between 1 and %(max)d seats.", max=MAX_CAPACITY), "capacity")
    if room is not None and data.format != CircleFormat.virtual and data.capacity > room.capacity:
        raise RuleViolation(
            _("%(room)s seats %(seats)d.", room=room.name, seats=room.capacity), "capacity"
        )
    return course, branch, room


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
    """What creating a circle would do: its place, its meetings (with moves and skips) and
    the creator's clashes. The wizard's review shows it; creating runs the same code."""

    course: Course
    branch: Branch
    room: Room | None
    plan: Plan
    clashes: list[Clash]


def preview_circle(
    data: CircleInput, schedule: ScheduleInput, creator: User, now: dt.datetime
) -> Preview:
    course, branch, room = check_place(data)
    plan = plan_schedule(branch, schedule, now)
    intervals = [(m.starts_at, m.ends_at) for m in plan.meetings]
    return Preview(course, branch, room, plan, facilitator_clashes([creator.id], intervals))


def create_circle(
    data: CircleInput, schedule: ScheduleInput, creator: User, now: dt.datetime
) -> Circle:
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
    circle.facilitations = [Facilitation(user=creator, role="lead")]
    refresh_weekdays(circle)
    db.session.add(circle)
    db.session.flush()
    return circle


def update_circle(circle: Circle, data: CircleInput) -> None:
    _require_live(circle)
    course, branch, room = check_place(data)
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
            _(
                "%(count)d people are enrolled: the circle needs at least that many seats.",
                count=circle.enrolled_count,
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


def refresh_weekdays(circle: Circle) -> None:
    zone = ZoneInfo(circle.timezone)
    mask = 0
    for meeting in circle.scheduled_meetings:
        mask |= 1 << meeting.starts_at.astimezone(zone).weekday()
    circle.weekday_mask = mask


def future_meetings(circle: Circle) -> list[Meeting]:
    now = utcnow()
    return [m for m in circle.scheduled_meetings if m.starts_at > now]


def _require_live(circle: Circle) -> None:
    if circle.status in (CircleStatus.cancelled, CircleStatus.completed):
        raise RuleViolation(
            _("This circle is %(state)s and can no longer change.", state=_(circle.status))
        )


def publish(circle: Circle) -> None:
    if circle.status != CircleStatus.draft:
        raise RuleViolation(_("Only a draft can be published."))
    if not future_meetings(circle):
        raise RuleViolation(_("Add a meeting in the future before publishing."))
    circle.status = CircleStatus.published
    db.session.flush()


def cancel_circle(circle: Circle) -> list[Meeting]:
    """Cancel the circle and every meeting still to come; returns those meetings."""
    _require_live(circle)
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


def _check_meeting_time(
    circle: Circle, day: dt.date, at: dt.time, minutes: int, exclude: Meeting | None
) -> tuple[dt.datetime, dt.datetime]:
    if not 1 <= minutes <= 8 * 60:
        raise RuleViolation(_("A meeting lasts between 1 minute and 8 hours."), "duration_minutes")
    starts = to_utc(day, at, circle.timezone)
    if starts <= utcnow():
        raise RuleViolation(_("Choose a time in the future."), "date")
    check_open(circle.branch, day)
    ends = starts + dt.timedelta(minutes=minutes)
    _check_horizon(ends, "date")
    for other in circle.scheduled_meetings:
        if other is not exclude and other.starts_at < ends and other.ends_at > starts:
            raise RuleViolation(_("The circle already meets at that time."), "date")
    clashes = [
        c
        for c in facilitator_clashes([f.user_id for f in circle.facilitations], [(starts, ends)])
        if c.circle_id != circle.id
    ]
    if clashes:
        raise RuleViolation(clash_message(clashes, circle.timezone), "date")
    return starts, ends


def add_meeting(circle: Circle, day: dt.date, at: dt.time, minutes: int) -> Meeting:
    _require_live(circle)
    if len(circle.scheduled_meetings) >= MAX_MEETINGS:
        raise RuleViolation(_("Between 1 and %(max)d meetings.", max=MAX_MEETINGS))
    starts, ends = _check_meeting_time(circle, day, at, minutes, exclude=None)
    meeting = Meeting(circle=circle, starts_at=starts, ends_at=ends, status=MeetingStatus.scheduled)
    db.session.add(meeting)
    refresh_weekdays(circle)
    db.session.flush()
    return meeting


def reschedule_meeting(meeting: Meeting, day: dt.date, at: dt.time, minutes: int) -> None:
    _require_live(meeting.circle)
    if meeting.status != MeetingStatus.scheduled:
        raise RuleViolation(_("A cancelled meeting cannot be moved; add a new one."))
    if meeting.starts_at <= utcnow():
        raise RuleViolation(_("This meeting has already started."))
    starts, ends = _check_meeting_time(meeting.circle, day, at, minutes, exclude=meeting)
    meeting.starts_at, meeting.ends_at = starts, ends
    meeting.changed()
    bookings.follow_meeting(meeting)
    refresh_weekdays(meeting.circle)
    db.session.flush()
    participation_notifications.meeting_changed(meeting, "moved")


def cancel_meeting(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.scheduled:
        raise RuleViolation(_("This meeting is already cancelled."))
    if meeting.starts_at <= utcnow():
        raise RuleViolation(_("This meeting has already started."))
    meeting.status = MeetingStatus.cancelled
    meeting.changed()
    bookings.release_meeting(meeting)
    refresh_weekdays(meeting.circle)
    db.session.flush()
    participation_notifications.meeting_changed(meeting, "cancelled")


# --- facilitators ----------------------------------------------------------------------------


def audit(actor: User | None, action: str, subject: str, detail: str) -> None:
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None, action=action, subject=subject, detail=detail
        )
    )


def assign_facilitator(circle: Circle, user: User, *, actor: User, override: bool = False) -> None:
    _require_live(circle)
    if not (user.is_facilitator and user.active):
        raise RuleViolation(_("%(name)s is not a facilitator.", name=user.name), "user_id")
    if any(f.user_id == user.id for f in circle.facilitations):
        raise RuleViolation(
            _("%(name)s already facilitates this circle.", name=user.name), "user_id"
        )
    intervals = [(m.starts_at, m.ends_at) for m in future_meetings(circle)]
    clashes = facilitator_clashes([user.id], intervals, exclude_circle_id=circle.id)
    if clashes and not override:
        raise RuleViolation(clash_message(clashes, circle.timezone), "user_id")
    # Two managers (or one double click) may assign the same person at once.
    with unique_or_violation(
        _("%(name)s already facilitates this circle.", name=user.name), "user_id"
    ):
        circle.facilitations.append(Facilitation(user=user, role="co"))
    if clashes:
        audit(
            actor,
            "facilitator.clash_override",
            f"circle:{circle.id}",
            clash_message(clashes, circle.timezone),
        )
    audit(actor, "facilitator.assign", f"circle:{circle.id}", f"user:{user.id}")
    db.session.flush()


def remove_facilitator(circle: Circle, user_id: int, *, actor: User) -> None:
    facilitation = next((f for f in circle.facilitations if f.user_id == user_id), None)
    if facilitation is None:
        raise RuleViolation(_("That person does not facilitate this circle."))
    if facilitation.role == "lead":
        raise RuleViolation(_("Hand the circle to someone else before removing its lead."))
    circle.facilitations.remove(facilitation)
    audit(actor, "facilitator.remove", f"circle:{circle.id}", f"user:{user_id}")
    db.session.flush()


def hand_over(circle: Circle, new_lead_id: int, *, actor: User) -> None:
    """Make a co-facilitator the lead; the old lead stays on as a co-facilitator."""
    _require_live(circle)
    new = next((f for f in circle.facilitations if f.user_id == new_lead_id), None)
    if new is None or new.role == "lead":
        raise RuleViolation(_("Choose one of the circle's co-facilitators."), "user_id")
    old = next(f for f in circle.facilitations if f.role == "lead")
    old.role = "co"
    db.session.flush()  # the one-lead index must never see two leads
    new.role = "lead"
    audit(
        actor,
        "facilitator.hand_over",
        f"circle:{circle.id}",
        f"user:{old.user_id}->user:{new_lead_id}",
    )
    db.session.flush()


def facilitator_candidates(circle: Circle) -> list[User]:
    taken = {f.user_id for f in circle.facilitations}
    users = db.session.scalars(
        sa.select(User).where(User.is_facilitator, User.active).order_by(User.name)
    )
    return [u for u in users if u.id not in taken]


# --- lists -----------------------------------------------------------------------------------


def list_circles(viewer: User, now: dt.datetime, **filters) -> sa.Select[tuple[Circle]]:
    """Published circles still to meet, that the viewer may see, with the page's filters."""
    still_meeting = (
        sa.select(Meeting.id)
        .where(
            Meeting.circle_id == Circle.id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at > now,
        )
        .exists()
    )
    query = (
        sa.select(Circle)
        .join(Course, Course.id == Circle.course_id)
        .where(Circle.status == CircleStatus.published, still_meeting)
        .options(
            so.selectinload(Circle.meetings),
            so.joinedload(Circle.branch),
            so.joinedload(Circle.course),
        )
    )
    if not viewer.is_authenticated:
        query = query.where(Circle.audience == "public")
    if filters.get("q"):
        query = query.where(contains(filters["q"], Circle.title, Course.title))
    if filters.get("branch"):
        query = query.where(Circle.branch_id == filters["branch"])
    if filters.get("skill_area"):
        query = query.where(Course.skill_area == filters["skill_area"])
    if filters.get("format"):
        query = query.where(Circle.format == filters["format"])
    if filters.get("language"):
        query = query.where(Course.language == filters["language"])
    if filters.get("weekday") is not None:
        query = query.where(Circle.weekday_mask.op("&")(1 << filters["weekday"]) != 0)
    if filters.get("open_seats"):
        query = query.where(Circle.enrolled_count < Circle.capacity)
    first_meeting = (
        sa.select(sa.func.min(Meeting.starts_at))
        .where(Meeting.circle_id == Circle.id, Meeting.status == MeetingStatus.scheduled)
        .scalar_subquery()
    )
    return query.order_by(first_meeting, Circle.id)


def circles_of(user: User) -> sa.Select[tuple[Circle]]:
    return (
        sa.select(Circle)
        .join(Facilitation)
        .where(Facilitation.user_id == user.id)
        .options(so.selectinload(Circle.meetings), so.selectinload(Circle.facilitations))
        .order_by(Circle.id.desc())
    )


def upcoming_meetings_of(user: User, now: dt.datetime, limit: int = 10) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Facilitation, Facilitation.circle_id == Meeting.circle_id)
            .join(Circle, Circle.id == Meeting.circle_id)
            .where(
                Facilitation.user_id == user.id,
                Meeting.status == MeetingStatus.scheduled,
                Meeting.ends_at > now,
                Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            )
            .options(so.joinedload(Meeting.circle))
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    )


def workload(user: User, now: dt.datetime, months: int = 6) -> list[tuple[str, int]]:
    """Scheduled meetings per month for the next few months, in the user's time zone."""
    zone = ZoneInfo(user.timezone)
    start = now.astimezone(zone).date().replace(day=1)
    keys = []
    day = start
    for _i in range(months):
        keys.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    # Plain combine, not to_utc: midnight may not exist in a few zones, and a bound is enough.
    end = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    starts = db.session.scalars(
        sa.select(Meeting.starts_at)
        .join(Facilitation, Facilitation.circle_id == Meeting.circle_id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(
            Facilitation.user_id == user.id,
            Meeting.status == MeetingStatus.scheduled,
            Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            Meeting.starts_at >= dt.datetime.combine(start, dt.time(0), tzinfo=zone),
            Meeting.starts_at < end,
        )
    )
    counts = dict.fromkeys(keys, 0)
    for s in starts:
        counts[s.astimezone(zone).strftime("%Y-%m")] += 1
    return list(counts.items())
