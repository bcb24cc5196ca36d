"""Demo data for `make run`: loads once, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.attendance.demo import load_renewals
from app.catalog.forms import CourseForm
from app.catalog.services import import_courses
from app.circles.services import CircleInput, ScheduleInput, create_circle
from app.demand.demo import load_interests
from app.evaluation.demo import load_evaluations
from app.extensions import db
from app.models import (
    Attendance,
    AttendanceStatus,
    Audience,
    Branch,
    Circle,
    CircleFormat,
    CircleStatus,
    Closure,
    Course,
    Credential,
    CredentialKind,
    Enrollment,
    EnrollmentStatus,
    Facilitation,
    FacilitatorRole,
    Meeting,
    MeetingStatus,
    OpeningHours,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Room,
    User,
    credential_key,
)
from app.participation.demo import load_waitlist
from app.pathways.demo import load_home_branches, load_pathways
from app.timeutil import utcnow

DEMO_PASSWORD = "learning-circles-demo"  # noqa: S105  (printed for demo logins)

USERS = [
    # email, name, admin, facilitator, manages (branch slugs)
    ("admin@example.org", "Alex Admin", True, False, []),
    ("manager@example.org", "Maria Manager", False, False, ["main-library"]),
    ("facilitator@example.org", "Frank Facilitator", False, True, []),
    ("carmen@example.org", "Carmen Cruz", False, True, ["coral-gables"]),
    ("participant@example.org", "Pat Participant", False, False, []),
]

# Every demo meeting fits these hours, on any open day (a meeting moved off a closure may land
# on a Saturday), so that each in-person or hybrid circle has a room booked for every meeting.
WEEKDAY_HOURS = (dt.time(9, 30), dt.time(18, 0))
SATURDAY_HOURS = (dt.time(10, 0), dt.time(17, 0))

BRANCHES = [
    # slug, name, address, rooms: (name, capacity, features)
    (
        "main-library",
        "Main Library",
        "101 W Flagler St, Miami, FL 33130",
        [
            ("Auditorium", 120, ["projector", "accessible", "hearing_loop"]),
            ("Computer Lab", 20, ["computers", "projector", "accessible"]),
            ("Meeting Room A", 12, ["whiteboard", "video_conferencing", "accessible"]),
        ],
    ),
    (
        "coral-gables",
        "Coral Gables Branch",
        "3443 Segovia St, Coral Gables, FL 33134",
        [
            ("Community Room", 40, ["projector", "accessible"]),
            ("Study Room 2", 6, ["whiteboard"]),
        ],
    ),
    (
        "north-dade",
        "North Dade Regional",
        "2455 NW 183rd St, Miami Gardens, FL 33056",
        [
            ("Program Room", 30, ["projector", "accessible", "video_conferencing"]),
            ("Training Lab", 16, ["computers", "accessible"]),
        ],
    ),
    (
        "kendall",
        "Kendall Branch",
        "9101 SW 97th Ave, Miami, FL 33176",
        [("Meeting Room", 25, ["projector", "accessible"])],
    ),
]

CLOSURES = [
    (dt.date(2026, 12, 24), "Christmas Eve"),
    (dt.date(2026, 12, 25), "Christmas Day"),
    (dt.date(2027, 1, 1), "New Year's Day"),
    (dt.date(2027, 1, 18), "Martin Luther King Jr. Day"),
    (dt.date(2027, 5, 31), "Memorial Day"),
]


COURSES_CSV = Path(__file__).parent / "catalog" / "demo_courses.csv"

# title, course URL, branch slug, room, format, weekday, start, minutes, meetings, audience, lead
# (creating a circle with a room books it for every meeting: see WEEKDAY_HOURS)
CIRCLES = [
    (
        "Consumer Health Information Specialization (CHIS) circle",
        "https://www.medlib-ed.org/products/3407/chis-on-demand",
        "main-library",
        "Meeting Room A",
        CircleFormat.in_person,
        1,
        dt.time(15, 0),
        90,
        6,
        Audience.staff,
        "facilitator@example.org",
    ),
    (
        "Grant writing circle: the NNLM proposal toolkit",
        "https://www.nnlm.gov/guides/nnlm-proposal-writing-toolkit",
        "coral-gables",
        "Community Room",
        CircleFormat.hybrid,
        3,
        dt.time(10, 0),
        90,
        5,
        Audience.staff,
        "carmen@example.org",
    ),
    (
        "Leading People and Teams (emerging managers)",
        "https://www.coursera.org/specializations/leading-teams",
        "north-dade",
        None,
        CircleFormat.virtual,
        2,
        dt.time(12, 0),
        60,
        8,
        Audience.staff,
        "facilitator@example.org",
    ),
    (
        "Informática básica en español",
        "https://edu.gcfglobal.org/es/informatica-basica/",
        "north-dade",
        "Training Lab",
        CircleFormat.in_person,
        5,
        dt.time(10, 30),
        90,
        4,
        Audience.public,
        "facilitator@example.org",
    ),
]


WELCOME = "Welcome! Bring a laptop or borrow one from the branch."

# The circle held in Spanish is described in Spanish, for those it is for (the others take
# their course's description): title -> (description, welcome message).
IN_SPANISH = {
    "Informática básica en español": (
        "Un círculo en español para aprender juntos lo básico de la computadora: qué son el "
        "hardware y el software, cómo usar el ratón y el teclado, y cómo guardar y encontrar "
        "archivos. Seguimos el tutorial gratuito de GCFAprendeLibre, cada uno a su ritmo, y "
        "resolvemos las dudas en grupo. Para quien empieza y para quien ayuda a usuarios "
        "hispanohablantes en las computadoras públicas de la biblioteca.",
        "¡Bienvenidos! Traiga una computadora portátil o pida una prestada en la sucursal.",
    ),
}


def _get_or_add(model, where: dict, **values):
    row = db.session.scalar(sa.select(model).filter_by(**where))
    if row is None:
        row = model(**where, **values)
        db.session.add(row)
    return row


def _join_url(fmt: CircleFormat, slug: str) -> str:
    return "" if fmt == CircleFormat.in_person else f"https://meet.example.org/{slug}"


def load_demo() -> bool:
    """Insert what is missing; returns True when anything was added."""
    added = False
    branches: dict[str, Branch] = {}
    for slug, name, address, rooms in BRANCHES:
        if db.session.scalar(sa.select(Branch).filter_by(slug=slug)) is None:
            added = True
        branch = _get_or_add(
            Branch, {"slug": slug}, name=name, address=address, timezone="America/New_York"
        )
        db.session.flush()
        branches[slug] = branch
        if not branch.hours:
            for weekday in range(5):
                branch.hours.append(
                    OpeningHours(weekday=weekday, opens=WEEKDAY_HOURS[0], closes=WEEKDAY_HOURS[1])
                )
            branch.hours.append(
                OpeningHours(weekday=5, opens=SATURDAY_HOURS[0], closes=SATURDAY_HOURS[1])
            )
        for date, reason in CLOSURES:
            _get_or_add(Closure, {"branch_id": branch.id, "date": date}, reason=reason)
        for room_name, capacity, features in rooms:
            _get_or_add(
                Room,
                {"branch_id": branch.id, "name": room_name},
                capacity=capacity,
                features=features,
            )
    password_hash = None  # every demo account shares the demo password: hash it once
    for email, name, is_admin, is_facilitator, manages in USERS:
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if user is None:
            added = True
            user = User(email=email, name=name, is_admin=is_admin, is_facilitator=is_facilitator)
            if password_hash is None:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password_hash
            user.password_hash = password_hash
            user.managed_branches = [branches[slug] for slug in manages]
            db.session.add(user)
    db.session.flush()
    import_courses(COURSES_CSV.read_bytes(), CourseForm)
    added = _load_circles(branches) or added
    credentials, new_credentials = _load_credentials()
    added = new_credentials or added
    added = _load_history(branches, credentials) or added
    added = load_pathways() or added
    added = load_home_branches() or added
    added = load_evaluations() or added
    added = load_renewals() or added
    added = load_waitlist() or added  # after _load_history: its staff join the waitlist
    return load_interests() or added


def _load_circles(branches: dict[str, Branch]) -> bool:
    now = utcnow()
    added = False
    for title, url, slug, room_name, fmt, weekday, start, minutes, count, audience, lead in CIRCLES:
        if db.session.scalar(sa.select(Circle.id).filter_by(title=title)) is not None:
            continue
        branch = branches[slug]
        course = db.session.scalar(sa.select(Course).filter_by(url=url))
        room = db.session.scalar(sa.select(Room).filter_by(branch_id=branch.id, name=room_name))
        today = now.astimezone(ZoneInfo(branch.timezone)).date()
        first = today + dt.timedelta(days=7 + (weekday - today.weekday()) % 7)
        description, welcome = IN_SPANISH.get(title, (course.description, WELCOME))
        create_circle(
            CircleInput(
                course_id=course.id,
                branch_id=branch.id,
                room_id=room.id if room else None,
                format=fmt,
                join_url=_join_url(fmt, slug),
                title=title,
                description=description,
                welcome_message=welcome,
                capacity=min(12, room.capacity) if room else 12,
                signup_closes_on=None,
                audience=audience,
                publish=True,
            ),
            ScheduleInput(
                first_date=first,
                weekdays=[weekday],
                start_time=start,
                duration_minutes=minutes,
                meeting_count=count,
                explicit_dates="",
                timezone=branch.timezone,
                closure_policy="move",
            ),
            db.session.scalar(sa.select(User).filter_by(email=lead)),
            now,
        )
        added = True
    return added


# --- a past to report on: finished circles with attendance and outcomes -------------------------

STAFF = [
    "Ana Álvarez",
    "Ben Okafor",
    "Chen Wei",
    "Dolores Ruiz",
    "Ed Thompson",
    "Fatima Noor",
    "Gabriel Pérez",
    "Hannah Kim",
    "Iris Jean-Baptiste",
    "Jorge Castillo",
]

# title, course URL, branch, room, format, weekday, weeks ago it started, meetings,
# participants (indexes into STAFF), outcomes: (kind, title, per participant?, extra)
HISTORY = [
    (
        "CHIS cohort (spring)",
        "https://www.medlib-ed.org/products/3407/chis-on-demand",
        "main-library",
        "Meeting Room A",
        CircleFormat.in_person,
        1,
        34,
        6,
        [0, 1, 2, 3, 4, 5, 6, 7],
        [
            (OutcomeKind.credential, "NNLM CHIS Level 1", 6, {}),
            (OutcomeKind.credential, "NNLM CHIS Level 2", 1, {}),
        ],
    ),
    (
        "Grant writing cohort",
        "https://www.nnlm.gov/guides/nnlm-proposal-writing-toolkit",
        "coral-gables",
        "Community Room",
        CircleFormat.hybrid,
        3,
        30,
        5,
        [2, 5, 8, 9],
        [
            (
                OutcomeKind.grant,
                "Digital literacy lab for teens",
                0,
                {"amount_cents": 1_700_000, "funder": "Community foundation"},
            )
        ],
    ),
    (
        "Leading People and Teams (fall cohort)",
        "https://www.coursera.org/specializations/leading-teams",
        "north-dade",
        None,
        CircleFormat.virtual,
        2,
        14,
        8,
        [1, 3, 4, 6, 7, 9],
        [
            (OutcomeKind.promotion, "Promoted to branch supervisor", 2, {}),
            (OutcomeKind.certificate, "Coursera course certificate", 3, {}),
        ],
    ),
]


# The admin's list of credentials (name, kind, awarded by, CE hours). CHIS is the Medical
# Library Association's specialization, with free courses from NNLM: Level 1 takes 12 hours of
# approved CE, Level 2 takes 24.
CREDENTIALS = [
    ("NNLM CHIS Level 1", CredentialKind.credential, "Medical Library Association (MLA)", 12),
    ("NNLM CHIS Level 2", CredentialKind.credential, "Medical Library Association (MLA)", 24),
    ("WebJunction certificate", CredentialKind.certificate, "WebJunction (OCLC)", None),
    ("Coursera course certificate", CredentialKind.certificate, "Coursera", None),
]


def _load_credentials() -> tuple[dict[str, Credential], bool]:
    """The demo's credentials by name, and whether any was missing (they are matched as the
    list matches names, so an admin's "nnlm chis level 1" is not doubled)."""
    found, added = {}, False
    for name, kind, body, hours in CREDENTIALS:
        key = credential_key(name)
        added = added or db.session.scalar(sa.select(Credential.id).filter_by(name_key=key)) is None
        found[name] = _get_or_add(
            Credential,
            {"name_key": key},
            name=name,
            kind=kind,
            awarding_body=body,
            ce_hours=hours,
            active=True,
        )
    db.session.flush()
    return found, added


