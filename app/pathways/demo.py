"""The demo's three pathways (new staff, emerging managers, experienced staff), built from
courses of the demo catalogue and the admin's credentials, with demo people following them
at different points (their progress comes from the demo's past circles); the demo staff's
home branches (load_home_branches). Loads once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Branch,
    Course,
    Credential,
    Pathway,
    SelfPacedCompletion,
    User,
    credential_key,
)
from app.pathways import services
from app.timeutil import utcnow

# name, career stage, goal, description, steps: ("course", URL) / ("skill_area", code) /
# ("credential", name), optional?; followed by (emails).
PATHWAYS = [
    (
        "New staff essentials",
        "new_staff",
        "Confident at the public desk in your first year",
        "Help patrons with computers and health questions, and talk with anyone who walks in.",
        [
            ("skill_area", "digital_literacy", False),
            ("course", "https://medlineplus.gov/webeval/webeval.html", False),
            ("course", "https://www.coursera.org/learn/wharton-communication-skills", True),
        ],
        ["participant@example.org", "staff05@example.org", "staff09@example.org"],
    ),
    (
        "Emerging managers: from team member to team lead",
        "emerging_managers",
        "Ready to lead a team and win a first grant",
        "Plan projects, write a proposal and learn to lead people, with colleagues doing the same.",
        [
            ("course", "https://www.nnlm.gov/guides/nnlm-proposal-writing-toolkit", False),
            ("skill_area", "leadership", False),
            ("course", "https://www.coursera.org/learn/project-management-foundations", True),
        ],
        [
            "participant@example.org",
            "staff03@example.org",
            "staff06@example.org",
            "staff10@example.org",
        ],
    ),
    (
        "Experienced staff: health information leadership",
        "experienced_staff",
        "The CHIS credential, and leading your branch's health programmes",
        "Earn the Consumer Health Information Specialization and lead people and teams.",
        [
            ("course", "https://www.medlib-ed.org/products/3407/chis-on-demand", False),
            ("credential", "NNLM CHIS Level 1", False),
            ("course", "https://www.coursera.org/specializations/leading-teams", False),
            ("credential", "NNLM CHIS Level 2", True),
        ],
        [f"staff{i:02d}@example.org" for i in range(1, 9)],
    ),
]


def _target(kind: str, key: str) -> str:
    if kind == "course":
        return f"course:{db.session.scalar(sa.select(Course.id).filter_by(url=key))}"
    if kind == "credential":
        found = sa.select(Credential.id).filter_by(name_key=credential_key(key))
        return f"credential:{db.session.scalar(found)}"
    return f"skill_area:{key}"


def load_pathways() -> bool:
    """Add the pathways that are missing (by name), published, with their followers."""
    admin = db.session.scalar(sa.select(User).filter_by(email="admin@example.org"))
    added = False
    for name, stage, goal, description, steps, followers in PATHWAYS:
        if db.session.scalar(sa.select(Pathway.id).filter_by(name=name)) is not None:
            continue
        pathway = services.save_pathway(
            None, services.PathwayInput(name, stage, goal, description), by=admin
        )
        for kind, key, optional in steps:
            services.add_step(pathway, _target(kind, key), optional=optional, by=admin)
        services.publish(pathway, by=admin)
        for email in followers:
            services.join(pathway, db.session.scalar(sa.select(User).filter_by(email=email)))
        added = True
    db.session.flush()
    return added


# Where demo people work (branch slug), which makes them that branch's managers' own staff:
# Maria Manager (Main Library) has Pat and five others, Carmen Cruz (Coral Gables) three;
# nobody manages North Dade, so only the admin sees its two one by one.
HOME_BRANCHES = {
    "participant@example.org": "main-library",
    **{f"staff{i:02d}@example.org": "main-library" for i in range(1, 6)},
    **{f"staff{i:02d}@example.org": "coral-gables" for i in range(6, 9)},
    **{f"staff{i:02d}@example.org": "north-dade" for i in range(9, 11)},
}
# A course one of Maria's staff says they finished on their own, waiting for her.
REPORTED = (
    "staff03@example.org",
    "https://www.coursera.org/learn/wharton-communication-skills",
    "https://www.coursera.org/account/accomplishments/verify/DEMO3",
)


def load_home_branches() -> bool:
    """Give demo staff without a home branch theirs, and Maria one self-paced course to
    confirm; returns whether anything was added (it loads once)."""
    branches = {b.slug: b for b in db.session.scalars(sa.select(Branch))}
    people = db.session.scalars(sa.select(User).where(User.email.in_(HOME_BRANCHES)))
    added = False
    for person in people:
        if person.home_branch_id is None and HOME_BRANCHES[person.email] in branches:
            person.home_branch = branches[HOME_BRANCHES[person.email]]
            added = True
    email, url, evidence = REPORTED
    person = db.session.scalar(sa.select(User).filter_by(email=email))
    course = db.session.scalar(sa.select(Course).filter_by(url=url))
    if person is not None and course is not None and added:
        mine = {"user_id": person.id, "course_id": course.id}
        if db.session.scalar(sa.select(SelfPacedCompletion.id).filter_by(**mine)) is None:
            db.session.add(
                SelfPacedCompletion(
                    user=person,
                    course=course,
                    completed_on=utcnow().date() - dt.timedelta(days=12),
                    evidence=evidence,
                )
            )
    db.session.flush()
    return added
