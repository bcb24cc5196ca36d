"""Overflow cohorts (issue 14): the wizard pre-filled from a full circle, its seats offered to
the waitlist in order, accepting (the place moves), declining (the offer passes on), stale,
replayed and altered links, the emails through a real SMTP server, and two people accepting
the last seat at once against gunicorn."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import (
    Circle,
    Enrollment,
    EnrollmentStatus,
    OfferStatus,
    OutboxMessage,
    OverflowOffer,
    User,
)
from app.participation import services
from tests.conftest import login
from tests.factories import PASSWORD_HASH, enroll, next_weekday, wizard_data
from tests.live import Client, burst, gunicorn, migrate

OFFER_LINK = re.compile(r"(https?://\S+?)(/offer/[A-Za-z0-9_-]+)\?answer=(accept|decline)")


def full_circle(app, world, *, capacity: int = 2, waiting: int = 4, **overrides) -> int:
    """A public circle led by Lena Lead: ``capacity`` guests enrolled, then ``waiting`` on the
    waitlist (Wait 1, Wait 2, ...; Pat, who has an account, is Wait 2)."""
    circle_id = world.circle(capacity=capacity, audience="public", room_id=None, **overrides)
    for i in range(capacity):
        enroll(app, circle_id, f"In {i + 1}", f"in{i + 1}@example.org")
    for i in range(1, waiting + 1):
        email = "pat@example.org" if i == 2 else f"wait{i}@example.org"
        enroll(app, circle_id, "Pat" if i == 2 else f"Wait {i}", email)
    return circle_id


def second_cohort(world, *, capacity: int = 2) -> int:
    """A published circle on the same course, on Thursdays (Lena is free then)."""
    return world.circle(
        title="Grants (second cohort)",
        capacity=capacity,
        audience="public",
        room_id=None,
        weekdays=[3],
        first_date=next_weekday(3),
    )


def offers(query, target: int) -> list[tuple[str, str]]:
    """(email, status) of the offers of seats in ``target``, in the order they were made."""
    return query(
        lambda: [
            (o.enrollment.email, o.status)
            for o in db.session.scalars(
                sa.select(OverflowOffer)
                .where(OverflowOffer.circle_id == target)
                .order_by(OverflowOffer.id)
            )
        ]
    )


def place(query, circle_id: int, email: str) -> str | None:
    return query(
        lambda: db.session.scalar(
            sa.select(Enrollment.status)
            .where(Enrollment.circle_id == circle_id, Enrollment.email == email)
            .order_by(Enrollment.id.desc())
            .limit(1)
        )
    )


def offer_path(query, email: str, answer: str = "accept") -> str:
    body = query(
        lambda: db.session.scalars(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.to == email, OutboxMessage.subject.like("A seat for you%"))
            .order_by(OutboxMessage.id.desc())
        ).first()
    )
    assert body, f"no offer emailed to {email}"
    links = {m.group(3): m.group(2) for m in OFFER_LINK.finditer(body)}
    return f"{links[answer]}?answer={answer}"


def offer_seats(client, original: int, target: int):
    page = client.get(f"/circles/{original}/roster")
    assert f"Offer seats in “{'Grants (second cohort)'}”" in html.unescape(page.text)
    return client.post(f"/circles/{original}/overflow/offer", data={"target_id": target})


def answer(client, path: str, what: str):
    return client.post(path.split("?")[0], data={"answer": what})


# --- the overflow cohort: the wizard pre-filled -----------------------------------------------


def test_a_full_waitlist_opens_the_wizard_prefilled_as_a_second_cohort(client, app, world, query):
    circle_id = full_circle(
        app, world, title="Grants, spring", description="We write one.", ask_goals=True
    )
    login(client, "lead@example.org")
    page = html.unescape(client.get(f"/circles/{circle_id}").text)
    assert f'class="button" href="/circles/new?overflow_of={circle_id}"' in page
    wizard = client.get(f"/circles/new?overflow_of={circle_id}")
    assert wizard.status_code == 200
    text = html.unescape(wizard.text)
    assert "<h2>Where and when</h2>" in text
    assert "An overflow cohort of “Grants, spring” (4 people waiting)" in text
    for shown in (
        'name="title" value="Grants, spring (second cohort)"',
        'name="description" value="We write one."',
        'name="capacity" value="2"',
        'name="audience" value="public"',
        'name="meeting_count" type="number" value="4"',
        'name="duration_minutes" required type="number" value="90"',
        'name="first_date" type="date" value=""',  # when it meets is to be chosen
    ):
        assert shown in text, shown
    assert '<input type="hidden" name="ask_goals" value="y">' in text
    assert re.search(rf'(selected|checked)[^>]*value="{world.branch}"', text)
    assert not re.search(r'<input checked id="weekdays-', text)

    # The normal rules apply: at the same hours, Lena would lead two circles at once.
    same_time = wizard_data(world, room_id="", audience="public", meeting_count="4")
    clash = client.post(
        f"/circles/new?overflow_of={circle_id}", data=same_time | {"action": "create"}
    )
    assert clash.status_code == 200
    assert "already facilitates" in html.unescape(clash.text)
    thursday = same_time | {"weekdays": ["3"], "first_date": next_weekday(3).isoformat()}
    made = client.post(
        f"/circles/new?overflow_of={circle_id}",
        data=thursday | {"action": "create", "publish": "y", "title": "Grants (second cohort)"},
    )
    assert made.status_code == 302
    new_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert query(lambda: db.session.get(Circle, new_id).status) == "published"
    assert query(lambda: [f.user_id for f in db.session.get(Circle, new_id).facilitations]) == [
        world.lead
    ]


def test_a_short_waitlist_gets_the_quiet_link_and_others_none(client, app, world):
    circle_id = full_circle(app, world, capacity=2, waiting=1)
    login(client, "lead@example.org")
    page = html.unescape(client.get(f"/circles/{circle_id}").text)
    assert f'class="button" href="/circles/new?overflow_of={circle_id}"' not in page
    assert f'(<a href="/circles/new?overflow_of={circle_id}">open an overflow cohort</a>)' in page
    client.post("/logout")
    login(client, "co@example.org")  # a facilitator, but not of this circle
    assert client.get(f"/circles/new?overflow_of={circle_id}").status_code == 403
    assert client.get("/circles/new?overflow_of=99999").status_code == 404


# --- offers -----------------------------------------------------------------------------------


def test_seats_are_offered_to_the_first_waiting_in_order_and_never_more_than_free(
    client, app, world, query
):
    original = full_circle(app, world)
    target = second_cohort(world, capacity=3)
    enroll(app, target, "Early bird", "early@example.org")  # 2 seats left
    login(client, "lead@example.org")
    response = offer_seats(client, original, target)
    assert response.status_code == 302
    assert offers(query, target) == [
        ("wait1@example.org", "offered"),
        ("pat@example.org", "offered"),
    ]
    # Both seats are spoken for: nothing more to offer, and the roster says who was offered.
    again = client.post(
        f"/circles/{original}/overflow/offer", data={"target_id": target}, follow_redirects=True
    )
    assert "Nobody left to offer a seat to" in html.unescape(again.text)
    assert len(offers(query, target)) == 2
    roster = html.unescape(client.get(f"/circles/{original}/roster").text)
    assert roster.count("Waiting for an answer") == 2
    # Seats only in another circle of the same course, that the user may edit.
    other = world.circle(
        course_id=world.spanish,
        room_id=None,
        weekdays=[4],
        first_date=next_weekday(4),
        audience="public",
    )
    other_course = client.post(f"/circles/{original}/overflow/offer", data={"target_id": other})
    assert other_course.status_code == 302
    assert len(offers(query, other)) == 0


def test_accepting_moves_the_place_and_the_link_then_is_spent(client, app, world, query):
    original = full_circle(app, world)
    target = second_cohort(world)
    login(client, "lead@example.org")
    offer_seats(client, original, target)
    client.post("/logout")

    guest = app.test_client()
    path = offer_path(query, "wait1@example.org")
    page = guest.get(path)  # opening the link changes nothing
    assert page.status_code == 200
    assert "A seat for you in “Grants (second cohort)”" in html.unescape(page.text)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert offers(query, target)[0] == ("wait1@example.org", "offered")
    accepted = answer(guest, path, "accept")
    assert accepted.status_code == 302
    assert accepted.headers["Location"].startswith("/manage/")  # their new place's link
    assert place(query, target, "wait1@example.org") == "enrolled"
    assert place(query, original, "wait1@example.org") == "withdrawn"
    assert offers(query, target)[0] == ("wait1@example.org", "accepted")
    counts = query(lambda: db.session.get(Circle, target).enrolled_count)
    assert counts == 1

    # The same link again: a clear 404, and nothing changes.
    for replay in (guest.get(path), answer(guest, path, "decline")):
        assert replay.status_code == 404
        assert "This offer link does not work" in html.unescape(replay.text)
    assert place(query, target, "wait1@example.org") == "enrolled"
    assert offers(query, target)[0] == ("wait1@example.org", "accepted")


def test_declining_keeps_the_place_and_offers_the_seat_to_the_next(client, app, world, query):
    original = full_circle(app, world)
    target = second_cohort(world)
    login(client, "lead@example.org")
    offer_seats(client, original, target)
    client.post("/logout")

    # Pat, signed in, answers from "my circles".
    login(client, "pat@example.org")
    mine = html.unescape(client.get("/my/circles").text)
    assert "Seats offered to you" in mine
    offer_id = query(
        lambda: db.session.scalar(
            sa.select(OverflowOffer.id)
            .join(Enrollment)
            .where(Enrollment.email == "pat@example.org")
        )
    )
    declined = client.post(f"/my/offers/{offer_id}", data={"answer": "decline"})
    assert declined.status_code == 302
    assert place(query, original, "pat@example.org") == "waitlisted"
    assert offers(query, target) == [
        ("wait1@example.org", "offered"),
        ("pat@example.org", "declined"),
        ("wait3@example.org", "offered"),  # the next waiting, offered at once
    ]
    assert "Seats offered to you" not in html.unescape(client.get("/my/circles").text)
    # Someone else's offer looks missing; a made-up answer is refused.
    other = query(lambda: db.session.scalar(sa.select(sa.func.max(OverflowOffer.id))))
    assert client.post(f"/my/offers/{other}", data={"answer": "accept"}).status_code == 404
    assert client.post(f"/my/offers/{offer_id}", data={"answer": "maybe"}).status_code == 400
    client.post("/logout")

    # Wait 3 declines by the emailed link: Wait 4 is next.
    guest = app.test_client()
    assert answer(guest, offer_path(query, "wait3@example.org"), "decline").status_code == 302
    assert offers(query, target)[-1] == ("wait4@example.org", "offered")
    assert place(query, original, "wait3@example.org") == "waitlisted"


def test_altered_links_are_a_404_and_change_nothing(app, client, world, query):
    original = full_circle(app, world)
    target = second_cohort(world)
    login(client, "lead@example.org")
    offer_seats(client, original, target)
    path = offer_path(query, "wait1@example.org").split("?")[0]
    guest = app.test_client()
    for bad in (path[:-1] + ("A" if path[-1] != "A" else "B"), path + "x", "/offer/" + "a" * 300):
        assert guest.get(bad).status_code == 404
        assert answer(guest, bad, "accept").status_code == 404
    assert offers(query, target)[0] == ("wait1@example.org", "offered")
    assert place(query, original, "wait1@example.org") == "waitlisted"


def test_an_offer_for_a_place_that_is_gone_no_longer_works(app, client, world, query):
    original = full_circle(app, world)
    target = second_cohort(world)
    login(client, "lead@example.org")
    offer_seats(client, original, target)
    guest = app.test_client()
    path = offer_path(query, "wait1@example.org")
    removed = query(
        lambda: db.session.scalar(
            sa.select(Enrollment.id).where(Enrollment.email == "in1@example.org")
        )
    )
    client.post(f"/enrollments/{removed}/remove")  # a seat frees up and goes to Wait 1
    assert place(query, original, "wait1@example.org") == "enrolled"
    page = html.unescape(guest.get(path).text)
    assert "This offer no longer works: you have a seat in" in page
    refused = answer(guest, path, "accept")
    assert refused.status_code == 302
    assert place(query, target, "wait1@example.org") is None
    assert place(query, original, "wait1@example.org") == "enrolled"
    # Its seat is free to offer again: to the next waiting not yet offered.
    offer_seats(client, original, target)
    assert offers(query, target)[-1] == ("wait3@example.org", "offered")


def test_with_no_seat_left_accepting_says_so_and_keeps_the_place(app, client, world, query):
    original = full_circle(app, world)
    target = second_cohort(world, capacity=1)
    login(client, "lead@example.org")
    offer_seats(client, original, target)
    enroll(app, target, "Walk-in", "walkin@example.org")  # takes the only seat meanwhile
    guest = app.test_client()
    path = offer_path(query, "wait1@example.org")
    refused = answer(guest, path, "accept")
    assert refused.status_code == 302
    message = html.unescape(guest.get(refused.headers["Location"]).text)
    assert "the last seat in “Grants (second cohort)” was just taken" in message
    assert "You keep your place on the waitlist" in message
    assert place(query, original, "wait1@example.org") == "waitlisted"
    assert place(query, target, "wait1@example.org") is None
    assert query(lambda: db.session.get(Circle, target).enrolled_count) == 1


def test_the_offer_email_arrives_with_links_under_base_url(app, client, world, query, inbox):
    original = full_circle(app, world)
    target = second_cohort(world)
    login(client, "lead@example.org")
    offer_seats(client, original, target)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    offered = {
        rcpt[0]: message
        for rcpt, message in inbox.messages
        if message["Subject"].startswith("A seat for you")
    }
    assert sorted(offered) == ["pat@example.org", "wait1@example.org"]
    message = offered["wait1@example.org"]
    assert message["Subject"] == "A seat for you in “Grants (second cohort)”"
    assert message["Reply-To"] == "lead@example.org"
    body = message.get_body(("plain",)).get_content()
    assert "You are on the waitlist of “Grant Writing Basics”" in body
    assert "A second circle on the same course has a seat for you" in body
    base = app.config["BASE_URL"]
    links = OFFER_LINK.findall(body)
    assert {(host, what) for host, _path, what in links} == {
        (base, "accept"),
        (base, "decline"),
    }
    assert "My circles" not in body  # a guest has no account to sign in with
    assert f"{base}/my/circles" in offered["pat@example.org"].get_body(("plain",)).get_content()


# --- two people accept the last seat at the same moment -----------------------------------------


def _seed_race(url: str) -> tuple[list[str], int, int]:
    """A full circle with two guests waiting, a second cohort with one seat, and both guests
    offered it: their links' paths, the circles' ids."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x",
            "TESTING": True,
            "BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        lead = User(email="lead@example.org", name="Lead", is_facilitator=True)
        lead.password_hash = PASSWORD_HASH
        db.session.add(lead)
        db.session.flush()
        from app.models import Branch, Course, Facilitation, Meeting

        branch = Branch(name="Main", slug="main", timezone="America/New_York")
        course = Course(
            title="Grants", provider="NNLM", url="https://example.org/c", skill_area="grant_writing"
        )
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)

        def circle(title: str, capacity: int, enrolled: int, waitlist_next: int) -> Circle:
            return Circle(
                title=title,
                course=course,
                branch=branch,
                timezone="America/New_York",
                capacity=capacity,
                enrolled_count=enrolled,
                waitlist_next=waitlist_next,
                audience="public",
                status="published",
                meetings=[
                    Meeting(
                        starts_at=starts, ends_at=starts + dt.timedelta(hours=1), status="scheduled"
                    )
                ],
                facilitations=[Facilitation(user=lead, role="lead")],
            )

        full, second = circle("Full", 1, 1, 2), circle("Second", 1, 0, 0)
        db.session.add_all([full, second])
        db.session.flush()
        people = [
            Enrollment(circle_id=full.id, name="In", email="in@example.org", status="enrolled"),
            *(
                Enrollment(
                    circle_id=full.id,
                    name=f"Wait {i}",
                    email=f"wait{i}@example.org",
                    status="waitlisted",
                    waitlist_seq=i,
                )
                for i in (1, 2)
            ),
        ]
        db.session.add_all(people)
        paths = []
        for enrollment in people[1:]:
            token, digest = services.new_token()
            db.session.add(OverflowOffer(enrollment=enrollment, circle=second, token_hash=digest))
            paths.append(f"/offer/{token}")
        db.session.commit()
        ids = full.id, second.id
        db.session.remove()
        db.engine.dispose()
    return paths, *ids


