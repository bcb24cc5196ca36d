"""Branches (address, time zone, opening hours, closures) and their rooms."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.auth.permissions import (
    admin_required,
    can_create_branch,
    can_see_branch_admin,
    manageable_branches,
    managed_branch_or_404,
    managed_room_or_404,
)
from app.boundary import saving
from app.extensions import db
from app.forms import ConfirmForm
from app.labels import WEEKDAY_NAMES
from app.models import Branch, Closure
from app.rooms import services
from app.rooms.forms import (
    FEATURE_LABELS,
    BranchForm,
    ClosureForm,
    HoursForm,
    RoomForm,
)
from app.timeutil import local_today

bp = Blueprint("rooms", __name__)


@bp.get("/branches/")
def branches():
    if not can_see_branch_admin(current_user):
        abort(403)
    items = db.session.scalars(manageable_branches(current_user)).all()
    return render_template(
        "rooms/branches.html", branches=items, can_create=can_create_branch(current_user)
    )


def _branch_values(form: BranchForm) -> dict:
    return {
        "name": form.name.data,
        "slug": form.slug.data,
        "address": form.address.data,
        "timezone": form.timezone.data,
    }


@bp.route("/branches/new", methods=["GET", "POST"])
@admin_required
def new_branch():
    form = BranchForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            branch = services.save_branch(None, **_branch_values(form))
        if saved:
            flash(
                _("Branch %(name)s created. Now set its opening hours.", name=branch.name),
                "success",
            )
            return redirect(url_for("rooms.edit_hours", branch_id=branch.id))
    return render_template("rooms/branch_form.html", form=form, branch=None)


@bp.get("/branches/<int:branch_id>")
def branch(branch_id: int):
    item = managed_branch_or_404(branch_id)
    today = local_today(item.timezone)
    upcoming = services.closure_runs([c for c in item.closures if c.date >= today])
    return render_template(
        "rooms/branch.html",
        branch=item,
        closures=upcoming,
        weekdays=WEEKDAY_NAMES,
        feature_labels=FEATURE_LABELS,
    )


@bp.route("/branches/<int:branch_id>/edit", methods=["GET", "POST"])
def edit_branch(branch_id: int):
    item = managed_branch_or_404(branch_id)
    form = BranchForm(obj=item)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.save_branch(item, **_branch_values(form))
        if saved:
            flash(_("Branch saved."), "success")
            return redirect(url_for("rooms.branch", branch_id=item.id))
    return render_template("rooms/branch_form.html", form=form, branch=item)


@bp.route("/branches/<int:branch_id>/hours", methods=["GET", "POST"])
def edit_hours(branch_id: int):
    item = managed_branch_or_404(branch_id)
    form = HoursForm()
    if not form.is_submitted():
        for weekday, entry in enumerate(form.days):
            hours = item.hours_on(weekday)
            if hours is not None:
                entry.form.opens.data, entry.form.closes.data = hours.opens, hours.closes
    if form.validate_on_submit():
        services.set_hours(
            item,
            {
                weekday: (entry.form.opens.data, entry.form.closes.data)
                if entry.form.opens.data
                else None
                for weekday, entry in enumerate(form.days)
            },
        )
        flash(_("Opening hours saved."), "success")
        return redirect(url_for("rooms.branch", branch_id=item.id))
    return render_template(
        "rooms/hours.html",
        form=form,
        branch=item,
        days=list(zip(WEEKDAY_NAMES, form.days, strict=True)),
    )


@bp.route("/branches/<int:branch_id>/closures/new", methods=["GET", "POST"])
def new_closure(branch_id: int):
    item = managed_branch_or_404(branch_id)
    form = ClosureForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            result = services.add_closure(
                item, form.date.data, form.last_day.data, form.reason.data
            )
        if saved:
            _flash_closures(result)
            return redirect(url_for("rooms.branch", branch_id=item.id))
    return render_template("rooms/closure_form.html", form=form, branch=item)


@bp.route("/branches/closures/new", methods=["GET", "POST"])
@admin_required
def new_holiday():
    """A closure for every branch at once (a public holiday)."""
    form = ClosureForm()
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.name)).all()
    if form.validate_on_submit():
        with saving(form) as saved:
            result = services.add_closures(
                branches, form.date.data, form.last_day.data, form.reason.data
            )
        if saved:
            _flash_closures(result, branches=len(branches))
            return redirect(url_for("rooms.branches"))
    return render_template("rooms/closure_form.html", form=form, branch=None, branches=branches)


def _flash_closures(result: services.ClosuresAdded, branches: int | None = None) -> None:
    if branches is None:
        message = ngettext(
            "Closure added: %(num)d day.", "Closure added: %(num)d days.", result.added
        )
    else:
        message = ngettext(
            "Closure added at %(branches)d branches: %(num)d branch day.",
            "Closure added at %(branches)d branches: %(num)d branch days.",
            result.added,
            branches=branches,
        )
    if result.already_closed:
        message += " " + ngettext(
            "%(num)d day was already closed and kept its reason.",
            "%(num)d days were already closed and kept their reasons.",
            result.already_closed,
        )
    flash(message, "success")
    if result.still_planned:
        flash(
            ngettext(
                "%(num)d meeting or booking is still planned on those days: move or cancel it.",
                "%(num)d meetings or bookings are still planned on those days: move or cancel "
                "them.",
                result.still_planned,
            ),
            "info",
        )


@bp.route("/branches/<int:branch_id>/closures/<int:closure_id>/delete", methods=["GET", "POST"])
def delete_closure(branch_id: int, closure_id: int):
    item = managed_branch_or_404(branch_id)
    closure = db.session.scalar(
        sa.select(Closure).where(Closure.id == closure_id, Closure.branch_id == item.id)
    )
    if closure is None:
        abort(404)
    run = services.run_starting_at(closure)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.remove_closures(run)
        flash(
            _("Closure removed: the branch is open that day.")
            if run.first == run.last
            else _("Closure removed: the branch is open on those days."),
            "success",
        )
        return redirect(url_for("rooms.branch", branch_id=item.id))
    if run.first == run.last:
        question = _(
            "Remove the closure on %(date)s (%(reason)s)? The branch will count as open that day.",
            date=run.first.isoformat(),
            reason=run.reason or _("no reason given"),
        )
    else:
        question = _(
            "Remove the closure on %(first)s to %(last)s (%(reason)s)? The branch will count as "
            "open on those %(days)d days.",
            first=run.first.isoformat(),
            last=run.last.isoformat(),
            days=len(run.closures),
            reason=run.reason or _("no reason given"),
        )
    return render_template(
        "confirm.html",
        form=form,
        title=_("Remove closure"),
        question=question,
        action=_("Remove closure"),
        cancel_url=url_for("rooms.branch", branch_id=item.id),
    )


def _room_form_values(form: RoomForm) -> dict:
    return {
        "name": form.name.data,
        "capacity": form.capacity.data,
        "features": form.features.data or [],
        "bookable": form.bookable.data,
        "setup_minutes": form.setup_minutes.data,
        "cleanup_minutes": form.cleanup_minutes.data,
    }


@bp.route("/branches/<int:branch_id>/rooms/new", methods=["GET", "POST"])
def new_room(branch_id: int):
    item = managed_branch_or_404(branch_id)
    form = RoomForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            room = services.save_room(None, item, **_room_form_values(form))
        if saved:
            flash(_("Room %(name)s added.", name=room.name), "success")
            return redirect(url_for("rooms.branch", branch_id=item.id))
    return render_template("rooms/room_form.html", form=form, branch=item, room=None)


@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
def edit_room(room_id: int):
    room = managed_room_or_404(room_id)
    form = RoomForm(obj=room)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.save_room(room, room.branch, **_room_form_values(form))
        if saved:
            flash(_("Room saved."), "success")
            return redirect(url_for("rooms.branch", branch_id=room.branch_id))
    return render_template("rooms/room_form.html", form=form, branch=room.branch, room=room)


@bp.route("/rooms/<int:room_id>/delete", methods=["GET", "POST"])
def delete_room(room_id: int):
    room = managed_room_or_404(room_id)
    branch_id = room.branch_id
    form = ConfirmForm()
    if form.validate_on_submit():
        name = room.name
        services.delete_room(room)
        flash(_("Room %(name)s deleted.", name=name), "success")
        return redirect(url_for("rooms.branch", branch_id=branch_id))
    return render_template(
        "confirm.html",
        form=form,
        title=_("Delete room"),
        question=_(
            "Delete %(room)s at %(branch)s? This cannot be undone. "
            "To keep it on record but stop bookings, untick “Can be booked” instead.",
            room=room.name,
            branch=room.branch.name,
        ),
        action=_("Delete room"),
        cancel_url=url_for("rooms.branch", branch_id=branch_id),
    )
