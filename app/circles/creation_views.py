"""Creating a circle (a guided flow that stores nothing until the review is confirmed) and
editing its details on the same form. Part of the ``circles`` blueprint (``views.py``)."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import can_create_circle, editable_circle_or_404
from app.boundary import saving
from app.circles import facilitators, planning, services
from app.circles.forms import STEP_FIELDS, STEPS, CircleDetailsForm, NewCircleForm
from app.circles.views import bp
from app.demand.views import fill_wizard as fill_from_demand
from app.edges import to_id
from app.extensions import db
from app.models import Branch, Circle, CircleFormat, CircleStatus, Course, Room
from app.participation.overflow_views import fill_wizard as fill_overflow
from app.places import opening_hours
from app.rules import RuleViolation
from app.timeutil import local_today, utcnow


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
    until the facilitator confirms on the review step. Where and when is checked as soon as
    it is left; the review and the save check it again, with the details."""
    if not can_create_circle(current_user):
        abort(403)
    form = NewCircleForm()
    preselected = to_id(request.args.get("course_id"))
    form.course_id.choices = _course_choices(form.course_id.data or preselected)
    branches = list(db.session.scalars(sa.select(Branch).order_by(Branch.name)))
    form.branch_id.choices = [SelectChoice("", _("Choose a branch"))] + [
        SelectChoice(b.id, b.name) for b in branches
    ]
    # Every room, so that a room of another branch is refused by the rule that names it;
    # the step offers only the chosen branch's.
    form.room_id.choices = _room_choices()
    original = _copied_circle()
    if not form.is_submitted():
        form.course_id.data = preselected
        if len(branches) == 1:
            form.branch_id.data = branches[0].id
        if original is not None:
            _fill_from(form, original)
            return _wizard(form, "when")
        if fill_from_demand(form):  # ?from_demand=<course id>, from the demand board
            return _wizard(form, "when")
        if fill_overflow(form):  # ?overflow_of=<circle id>, a full circle's second cohort
            return _wizard(form, "when")
        return _wizard(form, "course")

    creating = request.form.get("action") == "create"
    wanted = "review" if creating else request.form.get("goto", "course")
    wanted = wanted if wanted in STEPS else "course"
    form.validate()
    earlier = STEPS[: STEPS.index(wanted)]
    invalid = [s for s in earlier if _has_errors(form, s)]
    form.plannable = not _has_errors(form, "when")
    if invalid:
        return _wizard(form, invalid[0])
    if wanted in ("course", "when"):
        _no_complaints_yet(form, wanted)
        return _wizard(form, wanted)

    branch = db.session.get(Branch, form.branch_id.data)
    me = current_user._get_current_object()
    with saving(form) as saved:
        details = _details(form, branch.id, publish=form.publish.data)
        schedule = _schedule(form, branch)
        if wanted == "details":
            where = planning.check_where_and_when(details, schedule, utcnow(), me)
        elif creating:
            circle = services.create_circle(details, schedule, me, utcnow())
        else:
            preview = services.preview_circle(details, schedule, me, utcnow())
    if not saved:
        return _wizard(form, _step_of(saved.field))
    if wanted == "details":
        _no_complaints_yet(form, wanted)
        return _wizard(form, "details", warnings=where.warnings)
    if creating:
        _flash_created(circle)
        if original is not None:
            _copy_co_facilitators(original, circle, me)
        return redirect(url_for("circles.circle", circle_id=circle.id))
    return _wizard(
        form,
        "review",
        warnings=preview.warnings,
        review={
            "plan": preview.plan,
            "branch": preview.branch,
            "course": preview.course,
            "room": preview.room,
            "books_room": preview.room is not None and form.format.data != CircleFormat.virtual,
            "unbooked": preview.unbooked,
            "tz": schedule.timezone,
            "clashes": preview.clashes,
        },
    )


def _copied_circle() -> Circle | None:
    """The circle named by ``?copy_of=`` (kept on every step's post: the form posts back to
    its own address), if the user may edit it."""
    circle_id = to_id(request.args.get("copy_of"))
    if circle_id is None:
        return None
    return editable_circle_or_404(circle_id)


