"""Administrators manage people and their roles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.admin import services
from app.admin.forms import UserForm, UserSearchForm
from app.auth.permissions import admin_required
from app.boundary import saving
from app.edges import page_arg
from app.extensions import db
from app.models import Branch, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every page here is for administrators."""


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user)
    form.managed_branches.choices = [
        SelectChoice(b.id, b.name)
        for b in db.session.scalars(sa.select(Branch).order_by(Branch.name))
    ]
    if user is not None and not form.is_submitted():
        form.managed_branches.data = [b.id for b in user.managed_branches]
    return form


def _save(form: UserForm, user: User | None) -> User:
    return services.save_user(
        user,
        acting=current_user._get_current_object(),
        name=form.name.data,
        email=form.email.data,
        timezone=form.timezone.data,
        is_facilitator=form.is_facilitator.data,
        is_admin=form.is_admin.data,
        active=form.active.data,
        branch_ids=form.managed_branches.data or [],
    )


@bp.get("/users")
def users():
    search = UserSearchForm(request.args)
    q = search.q.data if search.validate() else None
    page = db.paginate(
        services.search_users(q),
        page=page_arg(),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template("admin/users.html", page=page, search=search, q=q or "")


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _user_form(None)
    if form.validate_on_submit():
        with saving(form) as saved:
            user = _save(form, None)
            services.invite(user)
        if saved:
            flash(
                _("Account created; %(email)s gets a link to set a password.", email=user.email),
                "success",
            )
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = _user_form(user)
    if form.validate_on_submit():
        with saving(form) as saved:
            _save(form, user)
        if saved:
            flash(_("Account saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)
