"""Embeds for a library's website: the upcoming public circles (filtered by branch, skill area
or course) and one circle's card, as pages made to sit in an <iframe> on another site.

- Framed only by the origins an administrator lists (app/embeds/origins.py, the admin page in
  app/admin/embed_views.py): these pages' CSP ``frame-ancestors`` names them; with none listed
  they stay ``'none'``, as every other page of the app is.
- Only what anyone may see without signing in (public, published circles), whoever looks: the
  viewer is always treated as a visitor. No script, no cookie: every link opens the app in a
  new tab (third-party cookies are blocked in frames), built from BASE_URL.
"""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import Blueprint, render_template, request

from app.auth.permissions import can_embed_circle, public
from app.circles import listing
from app.embeds import listing as embedded
from app.embeds import origins
from app.embeds.forms import EmbedFilterForm
from app.extensions import db
from app.links import external_url
from app.models import Circle
from app.participation import services as participation
from app.security import allow_framing_by
from app.timeutil import utcnow

bp = Blueprint("embeds", __name__, url_prefix="/embed")

# How many circles an embedded list shows; the rest are a link away ("See all circles").
LIST_LIMIT = 20


@bp.before_request
def _framed_by_the_listed_origins() -> None:
    allow_framing_by(origins.frame_ancestors())


@bp.get("/circles")
@public
def circles():
    form = EmbedFilterForm(request.args)
    if not form.validate():
        return render_template("embeds/missing.html", bad_filters=True), 400
    filters = form.filters()
    now = utcnow()
    shown = embedded.upcoming(now, LIST_LIMIT + 1, **filters)
    return render_template(
        "embeds/circles.html",
        circles=shown[:LIST_LIMIT],
        more=len(shown) > LIST_LIMIT,
        next_starts=listing.next_starts(shown[:LIST_LIMIT], now),
        # The app's own list has no course filter: branch and skill area carry over.
        all_url=external_url(
            "circles.index", **{k: v for k, v in filters.items() if k != "course"}
        ),
    )


@bp.get("/circles/<int:circle_id>")
@public
def circle(circle_id: int):
    item = db.session.get(
        Circle,
        circle_id,
        options=(
            so.joinedload(Circle.course),
            so.joinedload(Circle.branch),
            so.selectinload(Circle.meetings),
        ),
    )
    if item is None or not can_embed_circle(item):
        return render_template("embeds/missing.html", bad_filters=False), 404
    now = utcnow()
    upcoming = [m for m in item.scheduled_meetings if m.ends_at > now]
    return render_template(
        "embeds/circle.html",
        circle=item,
        upcoming=upcoming,
        closed=participation.joining_closed_reason(item, now),
        circle_url=external_url("circles.circle", circle_id=item.id),
    )
