"""Places in circles, played out in order as the app would: seats until the circle is full,
then waitlist places from ``waitlist_next``; some people withdraw and the first on the
waitlist moves up. Then what happened in the circles that met: attendance, completions,
outcomes, survey answers and wrap-ups."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

from app.models import (
    AttendanceStatus,
    CircleStatus,
    EnrollmentStatus,
    OutcomeKind,
    OutcomeStatus,
)
from app.seed.circles import SeedCircle
from app.seed.dataset import Dataset
from app.seed.people import SeedUser
from app.seed.words import CHANGES, CREDENTIALS, FIRST_NAMES, LAST_NAMES

RAN = (CircleStatus.completed, CircleStatus.published, CircleStatus.cancelled)


@dataclass
class Place:
    row: dict
    user: SeedUser | None
    reliability: float  # how often they come


def _token(seed: int, kind: str, n: int) -> str:
    return hashlib.sha256(f"scale-{seed}-{kind}-{n}".encode()).hexdigest()


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = max((end - start).total_seconds(), 60)
    return start + dt.timedelta(seconds=int(rng.random() * span))


class Places:
    def __init__(self, data: Dataset, rng: random.Random, users: list[SeedUser], seed: int):
        self.data, self.rng, self.users, self.seed = data, rng, users, seed
        self.guests = 0

    def _joiners(self, circle: SeedCircle, count: int) -> list[tuple[SeedUser | None, str, str]]:
        rng, branch = self.rng, circle.branch
        chosen: dict[str, tuple[SeedUser | None, str, str]] = {}
        skip = set(circle.facilitators)
        while len(chosen) < count:
            if circle.public and rng.random() < 0.3:
                self.guests += 1
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                chosen[f"guest{self.guests}"] = (None, name, f"guest{self.guests}@mail.example.net")
                continue
            if branch.staff and rng.random() < 0.75:
                user = self.users[rng.choice(branch.staff) - 1]
            else:
                user = rng.choice(self.users)
            if user.id not in skip and user.email not in chosen:
                chosen[user.email] = (user, user.name, user.email)
        return list(chosen.values())

    def sign_up(self, circle: SeedCircle, now: dt.datetime) -> list[Place]:
        """Sign-ups in order, then withdrawals; sets the circle's counters to match."""
        rng, row = self.rng, circle.row
        if circle.status == CircleStatus.draft:
            return []
        until = min(circle.first_start, now)
        count = max(1, round(circle.capacity * rng.uniform(0.4, 1.5)))
        places: list[Place] = []
        times = sorted(_between(rng, circle.row["created_at"], until) for _ in range(count))
        for (user, name, email), at in zip(self._joiners(circle, count), times, strict=True):
            seated = row["enrolled_count"] < circle.capacity
            if seated:
                row["enrolled_count"] += 1
            else:
                row["waitlist_next"] += 1
            place = {
                "circle_id": circle.id,
                "user_id": user.id if user else None,
                "name": name,
                "email": email,
                "status": EnrollmentStatus.enrolled if seated else EnrollmentStatus.waitlisted,
                "waitlist_seq": None if seated else row["waitlist_next"],
                "goals": "Learn with colleagues." if row["ask_goals"] else "",
                "answer": "Practical skills." if row["custom_question"] else "",
                "consent_contact": rng.random() < 0.4,
                "enrolled_at": at if seated else None,
                "completed_at": None,
                "withdrawn_at": None,
                "withdrawn_by_id": None,
                "manage_token_hash": None,
                "locale": None,
                "anonymised_at": None,
                "contact_removed_at": None,
                "created_at": at,
                "updated_at": at,
            }
            self.data.put("enrollment", place)
            if user is None:
                place["manage_token_hash"] = _token(self.seed, "manage", place["id"])
            places.append(Place(place, user, rng.uniform(0.55, 0.98)))
        for place in rng.sample(places, k=len(places) // 8):
            self._withdraw(circle, place, places, _between(rng, place.row["created_at"], until))
        return places

    def _withdraw(self, circle: SeedCircle, place: Place, places: list[Place], at) -> None:
        row = place.row
        was_enrolled = row["status"] == EnrollmentStatus.enrolled
        by = place.user.id if place.user else None
        row.update(
            status=EnrollmentStatus.withdrawn,
            waitlist_seq=None,
            withdrawn_at=at,
            withdrawn_by_id=by,
            manage_token_hash=None,
            updated_at=at,
        )
        self.data.add(
            "audit_event",
            actor_id=by,
            action="enrollment.withdraw",
            subject=f"circle:{circle.id}",
            detail=f"enrollment:{row['id']}",
            created_at=at,
        )
        if not was_enrolled:
            return
        waiting = [p.row for p in places if p.row["status"] == EnrollmentStatus.waitlisted]
        if waiting:  # the seat goes to the first in line
            first = min(waiting, key=lambda r: r["waitlist_seq"])
            first.update(status=EnrollmentStatus.enrolled, waitlist_seq=None, enrolled_at=at)
        else:
            circle.row["enrolled_count"] -= 1

    def what_happened(self, circle: SeedCircle, places: list[Place], now, credentials) -> None:
        """Attendance at the meetings that began, completions, outcomes, surveys."""
        rng, data = self.rng, self.data
        if circle.status not in RAN:
            return
        seated = [p for p in places if p.row["status"] == EnrollmentStatus.enrolled]
        lead = circle.facilitators[0]
        met = [m for m in circle.meetings if m.scheduled and m.starts_at < now]
        present = {id(p): 0 for p in seated}
        for meeting in met:
            if rng.random() > 0.9:
                continue  # the facilitator did not take attendance
            marked = meeting.ends_at + dt.timedelta(hours=1)
            data.link(
                "attendance_sheet",
                meeting_id=meeting.id,
                walk_ins=rng.randint(0, 5 if circle.public else 1),
                note="",
                updated_at=marked,
                updated_by_id=lead,
            )
            for place in seated:
                roll = rng.random()
                if roll < place.reliability:
                    status = AttendanceStatus.present
                    present[id(place)] += 1
                else:
                    status = AttendanceStatus.excused if roll > 0.95 else AttendanceStatus.absent
                data.add(
                    "attendance",
                    meeting_id=meeting.id,
                    enrollment_id=place.row["id"],
                    status=status,
                    updated_at=marked,
                    updated_by_id=lead,
                )
                # The counts the app keeps with the marks (app.models.attendance).
                meeting.row["marked_count"] += 1
                meeting.row["present_count"] += status == AttendanceStatus.present
        if circle.status != CircleStatus.completed:
            return
        need = circle.row["completion_min_meetings"] or len(met) - 2
        done = [p for p in seated if present[id(p)] >= need]
        last = circle.meetings[-1].ends_at
        for place in done:
            place.row.update(status=EnrollmentStatus.completed, completed_at=last)
        self._outcomes(circle, done, now, credentials, lead)
        self._evaluation(circle, seated, now, lead)

    def _outcomes(self, circle, done: list[Place], now, credentials: list[int], lead) -> None:
        rng, data = self.rng, self.data
        last = circle.meetings[-1].ends_at
        today = now.date()

        def outcome(place: Place | None, kind, title, **extra) -> None:
            achieved = min(today, (last + dt.timedelta(days=rng.randint(0, 40))).date())
            confirmed = rng.random() < 0.9
            reporter = place.user.id if place and place.user else None
            data.add(
                "outcome",
                circle_id=circle.id,
                enrollment_id=place.row["id"] if place else None,
                kind=kind,
                title=title,
                achieved_on=achieved,
                status=OutcomeStatus.confirmed if confirmed else OutcomeStatus.reported,
                reported_by_id=None if confirmed else reporter,
                confirmed_by_id=lead if confirmed else None,
                created_at=last,
                updated_at=last,
                evidence_url="",
                **{"credential_id": None, "ce_hours": None, "funder": "", "amount_cents": None}
                | extra,
            )

        index = circle.course.credential
        if index is not None:
            name, kind, _body, hours, *_ = CREDENTIALS[index]
            for place in done:
                if rng.random() < 0.6:
                    outcome(
                        place,
                        OutcomeKind(kind),
                        name,
                        credential_id=credentials[index],
                        ce_hours=hours,
                    )
        if circle.course.area == "grant_writing" and rng.random() < 0.5:
            outcome(
                None,
                OutcomeKind.grant,
                "Grant for a digital literacy lab",
                funder="Community foundation",
                amount_cents=rng.randint(5, 500) * 100_000,
            )
        if circle.course.area in ("leadership", "management"):
            for place in done:
                if rng.random() < 0.1:
                    outcome(place, OutcomeKind.promotion, "Promoted to branch supervisor")

    def _evaluation(self, circle, seated: list[Place], now, lead) -> None:
        rng, data = self.rng, self.data
        sent = circle.meetings[-1].starts_at + dt.timedelta(hours=1)
        if sent >= now:
            return
        for place in seated:
            data.link("survey_invitation", enrollment_id=place.row["id"], sent_at=sent)
            if rng.random() < 0.55:
                data.add(
                    "survey_answer",
                    enrollment_id=place.row["id"],
                    circle_id=circle.id,
                    goal_met=rng.random() < 0.8,
                    recommend=rng.random() < 0.85,
                    changed_work=rng.choice(CHANGES),
                    course_rating=rng.choice([3, 4, 4, 5, 5]),
                    circle_rating=rng.choice([3, 4, 5, 5, 5]),
                    created_at=min(now, sent + dt.timedelta(days=rng.randint(0, 10))),
                )
        if rng.random() < 0.7:
            data.link(
                "wrap_up",
                circle_id=circle.id,
                went_well="Good discussions; people brought real questions from the desk.",
                attendance_notes="Attendance dipped mid-way, then recovered.",
                would_run_again=rng.random() < 0.85,
                written_by_id=lead,
                created_at=sent,
                updated_at=sent,
            )
