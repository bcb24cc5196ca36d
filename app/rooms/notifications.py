"""What booking owners are told: someone else moved or cancelled their booking. Rendered in
the owner's language and time zone and queued in the outbox."""

from __future__ import annotations

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.models import Booking, User


def booking_changed(booking: Booking, by: User | None, change: str, note: str = "") -> None:
    """``change`` is "moved" or "cancelled"; ``note``: what the one who changed it says (e.g.
    why a block of the room cancelled it), quoted as written. Nobody is told of their own
    change (nor of one made by no one, such as a cancelled circle's bookings)."""
    owner = booking.created_by
    if owner is None or by is None or owner.id == by.id:
        return
    subject = (
        _l("Your room booking was moved")
        if change == "moved"
        else _l("Your room booking was cancelled")
    )
    send(
        Reader.of(owner),
        subject,
        "rooms/email/booking_changed.txt",
        booking=booking,
        by=by,
        change=change,
        note=note,
    )
