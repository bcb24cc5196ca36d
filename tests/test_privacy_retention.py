"""The retention run (issue 16): `flask privacy run [--dry-run]` and the admin's page.

Two public circles: "old" ended a year and an hour ago, "recent" a year less an hour ago
(the periods are 365 days). Each has a guest; Pat (an account) has a completed place on the
old one, which is pathway evidence. Guest sign-ups: one expired, one live; digest sign-ups:
a guest's unconfirmed for 8 days, one for 6 days, one confirmed long ago.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import DigestSubscription, Enrollment, GuestSignup, Meeting, SurveyAnswer
from app.privacy import retention
from app.privacy.services import ANONYMOUS_NAME
from app.timeutil import utcnow
from tests.conftest import csrf_token, login
from tests.factories import enroll
from tests.test_pathways import build_pathway, complete, done_steps
from tests.test_privacy_deletion import survey_answer

YEAR = dt.timedelta(days=365)


@dataclass
class Scene:
    old: int
    recent: int
    old_guest: int
    recent_guest: int
    pat_place: int
    pathway: int


def end_circle(circle_id: int, ended_at: dt.datetime) -> None:
    """Move the circle's meetings so that the last one ended at ``ended_at``, a week apart."""
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
    ).all()
    for weeks_before, meeting in enumerate(reversed(meetings)):
        meeting.ends_at = ended_at - dt.timedelta(weeks=weeks_before)
        meeting.starts_at = meeting.ends_at - dt.timedelta(minutes=90)


def _subscription(email: str, created: dt.datetime, confirmed: dt.datetime | None):
    return DigestSubscription(
        email=email,
        timezone="America/New_York",
        frequency="weekly",
        created_at=created,
        updated_at=created,
        confirmed_at=confirmed,
    )


@pytest.fixture
def scene(app, world) -> Scene:
    old = world.circle(audience="public")
    recent = world.circle(world.co, audience="public")
    old_guest = enroll(app, old, "Gus Guest", "gus@example.org")
    recent_guest = enroll(app, recent, "Rae Recent", "rae@example.org")
    pat_place = enroll(app, old, "Pat", "pat@example.org")
    complete(app, pat_place)
    pathway_id, _ = build_pathway(app, world, members=[world.participant])
    now = utcnow()
    with app.app_context():
        end_circle(old, now - YEAR - dt.timedelta(hours=1))
        end_circle(recent, now - YEAR + dt.timedelta(hours=1))
        db.session.execute(
            sa.update(Enrollment)
            .where(Enrollment.id == old_guest)
            .values(goals="Gus's goals", consent_contact=True)
        )
        db.session.add_all(
            [
                survey_answer(old_guest, old, "Gus writes grants now"),
                GuestSignup(
                    circle_id=recent,
                    name="Ed Expired",
                    email="ed@example.org",
                    token_hash="e" * 64,
                    expires_at=now - dt.timedelta(minutes=1),
                ),
                GuestSignup(
                    circle_id=recent,
                    name="Liv Live",
                    email="liv@example.org",
                    token_hash="l" * 64,
                    expires_at=now + dt.timedelta(hours=1),
                ),
                _subscription("stale@example.org", now - dt.timedelta(days=8), None),
                _subscription("fresh@example.org", now - dt.timedelta(days=6), None),
                _subscription("kept@example.org", now - dt.timedelta(days=90), now - YEAR),
            ]
        )
        db.session.commit()
    return Scene(old, recent, old_guest, recent_guest, pat_place, pathway_id)


def _places(app) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Enrollment.id,
                Enrollment.name,
                Enrollment.email,
                Enrollment.goals,
                Enrollment.consent_contact,
                Enrollment.user_id,
                Enrollment.anonymised_at,
                Enrollment.contact_removed_at,
            )
        )
        return {row[0]: tuple(row[1:]) for row in rows}


def _left(app) -> tuple[list[str], list[str]]:
    with app.app_context():
        return (
            sorted(db.session.scalars(sa.select(GuestSignup.email))),
            sorted(db.session.scalars(sa.select(DigestSubscription.email))),
        )


