"""Settings: defaults here, overridden by ``instance/config.py``, then by environment variables.

The SQLite database and the generated ``SECRET_KEY`` live in ``instance/`` (git-ignored), so a
fresh clone runs with zero set-up and no secret is ever committed.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

# Settings that may come from the environment, with how to read them.
_ENV_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "DATABASE_PGBOUNCER": bool,
    "RATELIMIT_STORAGE_URI": str,
    "API_LIMITS": str,
    "API_WRITE_LIMITS": str,
    "MAIL_BACKEND": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "SESSION_COOKIE_SECURE": bool,
    "PREFERRED_URL_SCHEME": str,
    "SERVER_NAME": str,
    "BASE_URL": str,
    "TRUSTED_HOSTS": list,
    "PROXY_COUNT": int,
    "LOG_LEVEL": str,
    "LOG_FORMAT": str,
    "REMINDER_LEAD_HOURS": int,
    "EVALUATION_WINDOW_DAYS": int,
    "CREDENTIAL_REMINDER_DAYS": int,
    "OUTBOX_LEASE_SECONDS": int,
    "SQLITE_BUSY_TIMEOUT_MS": int,
    "BOOKING_HORIZON_DAYS": int,
    "PASSWORD_RESET_MAX_AGE": int,
    "WELCOME_LINK_DAYS": int,
    "PRIVACY_GUEST_RETENTION_DAYS": int,
    "PRIVACY_ROSTER_CONTACT_DAYS": int,
    "PRIVACY_SIGNUP_DAYS": int,
    "SITE_NAME": str,
    "LOGO_URL": str,
    # Staff single sign-on through OpenID Connect (app/auth/sso.py; README "Single sign-on").
    "SSO_DISCOVERY_URL": str,
    "SSO_CLIENT_ID": str,
    "SSO_CLIENT_SECRET": str,
    "SSO_NAME": str,
    "SSO_DEFAULT_ROLE": str,
    "SSO_GROUPS_CLAIM": str,
    "SSO_GROUP_ROLES": dict,
    "SSO_REQUIRED_FOR_STAFF": bool,
}


# Flask-Babel resolves a relative directory against app.root_path (app/), not the project.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def defaults(instance_path: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'circles.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DATABASE_PGBOUNCER": False,  # true behind PgBouncer in transaction mode
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Also for urlencoded bodies (app.edges): a full 500-seat attendance sheet has ~505.
        "MAX_FORM_PARTS": 1000,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "BOOKING_HORIZON_DAYS": 730,  # rooms and meetings at most this far ahead
        "LOG_FORMAT": "text",  # "json": one object per line, for a log collector
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMITS": "10 per minute;50 per hour",  # sign-ins per account and address
        "LOGIN_IP_LIMITS": "30 per minute;300 per hour",  # failed sign-ins per address
        "API_LIMITS": "120 per minute;3000 per hour",  # read API (/api/v1) requests per address
        "API_WRITE_LIMITS": "60 per minute;1000 per hour",  # write API requests per token
        "MAIL_BACKEND": "console",  # "smtp" in production
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "Learning Circles <no-reply@localhost>",
        "MAIL_TIMEOUT": 10,
        "OUTBOX_MAX_ATTEMPTS": 8,
        "OUTBOX_LEASE_SECONDS": 300,  # a claimed message is retried after this if its sender died
        "SQLITE_BUSY_TIMEOUT_MS": 15000,  # then a write answers 503 "busy, try again"
        "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a "forgot your password" link works
        "WELCOME_LINK_DAYS": 7,  # days a new account's "choose your password" link works
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        # The catalogues (translations/<lang>/LC_MESSAGES/messages.mo, compiled from the .po by
        # `make translations`); Flask-Babel would look in app/translations, beside the package.
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS),
        "LANGUAGES": {"en": "English", "es": "Español"},
        "PER_PAGE": 25,
        "REMINDER_LEAD_HOURS": 48,
        "EVALUATION_WINDOW_DAYS": 30,  # days after a circle's last meeting its survey stays open
        "CREDENTIAL_REMINDER_DAYS": 60,  # days before a credential lapses its holder is reminded
        # Retention (`flask privacy run`, app/privacy/retention.py): days after a circle's last
        # meeting ended that its guests' places are anonymised and its members' emails removed
        # from the roster; days an unconfirmed digest sign-up waits for its confirmation.
        "PRIVACY_GUEST_RETENTION_DAYS": 365,
        "PRIVACY_ROSTER_CONTACT_DAYS": 365,
        "PRIVACY_SIGNUP_DAYS": 7,
        "PROXY_COUNT": 0,  # reverse proxies in front of the app that set X-Forwarded-*
        # Identity of this installation: the name in the header and page titles, and a logo
        # (a file under app/static/, e.g. "branding/logo.svg"; empty: the built-in mark).
        "SITE_NAME": "Learning Circles",
        "LOGO_URL": "",
        # Single sign-on (OpenID Connect): off until a discovery URL is set. SSO_NAME names the
        # provider on the button ("Sign in with <name>"; empty: "your library account").
        "SSO_DISCOVERY_URL": "",
        "SSO_CLIENT_ID": "",
        "SSO_CLIENT_SECRET": "",
        "SSO_NAME": "",
        "SSO_DEFAULT_ROLE": "participant",  # of an account made at its first sign-in
        "SSO_GROUPS_CLAIM": "",  # e.g. "groups": the claim whose values SSO_GROUP_ROLES maps
        "SSO_GROUP_ROLES": {},  # group value -> "facilitator" or "manager:<branch slug>"
        "SSO_REQUIRED_FOR_STAFF": False,  # admins, facilitators, managers: no local password
        "SSO_TIMEOUT": 10,  # seconds to wait for the provider
    }


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if kind is dict:  # "key=value,key=value"
        pairs = (item.partition("=") for item in raw.split(",") if item.strip())
        return {key.strip(): value.strip() for key, _, value in pairs}
    return kind(raw)


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    for name, kind in _ENV_SETTINGS.items():
        if name in os.environ:
            app.config[name] = _parse(kind, os.environ[name])
    if overrides:
        app.config.from_mapping(overrides)
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if app.config.get("DATABASE_PGBOUNCER"):
        _behind_pgbouncer(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    _base_url(app)
    _identity(app)
    _single_sign_on(app)


def _base_url(app: Flask) -> None:
    """Every link the app sends out is built from BASE_URL (see app.links), and only its host
    (plus any extra TRUSTED_HOSTS) may be named in a request's Host header."""
    config = app.config
    base = config.get("BASE_URL")
    if not base:
        if not (config.get("DEBUG") or config.get("TESTING")):
            raise RuntimeError(
                "Set BASE_URL (e.g. https://circles.example.org): links in emails and "
                "calendar feeds are built from it, never from the request."
            )
        base = f"{config.get('PREFERRED_URL_SCHEME', 'http')}://"
        base += config.get("SERVER_NAME") or "localhost"
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise RuntimeError(f"BASE_URL must be an http(s) address, not {base!r}.")
    config["BASE_URL"] = base.rstrip("/")
    trusted = [parts.hostname, *(config.get("TRUSTED_HOSTS") or [])]
    config["TRUSTED_HOSTS"] = list(dict.fromkeys(trusted))


