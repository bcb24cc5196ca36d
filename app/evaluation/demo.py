"""Demo evaluations, so that course pages, reports and results pages show real figures: each
demo circle that already ran gets survey answers from those who took part, a wrap-up and a
reflection on its first meeting. Deterministic; loads once (nothing is added if any answer
exists)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Facilitation,
    SurveyAnswer,
    WrapUp,
)

CHANGES = [
    "I wrote my first grant budget on my own.",
    "I now answer health questions at the desk with more confidence.",
    "",
    "I use what we practised in my team meetings.",
]


def load_evaluations() -> bool:
    if db.session.scalar(sa.select(SurveyAnswer.id).limit(1)) is not None:
        return False
    circles = db.session.scalars(
        sa.select(Circle).where(Circle.status == CircleStatus.completed).order_by(Circle.id)
    ).all()
    for c, circle in enumerate(circles):
        places = db.session.scalars(
            sa.select(Enrollment)
            .where(
                Enrollment.circle_id == circle.id,
                Enrollment.status.in_((EnrollmentStatus.enrolled, EnrollmentStatus.completed)),
            )
            .order_by(Enrollment.id)
        ).all()
        last = circle.scheduled_meetings[-1]
        for n, place in enumerate(places):
            turn = c + n
            db.session.add(
                SurveyAnswer(
                    enrollment_id=place.id,
                    circle_id=circle.id,
                    goal_met=place.is_completed or turn % 3 == 0,
                    recommend=turn % 4 != 3,
                    changed_work=CHANGES[turn % len(CHANGES)],
                    course_rating=5 - turn % 3,
                    circle_rating=5 - turn % 2,
                    created_at=last.ends_at,
                )
            )
        lead = db.session.scalar(
            sa.select(Facilitation.user_id).where(Facilitation.circle_id == circle.id).limit(1)
        )
        db.session.add(
            WrapUp(
                circle_id=circle.id,
                went_well="Everyone brought a real project from their own branch.",
                attendance_notes="Steady; one person stopped coming after the first week.",
                would_run_again=True,
                written_by_id=lead,
                created_at=last.ends_at,
                updated_at=last.ends_at,
            )
        )
        circle.scheduled_meetings[
            0
        ].reflection = "Good start: introductions took longer than planned."
    db.session.flush()
    return bool(circles)
