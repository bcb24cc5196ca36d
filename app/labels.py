"""Human labels for the domain's codes, in one place for forms, filters and pages."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton, get_time_format
from flask_babel import get_locale
from wtforms.fields.choices import SelectChoice

from app.i18n import lazy_gettext as _l  # read on every page: the quicker lookup
from app.models import (
    AttendanceStatus,
    Audience,
    CareerStage,
    CircleFormat,
    CircleStatus,
    CourseFormat,
    EnrollmentStatus,
    OutcomeKind,
    SkillArea,
)
from app.timeutil import zone_name

SKILL_AREAS = {
    SkillArea.management: _l("Management"),
    SkillArea.collection_management: _l("Collection management"),
    SkillArea.programming: _l("Programming"),
    SkillArea.outreach: _l("Outreach"),
    SkillArea.technology: _l("Technology"),
    SkillArea.customer_service: _l("Customer service"),
    SkillArea.health_information: _l("Health information"),
    SkillArea.grant_writing: _l("Grant writing"),
    SkillArea.leadership: _l("Leadership"),
    SkillArea.digital_literacy: _l("Digital literacy"),
}

CAREER_STAGES = {
    CareerStage.new_staff: _l("New staff"),
    CareerStage.emerging_managers: _l("Emerging managers"),
    CareerStage.experienced_staff: _l("Experienced staff"),
    CareerStage.all: _l("Every stage"),
}

COURSE_FORMATS = {
    CourseFormat.self_paced: _l("Self-paced"),
    CourseFormat.scheduled: _l("Scheduled (runs on set dates)"),
    CourseFormat.on_demand_video: _l("On-demand video"),
}

COURSE_LANGUAGES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ht": "Kreyòl ayisyen",
    "pt": "Português",
    "zh": "中文",
}

CIRCLE_FORMATS = {
    CircleFormat.in_person: _l("In person"),
    CircleFormat.virtual: _l("Online"),
    CircleFormat.hybrid: _l("Hybrid (in person and online)"),
}

AUDIENCES = {
    Audience.staff: _l("Library staff (signed in)"),
    Audience.public: _l("Anyone (public)"),
}

CIRCLE_STATES = {
    CircleStatus.draft: _l("Draft"),
    CircleStatus.published: _l("Open"),
    CircleStatus.in_progress: _l("In progress"),
    CircleStatus.completed: _l("Completed"),
    CircleStatus.cancelled: _l("Cancelled"),
}

ATTENDANCE_STATUSES = {
    AttendanceStatus.present: _l("Present"),
    AttendanceStatus.absent: _l("Absent"),
    AttendanceStatus.excused: _l("Excused"),
}

ENROLLMENT_STATUSES = {
    EnrollmentStatus.enrolled: _l("Enrolled"),
    EnrollmentStatus.waitlisted: _l("Waitlist"),
    EnrollmentStatus.withdrawn: _l("Withdrawn"),
    EnrollmentStatus.completed: _l("Completed"),
}

OUTCOME_KINDS = {
    OutcomeKind.credential: _l("Credential (with CE hours)"),
    OutcomeKind.certificate: _l("Course certificate"),
    OutcomeKind.grant: _l("Grant won"),
    OutcomeKind.promotion: _l("Promotion or new role"),
    OutcomeKind.other: _l("Other"),
}

# User.roles, as a page lists them ("administrator, facilitator").
ROLES = {
    "administrator": _l("administrator"),
    "branch manager": _l("branch manager"),
    "facilitator": _l("facilitator"),
    "participant": _l("participant"),
}

# A circle's or a place's status inside a sentence: "This circle is cancelled.", "Cole is
# waitlisted." (the labels above are headings and badges).
STATUS_WORDS = {
    "draft": _l("a draft"),
    "published": _l("published"),
    "in_progress": _l("in progress"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "enrolled": _l("enrolled"),
    "waitlisted": _l("waitlisted"),
    "withdrawn": _l("withdrawn"),
}


def status_word(code: str) -> str:
    return str(STATUS_WORDS.get(code, code))


WEEKDAY_NAMES = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]


def choices(labels: dict, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice(str(code), label) for code, label in labels.items()]
    return [SelectChoice("", blank), *options] if blank is not None else options


ALL_LABELS = {
    "skill_area": SKILL_AREAS,
    "career_stage": CAREER_STAGES,
    "course_format": COURSE_FORMATS,
    "language": COURSE_LANGUAGES,
    "circle_format": CIRCLE_FORMATS,
    "audience": AUDIENCES,
    "circle_state": CIRCLE_STATES,
    "attendance": ATTENDANCE_STATUSES,
    "enrollment": ENROLLMENT_STATUSES,
    "outcome_kind": OUTCOME_KINDS,
    "role": ROLES,
}


_DAYS = {"date": "yMMMEd", "day": "MMMEd"}


def when(
    value: dt.datetime | dt.date | dt.time, tz: str | None = None, pattern: str = "datetime"
) -> str:
    """The one way pages and emails show a moment, a day or a time of day, in the reader's
    language: "6:00 PM" in English, "18:00" in Spanish. ``value`` is a UTC instant (shown as
    wall-clock time in ``tz``), a date, or a wall-clock time (no ``tz`` needed).

    ``pattern`` is a style: ``datetime`` (the default, "Tue, Mar 10, 2026, 6:00 PM"), ``time``,
    ``hour`` (an axis label on the hour: "9 AM", "9:00"), ``date``, ``day`` (no year) or
    ``zoned`` (a datetime and the zone's name, "(Eastern Time)", for emails and headings);
    or else a CLDR pattern, whose ``HH:mm`` follows the language too.
    CSV and iCalendar keep ISO 8601 and do not come here."""
    # A grid shows the same few times of day dozens of times: each is worked out once per
    # language (an aware value's own zone counts when no ``tz`` is named).
    zone = (getattr(value, "tzinfo", None), getattr(value, "fold", 0))
    return _when(get_locale(), type(value), value, zone, tz, pattern)


@functools.lru_cache(maxsize=4096)
def _when(
    locale: Locale,
    _kind: type,
    value: dt.datetime | dt.date | dt.time,
    _zone: tuple[dt.tzinfo | None, int],
    tz: str | None,
    pattern: str,
) -> str:
    """``when`` for one language (``_kind`` and ``_zone`` only tell values apart that compare
    equal: a date and a datetime, one instant in two zones, a repeated hour's two
    halves)."""
    # "h:mm\u202fa" in CLDR: an ordinary space, so "6:00 PM" reads, wraps and is found as typed
    clock = get_time_format("short", locale=locale).pattern.replace("\u202f", " ")
    if isinstance(value, dt.datetime):
        value = value.astimezone(ZoneInfo(tz)) if tz else value
    elif isinstance(value, dt.date):
        value = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        pattern = "date" if pattern in ("datetime", "zoned") else pattern
    else:
        value = dt.datetime.combine(dt.date(2000, 1, 1), value, tzinfo=dt.UTC)
        pattern = "time" if pattern in ("datetime", "zoned") else pattern
    if pattern == "hour" and "a" in clock:  # a 12-hour clock names the hour alone: "9 AM"
        clock = clock.replace(":mm", "")
    time = format_datetime(value, clock, locale=locale)
    if pattern in ("time", "hour"):
        return time
    if pattern in _DAYS:
        return format_skeleton(_DAYS[pattern], value, locale=locale)
    if pattern in ("datetime", "zoned"):
        text = f"{format_skeleton(_DAYS['date'], value, locale=locale)}, {time}"
        return f"{text} ({zone_name(tz)})" if pattern == "zoned" and tz else text
    return format_datetime(value, pattern.replace("HH:mm", clock), locale=locale)


def label(code: str, kind: str) -> str:
    """For templates: ``{{ code|label('skill_area') }}`` (a filter gets its value first)."""
    return str(ALL_LABELS[kind].get(code, code))
