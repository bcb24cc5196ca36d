"""What people following pathways are told: a manager confirmed or declined a course they
finished on their own. In their own language; links come from ``BASE_URL``."""

from __future__ import annotations

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url
from app.models import SelfPacedCompletion, SelfPacedStatus


def reviewed(completion: SelfPacedCompletion) -> None:
    confirmed = completion.status == SelfPacedStatus.confirmed
    subject = (
        _l("“%(course)s” is confirmed", course=completion.course.title)
        if confirmed
        else _l("“%(course)s” was not confirmed", course=completion.course.title)
    )
    send(
        Reader.of(completion.user),
        subject,
        "pathways/email/reviewed.txt",
        reply_to=completion.reviewed_by.email if completion.reviewed_by else None,
        completion=completion,
        confirmed=confirmed,
        pathways_url=external_url("pathways.index"),
        self_paced_url=external_url("pathways.self_paced_mine"),
    )
