"""A real multi-process server for concurrency proofs: gunicorn with 4 workers on
127.0.0.1 serving tests/live_wsgi.py (the app, plus a race window and, for the controls, the
protection taken away), a tiny cookie-keeping HTTP client, and a burst of simultaneous requests."""

from __future__ import annotations

import atexit
import http.client
import os
import pwd
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _upgrade(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


_TEMPLATES: dict[str, str] = {}  # per kind of database: one this process has migrated


def migrate(url: str) -> None:
    """The schema the migrations make. A new, empty database is given a copy of one migrated
    earlier in this process (SQLite: its pages; PostgreSQL: CREATE DATABASE ... TEMPLATE), the
    same schema in a tenth of the time; a database that has anything in it is migrated. The
    migrations themselves are tested in tests/test_setup.py."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        if path.exists() and path.stat().st_size:
            return _upgrade(url)
        if "sqlite" not in _TEMPLATES:
            folder = tempfile.mkdtemp(prefix="circles-template-")
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            template = Path(folder) / "migrated.sqlite"
            _upgrade(f"sqlite:///{template}")
            _TEMPLATES["sqlite"] = str(template)
        with sqlite3.connect(_TEMPLATES["sqlite"]) as source, sqlite3.connect(path) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        return None
    target = sa.create_engine(url)
    with target.connect() as conn:
        used = conn.exec_driver_sql(
            "SELECT EXISTS (SELECT FROM pg_tables WHERE schemaname = 'public')"
        )
        empty = not used.scalar()
    target.dispose()
    if not empty:
        return _upgrade(url)
    server = parsed.set(database="postgres")
    key = server.render_as_string(hide_password=False)
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if key not in _TEMPLATES:
                name = f"migrated_{os.getpid()}"
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
                _upgrade(parsed.set(database=name).render_as_string(hide_password=False))
                _TEMPLATES[key] = name
            conn.exec_driver_sql(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}" TEMPLATE {_TEMPLATES[key]}')
    finally:
        engine.dispose()
    return None


SERVERS: dict[str, subprocess.Popen] = {}


@contextmanager
def gunicorn(
    database_url: str,
    *,
    protected: bool = True,
    race_window: float | None = None,
    workers: int = 4,
    threads: int = 8,
    ratelimit_storage: str | None = None,
    config: str = "gunicorn.conf.py",
    log_to: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """4 processes with 8 threads each, so that a burst of 32 requests is really in flight
    at once (sync workers would take 4 at a time and hide most races). Rate-limit counters
    are shared in a throwaway redis-server unless ``ratelimit_storage`` says otherwise, as
    the production config (``config``) requires. ``log_to`` keeps the server's output;
    ``env`` adds settings (e.g. ``LOG_FORMAT``). ``SERVERS[base]`` is the master process, for
    tests that signal it.

    ``race_window``: seconds each raced write waits, so that every request of a burst checks
    before any writes (the race is certain, not left to luck). By default 0.15 s for the
    unprotected controls and 0.05 s when protected: there the writes take turns, so each
    request's wait adds up (64 sign-ups × 0.15 s would be ten seconds of sleep).
    ``protected=False``: the app without its locking and with naive seat taking
    (tests/live_wsgi.py), for the controls."""
    if race_window is None:
        race_window = 0.05 if protected else 0.15
    if ratelimit_storage is None:
        with (
            redis_server() as redis_url,
            gunicorn(
                database_url,
                protected=protected,
                race_window=race_window,
                workers=workers,
                threads=threads,
                ratelimit_storage=redis_url,
                config=config,
                log_to=log_to,
                env=env,
            ) as base,
        ):
            yield base
        return
    port = free_port()
    settings = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-test-secret-key",
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        "MAIL_BACKEND": "console",
        "BASE_URL": f"http://127.0.0.1:{port}",
        # Read by tests/live_wsgi.py only: the app has no such settings.
        "LIVE_RACE_WINDOW": str(race_window),
        "LIVE_UNPROTECTED": "0" if protected else "1",
        "LOG_LEVEL": os.environ.get("LIVE_LOG_LEVEL", "WARNING"),
        **(env or {}),
    }
    with open(log_to, "w+b") if log_to else tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                config,
                # Import the app once and fork: four imports per server would cost more CPU
                # than the bursts themselves (tests/live_wsgi.py leaves no connection open).
                "--preload",
                *(["--access-logfile", "-"] if log_to else []),
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{port}",
                "tests.live_wsgi:app",
            ],
            cwd=ROOT,
            env=settings,
            stdout=log,
            stderr=log,
        )
        base = f"127.0.0.1:{port}"
        SERVERS[base] = process
        try:
            _wait_until_up(base, process)
            yield base
        finally:
            SERVERS.pop(base, None)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if os.environ.get("LIVE_LOG"):  # LIVE_LOG=1 pytest -s: see the server's log
                log.seek(0)
                print(log.read().decode()[-20000:])


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if Client(base).get("/healthz").status == 200:
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start (LIVE_LOG=1 shows its log)")
        time.sleep(0.1)


class Response:
    def __init__(self, status: int, headers: dict[str, str], text: str):
        self.status, self.headers, self.text = status, headers, text


class Client:
    """Keeps the session cookie; only talks to 127.0.0.1."""

    def __init__(self, base: str, cookie: str = ""):
        assert base.startswith("127.0.0.1:")
        self.base = base
        self.cookie = cookie

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        host, port = self.base.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode()
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            return Response(raw.status, dict(raw.getheaders()), text)
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, data)

    def csrf(self, path: str) -> str:
        page = self.get(path).text
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str) -> None:
        token = self.csrf("/login")
        response = self.post("/login", {"email": email, "password": password, "csrf_token": token})
        assert response.status == 302, response.text[:500]


def burst(send, count: int) -> list[int]:
    """Run ``send(i)`` in ``count`` threads released at the same instant; their statuses."""
    barrier = threading.Barrier(count)
    results: list[int | None] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return [r if r is not None else -1 for r in results]


def _serving(process: subprocess.Popen, port: int, name: str, log: Path | None = None) -> None:
    """Wait until ``process`` accepts connections on ``port`` (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                said = log.read_text() if log is not None and log.exists() else ""
                raise RuntimeError(f"{name} did not start. {said}") from None
            time.sleep(0.05)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 (Debian package redis-server)."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    with tempfile.TemporaryDirectory() as data:
        process = subprocess.Popen(
            [*command, "--dir", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _serving(process, port, "redis-server")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


PGBOUNCER = "/usr/sbin/pgbouncer"  # Debian package pgbouncer (not on a non-root PATH)


@contextmanager
def pgbouncer(database_url: str, pool_size: int = 2) -> Iterator[str]:
    """PgBouncer (Debian package pgbouncer) in transaction mode on 127.0.0.1 in front of the
    PostgreSQL server of ``database_url``, with at most ``pool_size`` server connections per
    database: the same URL through it. As root it runs as the embedded server's user (it
    refuses to run as root)."""
    target = make_url(database_url)
    # The embedded server is reached on a Unix socket: its folder is the "host" argument and
    # its port is in the socket's name.
    server_host = target.query.get("host") or target.host
    server_port = target.port
    if server_port is None:
        socket_file = next(Path(server_host).glob(".s.PGSQL.*"))
        server_port = int(socket_file.suffix.removeprefix("."))
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    (folder / "users.txt").write_text(f'"{target.username}" ""\n')
    switch_user = "user = embedded_postgres" if os.geteuid() == 0 else ""
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server_host} port={server_port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
logfile = {folder / "pgbouncer.log"}
pidfile = {folder / "pgbouncer.pid"}
{switch_user}
"""
    )
    if switch_user:
        owner = pwd.getpwnam("embedded_postgres")
        for path in (folder, *folder.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    process = subprocess.Popen(
        [PGBOUNCER, str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _serving(process, port, "pgbouncer", folder / "pgbouncer.log")
        through = target.set(host="127.0.0.1", port=port).difference_update_query(["host"])
        yield through.render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