def _load_history(branches: dict[str, Branch], credentials: dict[str, Credential]) -> bool:
    """Circles that already ran, so that reports have something to show. Deterministic."""
    if db.session.scalar(sa.select(Circle.id).filter_by(title=HISTORY[0][0])) is not None:
        return False
    lead = db.session.scalar(sa.select(User).filter_by(email="facilitator@example.org"))
    password_hash = lead.password_hash  # every demo account shares the demo password
    staff = []
    for i, name in enumerate(STAFF):
        email = f"staff{i + 1:02d}@example.org"
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if user is None:
            user = User(email=email, name=name, password_hash=password_hash)
            db.session.add(user)
        staff.append(user)
    db.session.flush()
    today = utcnow().astimezone(ZoneInfo("America/New_York")).date()
    for title, url, slug, room_name, fmt, weekday, weeks_ago, count, people, outcomes in HISTORY:
        branch = branches[slug]
        course = db.session.scalar(sa.select(Course).filter_by(url=url))
        room = db.session.scalar(sa.select(Room).filter_by(branch_id=branch.id, name=room_name))
        first = today - dt.timedelta(weeks=weeks_ago)
        first += dt.timedelta(days=(weekday - first.weekday()) % 7)
        zone = ZoneInfo(branch.timezone)
        meetings = [
            Meeting(
                starts_at=dt.datetime.combine(
                    first + dt.timedelta(weeks=w), dt.time(15), tzinfo=zone
                ),
                ends_at=dt.datetime.combine(
                    first + dt.timedelta(weeks=w), dt.time(16, 30), tzinfo=zone
                ),
                status=MeetingStatus.scheduled,
            )
            for w in range(count)
        ]
        circle = Circle(
            title=title,
            description=course.description,
            course=course,
            branch=branch,
            room=room,
            format=fmt,
            join_url=_join_url(fmt, slug),
            timezone=branch.timezone,
            capacity=12,
            audience=Audience.staff,
            status=CircleStatus.completed,
            completion_min_meetings=count - 2,
            meetings=meetings,
            facilitations=[Facilitation(user=lead, role=FacilitatorRole.lead)],
            created_by_id=lead.id,
        )
        db.session.add(circle)
        db.session.flush()
        enrollments = []
        for n, index in enumerate(people):
            user = staff[index]
            # Everyone came, except a missed week here and there (and the last one dropped out).
            present, absent = AttendanceStatus.present, AttendanceStatus.absent
            marks = [present if (n + w) % 5 else absent for w in range(count)]
            if n == len(people) - 1:
                marks = [present] + [absent] * (count - 1)
            attended = marks.count(present)
            done = attended >= count - 2
            enrollment = Enrollment(
                circle_id=circle.id,
                user_id=user.id,
                name=user.name,
                email=user.email,
                status=EnrollmentStatus.completed if done else EnrollmentStatus.enrolled,
                enrolled_at=meetings[0].starts_at - dt.timedelta(days=10),
                completed_at=meetings[-1].ends_at if done else None,
            )
            db.session.add(enrollment)
            db.session.flush()
            enrollments.append(enrollment)
            for meeting, mark in zip(meetings, marks, strict=True):
                db.session.add(
                    Attendance(meeting_id=meeting.id, enrollment_id=enrollment.id, status=mark)
                )
        circle.enrolled_count = len(enrollments)
        achieved = (meetings[-1].starts_at + dt.timedelta(weeks=3)).date()
        for kind, outcome_title, per_person, extra in outcomes:
            targets = [e.id for e in enrollments[:per_person]] if per_person else [None]
            credential = credentials.get(outcome_title)
            if credential is not None and credential.ce_hours is not None:
                extra = {"ce_hours": credential.ce_hours, **extra}
            for enrollment_id in targets:
                db.session.add(
                    Outcome(
                        circle_id=circle.id,
                        enrollment_id=enrollment_id,
                        kind=kind,
                        credential=credential,
                        title=outcome_title,
                        achieved_on=min(achieved, today),
                        status=OutcomeStatus.confirmed,
                        confirmed_by_id=lead.id,
                        **extra,
                    )
                )
    db.session.flush()
    return True
