"""A person's API tokens, for an administrator (/admin/users/<id>/tokens): the same list the
person sees on their account page, with a link to revoke each live one (app/api/tokens.py)."""

from __future__ import annotations

from flask import abort, render_template

from app.admin.views import bp
from app.api import tokens
from app.extensions import db
from app.models import User
from app.timeutil import utcnow


@bp.get("/users/<int:user_id>/tokens")
def user_tokens(user_id: int):
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return render_template(
        "admin/user_tokens.html",
        person=person,
        items=tokens.tokens_of(person),
        now=utcnow(),
        is_live=tokens.is_live,
    )