def _accept_race(url: str, *, protected: bool):
    """Both guests press "Accept" at the same moment; the places afterwards."""
    migrate(url)
    paths, full, second = _seed_race(url)
    with gunicorn(url, protected=protected) as base:
        guests = [Client(base) for _ in paths]
        tokens = [g.csrf(path) for g, path in zip(guests, paths, strict=True)]

        def send(i: int) -> int:
            return guests[i].post(paths[i], {"csrf_token": tokens[i], "answer": "accept"}).status

        statuses = burst(send, len(paths))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Enrollment.circle_id, Enrollment.email, Enrollment.status)
        ).all()
        counts = dict(conn.execute(sa.select(Circle.id, Circle.enrolled_count)).all())
        answers = sorted(conn.execute(sa.select(OverflowOffer.status)).scalars())
    engine.dispose()
    in_second = [r.email for r in rows if r.circle_id == second and r.status == "enrolled"]
    return statuses, rows, counts, answers, full, second, in_second


def test_two_people_accepting_the_last_seat_at_once_get_one_seat(fresh_database_url):
    statuses, rows, counts, answers, full, second, in_second = _accept_race(
        fresh_database_url, protected=True
    )
    assert statuses == [302, 302], statuses  # one moved, one told the seat is gone: no 500
    assert len(in_second) == 1
    assert counts[second] == 1
    assert answers == [OfferStatus.accepted, OfferStatus.offered]
    winner = in_second[0]
    loser = ({"wait1@example.org", "wait2@example.org"} - {winner}).pop()
    kept = {(r.email, r.status) for r in rows if r.circle_id == full}
    assert (winner, EnrollmentStatus.withdrawn) in kept
    assert (loser, EnrollmentStatus.waitlisted) in kept


def test_without_the_protection_both_accept_the_last_seat(fresh_database_url):
    """The control: with naive seat taking and no row lock (tests/live_wsgi.py), the same
    burst puts both in the one seat, so the test above can fail."""
    _statuses, _rows, _counts, _answers, _full, _second, in_second = _accept_race(
        fresh_database_url, protected=False
    )
    assert len(in_second) == 2, in_second