def _fill_from(form: NewCircleForm, circle: Circle) -> None:
    """The next cohort: everything but the dates, which start the week after its last
    meeting (checked like any new circle's when the step is left)."""
    form.course_id.data = circle.course_id
    form.branch_id.data = circle.branch_id
    form.room_id.data = circle.room_id
    form.format.data = circle.format
    form.join_url.data = circle.join_url
    form.timezone.data = circle.timezone
    form.title.data = circle.title
    form.description.data = circle.description
    form.welcome_message.data = circle.welcome_message
    form.capacity.data = circle.capacity
    form.audience.data = circle.audience
    form.ask_goals.data = circle.ask_goals
    form.custom_question.data = circle.custom_question
    meetings = circle.scheduled_meetings or circle.meetings
    form.weekdays.data = [d for d in range(7) if circle.weekday_mask & (1 << d)]
    form.meeting_count.data = len(meetings) or None
    if meetings:
        first = meetings[0]
        form.start_time.data = first.starts_at.astimezone(ZoneInfo(circle.timezone)).time()
        form.duration_minutes.data = int((first.ends_at - first.starts_at).total_seconds() // 60)
        last = meetings[-1].starts_at.astimezone(ZoneInfo(circle.timezone)).date()
        form.first_date.data = last + dt.timedelta(days=7 - last.weekday())
    flash(
        _(
            "A copy of “%(title)s”: choose the first date, then check each step.",
            title=circle.title,
        ),
        "info",
    )


def _copy_co_facilitators(original: Circle, circle: Circle, actor) -> None:
    """The original's co-facilitators join the copy, unless they are busy then (named)."""
    busy = []
    for facilitation in original.facilitations:
        if facilitation.user_id in {f.user_id for f in circle.facilitations}:
            continue
        try:
            with db.session.begin_nested():
                facilitators.assign_facilitator(circle, facilitation.user, actor=actor)
        except RuleViolation as violation:
            busy.append(violation.message)
    for message in busy:
        flash(_("Not added as co-facilitator: %(why)s", why=message), "info")


def _has_errors(form: NewCircleForm, step: str) -> bool:
    return any(form[f].errors for f in STEP_FIELDS[step] if f in form)


def _no_complaints_yet(form: NewCircleForm, step: str) -> None:
    """The step being opened is still to be filled in: no complaints about it yet."""
    for name in STEP_FIELDS[step]:
        if name in form:
            form[name].errors = []


def _flash_created(circle: Circle) -> None:
    """One message: the circle saved, and whether its meetings have their room."""
    said = (
        _("Circle created and published.")
        if circle.status == CircleStatus.published
        else _("Circle saved as a draft. Publish it when it is ready.")
    )
    if circle.room is None or circle.format == CircleFormat.virtual:
        flash(said, "success")
        return
    unbooked = [m for m in circle.meetings if m.booking is None]
    if not unbooked:
        room = _("%(room)s is booked for every meeting.", room=circle.room.name)
        flash(f"{said} {room}", "success")
        return
    missing = ngettext(
        "%(num)d meeting has no room yet: book one with “Book rooms”.",
        "%(num)d meetings have no room yet: book them with “Book rooms”.",
        len(unbooked),
    )
    flash(f"{said} {missing}", "info")


def _wizard(
    form: NewCircleForm, step: str, review: dict | None = None, warnings: list[str] | None = None
):
    return render_template(
        "circles/new.html",
        form=form,
        step=step,
        steps=STEPS,
        step_fields=STEP_FIELDS,
        review=review,
        warnings=warnings or [],
        where=_where(form) if step == "when" else None,
    )


def _where(form: NewCircleForm) -> dict:
    """What the "where and when" step shows of the chosen branch: its opening hours and
    closures, its rooms (the only ones offered) and how many of the meetings planned so far
    each is free for; and a start time inside its hours until the facilitator picks one."""
    branch = db.session.get(Branch, form.branch_id.data) if form.branch_id.data else None
    form.branch_id.render_kw = {
        "data-submit-on-change": "show-rooms",
        "data-shown": str(branch.id) if branch else "",
    }
    if branch is None:
        form.room_id.choices = [SelectChoice("", _("No room yet"))]
        return {"branch": None}
    form.room_id.choices = _room_choices(branch.id)
    if form.room_id.data not in {c.value for c in form.room_id.choices}:
        form.room_id.data = None
    start = form.start_time.data
    if start is None or start.strftime("%H:%M") == form.start_suggested.data:
        start = planning.suggested_start(branch, form.duration_minutes.data)
        form.start_time.data, form.start_suggested.data = start, start.strftime("%H:%M")
        form.start_time.raw_data = None  # shown from ``data``, not from what was posted
    plan = None  # until the schedule can be planned: leaving the step says what is missing
    if form.plannable:
        with suppress(RuleViolation):
            plan = planning.plan_schedule(branch, _schedule(form, branch), utcnow())
    meetings = plan.meetings if plan else []
    return {
        "branch": branch,
        "hours": opening_hours(branch),
        "closures": planning.upcoming_closures(branch, local_today(branch.timezone)),
        "rooms": planning.room_choices(branch, meetings),
        "planned": len(meetings),
    }


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
