"""Room bookings: booking a room, moving and cancelling, blocking, and booking rooms for a
circle's meetings. The time grid and finding a free room are in ``grid_views.py``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import (
    can_manage_branch,
    editable_circle_or_404,
    managed_room_or_404,
    staff_required,
)
from app.boundary import back_to, saving
from app.edges import date_arg, time_arg, to_id
from app.extensions import db
from app.models import Booking, BookingKind, BookingStatus, Branch, Meeting, Room, RoomFeature
from app.places import branch_closed
from app.rooms import bookings, circle_bookings
from app.rooms.forms import (
    FEATURE_LABELS,
    BlockForm,
    BookingForm,
    CancelBookingForm,
    CircleRoomForm,
    MoveBookingForm,
)
from app.timeutil import utcnow

bp = Blueprint("bookings", __name__)


def _room_choices(branch: Branch) -> list[SelectChoice]:
    return [SelectChoice("", _("Choose a room"))] + [
        SelectChoice(r.id, f"{r.name} ({r.capacity})") for r in branch.rooms if r.bookable
    ]


def _form_back(branch: Branch) -> str:
    """Where a booking form's "Cancel" leads: the branch for its managers, else one's bookings."""
    if can_manage_branch(current_user, branch):
        return url_for("rooms.branch", branch_id=branch.id)
    return url_for("bookings.mine")


def week_of(room: Room, day: dt.date) -> str:
    """The time grid of ``room``'s week around ``day``."""
    return url_for(
        "bookings.calendar", branch_id=room.branch_id, room=room.id, date=day.isoformat()
    )


