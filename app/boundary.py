"""The one request boundary, after Indico's ``RH.process``: process the arguments, check
access, do the work, commit once.

Every view runs inside :func:`unit_of_work` (put around every endpoint by :func:`init_app`). A
view checks access (``app/auth/permissions.py``), validates its form and calls one service;
when it returns, the session is committed once, and when anything escapes it the session is
rolled back. Views never commit or roll back themselves.

A service refuses with a :class:`~app.rules.RuleViolation`, answered in one of two ways:

- on a form page the view calls the service inside ``with saving(form) as saved:``: what the
  service changed is undone (a savepoint), the message goes beside its field and ``saved.status``
  is 409 for a conflict, so the view re-renders the form with it;
- anywhere else the violation escapes the view (an action button, a link): the boundary rolls
  back and flashes the message, then redirects to the page the view named with
  :func:`back_to`, or answers 409 with the message when the view named none.

Copy ``app/rooms/views.py`` for form pages and ``cancel_booking`` in
``app/rooms/booking_views.py`` for action buttons.
"""

from __future__ import annotations

from functools import wraps
from types import TracebackType

from flask import Flask, flash, g, redirect
from flask_wtf import FlaskForm

from app.errors import render_error
from app.extensions import db
from app.rules import RuleViolation


def unit_of_work(view):
    @wraps(view)
    def run(*args, **kwargs):
        try:
            response = view(*args, **kwargs)
        except RuleViolation as violation:
            db.session.rollback()
            return _refused(violation)
        except BaseException:
            db.session.rollback()
            raise
        # A unique rule raced into fails here at the latest: app.errors answers it with 409.
        db.session.commit()
        return response

    run.in_unit_of_work = True
    return run


def _refused(violation: RuleViolation):
    back = g.get("back_to")
    if back is None:
        return render_error(409 if violation.conflict else 400, violation.message)
    flash(violation.message, "error")
    return redirect(back)


def back_to(url: str) -> str:
    """Where a refused action returns (with the refusal flashed); returns ``url``."""
    g.back_to = url
    return url


def show_violation(form: FlaskForm, violation: RuleViolation) -> None:
    field = getattr(form, violation.field, None) if violation.field else None
    if field is not None:
        field.errors = [*field.errors, violation.message]
    else:
        flash(violation.message, "error")


class saving:  # a context manager named like one: ``with saving(form) as saved``
    """Run a form's service call; a RuleViolation undoes what it changed and is shown beside
    its field instead::

        with saving(form) as saved:
            room = services.save_room(...)
        if saved:
            return redirect(...)
        return render_template(..., form=form), saved.status
    """

    def __init__(self, form: FlaskForm):
        self.form = form
        self.ok = False
        self.conflict = False
        self.field: str | None = None  # the refused field, if any

    def __enter__(self) -> saving:
        self._savepoint = db.session.begin_nested()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> bool:
        if kind is None:
            self._savepoint.commit()
            self.ok = True
            return False
        self._savepoint.rollback()
        if isinstance(error, RuleViolation):
            show_violation(self.form, error)
            self.conflict, self.field = error.conflict, error.field
            return True
        return False

    def __bool__(self) -> bool:
        return self.ok

    @property
    def status(self) -> int:
        return 409 if self.conflict else 200


def init_app(app: Flask) -> None:
    """Wrap every endpoint registered so far: call after the blueprints are registered."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = unit_of_work(view)
