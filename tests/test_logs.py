"""Secret links never reach a log: not the app's error log, not the dev server's or gunicorn's
access log (security findings 7 and 8)."""

from __future__ import annotations

import logging

import pytest

from app.logs import RedactSecrets
from tests.conftest import make_app
from tests.live import Client, gunicorn, migrate

SECRET = "s3cretT0kenXYZ"
SECRET_PATHS = [
    f"/feeds/{SECRET}.ics",
    f"/manage/{SECRET}",
    f"/manage/{SECRET}/withdraw",
    f"/join/confirm/{SECRET}",
    f"/password/reset/{SECRET}",
]


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_filter_redacts_the_secret_and_keeps_the_path(path):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s "GET %s HTTP/1.1" 404', ("10.0.0.1", path), None
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert SECRET not in line
    assert path.split(SECRET)[0] + "[redacted]" in line


def test_tracebacks_are_redacted_too():
    try:
        raise RuntimeError(f"could not serve /feeds/{SECRET}.ics")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "app", logging.ERROR, __file__, 1, "Unhandled error", (), sys.exc_info()
        )
    RedactSecrets().filter(record)
    assert SECRET not in logging.Formatter().format(record)


def test_errors_during_a_database_outage_do_not_log_feed_tokens(tmp_path, caplog):
    """Measured: 1,092 "Unhandled error on GET /feeds/<token>.ics" lines in one outage."""
    gone = f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite'}"
    app = make_app(gone, tmp_path, PROPAGATE_EXCEPTIONS=False)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(f"/feeds/{SECRET}.ics")
    assert response.status_code == 500
    assert "Unhandled error on GET /feeds/[redacted]" in caplog.text
    assert SECRET not in caplog.text


def test_gunicorn_logs_hold_no_secret_links(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'logs.sqlite'}"
    migrate(database_url)
    log = tmp_path / "gunicorn.log"
    with gunicorn(database_url, workers=1, threads=2, log_to=log) as base:
        client = Client(base)
        statuses = [client.get(path).status for path in SECRET_PATHS]
    text = log.read_text()
    assert len(statuses) == len(SECRET_PATHS)
    assert all(status < 500 for status in statuses), statuses
    assert "/feeds/[redacted]" in text  # the access log was written
    assert SECRET not in text


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_pages_reached_with_a_secret_send_no_referrer(client, path):
    response = client.get(path)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_other_pages_keep_the_same_origin_referrer(client):
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"
