"""What participants are told, and when: each function renders one kind of email for each
person it concerns, in their language and time zone, and queues it in the outbox.

People with an account read in their own language and time zone; guests in the default
language and the circle's time zone. Links are built from ``BASE_URL`` (``app.links``),
never from the request, so these run the same from a view, a service or the CLI. Answers go
to the circle's lead facilitator (``Reply-To``), not to the app's no-reply sender.
"""

from __future__ import annotations

import datetime as dt

from app.calendar.feeds import meetings_ics
from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url, feed_links
from app.models import Circle, Enrollment, GuestSignup, Meeting, OverflowOffer, User
from app.participation.places import enrolled_in, waitlist_position, waitlisted_in
from app.timeutil import utcnow


def circle_ics(circle: Circle) -> str:
    return meetings_ics(circle.meetings, circle, feed_links())


def lead_address(circle: Circle) -> str | None:
    """The lead facilitator's email: the Reply-To of what the circle's people are sent."""
    return next((f.user.email for f in circle.facilitations if f.is_lead), None)


def _manage_url(enrollment: Enrollment) -> str | None:
    """Where the person manages their place. A guest's link exists only in the request that
    made it (only its hash is stored); later emails send guests to the "lost your link?"
    page instead."""
    if enrollment.user_id is not None:
        return external_url("participation.mine")
    if enrollment.manage_token:
        return external_url("participation.manage", token=enrollment.manage_token)
    return None


def _email(enrollment: Enrollment, subject, kind: str, ics: str | None = None, **context) -> None:
    circle = enrollment.circle
    send(
        Reader.of_place(enrollment),
        subject,
        f"participation/email/{kind}.txt",
        ics=ics,
        reply_to=lead_address(circle),
        enrollment=enrollment,
        circle=circle,
        position=waitlist_position(enrollment),
        manage_url=_manage_url(enrollment),
        lost_link_url=external_url("participation.lost_link"),
        circle_url=external_url("circles.circle", circle_id=circle.id),
        **context,
    )


def _upcoming(circle: Circle) -> list[Meeting]:
    """The meetings still to come, listed (with their rooms) in the confirmation emails."""
    now = utcnow()
    return [m for m in circle.scheduled_meetings if m.ends_at > now]


def joined(enrollment: Enrollment) -> None:
    """A seat (with the schedule attached) or a place on the waitlist."""
    circle = enrollment.circle
    if enrollment.is_enrolled:
        _email(
            enrollment,
            _l("You are in “%(title)s”", title=circle.title),
            "confirmed",
            circle_ics(circle),
            upcoming=_upcoming(circle),
        )
    else:
        _email(
            enrollment,
            _l("You are on the waitlist for “%(title)s”", title=circle.title),
            "waitlisted",
        )


def seat_opened(enrollment: Enrollment) -> None:
    """Someone left and the first on the waitlist got the seat."""
    circle = enrollment.circle
    subject = _l("A seat opened: you are in “%(title)s”", title=circle.title)
    _email(enrollment, subject, "promoted", circle_ics(circle), upcoming=_upcoming(circle))


def moved_up(enrollment: Enrollment) -> None:
    """A facilitator gave the person a free seat ahead of the waitlist."""
    circle = enrollment.circle
    subject = _l("You are in “%(title)s”", title=circle.title)
    _email(enrollment, subject, "promoted", circle_ics(circle), upcoming=_upcoming(circle))


def meeting_changed(
    meeting: Meeting, change: str, note: str = "", was: dt.datetime | None = None
) -> None:
    """Tell everyone enrolled that a meeting moved (from ``was``) or was cancelled, in words
    (times with their zone's name, the place, the room if booked) and with the updated .ics,
    with the facilitator's ``note`` if they wrote one."""
    circle = meeting.circle
    subject = (
        _l("Meeting cancelled: %(title)s", title=circle.title)
        if change == "cancelled"
        else _l("Meeting moved: %(title)s", title=circle.title)
    )
    ics = meetings_ics([meeting], circle, feed_links())
    for enrollment in enrolled_in(circle):
        _email(
            enrollment,
            subject,
            "meeting_changed",
            ics,
            meeting=meeting,
            change=change,
            note=note,
            was=was,
        )


