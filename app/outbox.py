"""Email goes through the outbox: ``queue_email`` writes a row in the caller's transaction,
so the message exists if and only if the change that caused it was committed.
``deliver_due`` (run by ``flask outbox send``) sends what is due and retries failures later,
never holding a database transaction while it talks to the SMTP server.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import click
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import OutboxMessage
from app.timeutil import utcnow


def queue_email(
    to: str,
    subject: str,
    body: str,
    ics: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        to=to, subject=subject[:200], body=body, ics=ics, reply_to=reply_to, headers=headers
    )
    db.session.add(message)
    return message


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    for name, value in (message.headers or {}).items():
        email[name] = value
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


@dataclass(frozen=True)
class Claim:
    """A message one sender may deliver until ``until``: plain data, so delivering it needs
    no database access (and so no transaction) while SMTP is slow."""

    id: int
    attempts: int
    until: dt.datetime
    email: EmailMessage


def _lease() -> dt.timedelta:
    """How long a claim keeps other senders away. It must outlast one delivery (a few SMTP
    round trips, each up to ``MAIL_TIMEOUT``); a sender that dies leaves its message due again
    after it."""
    config = current_app.config
    return dt.timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])


def _due(now: dt.datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.attempts < current_app.config["OUTBOX_MAX_ATTEMPTS"],
    )


def claim_due(now: dt.datetime, limit: int) -> list[Claim]:
    """Take up to ``limit`` due messages for this sender, in one short transaction that is
    committed before returning. Each claimed message counts as an attempt (one that keeps
    killing its sender runs out of attempts) and is pushed a lease into the future, so no
    other sender takes it meanwhile and it is retried after the lease if this one dies."""
    until = now + _lease()
    query = (
        sa.select(OutboxMessage)
        .where(*_due(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # don't queue behind another sender
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    claims = []
    try:
        for message in db.session.scalars(query).all():
            # Conditional: whoever changed the row first (another sender) wins, we skip it.
            taken = db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == message.id, *_due(now))
                .values(next_attempt_at=until, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken == 1:
                email = build_email(message, sender)
                claims.append(Claim(message.id, message.attempts + 1, until, email))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return claims


def record(claim: Claim, error: str | None) -> None:
    """Note how a delivery went, in its own short transaction."""
    now = utcnow()
    update = sa.update(OutboxMessage).where(
        OutboxMessage.id == claim.id, OutboxMessage.sent_at.is_(None)
    )
    if error is None:
        update = update.values(sent_at=now, last_error=None)
    else:
        # Only while the claim is still ours: a late failure must not undo another
        # sender's newer claim (or its success, excluded above).
        update = update.where(OutboxMessage.next_attempt_at == claim.until).values(
            last_error=error[:500], next_attempt_at=now + _backoff(claim.attempts)
        )
    try:
        db.session.execute(update.execution_options(synchronize_session=False))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Send due messages; returns (sent, failed).

    SQLite has a single writer, so no transaction is open while we talk SMTP: each message is
    claimed (short transaction, committed), delivered, then its result recorded (another
    short transaction). Stopping at any point loses nothing: a claimed message whose result
    was not recorded is retried when its lease ends."""
    config = current_app.config
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        while sent + failed < limit:
            claims = claim_due(utcnow(), 1)
            if not claims:
                break
            [claim] = claims
            try:
                if config["MAIL_BACKEND"] == "console":
                    click.echo(claim.email.as_string())
                else:
                    smtp = smtp or _smtp_connection()
                    smtp.send_message(claim.email)
            except (OSError, smtplib.SMTPException) as error:
                smtp = _close(smtp)  # start the next message on a fresh connection
                record(claim, f"{type(error).__name__}: {error}")
                failed += 1
            else:
                record(claim, None)
                sent += 1
    finally:
        _close(smtp)
    return sent, failed


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
