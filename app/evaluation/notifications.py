"""What participants are told about evaluation: the invitation to answer a circle's survey,
in their language and time zone (a guest's: the circle's). Links come from ``BASE_URL``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url

if TYPE_CHECKING:
    from app.evaluation.services import Window
    from app.models import Circle, Enrollment, User


def _invite(reader: Reader, name: str, circle: Circle, window: Window, survey_url: str) -> None:
    send(
        reader,
        _l("How was %(title)s? A short survey", title=circle.title),
        "evaluation/email/invitation.txt",
        circle=circle,
        name=name,
        closes_at=window.closes_at,
        survey_url=survey_url,
    )


def invitation(user: User, circle: Circle, window: Window) -> None:
    """Someone with an account answers on the survey page, behind sign-in."""
    survey_url = external_url("evaluation.survey", circle_id=circle.id)
    _invite(Reader.of(user), user.name, circle, window, survey_url)


def guest_invitation(enrollment: Enrollment, window: Window, token: str) -> None:
    """A guest has no account to sign in with: their link carries a signed token instead."""
    survey_url = external_url("evaluation.guest_survey", token=token)
    _invite(Reader.of_place(enrollment), enrollment.name, enrollment.circle, window, survey_url)
