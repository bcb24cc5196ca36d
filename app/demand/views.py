"""Interest and demand: staff say which circles they would join; facilitators, managers and
admins read the demand board and start a circle from it (the wizard pre-filled)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import (
    can_create_circle,
    can_run_needs_survey,
    can_see_demand,
    interested_people,
    needs_comments_of,
    own_interest_or_404,
)
from app.boundary import back_to, saving
from app.demand import heatmap, services, survey
from app.demand.forms import CAREER_GOALS, FORMATS, TIMES_OF_DAY, InterestForm
from app.demand.survey_views import bp as surveys_bp
from app.edges import refuse, to_id
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Branch, CircleFormat, Course, InterestFormat, SkillArea, TimeOfDay
from app.timeutil import local_today, utcnow

bp = Blueprint("demand", __name__, url_prefix="/demand")
bp.register_blueprint(surveys_bp)  # the yearly needs survey: endpoints demand.surveys.*

# What a circle pre-filled from demand starts with.
CIRCLE_FORMAT = {
    InterestFormat.in_person: CircleFormat.in_person,
    InterestFormat.virtual: CircleFormat.virtual,
    InterestFormat.on_demand: CircleFormat.virtual,
}
START = {
    TimeOfDay.morning: dt.time(10),
    TimeOfDay.afternoon: dt.time(14),
    TimeOfDay.evening: dt.time(18),
}


def _branches() -> list[Branch]:
    return list(db.session.scalars(sa.select(Branch).order_by(Branch.name)))


def _target_or_404() -> services.Target:
    """``?course=<id>`` or ``?skill_area=<code>``; anything else is not found."""
    if "course" in request.args:
        course = db.session.get(Course, to_id(request.args["course"]) or 0)
        if course is None or course.retired:
            abort(404)
        return services.Target(course=course)
    try:
        return services.Target(skill_area=SkillArea(request.args.get("skill_area", "")))
    except ValueError:
        abort(404)


def _target_url(target: services.Target) -> str:
    if target.course is not None:
        return url_for("catalog.course", course_id=target.course.id)
    return url_for("demand.mine")


@bp.route("/interest", methods=["GET", "POST"])
def interest():
    """Mark interest in a course or a skill area, or change how and when."""
    target = _target_or_404()
    me = current_user._get_current_object()
    existing = services.interest_in(me, target)
    form = InterestForm(obj=existing)
    form.branch_id.choices = [SelectChoice("", _("Any branch"))] + [
        SelectChoice(b.id, b.name) for b in _branches()
    ]
    status = 200
    if form.validate_on_submit():
        wants = services.Preferences(form.format.data, form.time_of_day.data, form.branch_id.data)
        with saving(form) as saved:
            _interest, new = services.mark_interest(me, target, wants)
        if saved:
            flash(
                _("Thank you: we will email you when a circle on it is open.")
                if new
                else _("You had already said so: your preferences are updated."),
                "success",
            )
            return redirect(_target_url(target))
        status = saved.status
    return render_template(
        "demand/interest.html", form=form, target=target, existing=existing
    ), status


@bp.get("/mine")
def mine():
    return render_template(
        "demand/mine.html",
        interests=services.interests_of(current_user),
        formats=FORMATS,
        times=TIMES_OF_DAY,
        confirm=ConfirmForm(),
    )


@bp.post("/interests/<int:interest_id>/withdraw")
def withdraw(interest_id: int):
    item = own_interest_or_404(interest_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back_to(url_for("demand.mine"))
    services.withdraw(item)
    flash(_("Your interest is withdrawn."), "success")
    return redirect(url_for("demand.mine"))


def _filters(branches: list[Branch]) -> services.Filters:
    """``?branch=`` and ``?format=`` from the board's form: an unknown one is refused (400)."""
    branch_id = None
    if request.args.get("branch"):
        branch_id = to_id(request.args["branch"])
        if branch_id not in {b.id for b in branches}:
            refuse(_("Choose a branch from the list."))
    fmt = None
    if request.args.get("format"):
        try:
            fmt = InterestFormat(request.args["format"])
        except ValueError:
            refuse(_("Choose a format from the list."))
    return services.Filters(branch_id=branch_id, format=fmt)


@bp.get("")
def board():
    if not can_see_demand(current_user):
        abort(403)
    branches = _branches()
    filters = _filters(branches)
    now = utcnow()
    year = local_today(current_user.timezone).year
    return render_template(
        "demand/board.html",
        rows=services.board(filters, now, interested_people(current_user)),
        filters=filters,
        branches=branches,
        formats=FORMATS,
        can_start=can_create_circle(current_user),
        needs=survey.comparison(year, needs_comments_of(current_user)),
        goals=CAREER_GOALS,
        heat=heatmap.heat_map(now),
        can_run_survey=can_run_needs_survey(current_user),
    )


def fill_wizard(form) -> bool:
    """The circle wizard's ``?from_demand=<course id>``: pre-fill the course, format, branch
    and start time most of the people waiting for it chose. False without the parameter; an
    unknown or retired course is not found."""
    raw = request.args.get("from_demand")
    if raw is None:
        return False
    course = db.session.get(Course, to_id(raw) or 0)
    if course is None or course.retired or not can_see_demand(current_user):
        abort(404)
    wanted = services.wanted_for(course)
    form.course_id.data = course.id
    if wanted.format is not None:
        form.format.data = CIRCLE_FORMAT[wanted.format]
    if wanted.branch_id is not None:
        form.branch_id.data = wanted.branch_id
    if wanted.time_of_day is not None:
        form.start_time.data = START[wanted.time_of_day]
    waiting = ngettext(
        "Started from demand: %(num)d person is waiting for “%(course)s”.",
        "Started from demand: %(num)d people are waiting for “%(course)s”.",
        wanted.waiting,
        course=course.title,
    )
    # Not inside the f-string: Babel's extraction does not see calls there (Python 3.11).
    invited = _("They are invited by email when the circle is published.")
    flash(f"{waiting} {invited}", "info")
    return True
