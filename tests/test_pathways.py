"""Pathways by career stage (issue 14): the admin's rules, progress counted from evidence
(completed circles, confirmed credentials) in a fixed number of queries, who sees what, the
next step's upcoming circles, bad input, and the demo's pathways."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Circle,
    Course,
    Credential,
    CredentialKind,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    Pathway,
    PathwayMember,
    PathwayStatus,
    SelfPacedCompletion,
    SelfPacedStatus,
    User,
)
from app.pathways import progress, services
from app.timeutil import utcnow
from tests.conftest import csrf_token, login
from tests.factories import enroll, next_weekday
from tests.test_home import statements

CHIS = "NNLM CHIS Level 1"


def build_pathway(app, world, *, publish: bool = True, members=()) -> tuple[int, int]:
    """A pathway: Grant Writing Basics, any digital-literacy course, CHIS (optional: no).
    Returns (pathway id, credential id)."""
    with app.test_request_context():
        admin = db.session.get(User, world.admin)
        chis = Credential(name=CHIS, kind=CredentialKind.credential)
        db.session.add(chis)
        db.session.flush()
        pathway = services.save_pathway(
            None,
            services.PathwayInput("Grant-ready", "emerging_managers", "Win a grant"),
            by=admin,
        )
        services.add_step(pathway, f"course:{world.course}", optional=False, by=admin)
        services.add_step(pathway, "skill_area:digital_literacy", optional=False, by=admin)
        services.add_step(pathway, f"credential:{chis.id}", optional=False, by=admin)
        if publish:
            services.publish(pathway, by=admin)
        for user_id in members:
            services.join(pathway, db.session.get(User, user_id))
        db.session.commit()
        return pathway.id, chis.id


def done_steps(app, pathway_id: int, user_id: int) -> list[bool]:
    with app.app_context():
        pathway = db.session.get(Pathway, pathway_id)
        (found,) = progress.progress_of([pathway], [user_id])
        return [s.done for s in found.steps]


def complete(app, enrollment_id: int) -> None:
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        enrollment.status, enrollment.completed_at = EnrollmentStatus.completed, utcnow()
        db.session.commit()


def outcome(app, enrollment_id: int, credential_id: int, status: OutcomeStatus) -> int:
    with app.app_context():
        enrollment = db.session.get(Enrollment, enrollment_id)
        row = Outcome(
            circle_id=enrollment.circle_id,
            enrollment_id=enrollment.id,
            kind=OutcomeKind.credential,
            credential_id=credential_id,
            title=CHIS,
            achieved_on=dt.date(2026, 11, 1),
            status=status,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


# --- progress counts evidence by itself -------------------------------------------------------


def test_progress_counts_completed_circles_and_confirmed_credentials(app, world):
    pathway_id, chis = build_pathway(app, world, members=[world.participant])
    assert done_steps(app, pathway_id, world.participant) == [False, False, False]

    grant = enroll(app, world.circle(), "Pat", "pat@example.org")
    assert done_steps(app, pathway_id, world.participant) == [False, False, False]  # enrolled
    complete(app, grant)
    assert done_steps(app, pathway_id, world.participant) == [True, False, False]

    spanish = enroll(app, world.circle(world.co, course_id=world.spanish), "Pat", "pat@example.org")
    complete(app, spanish)  # any course in digital literacy
    assert done_steps(app, pathway_id, world.participant) == [True, True, False]

    reported = outcome(app, grant, chis, OutcomeStatus.reported)
    assert done_steps(app, pathway_id, world.participant) == [True, True, False]
    with app.app_context():
        db.session.get(Outcome, reported).status = OutcomeStatus.confirmed
        db.session.commit()
        pathway = db.session.get(Pathway, pathway_id)
        (mine,) = progress.progress_of([pathway], [world.participant])
        assert [s.done for s in mine.steps] == [True, True, True]
        assert mine.complete
        assert mine.next_step is None
        # Someone else's evidence is not Pat's, and non-members have no progress.
        assert progress.progress_of([pathway], [world.lead]) == []


def test_the_next_step_is_the_first_required_one_still_to_do(app, world):
    pathway_id, _chis = build_pathway(app, world, members=[world.participant])
    spanish = world.circle(world.co, course_id=world.spanish)
    complete(app, enroll(app, spanish, "Pat", "pat@example.org"))
    with app.app_context():
        pathway = db.session.get(Pathway, pathway_id)
        pathway.steps[0].optional = True
        db.session.flush()
        (mine,) = progress.progress_of([pathway], [world.participant])
        assert mine.next_step.credential is not None  # the optional course comes last
        assert (mine.required_done, len(mine.required)) == (1, 2)


def test_progress_takes_the_same_number_of_queries_for_10_and_1000_people(
    app, world, factory, query
):
    """The issue's own figures. People are written in bulk (a thousand through the services
    would take minutes): person i completed the circle and holds CHIS when i is odd, and on
    their own did Spanish (digital literacy, confirmed) when i % 3 == 0, Grant Writing
    Basics reported only (does not count) when i % 3 == 1, confirmed when i % 3 == 2."""
    pathway_id, chis = build_pathway(app, world)
    circle_id = world.circle(
        capacity=40, format="virtual", room_id=None, join_url="https://meet.example.org/x"
    )
    others = [
        (world.spanish, SelfPacedStatus.confirmed),
        (world.course, SelfPacedStatus.reported),
        (world.course, SelfPacedStatus.confirmed),
    ]

    def add_people(start: int, stop: int) -> None:
        now, ids = utcnow(), range(12_000 + start, 12_000 + stop)  # 12,000 % 6 == 0
        with app.app_context():
            insert = lambda model, rows: db.session.execute(sa.insert(model), rows)  # noqa: E731
            insert(
                User, [{"id": u, "email": f"staff{u}@example.org", "name": f"S{u}"} for u in ids]
            )
            insert(PathwayMember, [{"pathway_id": pathway_id, "user_id": u} for u in ids])
            places = [
                {
                    "id": u,
                    "circle_id": circle_id,
                    "user_id": u,
                    "name": f"S{u}",
                    "email": f"staff{u}@example.org",
                    "status": EnrollmentStatus.completed,
                    "enrolled_at": now,
                    "completed_at": now,
                }
                for u in ids
                if u % 2
            ]
            insert(Enrollment, places)
            insert(
                Outcome,
                [
                    {
                        "circle_id": circle_id,
                        "enrollment_id": p["id"],
                        "kind": OutcomeKind.credential,
                        "credential_id": chis,
                        "title": CHIS,
                        "achieved_on": dt.date(2026, 11, 1),
                        "status": OutcomeStatus.confirmed,
                    }
                    for p in places
                ],
            )
            insert(
                SelfPacedCompletion,
                [
                    {
                        "user_id": u,
                        "course_id": others[u % 3][0],
                        "completed_on": dt.date(2026, 10, 1),
                        "evidence": "note",
                        "status": others[u % 3][1],
                    }
                    for u in ids
                ],
            )
            db.session.commit()

    def run():
        pathway = db.session.get(Pathway, pathway_id)
        found = progress.progress_of([pathway])
        return len(found), sum(s.done for p in found for s in p.steps)

    add_people(0, 10)
    (people, done), few = statements(app, lambda: query(run))
    assert (people, done) == (10, 16)
    add_people(10, 1000)
    (people, done), many = statements(app, lambda: query(run))
    assert (people, done) == (1000, 1501)
    assert len(few) == len(many)
    assert len(many) <= 5  # (BEGIN,) the pathway, its members, its steps, the evidence


# --- the pages ----------------------------------------------------------------------------------


def post(client, path: str, data: dict | None = None, page: str | None = None):
    token = csrf_token(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_an_admin_drafts_adds_steps_publishes_and_staff_follow_and_leave(app, world, client):
    login(client, "admin@example.org")
    response = post(
        client,
        "/pathways/new",
        {"name": "New staff basics", "career_stage": "new_staff", "goal": "Confident at the desk"},
    )
    assert response.status_code == 302
    pathway_id = int(response.headers["Location"].rsplit("/", 1)[1])
    base = f"/pathways/{pathway_id}"

    # An empty pathway cannot be published: a clear message, still a draft.
    response = post(client, f"{base}/publish", page=base)
    assert response.headers["Location"] == base
    page = client.get(base).text
    assert "Add at least one step before publishing" in page
    assert "Draft" in page

    for target in (f"course:{world.course}", "skill_area:leadership"):
        assert post(client, f"{base}/steps/new", {"target": target}).status_code == 302
    # The same step twice is refused beside the field.
    response = post(client, f"{base}/steps/new", {"target": "skill_area:leadership"})
    assert response.status_code == 409
    assert "That step is already on this pathway." in response.text
    assert post(client, f"{base}/publish", page=base).status_code == 302
    client.post("/logout")

    login(client, "pat@example.org")
    assert "New staff basics" in client.get("/pathways/").text
    assert post(client, f"{base}/join", page=base).status_code == 302
    page = client.get(base).text
    assert "0 of 2 required steps done" in page
    # Following twice is harmless: a clear message, one membership.
    post(client, f"{base}/join", page="/pathways/")
    assert "You are already following" in client.get(base).text
    count = sa.select(sa.func.count()).select_from(PathwayMember)
    with app.app_context():
        assert db.session.scalar(count) == 1
    assert post(client, f"{base}/leave", page=base).status_code == 302
    with app.app_context():
        assert db.session.scalar(count) == 0


def test_the_next_step_offers_upcoming_circles_with_seats_and_a_join_link(app, world, client):
    pathway_id, _chis = build_pathway(app, world, members=[world.participant])
    open_circle = world.circle(title="Grants on Tuesdays")
    full = world.circle(world.co, title="Grants, full", capacity=1)
    enroll(app, full, "Bo Boss", "boss@example.org")
    login(client, "pat@example.org")
    page = client.get(f"/pathways/{pathway_id}").text
    assert "Upcoming circles that would complete it" in page
    assert "Grants on Tuesdays" in page
    assert f"/circles/{open_circle}/join" in page
    assert "Grants, full" not in page


def test_a_step_on_a_retired_course_stays_shown_marked_retired(app, world, client):
    pathway_id, _chis = build_pathway(app, world)
    with app.app_context():
        db.session.get(Course, world.course).retired_at = utcnow()
        db.session.commit()
    login(client, "pat@example.org")
    page = client.get(f"/pathways/{pathway_id}").text
    assert "Grant Writing Basics" in page
    assert '<span class="tag">retired</span>' in page
    client.post("/logout")
    login(client, "admin@example.org")  # and it cannot be added again
    response = post(
        client, f"/pathways/{pathway_id}/steps/new", {"target": f"course:{world.course}"}
    )
    assert "is retired: choose a course still in the catalogue" in response.text


def test_a_retired_pathway_cannot_be_joined(app, world, client):
    pathway_id, _chis = build_pathway(app, world, members=[world.participant])
    with app.app_context():
        db.session.get(Pathway, pathway_id).status = PathwayStatus.retired
        db.session.commit()
    with app.test_request_context(), pytest.raises(services.RuleViolation, match="retired"):
        services.join(db.session.get(Pathway, pathway_id), db.session.get(User, world.co))
    login(client, "pat@example.org")  # a member still sees it, retired
    assert "This pathway is retired" in client.get(f"/pathways/{pathway_id}").text
    client.post("/logout")
    login(client, "co@example.org")  # nobody else does
    assert client.get(f"/pathways/{pathway_id}").status_code == 404


def test_who_sees_drafts_admin_pages_and_progress(app, world, client):
    draft_id, _chis = build_pathway(app, world, publish=False)
    with app.app_context():
        db.session.add(PathwayMember(pathway_id=draft_id, user_id=world.participant))
        db.session.get(Pathway, draft_id).status = PathwayStatus.published
        db.session.commit()
    login(client, "pat@example.org")
    for path in ("/pathways/new", f"/pathways/{draft_id}/edit", f"/pathways/{draft_id}/steps/new"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/pathways/{draft_id}/progress").status_code == 403
    client.post("/logout")

    login(client, "boss@example.org")  # manages Main, Pat has no home branch: counts only
    page = client.get(f"/pathways/{draft_id}/progress").text
    assert "1 person follows it" in page
    assert ">Pat</a></td>" not in page
    with app.app_context():  # Pat works at Main: Bo's own staff, shown by name
        db.session.get(User, world.participant).home_branch_id = world.branch
        db.session.commit()
    page = client.get(f"/pathways/{draft_id}/progress").text
    assert ">Pat</a></td>" in page
    assert "Your staff, by person" in page
    client.post("/logout")

    login(client, "far@example.org")  # manages Kendall: Pat is not theirs, counts only
    page = client.get(f"/pathways/{draft_id}/progress").text
    assert "1 person follows it" in page
    assert ">Pat</a></td>" not in page
    client.post("/logout")

    login(client, "admin@example.org")
    page = client.get(f"/pathways/{draft_id}/progress").text
    assert ">Pat</a></td>" in page
    with app.app_context():
        db.session.get(Pathway, draft_id).status = PathwayStatus.draft
        db.session.commit()
    assert client.get(f"/pathways/{draft_id}").status_code == 200
    client.post("/logout")
    login(client, "co@example.org")  # a draft is the admin's
    assert client.get(f"/pathways/{draft_id}").status_code == 404
    assert "Grant-ready" not in client.get("/pathways/").text


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_has_three_pathways_with_people_at_different_points(app, demo, query):
    second = app.test_cli_runner().invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output

    def found():
        pathways = db.session.scalars(sa.select(Pathway).order_by(Pathway.id)).all()
        people = progress.progress_of(pathways)
        stages = {p.career_stage.value for p in pathways}
        done = sorted({sum(s.done for s in p.steps) for p in people})
        published = all(p.status == PathwayStatus.published for p in pathways)
        upcoming = db.session.scalar(sa.select(sa.func.count()).select_from(Circle))
        return len(pathways), stages, done, published, upcoming

    count, stages, done, published, upcoming = query(found)
    assert count == 3
    assert published
    assert upcoming
    assert stages == {"new_staff", "emerging_managers", "experienced_staff"}
    assert len(done) >= 3  # people at different points, from none done onwards


def test_the_next_step_lists_online_circles_and_those_at_home_first(app, world, factory):
    """Branches have no coordinates: the person's home branch stands for "nearest". Without
    one the circles come by their first meeting."""
    pathway_id, _chis = build_pathway(app, world)
    hall = factory.room(world.other_branch, "Hall", capacity=20)
    week = next_weekday(1)
    soonest = world.circle(
        branch_id=world.other_branch, room_id=hall, title="At Kendall", meeting_count=1
    )
    at_home = world.circle(title="At Main", first_date=week + dt.timedelta(days=7), meeting_count=1)
    online = world.circle(
        title="Online",
        format="virtual",
        room_id=None,
        join_url="https://meet.example.org/grants",
        first_date=week + dt.timedelta(days=14),
        meeting_count=1,
    )

    def listed(home_branch: int | None) -> list[int]:
        with app.app_context():
            pat = db.session.get(User, world.participant)
            pat.home_branch_id = home_branch
            step = db.session.get(Pathway, pathway_id).steps[0]
            return [c.id for c in progress.circles_for(step, pat, utcnow())]

    assert listed(world.branch) == [at_home, online, soonest]
    assert listed(world.other_branch) == [soonest, online, at_home]
    assert listed(None) == [soonest, at_home, online]
