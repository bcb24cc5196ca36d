"""A demo circle with a long waitlist, so that an overflow cohort can be opened and its seats
offered: "Digital accessibility circle" (online, Coral Gables, led by Carmen Cruz), its four
seats taken and four more people waiting. Loads once (skipped when the circle exists)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.circles.services import CircleInput, ScheduleInput, create_circle
from app.extensions import db
from app.models import Audience, Branch, Circle, CircleFormat, Course, Enrollment, User
from app.models import EnrollmentStatus as Status
from app.timeutil import utcnow

TITLE = "Digital accessibility circle"
COURSE_URL = "https://www.w3.org/WAI/courses/foundations-course/"
ENROLLED = ["staff06", "staff07", "staff08", "staff09"]
WAITING = ["staff10", "staff02", "staff03", "staff04"]  # in waitlist order


def load_waitlist() -> bool:
    if db.session.scalar(sa.select(Circle.id).filter_by(title=TITLE)) is not None:
        return False
    branch = db.session.scalar(sa.select(Branch).filter_by(slug="coral-gables"))
    course = db.session.scalar(sa.select(Course).filter_by(url=COURSE_URL))
    lead = db.session.scalar(sa.select(User).filter_by(email="carmen@example.org"))
    people = {
        u.email.split("@")[0]: u
        for u in db.session.scalars(sa.select(User).where(User.email.like("staff%@example.org")))
    }
    if None in (branch, course, lead) or not set(ENROLLED + WAITING) <= set(people):
        return False
    now = utcnow()
    today = now.astimezone(ZoneInfo(branch.timezone)).date()
    circle = create_circle(
        CircleInput(
            course_id=course.id,
            branch_id=branch.id,
            room_id=None,
            format=CircleFormat.virtual,
            join_url="https://meet.example.org/coral-gables-accessibility",
            title=TITLE,
            description=course.description,
            welcome_message="Welcome! We meet online; bring a web page you look after.",
            capacity=len(ENROLLED),
            signup_closes_on=None,
            audience=Audience.staff,
            publish=True,
        ),
        ScheduleInput(
            first_date=today + dt.timedelta(days=7 + (0 - today.weekday()) % 7),
            weekdays=[0],
            start_time=dt.time(14, 0),
            duration_minutes=60,
            meeting_count=6,
            explicit_dates="",
            timezone=branch.timezone,
            closure_policy="move",
        ),
        lead,
        now,
    )
    # Places written as they stand (no "you are in" emails for demo people).
    for n, key in enumerate(ENROLLED + WAITING):
        user, waiting = people[key], key in WAITING
        db.session.add(
            Enrollment(
                circle_id=circle.id,
                user_id=user.id,
                name=user.name,
                email=user.email,
                status=Status.waitlisted if waiting else Status.enrolled,
                waitlist_seq=WAITING.index(key) + 1 if waiting else None,
                enrolled_at=None if waiting else now - dt.timedelta(days=10 - n),
            )
        )
    circle.enrolled_count = len(ENROLLED)
    circle.waitlist_next = len(WAITING)
    db.session.flush()
    return True
