"""Email through the outbox, delivered to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import icalendar
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage
from app.outbox import queue_email
from app.timeutil import utcnow
from tests.mail import free_port, outbox_messages, queue_messages, send_outbox

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VEVENT\r\nUID:meeting-1@circles.test\r\nDTSTAMP:20261201T120000Z\r\n"
    "DTSTART:20261201T230000Z\r\nDTEND:20261202T000000Z\r\nSUMMARY:Grant writing\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_outbox_delivers_over_smtp(app, inbox):
    queue_messages(
        app,
        ("ana@example.org", "Welcome", "Hello Ana ✨", None),
        ("bo@example.org", "Your circle", "See you Tuesday", ICS),
    )
    assert "2 sent, 0 failed" in send_outbox(app)
    assert [rcpt for rcpt, _ in inbox.messages] == [["ana@example.org"], ["bo@example.org"]]
    first, second = (m for _, m in inbox.messages)
    assert first["Subject"] == "Welcome"
    assert first.get_content().strip() == "Hello Ana ✨"
    assert second["Subject"] == "Your circle"
    attachment = next(second.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["SUMMARY"]) == "Grant writing"
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox_messages(app))
    # Sent once: a second run sends nothing.
    assert "0 sent, 0 failed" in send_outbox(app)
    assert len(inbox.messages) == 2


def test_unreachable_server_keeps_messages_for_a_retry(app, inbox):
    queue_messages(app, ("ana@example.org", "Welcome", "Hello", None))
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    assert "0 sent, 1 failed" in send_outbox(app)
    [message] = outbox_messages(app)
    assert message.sent_at is None
    assert message.attempts == 1
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert message.next_attempt_at > utcnow()

    # Not due yet: nothing is tried.
    assert "0 sent, 0 failed" in send_outbox(app)
    assert outbox_messages(app)[0].attempts == 1

    with app.app_context():
        db.session.get(OutboxMessage, message.id).next_attempt_at = utcnow() - dt.timedelta(
            seconds=1
        )
        db.session.commit()
    app.config["MAIL_PORT"] = inbox.port
    assert "1 sent, 0 failed" in send_outbox(app)
    assert [rcpt for rcpt, _ in inbox.messages] == [["ana@example.org"]]


def test_refusing_server_keeps_message_and_gives_up_after_max_attempts(app, inbox):
    inbox.refuse = True
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    queue_messages(app, ("ana@example.org", "Welcome", "Hello", None))
    for expected_attempts in (1, 2):
        assert "0 sent, 1 failed" in send_outbox(app)
        with app.app_context():
            message = db.session.scalars(sa.select(OutboxMessage)).one()
            assert message.attempts == expected_attempts
            assert "451" in message.last_error
            message.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
            db.session.commit()
    inbox.refuse = False
    assert "0 sent, 0 failed" in send_outbox(app)  # given up: left for a person to look at
    assert inbox.messages == []


def test_message_exists_only_if_its_transaction_commits(app):
    with app.app_context():
        queue_email("ana@example.org", "Never", "Rolled back")
        db.session.rollback()
        queue_email("ana@example.org", "Kept", "Committed")
        db.session.commit()
    assert [m.subject for m in outbox_messages(app)] == ["Kept"]


def test_console_backend_prints(app):
    app.config["MAIL_BACKEND"] = "console"
    queue_messages(app, ("ana@example.org", "Printed", "Body text here", None))
    output = send_outbox(app)
    assert "Subject: Printed" in output
    assert "Body text here" in output
    assert outbox_messages(app)[0].sent_at is not None
