"""The course catalogue (free online courses, some in Spanish) and the admin's credentials."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from app.models import CareerStage, Course, CourseFormat, CredentialKind, credential_key
from app.seed.dataset import Dataset
from app.seed.people import search_text
from app.seed.words import AREA_CREDENTIALS, CREDENTIALS, PROVIDERS, TOPICS
from app.text import fold

HOURS = [Decimal(h) for h in ("1.5", "2", "4", "6", "8", "10", "12", "15", "20", "24", "40")]
LEVELS = ["", "", " I", " II", " for Libraries", " in Practice", ": Next Steps"]


@dataclass
class SeedCourse:
    id: int
    title: str
    area: str
    credential: int | None  # index into CREDENTIALS
    description: str
    retired: bool


def make_credentials(data: Dataset, now: dt.datetime) -> list[int]:
    ids = []
    for name, kind, body, hours, months, renewal_hours in CREDENTIALS:
        ids.append(
            data.add(
                "credential",
                name=name,
                name_key=credential_key(name),
                awarding_body=body,
                ce_hours=Decimal(hours) if hours is not None else None,
                kind=CredentialKind(kind),
                active=True,
                renewal_months=months,
                renewal_ce_hours=Decimal(renewal_hours) if renewal_hours is not None else None,
                created_at=now,
                updated_at=now,
            )
        )
    return ids


def make_courses(
    data: Dataset, rng: random.Random, count: int, now: dt.datetime
) -> list[SeedCourse]:
    areas = list(TOPICS)
    courses = []
    for n in range(count):
        area = areas[n % len(areas)]
        topics = TOPICS[area]
        index = rng.randrange(len(topics))
        spanish = index == len(topics) - 1  # the last topic of each area is in Spanish
        provider, site = rng.choice(PROVIDERS)
        title = topics[index] + ("" if spanish else rng.choice(LEVELS))
        credential = rng.choice(AREA_CREDENTIALS[area]) if rng.random() < 0.35 else None
        row = {
            "title": title,
            "provider": provider,
            "url": f"https://{site}/{fold(title).replace(' ', '-').replace(':', '')}-{n + 1}",
            "description": (
                f"{title}: a free {provider} course for library staff, worked through together "
                "in a learning circle."
            ),
            "language": "es" if spanish else "en",
            "format": rng.choice(list(CourseFormat)),
            "hours": rng.choice(HOURS),
            "is_free": rng.random() > 0.05,
            "credential": CREDENTIALS[credential][0] if credential is not None else "",
            "skill_area": area,
            "career_stage": rng.choice(list(CareerStage)),
            "retired_at": now - dt.timedelta(days=rng.randrange(300))
            if rng.random() < 0.03
            else None,
            "created_at": now,
            "updated_at": now,
        }
        row["search_text"] = search_text(Course, row)
        course_id = data.add("course", **row)
        courses.append(
            SeedCourse(
                course_id, title, area, credential, row["description"], bool(row["retired_at"])
            )
        )
    return courses
