"""How services say "no": a RuleViolation names the field it concerns, if any,
and views show it beside that field. Nothing is saved when one is raised."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import flash
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from app.extensions import db


class RuleViolation(Exception):
    """``conflict`` marks a clash with something that exists (HTTP 409), not bad input."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.conflict = conflict


def show_violation(form: FlaskForm, violation: RuleViolation) -> None:
    field = getattr(form, violation.field, None) if violation.field else None
    if field is not None:
        field.errors = [*field.errors, violation.message]
    else:
        flash(violation.message, "error")


class _Saved:
    ok = False

    def __bool__(self) -> bool:
        return self.ok


@contextmanager
def saving(form: FlaskForm) -> Iterator[_Saved]:
    """Run a form's service call and commit it; a RuleViolation is shown beside its field
    instead, and nothing is saved::

        with saving(form) as saved:
            room = services.save_room(...)
        if saved:
            return redirect(...)
    """
    saved = _Saved()
    try:
        yield saved
    except RuleViolation as violation:
        db.session.rollback()
        show_violation(form, violation)
        return
    db.session.commit()
    saved.ok = True


@contextmanager
def unique_or_violation(
    message: str, field: str | None = None, *, conflict: bool = True
) -> Iterator[None]:
    """Make the changes inside the block: they are flushed in a savepoint, and a unique
    constraint they break (even in a race) becomes a clear message, leaving the rest of
    the transaction usable."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as error:
        raise RuleViolation(message, field, conflict=conflict) from error
