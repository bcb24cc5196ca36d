"""Circles: the public list and page, publishing, completing and cancelling a circle, and
the facilitator's dashboard; the ``circles`` blueprint. Its other pages are in
``creation_views.py`` (the creation flow, editing details), ``meeting_views.py`` and
``facilitator_views.py``."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.attendance import completion
from app.attendance import services as attendance
from app.auth.permissions import (
    can_create_circle,
    can_edit_circle,
    can_manage_facilitators,
    editable_circle_or_404,
    facilitates,
    public,
    visible_circle_or_404,
)
from app.boundary import back_to
from app.circles import listing, services, todos
from app.circles import meetings as meeting_rules
from app.circles.forms import CircleFilterForm
from app.edges import page_arg
from app.extensions import db
from app.forms import ConfirmForm
from app.labels import COURSE_LANGUAGES
from app.links import external_url, subscribe_links
from app.models import Branch, Circle, Facilitation, Meeting
from app.participation import services as participation
from app.participation.forms import JoinForm
from app.querying import paginate
from app.timeutil import utcnow

bp = Blueprint("circles", __name__)

# What a circle's page shows of it, loaded with it (not one query per meeting's booking).
CIRCLE_PAGE = (
    so.joinedload(Circle.course),
    so.joinedload(Circle.branch),
    so.joinedload(Circle.room),
    so.selectinload(Circle.meetings).selectinload(Meeting.bookings),
    so.selectinload(Circle.facilitations).joinedload(Facilitation.user),
)


def _viewer_timezone(circle: Circle) -> str:
    return current_user.timezone if current_user.is_authenticated else circle.timezone


# --- public pages ----------------------------------------------------------------------------


@bp.get("/circles/")
@public
def index():
    form = CircleFilterForm(request.args)
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.name)).all()
    form.branch.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(b.id, b.name) for b in branches
    ]
    form.language.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(code, name) for code, name in COURSE_LANGUAGES.items()
    ]
    filters = {n: f.data for n, f in form._fields.items()} if form.validate() else {}
    now = utcnow()
    page = paginate(
        listing.matching_circles(current_user, now, **filters),
        page_arg(),
        current_app.config["PER_PAGE"],
        *listing.LISTED,
    )
    return render_template(
        "circles/index.html",
        form=form,
        page=page,
        next_starts=listing.next_starts(page.items, now),
        # Only the filters go into the page links (other names would reach url_for()).
        args={k: v for k, v in request.args.items() if k in form},
        filtered=any(v not in (None, "", False) for v in filters.values()),
        can_create=can_create_circle(current_user),
    )


@bp.get("/circles/<int:circle_id>")
@public
def circle(circle_id: int):
    item = visible_circle_or_404(circle_id, *CIRCLE_PAGE)
    now = utcnow()
    mine = (
        participation.place_of(item, current_user.email) if current_user.is_authenticated else None
    )
    can_edit = can_edit_circle(current_user, item)
    completion_open = can_edit and completion.completion_closed_reason(item, now) is None
    return render_template(
        "circles/circle.html",
        circle=item,
        now=now,
        mine=mine,
        position=participation.waitlist_position(mine) if mine else None,
        closed=participation.joining_closed_reason(item, now),
        join_form=JoinForm(),
        checkin=attendance.open_checkin(mine, now) if mine else None,
        feed_links=subscribe_links(
            external_url("calendar.circle_ics", circle_id=item.id), item.title
        ),
        state=item.state(now),
        tz=_viewer_timezone(item),
        can_edit=can_edit,
        can_assign=can_manage_facilitators(current_user, item),
        # Facilitators get their panel (roster, outcomes, completion) instead of "Join".
        facilitating=facilitates(current_user, item),
        panel=todos.panel_of(item, now) if can_edit else None,
        completion_open=completion_open,
    )


# --- a circle's status -----------------------------------------------------------------------


def _circle_action(circle_id: int, action, done: str):
    item = editable_circle_or_404(circle_id)
    back = back_to(url_for("circles.circle", circle_id=item.id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    action(item)
    flash(done, "success")
    return redirect(back)


@bp.post("/circles/<int:circle_id>/publish")
def publish_circle(circle_id: int):
    return _circle_action(circle_id, services.publish, _("Circle published."))


@bp.post("/circles/<int:circle_id>/complete")
def complete_circle(circle_id: int):
    return _circle_action(circle_id, services.complete_circle, _("Circle marked as completed."))


@bp.route("/circles/<int:circle_id>/cancel", methods=["GET", "POST"])
def cancel_circle(circle_id: int):
    item = editable_circle_or_404(circle_id)
    if request.method == "POST":
        return _circle_action(circle_id, services.cancel_circle, _("Circle cancelled."))
    return render_template(
        "confirm.html",
        form=ConfirmForm(),
        title=_("Cancel circle"),
        question=ngettext(
            "Cancel “%(title)s”? Its %(num)d meeting still to come is cancelled and "
            "disappears from calendars. This cannot be undone.",
            "Cancel “%(title)s”? Its %(num)d meetings still to come are cancelled and "
            "disappear from calendars. This cannot be undone.",
            len(meeting_rules.future_meetings(item)),
            title=item.title,
        ),
        action=_("Cancel circle"),
        cancel_url=url_for("circles.circle", circle_id=item.id),
    )


# --- facilitator dashboard -------------------------------------------------------------------


@bp.get("/facilitate/")
def dashboard():
    if not (current_user.is_facilitator or current_user.is_admin):
        abort(403)
    now = utcnow()
    me = current_user._get_current_object()
    return render_template(
        "circles/dashboard.html",
        circles=db.session.scalars(listing.circles_of(me)).all(),
        meetings=listing.upcoming_meetings_of(me, now),
        # Each month as a date, named in the reader's language ("dic 2026"), not "2026-12".
        workload=[(dt.date.fromisoformat(f"{m}-01"), n) for m, n in listing.workload(me, now)],
        now=now,
        can_create=can_create_circle(me),
    )


# The blueprint's other pages: imported for their routes (they import ``bp`` from here).
from app.circles import (  # noqa: E402, F401
    creation_views,
    facilitator_views,
    meeting_views,
    series_views,
)
