"""The outbox sender never holds a database transaction while it talks SMTP.

SQLite has one writer: a sender that kept its transaction open through a slow SMTP server
stalled every sign-in and save. It now claims a message (short transaction, committed),
delivers with no transaction open, then records the result (another short transaction).
"""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from app import outbox
from app.extensions import db
from app.models import OutboxMessage
from app.timeutil import utcnow
from tests.conftest import login
from tests.mail import WAIT, free_port, outbox_messages, queue_messages, send_outbox, smtp_inbox


class Sender(threading.Thread):
    """``deliver_due`` in a background thread with its own app context (and so its own
    database session), noting in ``events`` when it returns."""

    def __init__(self, app, events: list[str]) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.events = events
        self.result: tuple[int, int] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from app.outbox import deliver_due

        with self.app.app_context():
            try:
                self.result = deliver_due()
            except BaseException as error:  # reported by the test, not lost in the thread
                self.error = error
            finally:
                db.session.remove()
        self.events.append("sender returned")


def test_sign_in_succeeds_while_the_sender_waits_for_smtp(app, client, factory, hung):
    factory.user("ana@example.org")
    queue_messages(app, ("bo@example.org", "Welcome", "Hello", None))
    events: list[str] = []
    sender = Sender(app, events)
    sender.start()
    assert hung.connected.wait(WAIT), "the sender never reached the SMTP server"

    # The sender is now blocked in SMTP. A sign-in writes (on SQLite a POST takes
    # BEGIN IMMEDIATE): it must not wait for the sender.
    response = login(client, "ana@example.org")
    events.append("signed in")
    assert response.status_code == 302, response.status_code
    assert not hung.release.is_set()
    assert sender.is_alive(), "the sender should still be waiting for the SMTP server"

    # The claim is committed and visible; the row is not locked by the sender either.
    with app.app_context():
        message = db.session.scalars(sa.select(OutboxMessage).with_for_update(nowait=True)).one()
        assert message.sent_at is None
        assert message.attempts == 1
        assert message.next_attempt_at > utcnow()
        db.session.commit()

    hung.release.set()
    sender.join(WAIT)
    assert not sender.is_alive()
    assert sender.error is None, sender.error
    assert events == ["signed in", "sender returned"]
    assert sender.result == (1, 0)
    assert len(hung.received) == 1
    [message] = outbox_messages(app)
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.last_error is None


def test_a_second_sender_skips_a_message_another_is_delivering(app, hung):
    queue_messages(app, ("bo@example.org", "Welcome", "Hello", None))
    events: list[str] = []
    first = Sender(app, events)
    first.start()
    assert hung.connected.wait(WAIT)

    # While the first sender is in SMTP, a second one (here towards a working server,
    # so that anything it sent would be seen) finds nothing to do.
    with smtp_inbox(app) as inbox:
        assert "0 sent, 0 failed" in send_outbox(app)
        hung.release.set()
        first.join(WAIT)
        assert first.error is None, first.error
        assert first.result == (1, 0)
        assert "0 sent, 0 failed" in send_outbox(app)
    assert inbox.messages == []
    assert len(hung.received) == 1


def test_senders_running_at_once_deliver_each_message_once(app, inbox):
    count = 24
    queue_messages(
        app, *((f"p{n}@example.org", f"Message {n}", "Hello", None) for n in range(count))
    )
    barrier = threading.Barrier(3)
    events: list[str] = []

    class Racing(Sender):
        def run(self) -> None:
            barrier.wait(WAIT)
            super().run()

    senders = [Racing(app, events) for _ in range(3)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(WAIT * 2)
        assert sender.error is None, sender.error
    assert sum(sender.result[0] for sender in senders) == count
    subjects = sorted(m["Subject"] for _, m in inbox.messages)
    assert subjects == sorted(f"Message {n}" for n in range(count))
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox_messages(app))


def test_a_sender_killed_after_claiming_leaves_the_message_for_after_its_lease(
    app, inbox, monkeypatch
):
    from app.outbox import claim_due

    app.config["OUTBOX_LEASE_SECONDS"] = 300
    queue_messages(app, ("ana@example.org", "Welcome", "Hello", None))
    with app.app_context():
        [claim] = claim_due(utcnow(), 10)
        db.session.remove()
    # ...and the sender dies here: nothing delivered, nothing recorded.

    [message] = outbox_messages(app)
    assert message.id == claim.id
    assert message.sent_at is None
    assert message.attempts == 1  # a message that keeps killing senders runs out of attempts
    lease_ends = message.next_attempt_at
    assert utcnow() + dt.timedelta(seconds=290) < lease_ends <= utcnow() + dt.timedelta(seconds=300)

    # Within the lease nobody takes it: the dead sender might still have been delivering.
    assert "0 sent, 0 failed" in send_outbox(app)
    assert inbox.messages == []

    # After the lease it is due again and goes out once.
    monkeypatch.setattr("app.outbox.utcnow", lambda: lease_ends + dt.timedelta(seconds=1))
    assert "1 sent, 0 failed" in send_outbox(app)
    assert [rcpt for rcpt, _ in inbox.messages] == [["ana@example.org"]]
    [message] = outbox_messages(app)
    assert message.sent_at is not None
    assert message.attempts == 2
    assert "0 sent, 0 failed" in send_outbox(app)


def test_each_result_is_recorded_before_the_next_message_is_tried(app, hung, monkeypatch):
    """A sender killed mid-batch keeps what it already did: each result is committed on its
    own, not at the end of the batch."""
    queue_messages(
        app,
        ("ana@example.org", "First", "Hello", None),
        ("bo@example.org", "Second", "Hello", None),
    )
    # The first message is refused at once (nothing listens there); the second one hangs.
    ports = iter([free_port(), hung.port])
    real_connection = outbox._smtp_connection

    def connection():
        app.config["MAIL_PORT"] = next(ports)
        return real_connection()

    monkeypatch.setattr(outbox, "_smtp_connection", connection)
    sender = Sender(app, [])
    sender.start()
    assert hung.connected.wait(WAIT)
    first, second = outbox_messages(app)
    assert first.attempts == 1
    assert first.last_error is not None  # recorded while the sender is still busy
    assert first.next_attempt_at > utcnow()
    assert second.sent_at is None
    hung.release.set()
    sender.join(WAIT)
    assert sender.error is None, sender.error
    assert sender.result == (1, 1)
    first, second = outbox_messages(app)
    assert first.sent_at is None
    assert second.sent_at is not None
