"""The rooms' time grid (a week of one room, or a day of every room) and finding a free room
across one's branches. Part of the ``bookings`` blueprint (``booking_views.py``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from flask import abort, render_template, request
from flask_babel import format_date, get_locale
from flask_login import current_user

from app.auth.permissions import can_see_branch_admin, manageable_branches, managed_branch_or_404
from app.boundary import saving
from app.edges import MAX_DATE, MIN_DATE, date_arg, date_in_range, to_id
from app.extensions import db
from app.models import Branch, Room
from app.rooms import free_rooms, grid, grid_data
from app.rooms.booking_views import bp
from app.rooms.bookings import horizon_end
from app.rooms.forms import FEATURE_LABELS, FreeRoomForm
from app.timeutil import local_today, utcnow


def short_day(day: dt.date) -> str:
    """A column's day, in the reader's language: "Wed, Jun 10", "mié, 10 jun"."""
    return format_skeleton("MMMEd", day, locale=get_locale())


def long_day(day: dt.date) -> str:
    return format_date(day, "full")


def days_between(first: dt.date, last: dt.date) -> str:
    """The week shown, in the reader's language: "Jun 8 – 14, 2026", "8–14 jun 2026"."""
    return format_interval(first, last, "yMMMd", locale=get_locale())


def _room_of(branch: Branch, value: str | None) -> Room | None:
    """The room asked for (``?room=``), else the branch's first one."""
    wanted = to_id(value)
    return next((r for r in branch.rooms if r.id == wanted), None) or next(iter(branch.rooms), None)


@bp.get("/branches/<int:branch_id>/calendar")
def calendar(branch_id: int):
    branch = managed_branch_or_404(branch_id)
    view = "day" if request.args.get("view") == "day" else "week"
    today = local_today(branch.timezone)
    anchor = date_arg("date") or today  # out of range: 400; not a date: today
    room = _room_of(branch, request.args.get("room"))
    first = anchor if view == "day" else anchor - dt.timedelta(days=anchor.weekday())
    days = [first + dt.timedelta(days=i) for i in range(1 if view == "day" else 7)]
    now = utcnow()
    table = None
    if room is not None:
        cells = [(anchor, r) for r in branch.rooms] if view == "day" else [(d, room) for d in days]
        table = grid.build(
            branch, cells, grid_data.bookings_of(branch, days), now=now, horizon=horizon_end()
        )
    zone = ZoneInfo(branch.timezone)
    start = dt.datetime.combine(days[0], dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    later_count, later = grid_data.unbooked_after(branch, end, now)
    step = dt.timedelta(days=1 if view == "day" else 7)
    # Links never lead out of the dates the app takes (they would be refused).
    previous, following = first - step, first + step
    return render_template(
        "rooms/calendar.html",
        branch=branch,
        view=view,
        room=room,
        anchor=anchor,
        days=days,
        grid=table,
        unbooked=grid_data.unbooked_meetings(branch, start, end, now),
        later=later,
        later_day=later.starts_at.astimezone(zone).date() if later else None,
        later_count=later_count,
        previous=previous if date_in_range(previous) else None,
        following=following if date_in_range(following) else None,
        today=today,
        min_date=MIN_DATE,
        max_date=MAX_DATE,
        short_day=short_day,
        long_day=long_day,
        days_between=days_between,
    )


@bp.get("/rooms/free")
def free_room():
    """Rooms free at a time for some needs, across the branches one manages (all, for
    administrators); each with a link to book it."""
    if not can_see_branch_admin(current_user):
        abort(403)
    branches = db.session.scalars(manageable_branches(current_user)).all()
    form = FreeRoomForm(request.args, date=local_today(branches[0].timezone) if branches else None)
    found = None
    status = 200
    if request.args and form.validate():
        with saving(form) as saved:
            found = free_rooms.find(
                branches,
                form.date.data,
                form.start_time.data,
                form.end_time.data,
                seats=form.seats.data,
                features=form.features.data or [],
                now=utcnow(),
            )
        status = saved.status
    return render_template(
        "rooms/free_rooms.html",
        form=form,
        branches=branches,
        found=found,
        feature_labels=FEATURE_LABELS,
    ), status
