"""The Learning Services digest (issue 14): staff subscribe at once, guests after confirming
their address; ``flask digest send`` emails matching circles once each, in the subscriber's
language, with RFC 8058 one-click unsubscribe; Atom and iCal feeds; two senders at once."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.digest import notifications, services
from app.extensions import db
from app.models import Course, DigestSent, DigestSubscription, OutboxMessage, User
from app.timeutil import utcnow
from tests.conftest import csrf_token, login
from tests.factories import next_weekday
from tests.mail import outbox_messages, send_outbox


@pytest.fixture
def circles(world):
    """A staff circle on grant writing at Main (Tuesdays 18:00) and a public online one in
    Spanish on digital literacy (Saturdays 10:00)."""
    grants = world.circle(title="Tuesday grants")
    spanish = world.circle(
        audience="public",
        title="Saturday Spanish",
        course_id=world.spanish,
        first_date=next_weekday(5),
        weekdays=[5],
        start_time=dt.time(10),
        format="virtual",
        join_url="https://meet.example.org/x",
        room_id=None,
    )
    return grants, spanish


def digest_send(app) -> str:
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def subscribe(app, email: str, **filters) -> int:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        filters.setdefault("frequency", "weekly")
        sub = services.subscribe_user(user, services.Filters(**filters), utcnow())
        db.session.commit()
        return sub.id


def path(url: str) -> str:
    return urlsplit(url).path


def link(body: str, kind: str) -> str:
    return path(re.search(rf"https?://\S+/digest/{kind}/\S+", body).group(0))


def digests(app) -> list[OutboxMessage]:
    return [m for m in outbox_messages(app) if "digest:" in m.subject]


def test_staff_subscribe_and_each_circle_is_sent_once_in_their_language(
    client, app, world, factory, circles, inbox
):
    grants, spanish = circles
    login(client, "pat@example.org")
    page = client.get("/digest/subscribe").text
    assert "Skill areas" in page
    assert 'name="email"' not in page
    response = client.post(
        "/digest/subscribe", data={"frequency": "weekly", "skill_areas": ["grant_writing"]}
    )
    assert response.headers["Location"] == "/digest/"
    assert "Grant writing" in client.get("/digest/").text
    factory.user("es@example.org", locale="es")
    subscribe(app, "es@example.org", format="virtual")
    factory.user("none@example.org")
    subscribe(app, "none@example.org", branch_ids=[world.other_branch])  # nothing there

    assert digest_send(app) == "Digest: 2 queued.\n"
    assert digest_send(app) == "Digest: 0 queued.\n"  # not due again for a week
    send_outbox(app)
    got = {to[0]: message for to, message in inbox.messages}
    assert set(got) == {"pat@example.org", "es@example.org"}
    english = got["pat@example.org"].get_content()
    spanish_body = got["es@example.org"].get_content()
    assert "Tuesday grants" in english
    assert "Saturday Spanish" not in english
    assert "6:00 PM" in english  # English: 12-hour times
    assert "Saturday Spanish" in spanish_body
    assert "Tuesday grants" not in spanish_body
    assert "10:00" in spanish_body
    # Not a 12-hour time anywhere (a bare "AM" could be in a link's random token).
    assert not re.search(r"\d\s*(AM|PM)\b", spanish_body)

    # A week later: only what is new is sent.
    later = utcnow() + dt.timedelta(days=8)
    with app.app_context():
        assert services.send_digests(later) == 0
    world.circle(title="Thursday grants", first_date=next_weekday(3), weekdays=[3])
    with app.app_context():
        assert services.send_digests(later + dt.timedelta(days=8)) == 1
        told = db.session.scalars(sa.select(DigestSent.circle_id)).all()
    assert sorted(told) == sorted([grants, spanish, max(told)])
    last = digests(app)[-1]
    assert last.to == "pat@example.org"
    assert "Thursday grants" in last.body
    assert "Tuesday grants" not in last.body


def test_a_guest_confirms_by_email_first_and_hears_of_public_circles_only(
    client, app, world, circles
):
    response = client.post(
        "/digest/subscribe",
        data={
            "email": " Guest@Example.org ",
            "frequency": "monthly",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 302
    assert "guest@example.org" in client.get(response.headers["Location"]).text
    with app.app_context():
        assert services.send_digests(utcnow()) == 0  # not confirmed yet
    [confirm_email] = outbox_messages(app)
    assert confirm_email.to == "guest@example.org"
    confirm = link(confirm_email.body, "confirm")
    page = client.get(confirm)  # opening the link changes nothing
    assert "Confirm" in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(DigestSubscription.confirmed_at)) is None
    page = client.post(confirm)
    assert page.status_code == 200
    assert "Your digest is on" in page.text
    replay = client.post(confirm)
    assert replay.status_code == 400
    assert "used already" in replay.text
    with app.app_context():
        assert services.send_digests(utcnow()) == 1
    body = digests(app)[0].body
    assert "Saturday Spanish" in body
    assert "Tuesday grants" not in body


def test_a_guest_form_with_a_bad_address_says_so_and_keeps_nothing(client, app, world):
    page = client.post(
        "/digest/subscribe",
        data={"email": "nope", "frequency": "weekly", "timezone": "America/New_York"},
    )
    assert page.status_code == 200
    assert "Enter a valid email address." in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DigestSubscription.id))) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_one_click_unsubscribe_from_the_email_headers_without_sign_in_or_csrf(
    client, app, world, circles, inbox
):
    subscribe(app, "pat@example.org")
    digest_send(app)
    send_outbox(app)
    [(_to, message)] = inbox.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://\S+)>", message["List-Unsubscribe"]).group(1)
    assert link(message.get_content(), "unsubscribe") == path(url)
    # What a mail client sends (RFC 8058): a POST with this body, no cookie, no CSRF token.
    response = client.post(path(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "Unsubscribed" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DigestSubscription.id))) == 0
    again = client.post(path(url), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 400
    assert "Nothing was changed" in again.text


def test_unsubscribe_link_asks_first_and_bad_links_change_nothing(client, app, world, circles):
    sub_id = subscribe(app, "pat@example.org")
    with app.app_context():
        sub = db.session.get(DigestSubscription, sub_id)
        token = services.token_for(sub, "unsubscribe")
        feed = services.token_for(sub, "feed")
    bad = [token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "garbage", feed]
    for wrong in bad:
        for method in ("GET", "POST"):
            response = client.open(f"/digest/unsubscribe/{wrong}", method=method)
            assert response.status_code == 400, (wrong, method)
            assert "This digest link is not valid" in response.text
    assert client.get(f"/digest/confirm/{token}").status_code == 400  # another salt
    assert client.get(f"/digest/feeds/{token}.atom").status_code == 400
    page = client.get(f"/digest/unsubscribe/{token}")
    assert "pat@example.org" in page.text
    assert "<button" in page.text
    with app.app_context():
        assert db.session.get(DigestSubscription, sub_id) is not None  # GET changed nothing
    assert client.post(f"/digest/unsubscribe/{token}").status_code == 200
    with app.app_context():
        assert db.session.get(DigestSubscription, sub_id) is None


def test_signed_in_unsubscribe_from_the_digest_page(client, app, world, circles):
    subscribe(app, "pat@example.org", career_stage="new_staff")
    login(client, "pat@example.org")
    page = client.get("/digest/").text
    assert "New staff" in page
    action = re.search(r'action="(/digest/unsubscribe/[^"]+)"', page).group(1)
    client.post(action, data={"csrf_token": csrf_token(page)} if "csrf_token" in page else {})
    assert "No subscription yet." in client.get("/digest/").text


def test_atom_and_ical_feeds_list_the_matching_circles(client, app, world, circles):
    sub_id = subscribe(app, "pat@example.org", skill_areas=["grant_writing"])
    with app.app_context():
        feed = services.token_for(db.session.get(DigestSubscription, sub_id), "feed")
    atom = client.get(f"/digest/feeds/{feed}.atom")
    assert atom.mimetype == "application/atom+xml"
    assert "<title>Tuesday grants</title>" in atom.text
    assert "Saturday Spanish" not in atom.text
    ical = client.get(f"/digest/feeds/{feed}.ics")
    assert ical.mimetype == "text/calendar"
    assert ical.text.count("BEGIN:VEVENT") == 4  # the four Tuesdays
    assert "SUMMARY:Tuesday grants" in ical.text
    assert "Saturday Spanish" not in ical.text
    assert ical.headers["Cache-Control"] == "no-store"


READERS = 30


def test_two_senders_at_once_send_one_copy_each(
    app, world, factory, circles, database_url, monkeypatch
):
    """On PostgreSQL the senders skip each other's locked rows and share the work; on SQLite
    they queue at the one write lock (whoever holds it may well do all). Either way each
    reader gets one copy."""
    # Each digest takes a moment (as rendering many would) while its transaction is open, so
    # that the two senders really reach the same subscriptions at the same time.
    queue_digest = notifications.digest

    def slow_digest(*args, **kwargs):
        queue_digest(*args, **kwargs)
        time.sleep(0.02)

    monkeypatch.setattr(notifications, "digest", slow_digest)
    for n in range(READERS):
        factory.user(f"reader{n}@example.org")
        subscribe(app, f"reader{n}@example.org")
    now = utcnow()
    start = threading.Barrier(2)
    queued: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                start.wait()
                queued.append(services.send_digests(now))
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(queued) == READERS
    if database_url.startswith("postgresql"):
        assert min(queued) > 0  # both senders sent some: they did run at once
    sent = [m.to for m in digests(app)]
    assert sorted(sent) == sorted(f"reader{n}@example.org" for n in range(READERS))


def test_the_digest_is_linked_from_home_and_the_public_circle_list(client, world):
    assert "/digest/subscribe" in client.get("/circles/").text
    login(client, "pat@example.org")
    assert 'href="/digest/"' in client.get("/").text


def test_the_career_stage_filter_takes_courses_for_that_stage_and_for_every_stage(
    client, app, world, circles
):
    with app.app_context():
        db.session.get(Course, world.spanish).career_stage = "new_staff"
        db.session.commit()
    shown = {}
    for stage in ("new_staff", "experienced_staff"):
        sub_id = subscribe(app, "pat@example.org", career_stage=stage)
        with app.app_context():
            feed = services.token_for(db.session.get(DigestSubscription, sub_id), "feed")
        text = client.get(f"/digest/feeds/{feed}.atom").text
        shown[stage] = {t for t in ("Tuesday grants", "Saturday Spanish") if t in text}
    assert shown["new_staff"] == {"Tuesday grants", "Saturday Spanish"}  # grants: every stage
    assert shown["experienced_staff"] == {"Tuesday grants"}