def _behind_pgbouncer(app: Flask) -> None:
    """PgBouncer in transaction mode hands each transaction to whichever server connection is
    free, so a statement psycopg prepared on one is missing on the next (PgBouncer before 1.21
    does not track them): psycopg must never prepare. The app keeps no other state in a
    database session (no SET, advisory locks, LISTEN or temporary tables)."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        raise RuntimeError(
            "DATABASE_PGBOUNCER is for PostgreSQL through psycopg 3: set DATABASE_URL="
            f"postgresql+psycopg://..., not {url.drivername}://..."
        )
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _identity(app: Flask) -> None:
    """LOGO_URL names a file served from app/static (the CSP allows images from this site
    only), so "/static/logo.svg", "static/logo.svg" and "logo.svg" all mean the same file."""
    config = app.config
    config["SITE_NAME"] = (config.get("SITE_NAME") or "").strip() or "Learning Circles"
    raw = (config.get("LOGO_URL") or "").strip()
    logo = raw.removeprefix("/").removeprefix("static/")
    if raw.startswith("//") or ":" in logo or "\\" in logo or ".." in logo.split("/"):
        raise RuntimeError(
            f"LOGO_URL must be a file under app/static (e.g. branding/logo.svg), not {raw!r}."
        )
    config["LOGO_URL"] = logo


SSO_DEFAULT_ROLES = ("participant", "facilitator")


def _single_sign_on(app: Flask) -> None:
    """Refuse to start with a single sign-on set up halfway: a wrong setting would otherwise
    show only when someone signs in (or lock every member of staff out)."""
    config = app.config
    url = (config.get("SSO_DISCOVERY_URL") or "").strip()
    config["SSO_DISCOVERY_URL"] = url
    if not url:
        if config.get("SSO_REQUIRED_FOR_STAFF"):
            raise RuntimeError(
                "SSO_REQUIRED_FOR_STAFF turns staff passwords off: set SSO_DISCOVERY_URL too."
            )
        return
    from authlib.common.security import is_secure_transport

    if not is_secure_transport(url):
        raise RuntimeError(f"SSO_DISCOVERY_URL must be an https address, not {url!r}.")
    if not (config.get("SSO_CLIENT_ID") and config.get("SSO_CLIENT_SECRET")):
        raise RuntimeError("Single sign-on needs SSO_CLIENT_ID and SSO_CLIENT_SECRET.")
    if config.get("SSO_DEFAULT_ROLE") not in SSO_DEFAULT_ROLES:
        raise RuntimeError(
            f"SSO_DEFAULT_ROLE must be one of {', '.join(SSO_DEFAULT_ROLES)}, "
            f"not {config.get('SSO_DEFAULT_ROLE')!r}."
        )
    roles = config.get("SSO_GROUP_ROLES") or {}
    for group, role in roles.items():
        kind, _, slug = role.partition(":")
        if not (role == "facilitator" or (kind == "manager" and slug)):
            raise RuntimeError(
                f"SSO_GROUP_ROLES: group {group!r} maps to {role!r}; a role is "
                "'facilitator' or 'manager:<branch slug>'."
            )
    if roles and not config.get("SSO_GROUPS_CLAIM"):
        raise RuntimeError("SSO_GROUP_ROLES needs SSO_GROUPS_CLAIM (e.g. groups).")


def _instance_secret(instance: Path) -> str:
    """Read, or create once, a random key in instance/ so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Several gunicorn workers may start at once: write aside, then link atomically;
        # whoever links first wins and everyone reads the same key.
        fd, name = tempfile.mkstemp(dir=instance, prefix=".secret_key.")  # mode 0600
        tmp = Path(name)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def shared_state_problem(workers: int) -> str | None:
    """Why this configuration must not run with ``workers`` processes, if it must not.

    Rate-limit counters in ``memory://`` belong to one process: with four workers a sign-in
    limit of 10 lets about 40 guesses through. gunicorn.conf.py asks before forking."""
    from app import ROOT

    probe = Flask("settings", instance_path=str(ROOT / "instance"), instance_relative_config=True)
    load(probe, None)
    if workers > 1 and probe.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return (
            f"Refusing to start {workers} workers with RATELIMIT_STORAGE_URI=memory://: each "
            "process would keep its own sign-in counters. Set RATELIMIT_STORAGE_URI="
            "redis://host:6379/0 (shared by all workers), or run one worker."
        )
    return None
