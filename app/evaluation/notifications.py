"""What participants are told about evaluation: the invitation to answer a circle's survey,
in their language and time zone. Links come from ``BASE_URL``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from app.emails import Reader, send
from app.links import external_url

if TYPE_CHECKING:
    from app.evaluation.services import Window
    from app.models import Circle, User


def invitation(user: User, circle: Circle, window: Window) -> None:
    send(
        Reader.of(user),
        _l("How was %(title)s? A short survey", title=circle.title),
        "evaluation/email/invitation.txt",
        circle=circle,
        name=user.name,
        closes_at=window.closes_at,
        survey_url=external_url("evaluation.survey", circle_id=circle.id),
    )
