"""The account's personal API tokens (/account/tokens): list, make (the secret shown once,
never kept) and revoke, with a confirmation step. The rules are in app/api/tokens.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from app.api import tokens
from app.boundary import back_to, saving
from app.extensions import db
from app.forms import BaseForm, ConfirmForm, MultiCheckboxField, strip
from app.i18n import lazy_gettext as _l
from app.models import ApiToken, User
from app.timeutil import utcnow

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class TokenForm(BaseForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(_l("Give the token a name.")), Length(max=80)],
        description=_l("What uses it, such as “Room booking script”."),
    )
    scopes = MultiCheckboxField(_l("What it may do"))
    expires_in_days = IntegerField(
        _l("Days until it expires"),
        default=tokens.DEFAULT_DAYS,
        validators=[
            NumberRange(
                min=1,
                max=tokens.MAX_DAYS,
                message=_l("From 1 to %(max)d days.", max=tokens.MAX_DAYS),
            )
        ],
        render_kw={"inputmode": "numeric"},
    )


def _me() -> User:
    return current_user._get_current_object()


def _form(me: User) -> TokenForm:
    form = TokenForm()
    form.scopes.choices = [(s, str(tokens.SCOPES[s])) for s in tokens.scopes_for(me)]
    return form


@bp.route("", methods=["GET", "POST"])
def index():
    me = _me()
    form = _form(me)
    secret = None
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            _token, secret = tokens.create(
                me, form.name.data, form.scopes.data or [], form.expires_in_days.data
            )
        if saved:  # the one time the secret is shown: on this answer, never stored
            form = _form(me)
            form.name.data, form.scopes.data = "", []
        status = saved.status
    return render_template(
        "auth/tokens.html",
        form=form,
        secret=secret,
        items=tokens.tokens_of(me),
        scopes=tokens.SCOPES,
        now=utcnow(),
        is_live=tokens.is_live,
    ), status


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    own = token is not None and token.user_id == current_user.id
    if token is None or not (own or current_user.is_admin):  # admins: anyone's
        abort(404)
    back = (
        url_for("auth.tokens.index") if own else url_for("admin.user_tokens", user_id=token.user_id)
    )
    form = ConfirmForm()
    if form.validate_on_submit():
        back_to(back)
        tokens.revoke(token)
        flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
        return redirect(back)
    return render_template(
        "confirm.html",
        form=form,
        title=_("Revoke token"),
        question=_(
            "Revoke “%(name)s” (%(prefix)s…)? Tools that use it stop working at once. "
            "This cannot be undone.",
            name=token.name,
            prefix=token.prefix,
        ),
        action=_("Revoke token"),
        cancel_url=back,
    )
