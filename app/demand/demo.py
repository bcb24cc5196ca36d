"""A handful of demo interests, so that the demand board shows real figures: grant writing
wanted in the evening online, leadership in person, CHIS on demand. Loads once (each person's
interest in each target is added only if missing).

And the needs survey of last year (closed) and this year (open), answered by demo staff, so
that the board's year-on-year comparison has figures; loaded with the interests, each year's
survey once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.demand import services, survey
from app.extensions import db
from app.models import Branch, Course, NeedsSurvey, NeedsSurveyStatus, SkillArea, User
from app.timeutil import local_today, utcnow

GRANTS = "https://www.grants.gov/learn-grants/grants-101"
CHIS = "https://www.medlib-ed.org/products/3407/chis-on-demand"

# email, course URL or skill area, format, time of day, branch slug, days waiting
INTERESTS = [
    ("staff01@example.org", GRANTS, "virtual", "evening", "main-library", 40),
    ("staff02@example.org", GRANTS, "virtual", "evening", None, 32),
    ("staff04@example.org", GRANTS, "in_person", "evening", "main-library", 20),
    ("participant@example.org", GRANTS, "virtual", "afternoon", "coral-gables", 9),
    ("staff03@example.org", SkillArea.leadership, "in_person", "afternoon", "main-library", 25),
    ("staff06@example.org", SkillArea.leadership, "in_person", "morning", "coral-gables", 12),
    ("staff07@example.org", CHIS, "on_demand", "morning", None, 15),
    ("staff09@example.org", CHIS, "on_demand", "evening", "coral-gables", 5),
]


def load_interests() -> bool:
    added = False
    now = utcnow()
    for email, what, fmt, time_of_day, slug, days in INTERESTS:
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if isinstance(what, SkillArea):
            target = services.Target(skill_area=what)
        else:
            target = services.Target(
                course=db.session.scalar(sa.select(Course).filter_by(url=what))
            )
        if user is None or target.course is target.skill_area or services.interest_in(user, target):
            continue
        branch_id = db.session.scalar(sa.select(Branch.id).filter_by(slug=slug)) if slug else None
        interest, _new = services.mark_interest(
            user, target, services.Preferences(fmt, time_of_day, branch_id)
        )
        interest.created_at = now - dt.timedelta(days=days)
        added = True
    db.session.flush()
    return load_needs_surveys() or added


# --- the needs survey --------------------------------------------------------------------------

ZONE = "America/New_York"
# years ago: email, skill areas, career goal, format, time of day, comments
ANSWERS = {
    1: [
        ("staff01@example.org", ["technology"], "deepen", "in_person", "afternoon", ""),
        ("staff02@example.org", ["grant_writing"], "advance", "virtual", "evening", ""),
        ("staff03@example.org", ["management"], "lead", "in_person", "afternoon", ""),
        (
            "staff09@example.org",
            ["health_information", "customer_service"],
            "deepen",
            "on_demand",
            "morning",
            "",
        ),
        ("staff10@example.org", ["digital_literacy"], "deepen", "in_person", "morning", ""),
    ],
    0: [
        (
            "staff01@example.org",
            ["grant_writing", "technology"],
            "advance",
            "virtual",
            "evening",
            "More evening circles, please: I work days at the desk.",
        ),
        ("staff02@example.org", ["grant_writing", "leadership"], "lead", "virtual", "evening", ""),
        (
            "staff03@example.org",
            ["leadership", "management"],
            "lead",
            "in_person",
            "afternoon",
            "A circle for new supervisors would help our branch.",
        ),
        (
            "staff04@example.org",
            ["digital_literacy", "customer_service"],
            "deepen",
            "in_person",
            "morning",
            "",
        ),
        ("staff06@example.org", ["leadership"], "milestone", "in_person", "morning", ""),
        (
            "staff07@example.org",
            ["health_information", "digital_literacy"],
            "milestone",
            "on_demand",
            "morning",
            "CHIS on demand suits my shifts.",
        ),
    ],
}
INTROS = {
    1: "Tell us what you want to learn next year: it decides which circles we plan.",
    0: "Five minutes: which skills do you want to grow this year? Your answers plan our circles.",
}


def load_needs_surveys() -> bool:
    """Last year's survey, answered a month before it closed and then closed; this year's,
    open for another month."""
    today = local_today(ZONE)
    added = False
    for years_ago in (1, 0):
        year = today.year - years_ago
        if db.session.scalar(sa.select(NeedsSurvey.id).filter_by(year=year)) is not None:
            continue
        closes_on = dt.date(year, 11, 30) if years_ago else today + dt.timedelta(days=30)
        answered_on = closes_on - dt.timedelta(days=30) if years_ago else today
        item = survey.open_survey(year, INTROS[years_ago], closes_on, answered_on)
        for email, areas, goal, fmt, time_of_day, comments in ANSWERS[years_ago]:
            user = db.session.scalar(sa.select(User).filter_by(email=email))
            if user is None:
                continue
            choices = survey.Choices(areas, goal, fmt, time_of_day, comments)
            answer = survey.answer(item, user, choices, answered_on)
            if years_ago:
                answer.created_at = utcnow() - (today - answered_on)
        if years_ago:
            item.status = NeedsSurveyStatus.closed
        added = True
    db.session.flush()
    return added
