"""Who leads a circle: assigning (never double-booked unless a manager overrides, which is
audited), removing, handing over."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from app.circles import notifications
from app.circles.clashes import clash_message, facilitator_clashes
from app.circles.meetings import future_meetings, require_live
from app.extensions import db
from app.models import AuditEvent, Circle, Facilitation, FacilitatorRole, User
from app.rules import RuleViolation, unique_or_violation


def audit(actor: User | None, action: str, subject: str, detail: str) -> None:
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None, action=action, subject=subject, detail=detail
        )
    )


def assign_facilitator(circle: Circle, user: User, *, actor: User, override: bool = False) -> None:
    require_live(circle)
    if not (user.is_facilitator and user.active):
        raise RuleViolation(_("%(name)s is not a facilitator.", name=user.name), "user_id")
    if any(f.user_id == user.id for f in circle.facilitations):
        raise RuleViolation(
            _("%(name)s already facilitates this circle.", name=user.name), "user_id"
        )
    intervals = [(m.starts_at, m.ends_at) for m in future_meetings(circle)]
    clashes = facilitator_clashes([user.id], intervals, exclude_circle_id=circle.id)
    if clashes and not override:
        raise RuleViolation(clash_message(clashes, circle.timezone), "user_id")
    # Two managers (or one double click) may assign the same person at once.
    with unique_or_violation(
        _("%(name)s already facilitates this circle.", name=user.name), "user_id"
    ):
        circle.facilitations.append(Facilitation(user=user, role=FacilitatorRole.co))
    if clashes:
        audit(
            actor,
            "facilitator.clash_override",
            f"circle:{circle.id}",
            clash_message(clashes, circle.timezone),
        )
    audit(actor, "facilitator.assign", f"circle:{circle.id}", f"user:{user.id}")
    db.session.flush()
    notifications.facilitator_added(circle, user, by=actor)


def remove_facilitator(circle: Circle, user_id: int, *, actor: User) -> None:
    facilitation = next((f for f in circle.facilitations if f.user_id == user_id), None)
    if facilitation is None:
        raise RuleViolation(_("That person does not facilitate this circle."))
    if facilitation.is_lead:
        raise RuleViolation(_("Hand the circle to someone else before removing its lead."))
    removed = facilitation.user
    circle.facilitations.remove(facilitation)
    audit(actor, "facilitator.remove", f"circle:{circle.id}", f"user:{user_id}")
    db.session.flush()
    notifications.facilitator_removed(circle, removed, by=actor)


def hand_over(circle: Circle, new_lead_id: int, *, actor: User) -> None:
    """Make a co-facilitator the lead; the old lead stays on as a co-facilitator."""
    require_live(circle)
    new = next((f for f in circle.facilitations if f.user_id == new_lead_id), None)
    if new is None or new.is_lead:
        raise RuleViolation(_("Choose one of the circle's co-facilitators."), "user_id")
    old = next(f for f in circle.facilitations if f.is_lead)
    old.role = FacilitatorRole.co
    db.session.flush()  # the one-lead index must never see two leads
    new.role = FacilitatorRole.lead
    audit(
        actor,
        "facilitator.hand_over",
        f"circle:{circle.id}",
        f"user:{old.user_id}->user:{new_lead_id}",
    )
    db.session.flush()


def facilitator_candidates(circle: Circle) -> list[User]:
    taken = {f.user_id for f in circle.facilitations}
    users = db.session.scalars(
        sa.select(User).where(User.is_facilitator, User.active).order_by(User.name)
    )
    return [u for u in users if u.id not in taken]
