"""Email goes through the outbox: ``queue_email`` writes a row in the caller's transaction,
so the message exists if and only if the change that caused it was committed.
``deliver_due`` (run by ``flask outbox send``) sends what is due and retries failures later.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage

import click
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OutboxMessage
from app.timeutil import utcnow


def queue_email(to: str, subject: str, body: str, ics: str | None = None) -> OutboxMessage:
    message = OutboxMessage(to=to, subject=subject[:200], body=body, ics=ics)
    db.session.add(message)
    return message


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = (
        f"<outbox-{message.id}@{sender.rpartition('@')[2].strip('>') or 'localhost'}>"
    )
    email.set_content(message.body)
    if message.ics:
        email.add_attachment(
            message.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": "PUBLISH"},
        )
    return email


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2**attempts, 24 * 60))


def _smtp_connection() -> smtplib.SMTP:
    config = current_app.config
    cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    if config["MAIL_USE_TLS"]:
        smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def due_messages(now: dt.datetime, limit: int) -> list[OutboxMessage]:
    query = (
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < current_app.config["OUTBOX_MAX_ATTEMPTS"],
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    # Several senders (cron overlap, several hosts) must not send one message twice.
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Send due messages; returns (sent, failed). Commits its own progress."""
    config = current_app.config
    now = utcnow()
    messages = due_messages(now, limit)
    sent = failed = 0
    if not messages:
        db.session.commit()
        return sent, failed
    smtp: smtplib.SMTP | None = None
    try:
        for message in messages:
            email = build_email(message, config["MAIL_DEFAULT_SENDER"])
            try:
                if config["MAIL_BACKEND"] == "console":
                    click.echo(email.as_string())
                else:
                    smtp = smtp or _smtp_connection()
                    smtp.send_message(email)
            except (OSError, smtplib.SMTPException) as error:
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:500]
                message.next_attempt_at = now + _backoff(message.attempts)
                failed += 1
                smtp = _close(smtp)  # start the next message on a fresh connection
            else:
                message.attempts += 1
                message.sent_at = now
                message.last_error = None
                sent += 1
    finally:
        db.session.commit()
        _close(smtp)
    return sent, failed


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
