from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from app.auth.permissions import public
from app.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    return render_template("main/index.html")


@bp.get("/healthz")
@public
def healthz():
    """For load balancers: the app answers and the database does too."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
