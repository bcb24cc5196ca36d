"""How services say "no": a RuleViolation names the field it concerns, if any, and the
request boundary (app/boundary.py) shows it beside that field, as a flash or as a 409.
Nothing a service changed is saved when one is raised. No Flask here: services use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from app.extensions import db


class RuleViolation(Exception):
    """``conflict`` marks a clash with something that exists (HTTP 409), not bad input."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.conflict = conflict


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
