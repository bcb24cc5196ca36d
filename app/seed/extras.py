"""What people do around circles: pathways they follow and courses finished on their own,
interest in courses and skill areas, yearly needs-survey answers, digest subscriptions and
calendar feed links."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from app.models import (
    CareerGoal,
    CareerStage,
    CircleFormat,
    CircleStatus,
    DigestFrequency,
    FeedScope,
    InterestFormat,
    InterestStatus,
    NeedsSurveyStatus,
    PathwayStatus,
    SelfPacedStatus,
    SkillArea,
    TimeOfDay,
)
from app.seed.catalog import SeedCourse
from app.seed.circles import SeedCircle
from app.seed.people import SeedUser
from app.seed.places import SeedBranch
from app.seed.places_taken import _token

STAGES = [CareerStage.new_staff, CareerStage.emerging_managers, CareerStage.experienced_staff]
AREAS = list(SkillArea)


def _ago(rng: random.Random, now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=rng.randrange(1, days), minutes=rng.randrange(1440))


def make_pathways(data, rng, users, courses: list[SeedCourse], credentials, now) -> None:
    published = []
    for n in range(12):
        stage = STAGES[n % 3]
        status = PathwayStatus.published
        if n == 10:
            status = PathwayStatus.draft
        elif n == 11:
            status = PathwayStatus.retired
        area = AREAS[n % len(AREAS)]
        pathway_id = data.add(
            "pathway",
            name=f"{stage.value.replace('_', ' ').capitalize()}: {area.value.replace('_', ' ')}",
            career_stage=stage,
            goal=f"Grow in {area.value.replace('_', ' ')} in a year",
            description="Courses and credentials staff at this stage ask for.",
            status=status,
            created_at=now - dt.timedelta(days=400),
            updated_at=now - dt.timedelta(days=400),
        )
        steps = [("course_id", c.id) for c in rng.sample(courses, 3)]
        steps.append(("skill_area", area))
        if rng.random() < 0.6:
            steps.append(("credential_id", rng.choice(credentials)))
        for position, (key, target) in enumerate(steps):
            row = {"course_id": None, "skill_area": None, "credential_id": None, key: target}
            data.add(
                "pathway_step",
                pathway_id=pathway_id,
                position=position,
                optional=position > 2 and rng.random() < 0.3,
                **row,
            )
        if status != PathwayStatus.draft:
            published.append(pathway_id)
    for user in users:
        if rng.random() < 0.25:
            for pathway_id in rng.sample(published, rng.choice([1, 1, 2])):
                data.add(
                    "pathway_member",
                    pathway_id=pathway_id,
                    user_id=user.id,
                    joined_at=_ago(rng, now, 500),
                )


def make_self_paced(data, rng, users: list[SeedUser], courses, now) -> None:
    for user in users:
        if rng.random() > 0.15 or user.branch is None:
            continue
        course = rng.choice(courses)
        status = rng.choice(
            [SelfPacedStatus.confirmed] * 3 + [SelfPacedStatus.reported, SelfPacedStatus.declined]
        )
        reviewer = (user.branch.managers or [1])[0]
        reviewed = status != SelfPacedStatus.reported and reviewer != user.id
        if not reviewed:
            status = SelfPacedStatus.reported
        done = _ago(rng, now, 600)
        data.add(
            "self_paced_completion",
            user_id=user.id,
            course_id=course.id,
            completed_on=done.date(),
            evidence="https://www.coursera.org/account/accomplishments/certificate",
            status=status,
            reviewed_by_id=reviewer if reviewed else None,
            reviewed_at=done + dt.timedelta(days=3) if reviewed else None,
            review_note="Please attach the certificate." if status == "declined" else "",
            created_at=done,
            updated_at=done,
        )


def make_interest(data, rng, users, courses, circles: list[SeedCircle], now) -> None:
    by_course: dict[int, list[SeedCircle]] = defaultdict(list)
    for circle in circles:
        if circle.status == CircleStatus.published:
            by_course[circle.course.id].append(circle)
    for user in users:
        if rng.random() > 0.4:
            continue
        targets = {("course_id", c.id) for c in rng.sample(courses, rng.choice([1, 1, 2]))}
        if rng.random() < 0.4:
            targets.add(("skill_area", rng.choice(AREAS)))
        for key, target in sorted(targets, key=str):
            created = _ago(rng, now, 700)
            invited = by_course.get(target) if key == "course_id" else None
            circle = rng.choice(invited) if invited and rng.random() < 0.3 else None
            data.add(
                "interest",
                user_id=user.id,
                course_id=target if key == "course_id" else None,
                skill_area=target if key == "skill_area" else None,
                format=rng.choice(list(InterestFormat)),
                time_of_day=rng.choice(list(TimeOfDay)),
                branch_id=user.branch.id if user.branch else None,
                status=InterestStatus.invited if circle else InterestStatus.waiting,
                invited_at=max(created, circle.row["created_at"]) if circle else None,
                invited_circle_id=circle.id if circle else None,
                created_at=created,
                updated_at=created,
            )


def make_needs_surveys(data, rng, users, now) -> None:
    for year in (now.year - 1, now.year):
        current = year == now.year
        survey_id = data.add(
            "needs_survey",
            year=year,
            intro="Tell us what you want to learn next year.",
            closes_on=(now + dt.timedelta(days=30)).date() if current else dt.date(year, 12, 31),
            status=NeedsSurveyStatus.open if current else NeedsSurveyStatus.closed,
            created_at=dt.datetime(year, 1, 15, tzinfo=dt.UTC),
            updated_at=dt.datetime(year, 1, 15, tzinfo=dt.UTC),
        )
        for user in users:
            if rng.random() > 0.3:
                continue
            answered = dt.datetime(year, 2, 1, tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randrange(200)
            )
            answer_id = data.add(
                "needs_answer",
                survey_id=survey_id,
                user_id=user.id,
                career_goal=rng.choice(list(CareerGoal)),
                format=rng.choice(list(InterestFormat)),
                time_of_day=rng.choice(list(TimeOfDay)),
                comments="",
                created_at=min(answered, now),
                updated_at=min(answered, now),
            )
            for area in rng.sample(AREAS, rng.randint(1, 3)):
                data.add("needs_answer_area", answer_id=answer_id, skill_area=area)


def make_digests(data, rng, users, branches, circles: list[SeedCircle], now, seed) -> None:
    told = [c for c in circles if c.status != CircleStatus.draft]
    guests = max(1, len(users) // 100)
    for n in range(len(users) // 8 + guests):
        user = rng.choice(users) if n >= guests else None
        created = _ago(rng, now, 500)
        confirmed = created if user or rng.random() < 0.8 else None
        sent = _ago(rng, now, 20) if confirmed and rng.random() < 0.7 else None
        sub_id = data.add(
            "digest_subscription",
            user_id=user.id if user else None,
            email=user.email if user else f"reader{n}@mail.example.net",
            locale="en",
            timezone=(user.branch.tz if user and user.branch else branches[0].tz),
            frequency=rng.choice(list(DigestFrequency)),
            skill_areas=sorted(a.value for a in rng.sample(AREAS, rng.randint(0, 3))),
            branch_ids=sorted(
                b.id for b in rng.sample(branches, min(len(branches), rng.randint(0, 2)))
            ),
            career_stage=rng.choice([None, *STAGES]),
            format=rng.choice([None, *CircleFormat]),
            confirmed_at=confirmed,
            last_sent_at=sent,
            created_at=created,
            updated_at=created,
        )
        if sent and told:
            for circle in rng.sample(told, min(len(told), rng.randint(1, 4))):
                data.link("digest_sent", subscription_id=sub_id, circle_id=circle.id, sent_at=sent)


def make_feed_links(data, rng, users, branches: list[SeedBranch], now, seed) -> None:
    def link(user_id: int, scope: FeedScope, target: int | None, revoked: bool = False) -> None:
        made = _ago(rng, now, 400)
        data.add(
            "feed_token",
            user_id=user_id,
            scope=scope,
            target_id=target,
            token_hash=_token(seed, "feed", len(data.rows["feed_token"])),
            created_at=made,
            revoked_at=made + dt.timedelta(days=1) if revoked else None,
            last_used_at=None if revoked else now - dt.timedelta(hours=rng.randrange(1, 48)),
        )

    for branch in branches:
        for manager in branch.managers:
            link(manager, FeedScope.branch, branch.id, revoked=True)  # replaced by a new one
            link(manager, FeedScope.branch, branch.id)
            if branch.rooms and rng.random() < 0.5:
                link(manager, FeedScope.room, rng.choice(branch.rooms).id)
        for facilitator in branch.facilitators:
            link(facilitator, FeedScope.facilitator, None)
    for user in users:
        if rng.random() < 0.1:
            link(user.id, FeedScope.personal, None)
