"""Benchmark: how fast the senders work through the statewide data (20,000 people).

Loads `flask seed-scale` (scale 1.0) into a throwaway SQLite file (its outbox and the
reminder, digest-sent tables start empty, so there is real work), then runs in turn, each
through the app's own command (Click's runner, in process): `flask digest send`,
`flask reminders send` (meeting and credential reminders; every credential is given a
renewal period of a year first, the seed gives none), and `flask outbox send` with the
smtp backend to a local aiosmtpd server that accepts and discards (one SMTP connection per
run of 100, as in production), repeated until the outbox is empty or ``--outbox-seconds``
ran out. Prints the messages each queued or sent, the seconds and messages per second.

Run: PYTHONPATH=. .venv/bin/python bench/senders.py [--scale 1.0] [--outbox-seconds 60]
"""

from __future__ import annotations

import sys

if not __package__:  # `python bench/senders.py`: bench/http.py would hide the stdlib's http
    sys.path.pop(0)

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db
from app.models import Credential, OutboxMessage
from app.seed import seed
from bench.servers import bench_app
from tests.live import free_port


class Sink:
    """Takes every message and keeps only the count."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def build(folder: Path, scale: float, port: int) -> Flask:
    app = bench_app(
        f"sqlite:///{folder / 'senders.sqlite'}",
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
    )
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        counts = seed(scale, 2026)
        db.session.commit()
        took = time.perf_counter() - started
        print(f"seeded scale {scale} ({counts['user']} people) in {took:.0f} s")
        # The seed gives no credential a renewal period: with one of a year, those earned
        # ten to twelve months ago lapse within CREDENTIAL_REMINDER_DAYS and are reminded.
        db.session.execute(sa.update(Credential).values(renewal_months=12))
        db.session.commit()
    return app


def outbox_rows(app: Flask, sent: bool | None = None) -> int:
    with app.app_context():
        query = sa.select(sa.func.count(OutboxMessage.id))
        if sent is not None:
            query = query.where(
                OutboxMessage.sent_at.is_not(None) if sent else OutboxMessage.sent_at.is_(None)
            )
        return db.session.scalar(query)


def run(app: Flask, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=list(args))
    took = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    return took, result.output.strip().replace("\n", "; ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--outbox-seconds", type=float, default=60)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-senders-"))
    rows = []
    try:
        with smtp_sink() as (sink, port):
            app = build(folder, args.scale, port)
            for command in (("digest", "send"), ("reminders", "send")):
                before = outbox_rows(app)
                took, said = run(app, *command)
                rows.append((f"flask {' '.join(command)}", outbox_rows(app) - before, took, said))
            waiting, took, runs = outbox_rows(app, sent=False), 0.0, 0
            while took < args.outbox_seconds:
                spent, _said = run(app, "outbox", "send")
                took, runs = took + spent, runs + 1
                if outbox_rows(app, sent=False) == 0:
                    break
            said = f"{runs} runs of up to 100; {waiting} were waiting; the sink got {sink.received}"
            rows.append(("flask outbox send (smtp)", outbox_rows(app, sent=True), took, said))
            with app.app_context():
                db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'command':<28}{'messages':>10}{'seconds':>10}{'msg/s':>10}  output")
    for name, messages, took, said in rows:
        print(f"{name:<28}{messages:>10}{took:>10.1f}{messages / took:>10.0f}  {said}")


if __name__ == "__main__":
    main()
