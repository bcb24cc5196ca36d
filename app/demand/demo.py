"""A handful of demo interests, so that the demand board shows real figures: grant writing
wanted in the evening online, leadership in person, CHIS on demand. Loads once (each person's
interest in each target is added only if missing)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.demand import services
from app.extensions import db
from app.models import Branch, Course, SkillArea, User
from app.timeutil import utcnow

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
    return added
