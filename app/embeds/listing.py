"""The circles an embed shows: app.circles.listing's list as a signed-out visitor sees it
(public, published, still to meet, in its order), with a course as one more filter."""

from __future__ import annotations

import datetime as dt

from flask_login import AnonymousUserMixin

from app.circles import listing
from app.extensions import db
from app.models import Circle


def upcoming(now: dt.datetime, limit: int, *, course: int | None = None, **filters) -> list[Circle]:
    """At most ``limit`` circles, each with its branch and course; ``filters``: those of
    ``listing.list_circles`` (``branch``, ``skill_area``)."""
    # A visitor's list, whoever is signed in to the app: embeds show public circles only.
    query = listing.list_circles(AnonymousUserMixin(), now, with_meetings=False, **filters)
    if course is not None:
        query = query.where(Circle.course_id == course)
    return list(db.session.scalars(query.limit(limit)).unique())
