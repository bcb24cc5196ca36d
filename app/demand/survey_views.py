"""The yearly needs survey's pages: the admin opens, closes and reopens it (a list of every
year's survey with its answers); staff answer the open one once. Registered under the demand
blueprint: endpoints ``demand.surveys.*`` at /demand/surveys."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.permissions import can_run_needs_survey
from app.boundary import back_to, saving
from app.demand import survey
from app.demand.forms import (
    CAREER_GOALS,
    FORMATS,
    TIMES_OF_DAY,
    NeedsAnswerForm,
    OpenSurveyForm,
)
from app.extensions import db
from app.forms import ConfirmForm
from app.models import NeedsSurvey
from app.timeutil import local_today

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


def _today():
    return local_today(current_user.timezone)


def _admin_only() -> None:
    if not can_run_needs_survey(current_user):
        abort(403)


@bp.app_template_global()
def needs_survey_waiting() -> NeedsSurvey | None:
    """For the notice on a person's home page and interests: the open survey they have not
    answered (one query, only on the pages that show the notice)."""
    if not current_user.is_authenticated:
        return None
    return survey.waiting_for(current_user, _today())


@bp.route("", methods=["GET", "POST"])
def index():
    """Every year's survey with its answers, and opening this year's."""
    _admin_only()
    today = _today()
    form = OpenSurveyForm()
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            opened = survey.open_survey(today.year, form.intro.data, form.closes_on.data, today)
        if saved:
            flash(_("The %(year)d needs survey is open.", year=opened.year), "success")
            return redirect(url_for("demand.surveys.index"))
        status = saved.status
    found = survey.surveys()
    return render_template(
        "demand/surveys.html",
        form=form,
        surveys=found,
        this_year=today.year,
        has_this_year=any(s.year == today.year for s, _n in found),
        today=today,
        confirm=ConfirmForm(),
    ), status


def _survey_action(survey_id: int) -> NeedsSurvey:
    _admin_only()
    item = db.session.get(NeedsSurvey, survey_id)
    if item is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back_to(url_for("demand.surveys.index"))
    return item


@bp.post("/<int:survey_id>/close")
def close(survey_id: int):
    item = _survey_action(survey_id)
    survey.close(item)
    flash(_("The %(year)d needs survey is closed.", year=item.year), "success")
    return redirect(url_for("demand.surveys.index"))


@bp.post("/<int:survey_id>/reopen")
def reopen(survey_id: int):
    item = _survey_action(survey_id)
    survey.reopen(item, _today())
    flash(_("The %(year)d needs survey is open again.", year=item.year), "success")
    return redirect(url_for("demand.surveys.index"))


@bp.route("/answer", methods=["GET", "POST"])
def answer():
    """The open survey, for the signed-in person to answer once; their answer once given."""
    today = _today()
    me = current_user._get_current_object()
    item = survey.open_now(today)
    mine = survey.answer_of(item, me) if item is not None else None
    form = NeedsAnswerForm()
    status = 200
    if item is not None and form.validate_on_submit():
        choices = survey.Choices(
            areas=form.areas.data or [],
            career_goal=form.career_goal.data or "",
            format=form.format.data or "",
            time_of_day=form.time_of_day.data or "",
            comments=form.comments.data or "",
        )
        with saving(form) as saved:
            survey.answer(item, me, choices, today)
        if saved:
            flash(_("Thank you: your answer is saved, and counted on the demand board."), "success")
            return redirect(url_for("demand.mine"))
        status = saved.status
    elif item is None and form.is_submitted():
        flash(_("This survey is closed: answers are no longer taken."), "error")
        status = 409
    return render_template(
        "demand/survey_answer.html",
        survey=item,
        mine=mine,
        form=form,
        goals=CAREER_GOALS,
        formats=FORMATS,
        times=TIMES_OF_DAY,
    ), status
