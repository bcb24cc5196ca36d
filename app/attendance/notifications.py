"""What people are told about their credentials: one is about to lapse. In their language and
time zone (a guest's: their circle's); links come from ``BASE_URL``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url

if TYPE_CHECKING:
    from app.attendance.renewals import Standing
    from app.models import Outcome, User


def credential_lapsing(outcome: Outcome, standing: Standing, account: User | None) -> None:
    """To the account's address, else (a guest) the place's. Only an account has a learning
    record to link to."""
    place = outcome.enrollment
    if account is not None:
        reader, name = Reader.of(account), account.name
        record_url = external_url("records.mine")
    else:
        reader = Reader.of_place(place)
        name, record_url = place.name, None
    send(
        reader,
        _l("“%(credential)s” lapses soon", credential=outcome.name),
        "attendance/email/credential_lapsing.txt",
        name=name,
        outcome=outcome,
        standing=standing,
        record_url=record_url,
    )
