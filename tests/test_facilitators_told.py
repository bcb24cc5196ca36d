"""A circle's facilitators: its join page points them to their panel (and a join from them is
refused), and co-facilitators are emailed when added to a circle or removed from it (issue
13's loose ends)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.labels import when
from app.models import Enrollment, Facilitation, Meeting, OutboxMessage, User
from tests.conftest import login
from tests.mail import send_outbox


def mail(query) -> list[OutboxMessage]:
    return query(
        lambda: db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    )


def add_co(app, circle_id: int, user_id: int) -> None:
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=user_id, role="co"))
        db.session.commit()


# --- the join page ----------------------------------------------------------------------------


def test_the_join_page_sends_a_circles_facilitators_to_their_panel(client, world, app):
    circle_id = world.circle(ask_goals=True, custom_question="Which grant?")
    add_co(app, circle_id, world.co)
    for email in ("lead@example.org", "co@example.org"):
        login(client, email)
        page = client.get(f"/circles/{circle_id}/join").text
        assert "You facilitate this circle" in page
        assert f'href="/circles/{circle_id}#panel-h">Go to the facilitator panel</a>' in page
        assert "<form" not in page.split("<main")[1]
        assert "Join the circle" not in page
        client.post("/logout")

    login(client, "pat@example.org")  # anyone else still gets the form
    page = client.get(f"/circles/{circle_id}/join").text
    assert "You facilitate this circle" not in page
    assert "Join the circle" in page


def test_a_join_from_a_facilitator_is_refused_with_a_clear_message(client, world, app, query):
    circle_id = world.circle(ask_goals=True)
    add_co(app, circle_id, world.co)
    for email in ("lead@example.org", "co@example.org"):
        login(client, email)
        response = client.post(f"/circles/{circle_id}/join", data={"consent_contact": "y"})
        assert response.status_code == 200  # the page again, with the refusal
        assert (
            '<p class="flash flash-error">You facilitate this circle, so you need no place in it.'
            in response.text
        )
        assert "Go to the facilitator panel" in response.text
        client.post("/logout")
    assert query(lambda: db.session.scalars(sa.select(Enrollment)).all()) == []
    assert mail(query) == []


# --- co-facilitators told ---------------------------------------------------------------------


def test_a_co_facilitator_added_by_the_lead_is_emailed(client, world, app, query, inbox):
    circle_id = world.circle()  # four Tuesdays at 18:00 in New York, led by Lena Lead
    with app.app_context():  # Cole reads in Spanish, in Los Angeles
        cole = db.session.get(User, world.co)
        cole.locale, cole.timezone = "es", "America/Los_Angeles"
        db.session.commit()
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/facilitators", data={"which": "assign", "assign-user_id": world.co}
    )
    assert response.status_code == 302

    [message] = mail(query)
    assert (message.to, message.reply_to) == ("co@example.org", "lead@example.org")
    first = query(
        lambda: db.session.scalars(
            sa.select(Meeting.starts_at).filter_by(circle_id=circle_id).order_by(Meeting.starts_at)
        ).first()
    )
    with app.test_request_context(), force_locale("es"):
        starts = when(first, "America/Los_Angeles", "zoned")
    assert "15:00" in starts  # 18:00 in New York, in Los Angeles, 24-hour
    assert starts in message.body
    assert "Grant Writing Basics" in message.subject
    assert "Grant Writing Basics" in message.body
    assert "Lena Lead (lead@example.org)" in message.body
    assert f"{app.config['BASE_URL']}/circles/{circle_id}\n" in message.body

    assert "1 sent, 0 failed" in send_outbox(app)
    [(to, sent)] = inbox.messages
    assert to == ["co@example.org"]
    assert starts in sent.get_content()


def test_a_removed_co_facilitator_is_told_and_no_one_of_their_own_change(client, world, app, query):
    circle_id = world.circle()
    add_co(app, circle_id, world.co)
    login(client, "lead@example.org")
    response = client.post(f"/circles/{circle_id}/facilitators/{world.co}/remove")
    assert response.status_code == 302
    [message] = mail(query)
    assert (message.to, message.reply_to) == ("co@example.org", "lead@example.org")
    assert message.subject == "You no longer co-facilitate “Grant Writing Basics”"
    assert "Lena Lead removed you from the facilitators of “Grant Writing Basics”" in message.body

    # A manager who adds themselves is not told what they did.
    with app.app_context():
        db.session.get(User, world.manager).is_facilitator = True
        db.session.commit()
    client.post("/logout")
    login(client, "boss@example.org")
    response = client.post(
        f"/circles/{circle_id}/facilitators",
        data={"which": "assign", "assign-user_id": world.manager},
    )
    assert response.status_code == 302
    assert len(mail(query)) == 1
