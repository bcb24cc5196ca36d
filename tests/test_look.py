"""The installation's identity (SITE_NAME, LOGO_URL) and `make run` on another port or address.
The browser walk of the look is tests/e2e/test_look_browser.py."""

from __future__ import annotations

import os
import subprocess

import pytest

from app import ROOT, create_app
from tests.live import free_port


def page(**settings) -> str:
    """The sign-in page (no database needed) of an app with these settings."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 32,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            **settings,
        }
    )
    return app.test_client().get("/login").text


def test_built_in_name_and_mark():
    html = page()
    assert "<title>Sign in · Learning Circles</title>" in html
    assert '<img class="brand-logo" src="/static/mark.svg" alt=""' in html
    assert '<span class="brand-name">Learning Circles</span>' in html


def test_a_library_names_the_site_and_brings_its_logo():
    html = page(SITE_NAME="Riverside Library Learning", LOGO_URL="/static/branding/logo.svg")
    assert "<title>Sign in · Riverside Library Learning</title>" in html
    assert '<span class="brand-name">Riverside Library Learning</span>' in html
    assert '<img class="brand-logo" src="/static/branding/logo.svg" alt="">' in html
    assert "mark.svg" not in html
    assert 'aria-current="page">Sign in</a>' in html


@pytest.mark.parametrize(
    "logo",
    ["https://cdn.example.org/logo.png", "//cdn.example.org/logo.png", "../secret_key", "data:x"],
)
def test_the_logo_is_a_file_of_this_site(logo):
    """The CSP shows images from this site only; a path out of static/ is a mistake."""
    with pytest.raises(RuntimeError, match="LOGO_URL must be a file under app/static"):
        page(LOGO_URL=logo)


def run_target(*args: str) -> list[str]:
    """What `make run` would start, its commands replaced by one that prints BASE_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "MAKEFLAGS")}
    fake = "FLASK=printenv BASE_URL; echo started"
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run", *args, fake],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("host", "base"),
    [("127.0.0.1", "http://127.0.0.1"), ("0.0.0.0", "http://127.0.0.1")],  # noqa: S104
)
def test_make_run_serves_on_the_port_and_host_asked_for(host, base):
    port = free_port()
    lines = run_target(f"PORT={port}", f"HOST={host}")
    assert any(line.endswith(f"run --host {host} --port {port}") for line in lines), lines
    # Every command (migrations, demo data, outbox worker, server) builds links from it.
    assert lines.count(f"{base}:{port}") == 4, lines
    assert f"Serving on {base}:{port} (emails are printed here by the outbox worker)" in lines
