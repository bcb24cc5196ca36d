"""The demo's three pathways (new staff, emerging managers, experienced staff), built from
courses of the demo catalogue and the admin's credentials, with demo people following them
at different points (their progress comes from the demo's past circles). Loads once."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Course, Credential, Pathway, User, credential_key
from app.pathways import services

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
