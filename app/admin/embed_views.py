"""Embeds for a library's website, the administrator's side: which websites (origins) may show
the embed pages in a frame, and the code to paste into a page of one (app/embeds/)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape
from wtforms.fields.choices import SelectChoice

from app.admin.views import bp
from app.auth.permissions import can_embed_circle
from app.boundary import saving
from app.embeds import listing as embedded
from app.embeds import origins
from app.embeds.forms import OriginForm, SnippetForm
from app.extensions import db
from app.forms import ConfirmForm
from app.links import external_url
from app.models import Circle, EmbedOrigin
from app.timeutil import utcnow

# How many circles the snippet form offers to choose from (the next ones, with its filters).
CIRCLE_CHOICES = 100
# The frames' heights (the width follows the page): a list scrolls inside its frame.
LIST_HEIGHT = 600
CARD_HEIGHT = 420


def iframe(url: str, title: str, height: int) -> str:
    """The <iframe> to paste: named for screen readers, as wide as its column, no border."""
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="{height}" '
        'style="border:0;max-width:100%" loading="lazy"></iframe>'
    )


@bp.route("/embeds", methods=["GET", "POST"])
def embeds():
    form = OriginForm()
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            added = origins.add(form.origin.data, current_user._get_current_object(), utcnow())
        if saved:
            flash(_("%(origin)s may now show the embeds.", origin=added.origin), "success")
            return redirect(url_for("admin.embeds"))
        status = saved.status
    snippet = SnippetForm(request.args).with_choices()
    filters = snippet.filters() if snippet.validate() else {}
    chosen_circle = filters.pop("circle", None)
    circles = embedded.upcoming(utcnow(), CIRCLE_CHOICES, **filters)
    snippet.circle.choices = [SelectChoice("", _("Choose a circle"))] + [
        SelectChoice(c.id, f"{c.title} ({c.branch.name})") for c in circles
    ]
    circle = db.session.get(Circle, chosen_circle) if chosen_circle else None
    if circle is not None and not can_embed_circle(circle):
        circle = None  # its embed would be a 404
    list_url = external_url("embeds.circles", **filters)
    circle_url = external_url("embeds.circle", circle_id=circle.id) if circle else None
    return render_template(
        "admin/embeds.html",
        form=form,
        allowed=origins.allowed(),
        snippet=snippet,
        list_url=list_url,
        list_code=iframe(list_url, _("Upcoming learning circles"), LIST_HEIGHT),
        circle=circle,
        circle_url=circle_url,
        circle_code=iframe(circle_url, circle.title, CARD_HEIGHT) if circle else None,
    ), status


@bp.route("/embeds/<int:origin_id>/remove", methods=["GET", "POST"])
def remove_embed_origin(origin_id: int):
    item = db.session.get(EmbedOrigin, origin_id)
    if item is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        origins.remove(item)
        flash(_("%(origin)s may no longer show the embeds.", origin=item.origin), "success")
        return redirect(url_for("admin.embeds"))
    return render_template(
        "confirm.html",
        form=form,
        title=_("Remove a website"),
        question=_(
            "Remove %(origin)s? Its pages stop showing the embeds at once: their frames stay "
            "empty until it is added again.",
            origin=item.origin,
        ),
        action=_("Remove"),
        cancel_url=url_for("admin.embeds"),
    )
