"""Deleting an account (one's own, or anyone's by an administrator) and the administrator's
retention page (app/privacy/retention.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.auth.permissions import can_manage_privacy
from app.boundary import back_to, saving
from app.extensions import db
from app.forms import BaseForm, ConfirmForm, lower_strip
from app.i18n import lazy_gettext as _l
from app.models import User
from app.privacy import retention, services
from app.timeutil import utcnow

bp = Blueprint("privacy", __name__)


class DeleteAccountForm(BaseForm):
    email = StringField(
        _l("Your email address"),
        filters=[lower_strip],
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )


def _admin() -> User:
    if not can_manage_privacy(current_user):
        abort(403)
    return current_user._get_current_object()


@bp.route("/account/delete", methods=["GET", "POST"])
def delete_mine():
    me = current_user._get_current_object()
    form = DeleteAccountForm()
    status = 200
    if form.validate_on_submit():
        if form.email.data != me.email.lower():
            form.email.errors.append(_("Type the email address of this account to confirm."))
        else:
            with saving(form) as saved:
                services.anonymise_user(me, actor=me, now=utcnow())
            if saved:
                logout_user()
                session.clear()
                flash(_("Your account is deleted. Thank you for learning with us."), "success")
                return redirect(url_for("main.index"))
            status = saved.status
    return render_template("privacy/delete_mine.html", form=form), status


@bp.route("/admin/people/<int:user_id>/delete", methods=["GET", "POST"])
def delete_person(user_id: int):
    me = _admin()
    person = db.session.get(User, user_id)
    if person is None or person.anonymised_at is not None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        back_to(url_for("admin.edit_user", user_id=person.id))  # a refusal is flashed there
        services.anonymise_user(person, actor=me, now=utcnow())
        flash(
            _("The account is deleted; what the person did still counts, without a name."),
            "success",
        )
        return redirect(url_for("admin.users"))
    return render_template(
        "confirm.html",
        form=form,
        title=_("Delete %(name)s's account", name=person.name),
        question=_(
            "Delete the account of %(name)s (%(email)s)? Their name, email, answers and notes "
            "are removed and they can no longer sign in; their attendance, completions and "
            "outcomes stay in the reports without a name. This cannot be undone.",
            name=person.name,
            email=person.email,
        ),
        action=_("Delete account"),
        cancel_url=url_for("admin.edit_user", user_id=person.id),
    )


@bp.get("/admin/privacy")
def retention_page():
    _admin()
    settings = retention.Settings.from_config(current_app.config)
    return render_template(
        "privacy/retention.html",
        settings=settings,
        due=retention.due(utcnow(), settings),
        shown=retention.CIRCLES_SHOWN,
    )


@bp.route("/admin/privacy/run", methods=["GET", "POST"])
def run_retention():
    _admin()
    form = ConfirmForm()
    if form.validate_on_submit():
        settings = retention.Settings.from_config(current_app.config)
        done = retention.run(utcnow(), settings)
        flash(
            ngettext(
                "Retention run done: %(num)d change made.",
                "Retention run done: %(num)d changes made.",
                done.total,
            )
            + " "
            + _(
                "Guest places anonymised: %(guests)d; member places without contact details: "
                "%(contacts)d; sign-ups deleted: %(signups)d.",
                guests=done.guests,
                contacts=done.contacts,
                signups=done.signups + done.subscriptions,
            ),
            "success",
        )
        return redirect(url_for("privacy.retention_page"))
    return render_template(
        "confirm.html",
        form=form,
        title=_("Run the retention now"),
        question=_(
            "Anonymise and delete now what the retention page lists as due? This cannot be "
            "undone; the daily run would do the same."
        ),
        action=_("Run now"),
        cancel_url=url_for("privacy.retention_page"),
    )
