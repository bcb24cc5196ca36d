"""Guests' emails in their language (issue 16): a guest is written to in the language of the
page they signed up on (the browser's, or the switch's), from the confirmation link to the
seat that opens and the reminders; an English guest in English; a member in their profile's
language, whatever the page. Read from a real SMTP server (tests/mail.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, Enrollment, GuestSignup, Meeting, User
from app.participation import services
from app.timeutil import utcnow
from tests.conftest import login
from tests.mail import send_outbox
from tests.test_participation import confirm_path, guest_asks


def received(app, inbox, email: str) -> list[tuple[str, str]]:
    """(subject, plain body) of each message that reached ``email`` so far."""
    send_outbox(app)
    return [
        (str(m["Subject"]), m.get_body(("plain",)).get_content())
        for to, m in inbox.messages
        if to == [email]
    ]


def _subjects(app, inbox, email: str) -> list[str]:
    return [subject for subject, _ in received(app, inbox, email)]


def _browser(app, language: str):
    """A client whose browser asks for ``language``."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _place(query, email: str) -> tuple[str | None, str]:
    def read():
        place = db.session.scalars(sa.select(Enrollment).where(Enrollment.email == email)).one()
        return place.locale, place.status

    return query(read)


def test_a_guest_is_written_to_in_the_language_they_signed_up_in(app, world, query, inbox):
    circle_id = world.circle(audience="public", capacity=2, title="Grant writing circle")
    title = "Grant writing circle"
    with app.app_context():  # Pat reads Spanish; her browser says English
        db.session.get(User, world.participant).locale = "es"
        db.session.commit()

    # An English guest takes the first seat: all in English.
    gus = _browser(app, "en")
    assert guest_asks(gus, circle_id, "Gus", "gus@example.org").status_code == 302
    assert gus.post(confirm_path(query, "gus@example.org")).status_code == 302
    assert _subjects(app, inbox, "gus@example.org") == [
        f"Confirm your place in “{title}”",
        f"You are in “{title}”",
    ]

    # Pat, a member, takes the second one from an English page: her profile's Spanish.
    pat = _browser(app, "en")
    login(pat, "pat@example.org")
    assert pat.post(f"/circles/{circle_id}/join").status_code == 302
    assert _subjects(app, inbox, "pat@example.org") == [f"Está inscrito en “{title}”"]

    # A Spanish guest: the link to confirm, then the waitlist, in Spanish; kept with the place.
    ana = _browser(app, "es")
    assert guest_asks(ana, circle_id, "Ana", "ana@example.org").status_code == 302
    [(subject, body)] = received(app, inbox, "ana@example.org")
    assert subject == f"Confirme su lugar en “{title}”"
    assert "Hello" not in body
    signups = sa.select(GuestSignup.email, GuestSignup.locale).order_by(GuestSignup.id)
    assert query(lambda: db.session.execute(signups).all()) == [
        ("gus@example.org", "en"),
        ("ana@example.org", "es"),
    ]
    path = confirm_path(query, "ana@example.org")
    # Confirming from a browser in English changes nothing: the language is the sign-up's.
    ana.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert ana.post(path).status_code == 302
    assert _place(query, "ana@example.org") == ("es", "waitlisted")
    assert _subjects(app, inbox, "ana@example.org")[1:] == [
        f"Está en la lista de espera de “{title}”"
    ]
    assert _place(query, "gus@example.org") == ("en", "enrolled")
    assert _place(query, "pat@example.org") == (None, "enrolled")  # hers is on the profile

    # Pat leaves: Ana gets the seat, told in Spanish.
    with app.app_context():
        place = db.session.scalars(
            sa.select(Enrollment).where(Enrollment.email == "pat@example.org")
        ).one()
        services.withdraw(place, by=db.session.get(User, world.participant), now=utcnow())
        db.session.commit()
    assert _subjects(app, inbox, "ana@example.org")[2:] == [
        f"Se liberó un cupo: está inscrito en “{title}”"
    ]

    # The reminders: each guest's own language, times shown the way it writes them.
    with app.app_context():
        now = utcnow()
        first = db.session.scalars(
            sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
        ).first()
        assert services.send_reminders(now, first.starts_at - now + dt.timedelta(minutes=1)) == 2
        db.session.commit()
    [(subject, body)] = received(app, inbox, "ana@example.org")[3:]
    assert subject == f"Recordatorio: {title}"
    assert "18:00" in body
    assert "6:00 PM" not in body
    [(subject, body)] = received(app, inbox, "gus@example.org")[2:]
    assert subject == f"Reminder: {title}"
    assert "6:00 PM" in body


def test_the_switch_chooses_a_guests_language_and_an_accounts_own_stays(app, world, query, inbox):
    """A visitor who switched to Spanish signs up in Spanish (their browser says English);
    an address that has an account is told to sign in in the account's language, never the
    visitor's."""
    circle_id = world.circle(audience="public", title="Grant writing circle")
    visitor = _browser(app, "en")
    assert visitor.post("/language", data={"locale": "es"}).status_code == 302
    assert guest_asks(visitor, circle_id, "Ana", "ana@example.org").status_code == 302
    assert guest_asks(visitor, circle_id, "Pat", "pat@example.org").status_code == 302
    assert _subjects(app, inbox, "ana@example.org") == [
        "Confirme su lugar en “Grant writing circle”"
    ]
    assert _subjects(app, inbox, "pat@example.org") == ["Sign in to join “Grant writing circle”"]
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 0


def test_signing_up_again_in_another_language_changes_the_places(app, world, query, inbox):
    """A guest already in the circle asks again from a Spanish page: the new link to their
    place, and what follows, are in Spanish."""
    circle_id = world.circle(audience="public", title="Grant writing circle")
    english = _browser(app, "en")
    assert guest_asks(english, circle_id, "Gus", "gus@example.org").status_code == 302
    assert english.post(confirm_path(query, "gus@example.org")).status_code == 302
    spanish = _browser(app, "es")
    assert guest_asks(spanish, circle_id, "Gus", "gus@example.org").status_code == 302
    assert spanish.post(confirm_path(query, "gus@example.org")).status_code == 302
    assert _place(query, "gus@example.org") == ("es", "enrolled")
    assert _subjects(app, inbox, "gus@example.org") == [
        "Confirm your place in “Grant writing circle”",
        "You are in “Grant writing circle”",
        "Confirme su lugar en “Grant writing circle”",
        "Su enlace a “Grant writing circle”",  # a new link to the place held
    ]
