"""Sign-in throttling holds across gunicorn workers only with shared (Redis) counters.
40 failed sign-ins at once from one address, 4 workers: with Redis exactly 10 get through
(the limit is 10 a minute); with per-process memory:// counters each worker allows its own 10."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.live import ROOT, Client, burst, free_port, gunicorn, migrate, redis_server

ATTEMPTS = 40

needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None and os.environ.get("CI") != "true",
    reason="redis-server not installed: apt-get install redis-server",
)


def _failed_logins(tmp_path, storage: str, config: str = "gunicorn.conf.py") -> list[int]:
    # The database plays no part here, so SQLite alone is enough.
    database_url = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    migrate(database_url)
    # Sync workers (one request at a time each): a burst is spread over all four processes.
    with gunicorn(database_url, ratelimit_storage=storage, threads=1, config=config) as base:
        client = Client(base)
        token = client.csrf("/login")

        def send(i: int) -> int:
            return (
                Client(base, client.cookie)
                .post(
                    "/login",
                    {
                        "email": "nobody@example.org",
                        "password": f"wrong password {i}",
                        "csrf_token": token,
                    },
                )
                .status
            )

        return burst(send, ATTEMPTS)


@needs_redis
def test_redis_counters_are_shared_by_all_workers(tmp_path):
    with redis_server() as redis_url:
        statuses = _failed_logins(tmp_path, redis_url)
    assert statuses.count(200) == 10, statuses  # the form again, with "do not match"
    assert statuses.count(429) == ATTEMPTS - 10


def test_memory_counters_are_per_worker(tmp_path):
    """The control: this is why production needs Redis. The project's gunicorn.conf.py refuses
    this set-up (below), so the control runs gunicorn without it."""
    statuses = _failed_logins(tmp_path, "memory://", config="/dev/null")
    assert statuses.count(200) > 10, statuses


def test_several_workers_refuse_to_start_on_memory_counters(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-test-secret-key",
        "BASE_URL": "http://127.0.0.1",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b"]
    refused = subprocess.run(
        [*command, f"127.0.0.1:{free_port()}", "-w", "2", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "RATELIMIT_STORAGE_URI" in refused.stderr
