"""Email in tests: a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what arrives, one that
hangs until released, and helpers to queue and send through the outbox."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import OutboxMessage
from app.outbox import queue_email
from tests.live import free_port

WAIT = 20  # seconds: only ever reached when something is broken


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses it when told to."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse = False
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@contextmanager
def smtp_inbox(app) -> Iterator[Inbox]:
    """Run an ``Inbox`` on a free port of 127.0.0.1 and point the app's mail at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        inbox.port = app.config["MAIL_PORT"] = controller.port
        yield inbox
    finally:
        controller.stop()


class HungSMTP:
    """A plain socket server on 127.0.0.1 that accepts a connection and says nothing until the
    test calls ``release.set()``; then it speaks just enough SMTP to take messages."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.release = threading.Event()
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            self.connected.set()
            if not self.release.wait(WAIT):
                return
            conn.sendall(b"220 hung.test ESMTP\r\n")
            for line in lines:
                command = line[:4].upper()
                if command == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = b"".join(iter(lines.readline, b".\r\n"))
                    self.received.append(data)
                    conn.sendall(b"250 queued\r\n")
                elif command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL, RCPT, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.release.set()
        self.listener.close()


def queue_messages(app, *messages) -> None:
    """Queue ``(to, subject, body, ics)`` messages in the outbox."""
    with app.app_context():
        for to, subject, body, ics in messages:
            queue_email(to, subject, body, ics)
        db.session.commit()


def outbox_messages(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def send_outbox(app) -> str:
    """Run ``flask outbox send``; return what it printed."""
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    return result.output
