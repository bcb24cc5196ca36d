"""Circles: the public list and page, the creation flow, edits, meetings, facilitators."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.attendance import services as attendance
from app.auth.permissions import (
    can_assign_facilitators,
    can_create_circle,
    can_edit_circle,
    editable_circle_or_404,
    editable_meeting_or_404,
    is_lead,
    public,
    visible_circle_or_404,
)
from app.boundary import back_to, saving
from app.circles import facilitators as facilitator_rules
from app.circles import listing, services
from app.circles import meetings as meeting_rules
from app.circles.forms import (
    STEP_FIELDS,
    STEPS,
    AssignForm,
    CircleDetailsForm,
    CircleFilterForm,
    HandOverForm,
    MeetingForm,
    NewCircleForm,
)
from app.edges import page_arg, to_id
from app.extensions import db
from app.forms import ConfirmForm
from app.labels import COURSE_LANGUAGES, when
from app.links import external_url, subscribe_links
from app.models import Branch, Circle, Course, Meeting, Room, User
from app.participation import services as participation
from app.participation.forms import JoinForm
from app.timeutil import utcnow

bp = Blueprint("circles", __name__)


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
    page = db.paginate(
        listing.list_circles(current_user, now, **filters),
        page=page_arg(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "circles/index.html",
        form=form,
        page=page,
        now=now,
        # Only the filters go into the page links (other names would reach url_for()).
        args={k: v for k, v in request.args.items() if k in form},
        filtered=any(v not in (None, "", False) for v in filters.values()),
        can_create=can_create_circle(current_user),
    )


@bp.get("/circles/<int:circle_id>")
@public
def circle(circle_id: int):
    item = visible_circle_or_404(circle_id)
    now = utcnow()
    mine = (
        participation.place_of(item, current_user.email) if current_user.is_authenticated else None
    )
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
        can_edit=can_edit_circle(current_user, item),
        can_assign=can_assign_facilitators(current_user, item) or is_lead(current_user, item),
    )


# --- creation --------------------------------------------------------------------------------


def _course_choices(selected: int | None) -> list[SelectChoice]:
    courses = db.session.scalars(
        sa.select(Course)
        .where(sa.or_(Course.retired_at.is_(None), Course.id == (selected or 0)))
        .order_by(Course.title)
    )
    return [SelectChoice("", _("Choose a course"))] + [
        SelectChoice(c.id, f"{c.title} ({c.provider})") for c in courses
    ]


def _room_choices(branch_id: int | None = None) -> list[SelectChoice]:
    query = sa.select(Room).join(Branch).where(Room.bookable).order_by(Branch.name, Room.name)
    if branch_id is not None:
        query = query.where(Room.branch_id == branch_id)
    return [SelectChoice("", _("No room yet"))] + [
        SelectChoice(r.id, f"{r.name} ({r.capacity})", optgroup=r.branch.name)
        for r in db.session.scalars(query)
    ]


def _details(form: CircleDetailsForm, branch_id: int, publish: bool) -> services.CircleInput:
    return services.CircleInput(
        course_id=form.course_id.data,
        branch_id=branch_id,
        room_id=form.room_id.data,
        format=form.format.data,
        join_url=form.join_url.data or "",
        title=form.title.data or "",
        description=form.description.data or "",
        welcome_message=form.welcome_message.data or "",
        capacity=form.capacity.data,
        signup_closes_on=form.signup_closes_on.data,
        audience=form.audience.data,
        publish=publish,
        ask_goals=form.ask_goals.data,
        custom_question=form.custom_question.data or "",
        self_checkin=form.self_checkin.data,
        completion_min_meetings=form.completion_min_meetings.data,
    )


def _schedule(form: NewCircleForm, branch: Branch) -> services.ScheduleInput:
    return services.ScheduleInput(
        first_date=form.first_date.data,
        weekdays=form.weekdays.data or [],
        start_time=form.start_time.data,
        duration_minutes=form.duration_minutes.data,
        meeting_count=form.meeting_count.data,
        explicit_dates=form.explicit_dates.data or "",
        timezone=form.timezone.data or branch.timezone,
        closure_policy=form.closure_policy.data,
    )


def _step_of(field_name: str | None) -> str:
    return next((s for s in STEPS if field_name in STEP_FIELDS[s]), "course")


@bp.route("/circles/new", methods=["GET", "POST"])
def new_circle():
    """A short guided flow: course → where and when → details → review. Each step posts
    everything entered so far (earlier steps as hidden fields), so nothing is stored
    until the facilitator confirms on the review step."""
    if not can_create_circle(current_user):
        abort(403)
    form = NewCircleForm()
    preselected = to_id(request.args.get("course_id"))
    form.course_id.choices = _course_choices(form.course_id.data or preselected)
    form.branch_id.choices = [SelectChoice("", _("Choose a branch"))] + [
        SelectChoice(b.id, b.name)
        for b in db.session.scalars(sa.select(Branch).order_by(Branch.name))
    ]
    form.room_id.choices = _room_choices()
    if not form.is_submitted():
        form.course_id.data = preselected
        return _wizard(form, "course", None)

    creating = request.form.get("action") == "create"
    wanted = "review" if creating else request.form.get("goto", "course")
    wanted = wanted if wanted in STEPS else "course"
    form.validate()
    earlier = STEPS[: STEPS.index(wanted)]
    invalid = [s for s in earlier if any(form[f].errors for f in STEP_FIELDS[s] if f in form)]
    if invalid:
        return _wizard(form, invalid[0], None)
    if wanted != "review":
        # The step being opened is still to be filled in: no complaints about it yet.
        for name in STEP_FIELDS[wanted]:
            if name in form:
                form[name].errors = []
        return _wizard(form, wanted, None)

    branch = db.session.get(Branch, form.branch_id.data)
    me = current_user._get_current_object()
    with saving(form) as saved:
        details = _details(form, branch.id, publish=form.publish.data)
        schedule = _schedule(form, branch)
        if creating:
            circle = services.create_circle(details, schedule, me, utcnow())
        else:
            preview = services.preview_circle(details, schedule, me, utcnow())
    if not saved:
        return _wizard(form, _step_of(saved.field), None)
    if creating:
        flash(
            _("Circle created and published.")
            if circle.status == "published"
            else _("Circle saved as a draft. Publish it when it is ready."),
            "success",
        )
        return redirect(url_for("circles.circle", circle_id=circle.id))
    return _wizard(
        form,
        "review",
        {
            "plan": preview.plan,
            "branch": preview.branch,
            "course": preview.course,
            "room": preview.room,
            "tz": schedule.timezone,
            "clashes": preview.clashes,
        },
    )


def _wizard(form: NewCircleForm, step: str, review: dict | None):
    return render_template(
        "circles/new.html",
        form=form,
        step=step,
        steps=STEPS,
        step_fields=STEP_FIELDS,
        review=review,
    )


# --- changing a circle -----------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/edit", methods=["GET", "POST"])
def edit_circle(circle_id: int):
    item = editable_circle_or_404(circle_id)
    form = CircleDetailsForm(obj=item)
    form.course_id.choices = _course_choices(item.course_id)
    form.room_id.choices = _room_choices(item.branch_id)
    if not form.is_submitted() and item.signup_closes_at:
        # Stored as the first instant sign-up is closed; shown as the last day it is open.
        closes = item.signup_closes_at.astimezone(ZoneInfo(item.timezone))
        form.signup_closes_on.data = closes.date() - dt.timedelta(days=1)
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_circle(item, _details(form, item.branch_id, publish=False))
        if saved:
            flash(_("Circle saved."), "success")
            return redirect(url_for("circles.circle", circle_id=item.id))
    return render_template("circles/edit.html", form=form, circle=item)


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
        question=_(
            "Cancel “%(title)s”? Its %(count)d meetings still to come are cancelled and "
            "disappear from calendars. This cannot be undone.",
            title=item.title,
            count=len(meeting_rules.future_meetings(item)),
        ),
        action=_("Cancel circle"),
        cancel_url=url_for("circles.circle", circle_id=item.id),
    )


# --- meetings --------------------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/meetings/new", methods=["GET", "POST"])
def add_meeting(circle_id: int):
    item = editable_circle_or_404(circle_id)
    form = MeetingForm()
    if not form.is_submitted() and item.scheduled_meetings:
        last = item.scheduled_meetings[-1]
        local = last.starts_at.astimezone(ZoneInfo(item.timezone))
        form.start_time.data = local.time()
        form.duration_minutes.data = int((last.ends_at - last.starts_at).total_seconds() // 60)
    if form.validate_on_submit():
        with saving(form) as saved:
            meeting_rules.add_meeting(
                item, form.date.data, form.start_time.data, form.duration_minutes.data
            )
        if saved:
            flash(_("Meeting added."), "success")
            return redirect(url_for("circles.circle", circle_id=item.id))
    return render_template("circles/meeting_form.html", form=form, circle=item, meeting=None)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def reschedule_meeting(meeting_id: int):
    meeting = editable_meeting_or_404(meeting_id)
    item = meeting.circle
    form = MeetingForm()
    if not form.is_submitted():
        local = meeting.starts_at.astimezone(ZoneInfo(item.timezone))
        form.date.data, form.start_time.data = local.date(), local.time()
        form.duration_minutes.data = int(
            (meeting.ends_at - meeting.starts_at).total_seconds() // 60
        )
    if form.validate_on_submit():
        with saving(form) as saved:
            meeting_rules.reschedule_meeting(
                meeting, form.date.data, form.start_time.data, form.duration_minutes.data
            )
        if saved:
            flash(_("Meeting moved. Calendars update on their next refresh."), "success")
            return redirect(url_for("circles.circle", circle_id=item.id))
    return render_template("circles/meeting_form.html", form=form, circle=item, meeting=meeting)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
def cancel_meeting(meeting_id: int):
    meeting = editable_meeting_or_404(meeting_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        back = back_to(url_for("circles.circle", circle_id=meeting.circle_id))
        meeting_rules.cancel_meeting(meeting)
        flash(_("Meeting cancelled."), "success")
        return redirect(back)
    return render_template(
        "confirm.html",
        form=form,
        title=_("Cancel meeting"),
        question=_("Cancel the meeting of %(when)s?", when=_format_when(meeting)),
        action=_("Cancel meeting"),
        cancel_url=url_for("circles.circle", circle_id=meeting.circle_id),
    )


def _format_when(meeting: Meeting) -> str:
    return when(meeting.starts_at, meeting.circle.timezone)


# --- facilitators ----------------------------------------------------------------------------


@bp.route("/circles/<int:circle_id>/facilitators", methods=["GET", "POST"])
def facilitators(circle_id: int):
    item = editable_circle_or_404(circle_id)
    may_assign = can_assign_facilitators(current_user, item)
    lead = is_lead(current_user, item)
    if not (may_assign or lead):
        abort(403)
    assign = AssignForm(prefix="assign")
    assign.user_id.choices = [
        SelectChoice(u.id, u.name) for u in facilitator_rules.facilitator_candidates(item)
    ]
    hand = HandOverForm(prefix="hand")
    hand.user_id.choices = [
        SelectChoice(f.user_id, f.user.name) for f in item.facilitations if f.role != "lead"
    ]
    if may_assign and request.form.get("which") == "assign" and assign.validate_on_submit():
        user = db.session.get(User, assign.user_id.data)
        with saving(assign) as saved:
            facilitator_rules.assign_facilitator(
                item, user, actor=current_user._get_current_object(), override=assign.override.data
            )
        if saved:
            flash(_("%(name)s now co-facilitates this circle.", name=user.name), "success")
            return redirect(url_for("circles.facilitators", circle_id=item.id))
    if request.form.get("which") == "hand" and hand.validate_on_submit():
        with saving(hand) as saved:
            facilitator_rules.hand_over(
                item, hand.user_id.data, actor=current_user._get_current_object()
            )
        if saved:
            flash(_("The circle has a new lead."), "success")
            return redirect(url_for("circles.circle", circle_id=item.id))
    return render_template(
        "circles/facilitators.html",
        circle=item,
        assign=assign,
        hand=hand,
        may_assign=may_assign,
        remove_form=ConfirmForm(),
    )


@bp.post("/circles/<int:circle_id>/facilitators/<int:user_id>/remove")
def remove_facilitator(circle_id: int, user_id: int):
    item = editable_circle_or_404(circle_id)
    if not can_assign_facilitators(current_user, item):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = back_to(url_for("circles.facilitators", circle_id=item.id))
    facilitator_rules.remove_facilitator(item, user_id, actor=current_user._get_current_object())
    flash(_("Facilitator removed."), "success")
    return redirect(back)


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
        workload=listing.workload(me, now),
        now=now,
        can_create=can_create_circle(me),
    )
