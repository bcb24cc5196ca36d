"""What a load balancer asks: is the process up (``/healthz``), and can it serve (``/readyz``):
the database and the rate-limit store (Redis in production) answer."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db, limiter


def database_answers() -> bool:
    """On a connection of its own, so a failure leaves the request's session alone."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return False
    return True


def limits_answer() -> bool:
    """The shared counters: without them sign-in throttling cannot count (``check`` pings
    Redis; ``memory://`` always answers)."""
    try:
        return bool(limiter.storage.check())
    except Exception:  # any storage error means "not ready", never a 500
        return False


def readiness() -> tuple[dict[str, str], bool]:
    checks = {"database": database_answers(), "rate_limits": limits_answer()}
    ready = all(checks.values())
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    return {"status": "ready" if ready else "unavailable", **body}, ready