def series_moved(circle: Circle, before: list[tuple[Meeting, dt.datetime, dt.datetime]]) -> None:
    """One email to each person enrolled listing every meeting that moved (old → new, in
    their time zone), with the moved meetings attached for their calendar."""
    if not before:
        return
    subject = _l("New times: %(title)s", title=circle.title)
    ics = meetings_ics([m for m, _s, _e in before], circle, feed_links())
    changes = [(starts, meeting) for meeting, starts, _ends in before]
    for enrollment in enrolled_in(circle):
        _email(enrollment, subject, "series_moved", ics, changes=changes)


def circle_cancelled(circle: Circle) -> None:
    """Tell everyone with a seat or on the waitlist; the .ics removes the meetings."""
    subject = _l("Circle cancelled: %(title)s", title=circle.title)
    ics = circle_ics(circle)
    for enrollment in enrolled_in(circle) + waitlisted_in(circle):
        _email(enrollment, subject, "circle_cancelled", ics)


def reminder(enrollment: Enrollment, meeting: Meeting) -> None:
    ics = meetings_ics([meeting], meeting.circle, feed_links())
    subject = _l("Reminder: %(title)s", title=meeting.circle.title)
    _email(enrollment, subject, "reminder", ics, meeting=meeting)


def manage_link(enrollment: Enrollment) -> None:
    """A guest's new manage link (``enrollment.manage_token``, set just now)."""
    subject = _l("Your link to “%(title)s”", title=enrollment.circle.title)
    _email(enrollment, subject, "manage_link")


def sign_in_to_join(account: User, circle: Circle) -> None:
    """A guest sign-up with an account's address: its owner is asked to sign in instead."""
    send(
        Reader.of(account),
        _l("Sign in to join “%(title)s”", title=circle.title),
        "participation/email/signup_has_account.txt",
        reply_to=lead_address(circle),
        name=account.name,
        circle=circle,
        login_url=external_url("auth.login", next=f"/circles/{circle.id}/join"),
    )


def confirm_signup(signup: GuestSignup, circle: Circle, token: str, hours: int) -> None:
    """The link that lets the address's owner take the place (``token`` exists only here)."""
    send(
        Reader.of_place(signup),
        _l("Confirm your place in “%(title)s”", title=circle.title),
        "participation/email/signup_confirm.txt",
        reply_to=lead_address(circle),
        name=signup.name,
        circle=circle,
        confirm_url=external_url("participation.confirm_signup", token=token),
        hours=hours,
    )


def message(
    recipients: list[Enrollment], circle: Circle, sender: User, subject: str, text: str
) -> None:
    """A facilitator's message to the people enrolled; the subject is theirs, untranslated.
    Answers go to whoever wrote it."""
    for enrollment in recipients:
        send(
            Reader.of_place(enrollment),
            f"[{circle.title}] {subject}",
            "participation/email/message.txt",
            reply_to=sender.email,
            enrollment=enrollment,
            circle=circle,
            sender=sender,
            text=text,
        )


def overflow_offered(offer: OverflowOffer, token: str) -> None:
    """A seat in an overflow circle for someone on a full circle's waitlist: its schedule and
    links to accept or decline (``token`` exists only here; only its hash is stored)."""
    place, circle = offer.enrollment, offer.circle
    send(
        Reader.of_place(place),
        _l("A seat for you in “%(title)s”", title=circle.title),
        "participation/email/overflow_offer.txt",
        reply_to=lead_address(circle),
        name=place.name,
        circle=circle,
        original=place.circle,
        upcoming=_upcoming(circle),
        accept_url=external_url("participation.offer", token=token, answer="accept"),
        decline_url=external_url("participation.offer", token=token, answer="decline"),
        mine_url=external_url("participation.mine") if place.user_id else None,
        circle_url=external_url("circles.circle", circle_id=circle.id),
    )
