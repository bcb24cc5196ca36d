"""Pathways by career stage: staff browse, follow and leave them and see their progress;
admins draft, change, publish and retire them; managers and admins see progress (per person
for their own staff). Courses finished on one's own: self_paced_views.py."""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.attendance.credentials import offered_credentials
from app.auth.permissions import (
    can_manage_pathways,
    can_see_pathway,
    can_see_pathway_progress,
    pathway_people,
    self_paced_reviewers_see,
)
from app.boundary import back_to, saving
from app.catalog.services import search_courses
from app.extensions import db
from app.forms import ConfirmForm
from app.models import CareerStage, Pathway, PathwayStatus, User
from app.pathways import progress, services
from app.pathways.forms import PathwayForm, StepForm
from app.timeutil import utcnow

bp = Blueprint("pathways", __name__, url_prefix="/pathways")


def _me() -> User:
    return current_user._get_current_object()


def _pathway_or_404(pathway_id: int) -> Pathway:
    pathway = db.session.get(Pathway, pathway_id)
    following = pathway is not None and services.member(pathway, current_user) is not None
    if pathway is None or not can_see_pathway(current_user, pathway, following):
        abort(404)
    return pathway


def _managed_or_404(pathway_id: int) -> Pathway:
    pathway = _pathway_or_404(pathway_id)
    if not can_manage_pathways(current_user):
        abort(403)
    return pathway


