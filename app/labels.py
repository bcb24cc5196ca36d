"""Human labels for the domain's codes, in one place for forms, filters and pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

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
}


def when(value: dt.datetime, tz: str, pattern: str = "EEE d MMM y, HH:mm") -> str:
    """A UTC instant as local wall-clock text in ``tz``, in the reader's language."""
    return format_datetime(value.astimezone(ZoneInfo(tz)), pattern, rebase=False)


def label(code: str, kind: str) -> str:
    """For templates: ``{{ code|label('skill_area') }}`` (a filter gets its value first)."""
    return str(ALL_LABELS[kind].get(code, code))
