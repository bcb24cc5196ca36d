"""Creating a circle (a guided flow that stores nothing until the review is confirmed) and
editing its details on the same form. Part of the ``circles`` blueprint (``views.py``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import can_create_circle, editable_circle_or_404
from app.boundary import saving
from app.circles import services
from app.circles.forms import STEP_FIELDS, STEPS, CircleDetailsForm, NewCircleForm
from app.circles.views import bp
from app.edges import to_id
from app.extensions import db
from app.models import Branch, CircleStatus, Course, Room
from app.timeutil import utcnow


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
            if circle.status == CircleStatus.published
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