def _confirmed() -> None:
    """Action buttons post an empty form: its CSRF token is the confirmation."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.get("/")
def index():
    query = db.select(Pathway).options(so.selectinload(Pathway.steps)).order_by(Pathway.name)
    if not can_manage_pathways(current_user):
        query = query.where(Pathway.status == PathwayStatus.published)
    pathways = list(db.session.scalars(query))
    stages = [(stage, [p for p in pathways if p.career_stage == stage]) for stage in CareerStage]
    followed = services.followed(current_user)
    return render_template(
        "pathways/index.html",
        stages=[(stage, group) for stage, group in stages if group],
        mine=progress.progress_of(followed, [current_user.id]),
        pathways_by_id={p.id: p for p in followed},
        can_manage=can_manage_pathways(current_user),
        can_see_progress=can_see_pathway_progress(current_user),
        can_review=self_paced_reviewers_see(current_user) is not None,
    )


@bp.get("/<int:pathway_id>")
def pathway(pathway_id: int):
    item = _pathway_or_404(pathway_id)
    now = utcnow()
    found = progress.progress_of([item], [current_user.id])
    mine = found[0] if found else None
    upcoming = []
    if mine is not None and mine.next_step is not None:
        upcoming = progress.circles_for(mine.next_step, current_user, now)
    return render_template(
        "pathways/pathway.html",
        pathway=item,
        mine=mine,
        upcoming=upcoming,
        now=now,
        confirm=ConfirmForm(),
        can_manage=can_manage_pathways(current_user),
        can_see_progress=can_see_pathway_progress(current_user),
    )


# --- following -------------------------------------------------------------------------------


@bp.post("/<int:pathway_id>/join")
def join(pathway_id: int):
    item = _pathway_or_404(pathway_id)
    _confirmed()
    back_to(url_for("pathways.pathway", pathway_id=item.id))
    services.join(item, _me())
    flash(_("You are following “%(name)s”.", name=item.name), "success")
    return redirect(url_for("pathways.pathway", pathway_id=item.id))


@bp.post("/<int:pathway_id>/leave")
def leave(pathway_id: int):
    item = _pathway_or_404(pathway_id)
    _confirmed()
    back_to(url_for("pathways.pathway", pathway_id=item.id))
    services.leave(item, _me())
    flash(_("You no longer follow “%(name)s”.", name=item.name), "success")
    return redirect(url_for("pathways.index"))


@bp.get("/<int:pathway_id>/progress")
def pathway_progress(pathway_id: int):
    item = _pathway_or_404(pathway_id)
    if not can_see_pathway_progress(current_user):
        abort(403)
    summary, people = progress.report(item, pathway_people(current_user))
    return render_template(
        "pathways/progress.html",
        pathway=item,
        summary=summary,
        people=people,
        everyone=current_user.is_admin,
    )


# --- the admin's pages -----------------------------------------------------------------------


def _input(form: PathwayForm) -> services.PathwayInput:
    return services.PathwayInput(
        name=form.name.data or "",
        career_stage=form.career_stage.data or "",
        goal=form.goal.data or "",
        description=form.description.data or "",
    )


def _form_page(item: Pathway | None):
    form = PathwayForm(obj=item)
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            kept = services.save_pathway(item, _input(form), by=_me())
        if saved:
            flash(_("Saved “%(name)s”.", name=kept.name), "success")
            return redirect(url_for("pathways.pathway", pathway_id=kept.id))
        status = saved.status
    return render_template("pathways/form.html", form=form, pathway=item), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not can_manage_pathways(current_user):
        abort(403)
    return _form_page(None)


@bp.route("/<int:pathway_id>/edit", methods=["GET", "POST"])
def edit(pathway_id: int):
    return _form_page(_managed_or_404(pathway_id))


@bp.route("/<int:pathway_id>/steps/new", methods=["GET", "POST"])
def add_step(pathway_id: int):
    item = _managed_or_404(pathway_id)
    form = StepForm()
    form.offer(list(db.session.scalars(search_courses())), offered_credentials())
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            services.add_step(item, form.target.data, optional=form.optional.data, by=_me())
        if saved:
            flash(_("Step added."), "success")
            return redirect(url_for("pathways.pathway", pathway_id=item.id))
        status = saved.status
    return render_template("pathways/step_form.html", form=form, pathway=item), status


@bp.post("/<int:pathway_id>/steps/<int:step_id>/remove")
def remove_step(pathway_id: int, step_id: int):
    item = _managed_or_404(pathway_id)
    _confirmed()
    back_to(url_for("pathways.pathway", pathway_id=item.id))
    services.remove_step(item, step_id, by=_me())
    flash(_("Step removed."), "success")
    return redirect(url_for("pathways.pathway", pathway_id=item.id))


@bp.post("/<int:pathway_id>/steps/<int:step_id>/up", defaults={"direction": "up"})
@bp.post("/<int:pathway_id>/steps/<int:step_id>/down", defaults={"direction": "down"})
def move_step(pathway_id: int, step_id: int, direction: str):
    item = _managed_or_404(pathway_id)
    _confirmed()
    back_to(url_for("pathways.pathway", pathway_id=item.id))
    services.move_step(item, step_id, up=direction == "up")
    return redirect(url_for("pathways.pathway", pathway_id=item.id, _anchor=f"step-{step_id}"))


@bp.post("/<int:pathway_id>/publish")
def publish(pathway_id: int):
    item = _managed_or_404(pathway_id)
    _confirmed()
    back_to(url_for("pathways.pathway", pathway_id=item.id))
    services.publish(item, by=_me())
    flash(_("“%(name)s” is published: staff can follow it.", name=item.name), "success")
    return redirect(url_for("pathways.pathway", pathway_id=item.id))


@bp.route("/<int:pathway_id>/retire", methods=["GET", "POST"])
def retire(pathway_id: int):
    item = _managed_or_404(pathway_id)
    if ConfirmForm().validate_on_submit():
        back_to(url_for("pathways.pathway", pathway_id=item.id))
        services.retire(item, by=_me())
        flash(_("“%(name)s” is retired.", name=item.name), "success")
        return redirect(url_for("pathways.pathway", pathway_id=item.id))
    return render_template(
        "confirm.html",
        form=ConfirmForm(),
        title=_("Retire pathway"),
        question=_(
            "Retire “%(name)s”? Nobody new can follow it; the people following it keep it "
            "and their progress.",
            name=item.name,
        ),
        action=_("Retire pathway"),
        cancel_url=url_for("pathways.pathway", pathway_id=item.id),
    )


# The blueprint's other pages: imported for their routes (they import ``bp`` from here).
from app.pathways import self_paced_views  # noqa: E402, F401
