"""Deleting an account (issue 16): nothing identifies the person afterwards, anywhere in the
database or on any page, and every report figure is what it was before.

Patricia Quillfeather (Pat's account, renamed so that her name is found by a plain search) has
a finished circle with attendance, a completion and a confirmed CHIS credential, a pathway she
follows, a self-paced course, interest, a needs-survey answer, an end-of-circle survey answer,
a guest place joined with her address before she had an account, and the things that only
serve her: a feed link, an API token, a digest subscription, an email waiting, a sign-up.
Her circles are over: a seat in a circle to come is given up at deletion (it goes to the
waitlist, so its open seats rightly change), which is tested on its own.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.auth import sso_accounts
from app.extensions import db
from app.models import (
    ApiToken,
    Attendance,
    AuditEvent,
    Circle,
    DigestSubscription,
    Enrollment,
    FeedToken,
    GuestSignup,
    Meeting,
    NeedsAnswer,
    NeedsSurvey,
    OutboxMessage,
    OutcomeStatus,
    SelfPacedCompletion,
    SurveyAnswer,
    User,
)
from app.timeutil import utcnow
from tests.conftest import csrf_token, login
from tests.factories import enroll, set_times
from tests.test_demand import interest
from tests.test_pathways import build_pathway, complete, outcome

NAME = "Patricia Quillfeather"
EMAIL = "pat@example.org"
SECRETS = ("quillfeather", EMAIL)  # searched for, case aside


@dataclass
class Pat:
    id: int
    circle: int
    pathway: int
    place: int
    guest_place: int


def _meetings(circle_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Meeting.id).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
        )
    )


def survey_answer(place_id: int, circle_id: int, changed_work: str) -> SurveyAnswer:
    """An end-of-circle survey answer: ratings (figures that stay) and free text (goes)."""
    return SurveyAnswer(
        enrollment_id=place_id,
        circle_id=circle_id,
        goal_met=True,
        recommend=True,
        changed_work=changed_work,
        course_rating=5,
        circle_rating=4,
    )


@pytest.fixture
def pat(app, world) -> Pat:
    with app.app_context():
        user = db.session.get(User, world.participant)
        user.name, user.home_branch_id = NAME, world.branch
        db.session.commit()
    circle = world.circle(audience="public")
    place = enroll(app, circle, NAME, EMAIL)
    ann = enroll(app, circle, "Ann Able", "ann@example.org")
    bob = enroll(app, circle, "Bob Baker", "bob@example.org")
    # Before she had an account she joined another circle as a guest, with her address.
    guest_circle = world.circle(audience="public", first_date=dt.date.today() + dt.timedelta(60))
    with app.app_context():
        meetings, earlier = _meetings(circle), _meetings(guest_circle)
    set_times(app, meetings, past=4)
    set_times(app, earlier, past=4)  # over too: a seat in a circle to come would be given up
    complete(app, place)
    pathway_id, chis = build_pathway(app, world, members=[world.participant])
    outcome(app, place, chis, OutcomeStatus.confirmed)
    interest(app, world.participant, course=world.spanish, fmt="virtual")
    now = utcnow()
    with app.app_context():
        guest = Enrollment(
            circle_id=guest_circle,
            name="Patricia Q.",
            email=EMAIL,
            status="enrolled",
            goals="Quillfeather family grants",
            manage_token_hash="m" * 64,
            consent_contact=True,
        )
        survey = NeedsSurvey(year=2026, closes_on=dt.date(2026, 3, 1))
        db.session.add_all([guest, survey])
        db.session.get(Circle, guest_circle).enrolled_count += 1  # the seat her place holds
        db.session.flush()
        for meeting_id, marks in zip(
            meetings,
            [("present", "present", "absent"), ("present", "absent", "present")] * 2,
            strict=True,
        ):
            for who, status in zip((place, ann, bob), marks, strict=True):
                db.session.add(Attendance(meeting_id=meeting_id, enrollment_id=who, status=status))
        db.session.execute(
            sa.update(Enrollment)
            .where(Enrollment.id == place)
            .values(goals="Quillfeather's goal", answer="Ask Patricia Quillfeather")
        )
        db.session.add_all(
            [
                survey_answer(place, circle, "Quillfeather now writes grants"),
                NeedsAnswer(
                    survey_id=survey.id,
                    user_id=world.participant,
                    career_goal="lead",
                    format="virtual",
                    time_of_day="morning",
                    comments="Signed, Quillfeather",
                ),
                SelfPacedCompletion(
                    user_id=world.participant,
                    course_id=world.spanish,
                    completed_on=dt.date(2026, 10, 1),
                    evidence="https://badges.example.org/quillfeather",
                    status="confirmed",
                    review_note="Well done, Quillfeather",
                ),
                FeedToken(user_id=world.participant, scope="personal", token_hash="f" * 64),
                ApiToken(
                    user_id=world.participant, name="Mine", prefix="lc_ab", token_hash="a" * 64
                ),
                DigestSubscription(
                    user_id=world.participant,
                    email=EMAIL,
                    timezone="America/New_York",
                    frequency="weekly",
                    confirmed_at=now,
                ),
                OutboxMessage(to=EMAIL, subject="Hello", body=f"Dear {NAME}"),
                GuestSignup(
                    circle_id=guest_circle,
                    name=NAME,
                    email=EMAIL,
                    token_hash="g" * 64,
                    expires_at=now + dt.timedelta(hours=20),
                ),
            ]
        )
        db.session.commit()
        return Pat(world.participant, circle, pathway_id, place, guest.id)


# --- the figures, as the pages show them ----------------------------------------------------


def _numbers(page: str) -> list[str]:
    """Every number a page shows, in a fixed order (a list of people may be ordered by name,
    and hers changes): the figures without the words around them."""
    text = html.unescape(re.sub(r"<input[^>]*>|<[^>]+>", " ", page))
    # Not figures: addresses (a placeholder carries its row's id) and the clock ("as of 2:05").
    text = re.sub(r"[\w.+-]+@[\w.-]+|\d{1,2}(:\d\d)+", " ", text)
    return sorted(re.findall(r"\d[\d,.]*", text))


def _pages(world, pat: Pat) -> list[str]:
    return [
        "/reports/",
        f"/reports/?branch={world.branch}",
        "/reports/impact",
        "/demand",
        f"/pathways/{pat.pathway}/progress",
        f"/circles/{pat.circle}/outcomes",
        f"/circles/{pat.circle}/roster",
        f"/circles/{pat.circle}/attendance.csv",
    ]


def figures(client, world, pat: Pat) -> tuple[dict[str, object], str]:
    """Each report's figures (a CSV export whole, a page's numbers), and all the text."""
    found: dict[str, object] = {}
    seen = []
    for path in _pages(world, pat):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        seen.append(page)
        found[path] = _numbers(page)
        if path.startswith("/reports/?") or path == "/reports/":
            for link in re.findall(r'href="(/reports/[^"]+\.csv[^"]*)"', page):
                export = client.get(html.unescape(link)).get_data(as_text=True)
                found[html.unescape(link)] = export
                seen.append(export)
    assert len(found) > 12, "the report pages link their CSV exports"
    return found, "\n".join(seen)


def _changes(before: dict, after: dict) -> str:
    """Which figures changed, and how (the numbers only one side shows)."""
    lines = []
    for key, old in before.items():
        new = after[key]
        if old != new and isinstance(old, list):
            lines.append(f"{key}: {sorted(set(old) - set(new))} -> {sorted(set(new) - set(old))}")
        elif old != new:
            lines.append(f"{key}:\n{old}\n->\n{new}")
    return "\n".join(lines)


def _admin_client(app, world):
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    client.get("/")  # the sign-in's flash is shown here, not on the first report
    return client


def _delete_own_account(client, email: str):
    token = csrf_token(client.get("/account/delete").text)
    return client.post("/account/delete", data={"csrf_token": token, "email": email})


def where_found(secrets: tuple[str, ...]) -> list[str]:
    """Every string column of every table holding one of ``secrets``: table.column."""
    hits = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, sa.String):  # Text is a String too
                continue
            for secret in secrets:
                match = sa.func.lower(column).contains(secret.lower(), autoescape=True)
                if db.session.scalar(sa.select(sa.func.count()).where(match)):
                    hits.append(f"{table.name}.{column.name}")
    return hits


# --- deleting one's own account -----------------------------------------------------------------


def test_every_report_figure_is_the_same_after_deleting_an_account(app, client, world, pat):
    admin = _admin_client(app, world)
    before, before_text = figures(admin, world, pat)
    assert NAME in before_text  # the pages did name her: the check below can fail
    with app.app_context():
        assert set(where_found(SECRETS)) >= {"user.name", "enrollment.email", "outbox_message.to"}

    login(client, EMAIL)
    response = _delete_own_account(client, EMAIL)
    assert response.status_code == 302
    assert response.location == "/"
    assert "Your account is deleted" in client.get("/").text

    after, after_text = figures(admin, world, pat)
    assert after == before, _changes(before, after)
    for secret in SECRETS:
        assert secret not in after_text.lower()
    with app.app_context():
        assert where_found(SECRETS) == []
        user = db.session.get(User, pat.id)
        assert user.anonymised_at is not None
        assert not user.active
        assert user.password_hash is None
        assert user.email == f"deleted-{pat.id}@invalid.example"
        places = db.session.scalars(sa.select(Enrollment).where(Enrollment.user_id == pat.id))
        # Her guest place is hers too now (records and pathways counted it by her address).
        assert {p.id for p in places} == {pat.place, pat.guest_place}
        guest = db.session.get(Enrollment, pat.guest_place)
        assert guest.manage_token_hash is None
        assert not guest.consent_contact
        for model in (FeedToken, ApiToken, DigestSubscription, GuestSignup):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
        # The emails to Ann and Bob stay; the one waiting for her is gone (the scan says so).
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "account.deleted")
        ).one()
        assert (event.actor_id, event.subject) == (pat.id, f"user:{pat.id}")


def test_control_deleting_her_places_instead_would_change_the_figures(app, world, pat):
    """The comparison above can fail: removing the rows (what deletion must not do) shows."""
    admin = _admin_client(app, world)
    before, _ = figures(admin, world, pat)
    with app.app_context():
        db.session.execute(sa.delete(Enrollment).where(Enrollment.id == pat.place))
        db.session.commit()
    after, _ = figures(admin, world, pat)
    changed = [path for path in before if before[path] != after[path]]
    assert "/reports/" in changed
    assert "/reports/impact" in changed


def test_a_deleted_account_cannot_sign_in_reset_its_password_or_come_back(app, client, pat):
    login(client, EMAIL)
    _delete_own_account(client, EMAIL)
    assert client.get("/account").status_code == 302  # signed out
    response = login(client, EMAIL)
    assert response.status_code == 200  # the form again, with its refusal
    assert login(client, f"deleted-{pat.id}@invalid.example").status_code == 200
    token = csrf_token(client.get("/password/forgot").text)
    response = client.post("/password/forgot", data={"csrf_token": token, "email": EMAIL})
    assert response.status_code == 302
    with app.app_context():
        to_her = sa.select(sa.func.count()).where(OutboxMessage.to == EMAIL)
        assert db.session.scalar(to_her) == 0


def test_single_sign_on_with_her_address_makes_a_new_account_not_the_deleted_one(app, client, pat):
    login(client, EMAIL)
    _delete_own_account(client, EMAIL)
    claims = {"email": EMAIL.upper(), "email_verified": True, "name": NAME}
    with app.test_request_context():
        fresh = sso_accounts.account_for(claims, sso_accounts.Settings())
        assert fresh.id != pat.id
        # Nothing of the old account comes back with the address: no place is hers by it.
        places = sa.select(sa.func.count()).where(
            sa.or_(Enrollment.user_id == fresh.id, Enrollment.email == EMAIL)
        )
        assert db.session.scalar(places) == 0
        deleted = db.session.get(User, pat.id)
        assert deleted.name == "Deleted account"
        assert deleted.anonymised_at is not None
        assert not deleted.active


def test_the_confirmation_must_be_her_own_address(app, client, pat):
    login(client, EMAIL)
    response = _delete_own_account(client, "someone@example.org")
    assert response.status_code == 200
    assert "Type the email address of this account to confirm." in response.text
    with app.app_context():
        assert db.session.get(User, pat.id).anonymised_at is None


def test_the_last_administrator_cannot_delete_their_account(app, admin):
    response = _delete_own_account(admin, "admin@example.org")
    assert response.status_code == 409
    assert "last active administrator" in response.text
    with app.app_context():
        user = db.session.get(User, admin.user_id)
        assert user.anonymised_at is None
        assert user.is_admin
        assert user.email == "admin@example.org"


# --- an administrator deletes someone's account ------------------------------------------------


def test_an_admin_deletes_a_person_from_the_people_pages(app, world, pat):
    admin = _admin_client(app, world)
    page = admin.get(f"/admin/users/{pat.id}").text
    assert f"/admin/people/{pat.id}/delete" in page
    confirm = admin.get(f"/admin/people/{pat.id}/delete")
    assert NAME in confirm.text
    assert "This cannot be undone" in confirm.text
    response = admin.post(
        f"/admin/people/{pat.id}/delete", data={"csrf_token": csrf_token(confirm.text)}
    )
    assert response.status_code == 302
    assert response.location == "/admin/users"
    people = admin.get("/admin/users").text
    assert "The account is deleted" in people
    assert "Deleted account" in people
    assert "Quillfeather" not in people
    assert EMAIL not in people
    assert "Quillfeather" not in admin.get("/admin/users?q=quillfeather").text
    assert admin.get(f"/admin/people/{pat.id}/delete").status_code == 404  # done already
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "account.deleted")
        ).one()
        assert event.actor_id == world.admin


def test_an_admin_is_refused_deleting_the_last_admin(app, factory, client):
    only = factory.user("solo@example.org", name="Solo Admin", is_admin=True)
    login(client, "solo@example.org")
    confirm = client.get(f"/admin/people/{only}/delete")
    response = client.post(
        f"/admin/people/{only}/delete",
        data={"csrf_token": csrf_token(confirm.text)},
        follow_redirects=True,
    )
    assert "last active administrator" in response.text
    with app.app_context():
        assert db.session.get(User, only).anonymised_at is None


@pytest.mark.parametrize("role", ["participant", "facilitator", "manager"])
def test_only_admins_delete_other_people(factory, client, role, world):
    from tests.conftest import sign_in

    sign_in(factory, client, role)
    assert client.get(f"/admin/people/{world.lead}/delete").status_code == 403
    assert client.get("/admin/privacy").status_code == 403


def test_a_deleted_account_cannot_be_given_an_address_or_a_role_again(app, world, pat):
    admin = _admin_client(app, world)
    confirm = admin.get(f"/admin/people/{pat.id}/delete")
    admin.post(f"/admin/people/{pat.id}/delete", data={"csrf_token": csrf_token(confirm.text)})
    form = admin.get(f"/admin/users/{pat.id}")
    assert "Delete this account" not in form.text
    response = admin.post(
        f"/admin/users/{pat.id}",
        data={
            "csrf_token": csrf_token(form.text),
            "name": "Patricia Quillfeather",
            "email": EMAIL,
            "timezone": "America/New_York",
            "active": "y",
            "is_admin": "y",
        },
    )
    assert "This account is deleted and cannot be changed." in response.text
    with app.app_context():
        user = db.session.get(User, pat.id)
        assert user.email == f"deleted-{pat.id}@invalid.example"
        assert not user.active
        assert not user.is_admin


def test_her_seat_in_a_circle_to_come_goes_to_the_first_on_the_waitlist(app, world, client, pat):
    upcoming = world.circle(world.co, audience="public", capacity=1)
    seat = enroll(app, upcoming, NAME, EMAIL)
    waiting = enroll(app, upcoming, "Wes Waiting", "wes@example.org")
    login(client, EMAIL)
    _delete_own_account(client, EMAIL)
    with app.app_context():
        assert db.session.get(Enrollment, seat).status == "withdrawn"
        assert db.session.get(Enrollment, waiting).status == "enrolled"
        assert db.session.get(Enrollment, pat.place).status == "completed"  # a finished one stays
        told = sa.select(OutboxMessage.subject).where(OutboxMessage.to == "wes@example.org")
        assert len(db.session.scalars(told).all()) == 2  # on the waitlist, then the seat


def test_the_placeholders_are_shown_in_the_readers_language(app, world, client, pat):
    login(client, EMAIL)
    _delete_own_account(client, EMAIL)
    with app.app_context():
        db.session.get(User, world.admin).locale = "es"
        db.session.commit()
    admin = _admin_client(app, world)
    assert "Cuenta eliminada" in admin.get("/admin/users").text
    assert "Participante anónimo" in admin.get(f"/circles/{pat.circle}/roster").text
