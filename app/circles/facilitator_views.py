"""Who facilitates a circle: adding co-facilitators, handing over the lead, removing
someone; the lead and the branch's managers may. Part of the ``circles`` blueprint
(``views.py``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.permissions import (
    can_assign_facilitators,
    can_manage_facilitators,
    editable_circle_or_404,
)
from app.boundary import back_to, saving
from app.circles import facilitators as facilitator_rules
from app.circles.forms import AssignForm, HandOverForm
from app.circles.views import bp
from app.extensions import db
from app.forms import ConfirmForm
from app.models import User


@bp.route("/circles/<int:circle_id>/facilitators", methods=["GET", "POST"])
def facilitators(circle_id: int):
    item = editable_circle_or_404(circle_id)
    if not can_manage_facilitators(current_user, item):
        abort(403)
    # The lead adds and removes co-facilitators too; only a manager may override a clash.
    may_override = can_assign_facilitators(current_user, item)
    assign = AssignForm(prefix="assign")
    if not may_override:
        del assign.override
    assign.user_id.choices = [
        SelectChoice(u.id, u.name) for u in facilitator_rules.facilitator_candidates(item)
    ]
    hand = HandOverForm(prefix="hand")
    hand.user_id.choices = [
        SelectChoice(f.user_id, f.user.name) for f in item.facilitations if not f.is_lead
    ]
    if request.form.get("which") == "assign" and assign.validate_on_submit():
        user = db.session.get(User, assign.user_id.data)
        with saving(assign) as saved:
            facilitator_rules.assign_facilitator(
                item,
                user,
                actor=current_user._get_current_object(),
                override=may_override and assign.override.data,
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
        remove_form=ConfirmForm(),
    )


@bp.post("/circles/<int:circle_id>/facilitators/<int:user_id>/remove")
def remove_facilitator(circle_id: int, user_id: int):
    item = editable_circle_or_404(circle_id)
    if not can_manage_facilitators(current_user, item):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = back_to(url_for("circles.facilitators", circle_id=item.id))
    facilitator_rules.remove_facilitator(item, user_id, actor=current_user._get_current_object())
    flash(_("Facilitator removed."), "success")
    return redirect(back)
