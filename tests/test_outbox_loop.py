"""`flask outbox send --every N` (the long-running sender of `make run` and deploy/) outlives a
database that does not answer for a while: it says so and sends on the next round. A one-off
run (cron, systemd timer) still fails, so that its scheduler shows it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import make_app
from tests.live import ROOT, migrate
from tests.mail import WAIT, queue_messages, smtp_inbox

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sender(url: str, port: int, *args: str) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": url,
        "SECRET_KEY": "outbox-loop-test-secret-key",
        "BASE_URL": "http://127.0.0.1",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "SQLITE_BUSY_TIMEOUT_MS": "100",  # give up on the lock at once
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _locked(path: str) -> sqlite3.Connection:
    """Another writer holding the file's write lock until it commits."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _wait_for(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_long_running_sender_outlives_a_locked_database(database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'outbox.sqlite'}"
    migrate(url)
    app = make_app(url, tmp_path)
    queue_messages(app, ("ana@example.org", "Your circle starts", "Hello", None))
    lines: list[str] = []
    with smtp_inbox(app) as inbox:
        holder = _locked(str(tmp_path / "outbox.sqlite"))
        sender = _sender(url, inbox.port, "--every", "1")
        reader = threading.Thread(target=lambda: lines.extend(sender.stdout), daemon=True)
        reader.start()
        try:
            _wait_for(lambda: sum("did not answer" in line for line in lines) >= 2)
            still_running = sender.poll() is None
            holder.execute("COMMIT")
            _wait_for(lambda: inbox.messages)
        finally:
            sender.terminate()
            sender.wait(timeout=WAIT)
            reader.join(timeout=WAIT)
            sender.stdout.close()
    output = "".join(lines)
    assert still_running, output
    assert "Outbox: the database did not answer (database is locked); trying again." in lines[0]
    assert [m["Subject"] for _to, m in inbox.messages] == ["Your circle starts"], output


def test_a_one_off_run_against_a_locked_database_fails(database_url, tmp_path):
    url = f"sqlite:///{tmp_path / 'outbox.sqlite'}"
    migrate(url)
    app = make_app(url, tmp_path)
    queue_messages(app, ("ana@example.org", "Your circle starts", "Hello", None))
    with smtp_inbox(app) as inbox:
        holder = _locked(str(tmp_path / "outbox.sqlite"))
        try:
            sender = _sender(url, inbox.port)
            output = sender.communicate(timeout=WAIT)[0]
        finally:
            holder.execute("COMMIT")
    assert sender.returncode != 0, output
    assert "database is locked" in output
    assert inbox.messages == []