def _booking_or_404(booking_id: int) -> Booking:
    """Bookings are for their branch's managers and for whoever made them."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not (
        can_manage_branch(current_user, booking.room.branch)
        or booking.created_by_id == current_user.id
    ):
        abort(404)
    return booking


# --- booking a room --------------------------------------------------------------------------


@bp.route("/branches/<int:branch_id>/bookings/new", methods=["GET", "POST"])
@staff_required
def new_booking(branch_id: int):
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        abort(404)
    form = BookingForm()
    form.room_id.choices = _room_choices(branch)
    if not form.is_submitted():  # from an empty slot of the grid: room, date and time
        form.room_id.data = to_id(request.args.get("room_id"))
        form.date.data = date_arg("date")
        form.start_time.data = time_arg("start")
        form.end_time.data = time_arg("end")
    saved = None
    if form.validate_on_submit():
        with saving(form) as saved:
            room, made = bookings.book_weekly(
                branch,
                form.room_id.data,
                form.date.data,
                form.start_time.data,
                form.end_time.data,
                repeats=form.repeat.data or 0,
                title=form.title.data,
                by=current_user._get_current_object(),
                now=utcnow(),
            )
    if saved:
        flash(
            ngettext(
                "%(room)s is booked (%(num)d time).",
                "%(room)s is booked (%(num)d times).",
                len(made),
                room=room.name,
            )
            if len(made) > 1
            else _("%(room)s is booked.", room=room.name),
            "success",
        )
        if can_manage_branch(current_user, branch):
            return redirect(week_of(room, form.date.data))
        return redirect(url_for("bookings.mine"))
    return render_template(
        "rooms/booking_form.html", form=form, branch=branch, booking=None, back=_form_back(branch)
    ), saved.status if saved is not None else 200


@bp.get("/bookings/mine")
@staff_required
def mine():
    items = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.created_by_id == current_user.id,
            Booking.ends_at > utcnow(),
            Booking.status == BookingStatus.active,
        )
        .order_by(Booking.starts_at)
    ).all()
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.name)).all()
    return render_template("rooms/my_bookings.html", bookings=items, branches=branches)


@bp.route("/bookings/<int:booking_id>/edit", methods=["GET", "POST"])
def move_booking(booking_id: int):
    booking = _booking_or_404(booking_id)
    branch = booking.room.branch
    if booking.kind == BookingKind.meeting:
        flash(_("Move a circle's meeting from the circle's page: its room follows."), "info")
        return redirect(url_for("circles.circle", circle_id=booking.meeting.circle_id))
    form = MoveBookingForm()
    form.room_id.choices = _room_choices(branch)
    if not form.is_submitted():
        zone = ZoneInfo(branch.timezone)
        form.room_id.data = booking.room_id
        form.date.data = booking.starts_at.astimezone(zone).date()
        form.start_time.data = booking.starts_at.astimezone(zone).time()
        form.end_time.data = booking.ends_at.astimezone(zone).time()
    saved = None
    if form.validate_on_submit():
        with saving(form) as saved:
            bookings.move_to(
                booking,
                form.room_id.data,
                form.date.data,
                form.start_time.data,
                form.end_time.data,
                by=current_user._get_current_object(),
                now=utcnow(),
            )
    if saved:
        flash(_("Booking moved."), "success")
        if can_manage_branch(current_user, branch):
            return redirect(week_of(booking.room, form.date.data))
        return redirect(url_for("bookings.mine"))  # the calendar is for the branch's managers
    return render_template(
        "rooms/booking_form.html",
        form=form,
        branch=branch,
        booking=booking,
        back=_form_back(branch),
    ), saved.status if saved is not None else 200


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
def cancel_booking(booking_id: int):
    booking = _booking_or_404(booking_id)
    branch = booking.room.branch
    # Back to the week the booking is in, for managers.
    back = (
        week_of(booking.room, booking.starts_at.astimezone(ZoneInfo(branch.timezone)).date())
        if can_manage_branch(current_user, branch)
        else url_for("bookings.mine")
    )
    owner = booking.created_by
    # Whoever made it is told (bookings.cancel), and may be told why, unless it is oneself.
    told = owner if owner is not None and owner.id != current_user.id else None
    form = CancelBookingForm()
    if form.validate_on_submit():
        back_to(back)
        bookings.cancel(
            booking, by=current_user._get_current_object(), note=form.note.data if told else ""
        )
        flash(_("Booking cancelled."), "success")
        return redirect(back)
    return render_template(
        "rooms/cancel_booking.html", form=form, booking=booking, told=told, back=back
    )


@bp.route("/rooms/<int:room_id>/block", methods=["GET", "POST"])
def block_room(room_id: int):
    room = managed_room_or_404(room_id)
    form = BlockForm()
    saved = None
    in_the_way: list[Booking] = []
    if form.validate_on_submit():
        now = utcnow()
        with saving(form) as saved:
            _block, cancelled = bookings.block(
                room,
                form.first_day.data,
                form.last_day.data,
                reason=form.reason.data,
                by=current_user._get_current_object(),
                now=now,
                cancelling=form.cancelling(),
                note=form.note.data,
            )
        if not saved:
            in_the_way = bookings.in_the_way(room, form.first_day.data, form.last_day.data, now)
            listed = ",".join(str(b.id) for b in in_the_way)
            if listed != form.listed.data:  # new to the manager: they choose again
                form.cancel_bookings.data = False
            form.listed.data = listed
    if saved:
        flash(
            ngettext(
                "%(room)s is blocked; %(num)d booking was cancelled and whoever made it told.",
                "%(room)s is blocked; %(num)d bookings were cancelled and whoever made them told.",
                len(cancelled),
                room=room.name,
            )
            if cancelled
            else _("%(room)s is blocked.", room=room.name),
            "success",
        )
        return redirect(week_of(room, form.first_day.data))
    return render_template("rooms/block_form.html", form=form, room=room, in_the_way=in_the_way), (
        saved.status if saved is not None else 200
    )


# --- rooms for circles -----------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/rooms", methods=["GET", "POST"])
def circle_rooms(circle_id: int):
    circle = editable_circle_or_404(circle_id)
    now = utcnow()
    meetings = [m for m in circle.scheduled_meetings if m.starts_at > now]
    features = [f for f in request.args.getlist("feature") if f in {x.value for x in RoomFeature}]
    fits = circle_bookings.rooms_for_circle(circle, meetings, features)
    form = CircleRoomForm()
    form.room_id.choices = [SelectChoice(f.room.id, f.room.name) for f in fits]
    problems: list = []
    status = 200
    if form.validate_on_submit():
        room = next(f.room for f in fits if f.room.id == form.room_id.data)
        with saving(form) as saved:
            booked, problems = circle_bookings.book_circle(
                circle,
                room,
                meetings,
                by=current_user._get_current_object(),
                all_or_nothing=form.mode.data == "all",
            )
        status = 409
        if saved:
            if not problems:
                flash(_("%(room)s is booked for every meeting.", room=room.name), "success")
                return redirect(url_for("circles.circle", circle_id=circle.id))
            if booked:
                flash(
                    ngettext(
                        "%(room)s is booked for %(num)d meeting; the others clash (below).",
                        "%(room)s is booked for %(num)d meetings; the others clash (below).",
                        len(booked),
                        room=room.name,
                    ),
                    "info",
                )
            else:
                flash(_("Nothing was booked: some meetings clash (below)."), "error")
    return (
        render_template(
            "rooms/circle_rooms.html",
            circle=circle,
            meetings=meetings,
            fits=fits,
            closed=branch_closed(circle.branch, meetings),
            form=form,
            problems=problems,
            features=features,
            feature_labels=FEATURE_LABELS,
        ),
        status,
    )


@bp.route("/meetings/<int:meeting_id>/room", methods=["GET", "POST"])
def meeting_room(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    circle = editable_circle_or_404(meeting.circle_id)
    fits = circle_bookings.rooms_for_circle(circle, [meeting], [])
    form = CircleRoomForm()
    form.room_id.choices = [SelectChoice(f.room.id, f.room.name) for f in fits if f.free_for_all]
    status = 200
    if form.validate_on_submit():
        room = db.session.get(Room, form.room_id.data)
        with saving(form) as saved:
            circle_bookings.book_meetings(
                circle, room, [meeting], by=current_user._get_current_object(), all_or_nothing=True
            )
        if saved:
            flash(_("%(room)s is booked for this meeting.", room=room.name), "success")
            return redirect(url_for("circles.circle", circle_id=circle.id))
        status = saved.status
    return render_template(
        "rooms/meeting_room.html",
        form=form,
        circle=circle,
        meeting=meeting,
        fits=fits,
        closed=branch_closed(circle.branch, [meeting]),
    ), status


# The blueprint's other pages: imported for their routes (they import ``bp`` from here).
from app.rooms import grid_views  # noqa: E402, F401