def _run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["privacy", "run", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_dry_run_says_what_is_due_and_changes_nothing(app, scene):
    places, left = _places(app), _left(app)
    output = _run(app, "--dry-run")
    assert "Guest places would be anonymised: 1" in output
    assert "Member places would be without contact details: 1" in output
    assert "Expired guest sign-ups would be deleted: 1" in output
    assert "Unconfirmed digest sign-ups would be deleted: 1" in output
    assert f"circle {scene.old} " in output
    assert f"circle {scene.recent} " not in output
    assert _places(app) == places
    assert _left(app) == left


def test_the_run_anonymises_past_the_period_only_and_a_second_run_does_nothing(app, world, scene):
    before = _places(app)
    steps = done_steps(app, scene.pathway, world.participant)
    assert steps[0]  # the completed place is the course step's evidence
    output = _run(app)
    assert "Guest places anonymised: 1" in output
    assert "Member places without contact details: 1" in output
    after = _places(app)

    name, email, goals, consent, user_id, anonymised, removed = after[scene.old_guest]
    assert (name, goals, consent, user_id) == (ANONYMOUS_NAME, "", False, None)
    assert email == f"place-{scene.old_guest}@invalid.example"
    assert anonymised is not None
    assert removed is None
    assert after[scene.recent_guest] == before[scene.recent_guest]  # an hour inside the period

    name, email, _, consent, user_id, anonymised, removed = after[scene.pat_place]
    assert (name, user_id, consent, anonymised) == ("Pat", world.participant, False, None)
    assert email == f"place-{scene.pat_place}@invalid.example"
    assert removed is not None
    assert done_steps(app, scene.pathway, world.participant) == steps  # matched by account

    with app.app_context():
        answer = db.session.scalars(sa.select(SurveyAnswer)).one()
        assert answer.changed_work == ""
        assert answer.course_rating == 5  # the figure stays
    assert _left(app) == (
        ["liv@example.org"],
        ["fresh@example.org", "kept@example.org"],
    )

    again = _run(app)
    assert "Guest places anonymised: 0" in again
    assert "Member places without contact details: 0" in again
    assert "Expired guest sign-ups deleted: 0" in again
    assert "Unconfirmed digest sign-ups deleted: 0" in again
    assert _places(app) == after


def test_batches_of_one_do_the_same(app, scene):
    with app.app_context():
        more = [
            Enrollment(circle_id=scene.old, name=f"Guest {i}", email=f"g{i}@example.org")
            for i in range(3)
        ]
        for place in more:
            place.status = "completed"
        db.session.add_all(more)
        db.session.commit()
        settings = retention.Settings.from_config(app.config)
        done = retention.run(utcnow(), settings, size=1, after_batch=db.session.commit)
        db.session.commit()
        assert (done.guests, done.contacts, done.signups, done.subscriptions) == (4, 1, 1, 1)
        ids = [place.id for place in more]
        names = set(db.session.scalars(sa.select(Enrollment.name).where(Enrollment.id.in_(ids))))
        assert names == {ANONYMOUS_NAME}


def test_the_roster_shows_contact_removed_instead_of_an_address(app, client, world, scene):
    _run(app)
    login(client, "lead@example.org")
    page = client.get(f"/circles/{scene.old}/roster").text
    assert "contact removed" in page
    assert "invalid.example" not in page
    assert "Pat" in page  # a member keeps her name: only the contact details went


def test_the_admin_page_shows_what_is_due_and_runs_it_after_confirming(app, client, world, scene):
    login(client, "admin@example.org")
    assert "Privacy and retention" in client.get("/admin/users").text
    page = client.get("/admin/privacy").text
    assert "365 days after their circle's last meeting" in page
    assert "Guest places to anonymise" in page
    assert f"/circles/{scene.old}" in page
    assert f'/circles/{scene.recent}"' not in page
    confirm = client.get("/admin/privacy/run")
    assert "cannot be undone" in confirm.text
    assert _places(app)[scene.old_guest][0] == "Gus Guest"  # asking changed nothing
    response = client.post(
        "/admin/privacy/run",
        data={"csrf_token": csrf_token(confirm.text)},
        follow_redirects=True,
    )
    assert "Retention run done: 4 changes made." in response.text
    assert "Guest places anonymised: 1" in response.text
    assert "Nothing is due" in response.text
    assert _places(app)[scene.old_guest][0] == ANONYMOUS_NAME


def test_the_admin_page_says_when_nothing_is_due(app, client, world):
    login(client, "admin@example.org")
    page = client.get("/admin/privacy").text
    assert "Nothing is due: the next run will change nothing." in page
    assert "/admin/privacy/run" not in page


def test_the_periods_come_from_the_settings(app, scene):
    app.config["PRIVACY_GUEST_RETENTION_DAYS"] = 366
    app.config["PRIVACY_ROSTER_CONTACT_DAYS"] = 364
    output = _run(app, "--dry-run")
    assert "Guest places would be anonymised: 0" in output
    assert "Member places would be without contact details: 1" in output


def _main(client, path: str) -> str:
    return client.get(path).text.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_member_still_finds_a_circle_whose_roster_lost_her_address(app, client, world, scene):
    login(client, "pat@example.org")
    circles, attendance = _main(client, "/my/circles"), _main(client, "/my/attendance")
    assert f"/circles/{scene.old}" in circles
    assert "Grant Writing Basics" in attendance
    _run(app)
    assert f"/circles/{scene.old}" in _main(client, "/my/circles")
    assert _main(client, "/my/attendance") == attendance


def test_the_roster_and_attendance_exports_leave_a_removed_address_empty(app, client, scene):
    login(client, "lead@example.org")
    exports = [f"/circles/{scene.old}/roster.csv", f"/circles/{scene.old}/attendance.csv"]
    for path in exports:
        assert "pat@example.org" in client.get(path).text
    _run(app)
    for path in exports:
        text = client.get(path).text
        assert "invalid.example" not in text
        assert "Pat," in text  # her name stays: only the address went


def test_two_runs_at_once_change_each_place_once(app, scene):
    """As from two hosts: each batch's UPDATE checks the conditions again, so a place the
    other run took is not counted (nor changed) twice."""
    with app.app_context():
        db.session.add_all(
            Enrollment(
                circle_id=scene.old, name=f"G{i}", email=f"g{i}@example.org", status="completed"
            )
            for i in range(60)
        )
        db.session.commit()
    start = threading.Barrier(2)
    done: list[retention.Counts] = []

    def run() -> None:
        with app.app_context():
            settings = retention.Settings.from_config(app.config)
            start.wait(timeout=10)
            done.append(retention.run(utcnow(), settings, size=7, after_batch=db.session.commit))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(done) == 2
    assert sum(c.guests for c in done) == 61
    assert sum(c.contacts for c in done) == 1
    assert sum(c.signups + c.subscriptions for c in done) == 2
    with app.app_context():
        left = sa.select(sa.func.count()).where(Enrollment.anonymised_at.is_(None))
        assert db.session.scalar(left.where(Enrollment.user_id.is_(None))) == 1  # recent's
