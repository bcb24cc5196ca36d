from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.auth.permissions import can_create_circle, public, self_paced_reviewers_see
from app.circles import listing
from app.circles.todos import todos_of
from app.main import health, home
from app.pathways import self_paced
from app.timeutil import utcnow

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    """Visitors: circles open to the public and featured courses. Signed in: your next
    meetings and what needs you."""
    now = utcnow()
    if not current_user.is_authenticated:
        circles = home.public_circles(now)
        return render_template(
            "main/index.html",
            circles=circles,
            next_starts=listing.next_starts(circles, now),
            courses=home.featured_courses(),
        )
    me = current_user._get_current_object()
    return render_template(
        "main/index.html",
        now=now,
        meetings=home.next_meetings(me, now),
        todos=todos_of(me, now),
        can_create=can_create_circle(me),
        to_confirm=self_paced.waiting_count(self_paced_reviewers_see(me), me),
    )


@bp.get("/healthz")
@public
def healthz():
    """For load balancers: the process is up (restart it if not). Touches nothing else, so a
    database outage does not get every app server restarted."""
    return {"status": "ok"}


@bp.get("/readyz")
@public
def readyz():
    """For load balancers: send this server requests only while its database and rate-limit
    store answer (503 names the one that does not)."""
    body, ready = health.readiness()
    return body, 200 if ready else 503
