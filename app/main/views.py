from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from app.auth.permissions import can_create_circle, public
from app.circles.todos import todos_of
from app.extensions import db
from app.main import home
from app.timeutil import utcnow

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    """Visitors: circles open to the public and featured courses. Signed in: your next
    meetings and what needs you."""
    now = utcnow()
    if not current_user.is_authenticated:
        return render_template(
            "main/index.html",
            now=now,
            circles=home.public_circles(now),
            courses=home.featured_courses(),
        )
    me = current_user._get_current_object()
    return render_template(
        "main/index.html",
        now=now,
        meetings=home.next_meetings(me, now),
        todos=todos_of(me, now),
        can_create=can_create_circle(me),
    )


@bp.get("/healthz")
@public
def healthz():
    """For load balancers: the app answers and the database does too."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
