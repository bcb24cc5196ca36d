"""Who may do what, in one place. Deny by default.

Every endpoint requires a signed-in user unless its view is marked ``@public``; role and
object checks below are the only places that decide access, and views call them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import NoReturn, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, abort, current_app, has_request_context, request
from flask_login import current_user

from app.extensions import db, login_manager
from app.i18n import lazy_gettext as _l
from app.models import (
    Audience,
    Branch,
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Interest,
    Meeting,
    Outcome,
    OverflowOffer,
    Pathway,
    PathwayStatus,
    Room,
    User,
)

F = TypeVar("F", bound=Callable)
Part = TypeVar("Part", Meeting, Enrollment, Outcome)  # rows that belong to one circle


def public(view: F) -> F:
    """Mark a view as open to anonymous visitors."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def is_public_endpoint(endpoint: str | None) -> bool:
    if endpoint is None or endpoint == "static":
        return True  # 404s and the stylesheet
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def is_token_endpoint(endpoint: str | None) -> bool:
    """The write API's endpoints: a personal API token, not the sign-in (app/api/tokens.py)."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return bool(getattr(view, "token_auth", False))


def admin_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.is_admin):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


# --- object rules ------------------------------------------------------------------------


def can_manage_branch(user: User, branch: Branch) -> bool:
    return user.is_authenticated and (user.is_admin or branch in user.managed_branches)


def can_create_branch(user: User) -> bool:
    return user.is_authenticated and user.is_admin


def can_keep_credentials(user: User) -> bool:
    """The list of credentials outcomes name (app/attendance/credential_views.py): admins."""
    return user.is_authenticated and user.is_admin


def can_see_personal_data(user: User) -> bool:
    """Anyone's data download (a subject access request) and the log of who saw or exported
    personal data (app/privacy/): administrators only, not branch managers."""
    return user.is_authenticated and user.is_admin


def can_manage_privacy(user: User) -> bool:
    """Deleting another person's account and the retention run (app/privacy/): admins."""
    return user.is_authenticated and user.is_admin


def can_see_branch_admin(user: User) -> bool:
    """Whether the branches area is worth showing in the navigation at all."""
    return user.is_authenticated and (user.is_admin or bool(user.managed_branches))


def sign_in_or_404() -> NoReturn:
    """Answer for a page the viewer may not see. A signed-out visitor is sent to sign in and
    then back (``next``, checked by ``safe_next``): signing in may well show it, as for a
    link to a staff-only circle. Someone signed in gets 404, as if it did not exist."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(404)


def managed_branch_or_404(branch_id: int) -> Branch:
    """A branch the current user may manage; others are indistinguishable from missing."""
    branch = db.session.get(Branch, branch_id)
    if branch is None or not can_manage_branch(current_user, branch):
        abort(404)
    return branch


def managed_room_or_404(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or not can_manage_branch(current_user, room.branch):
        abort(404)
    return room


def manageable_branches(user: User) -> sa.Select[tuple[Branch]]:
    query = sa.select(Branch).order_by(Branch.name)
    if not user.is_admin:
        query = query.where(Branch.managers.any(User.id == user.id))
    return query


# --- reports -------------------------------------------------------------------------------


def can_see_reports(user: User) -> bool:
    """Administrators see the whole system; branch managers see their own branches."""
    return user.is_authenticated and (user.is_admin or bool(user.managed_branches))


def reports_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not can_see_reports(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def report_scope_or_404(user: User, branch_id: str | None) -> tuple[list[Branch], Branch | None]:
    """Every branch ``user``'s reports cover, and the one picked with ``?branch=`` if any.
    A branch outside them (or no branch at all) is indistinguishable from a missing one."""
    branches = list(db.session.scalars(manageable_branches(user)))
    if not branch_id:
        return branches, None
    chosen = next((b for b in branches if str(b.id) == branch_id), None)
    if chosen is None:
        abort(404)
    return branches, chosen


# --- own staff --------------------------------------------------------------------------------


def _managed_ids(user: User) -> list[int]:
    return [b.id for b in user.managed_branches] if user.is_authenticated else []


def manages_person(user: User, person: User) -> bool:
    """The one rule for "a manager's own staff": a person's managers are the managers of
    their home branch (``User.home_branch``, set by an admin or the staff import). Someone
    without a home branch has no manager (admins still see them)."""
    return person.home_branch_id is not None and person.home_branch_id in _managed_ids(user)


def own_staff(user: User) -> sa.ColumnElement[bool]:
    """``manages_person`` as a filter on ``User``: the people whose home branch ``user``
    manages (false for someone who manages no branch)."""
    branch_ids = _managed_ids(user)
    return User.home_branch_id.in_(branch_ids) if branch_ids else sa.false()


# --- learning records ------------------------------------------------------------------------


def can_see_learning_record(user: User, person: User) -> bool:
    """A learning record (app/records/) is personal: the person, administrators, and the
    person's managers (those of their home branch: ``manages_person``). Where the person
    takes part in circles does not matter."""
    if not user.is_authenticated:
        return False
    return user.is_admin or user.id == person.id or manages_person(user, person)


def learning_record_or_404(person_id: int) -> User:
    """A person whose record the current user may see; others look missing."""
    person = db.session.get(User, person_id)
    if person is None or not can_see_learning_record(current_user, person):
        sign_in_or_404()
    return person


def certificate_or_404(enrollment_id: int) -> Enrollment:
    """A completed place whose certificate the current user may see: the person's own, one in
    a circle of a branch they manage (a guest's too), or one on a record they may see."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.status != EnrollmentStatus.completed:
        sign_in_or_404()
    user = current_user
    own = enrollment.user_id == user.id or enrollment.email == user.email.lower()
    if not (
        own
        or can_manage_branch(user, enrollment.circle.branch)
        or (enrollment.user is not None and can_see_learning_record(user, enrollment.user))
    ):
        sign_in_or_404()
    return enrollment


# --- wiring --------------------------------------------------------------------------------


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The cookie holds "<id>:<session_version>"; an old version means signed out."""
    raw_id, _, raw_version = user_id.partition(":")
    if not (raw_id.isdigit() and raw_version.isdigit()):
        return None
    # The navigation asks on every page whether they manage a branch: one statement, not two.
    user = db.session.get(User, int(raw_id), options=[so.joinedload(User.managed_branches)])
    if user is None or user.session_version != int(raw_version):
        return None
    return user


def init_permissions(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.before_request
    def _require_login() -> None:
        if is_public_endpoint(request.endpoint) or is_token_endpoint(request.endpoint):
            return None  # a token endpoint answers 401 itself, never reading the cookie
        if current_user.is_authenticated:
            return None
        return login_manager.unauthorized()

    @app.context_processor
    def _navigation() -> dict:
        if not has_request_context():  # emails rendered by CLI commands have no navigation
            return {}
        user = current_user
        return {
            "nav": {
                "branches": can_see_branch_admin(user),
                "admin": user.is_authenticated and user.is_admin,
                "facilitate": can_create_circle(user),
                "rooms": is_staff(user),
                "reports": can_see_reports(user),
                "demand": can_see_demand(user),
            }
        }


# --- catalogue and circles -----------------------------------------------------------------


def is_staff(user: User) -> bool:
    return user.is_authenticated and (
        user.is_admin or user.is_facilitator or bool(user.managed_branches)
    )


def staff_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_staff(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def can_create_circle(user: User) -> bool:
    return user.is_authenticated and (user.is_admin or user.is_facilitator)


def can_edit_circle(user: User, circle: Circle) -> bool:
    if not user.is_authenticated:
        return False
    return (
        user.is_admin
        or circle.branch in user.managed_branches
        or any(f.user_id == user.id for f in circle.facilitations)
    )


def can_assign_facilitators(user: User, circle: Circle) -> bool:
    """Managers of the circle's branch (and admins): they may also override a clash."""
    return user.is_authenticated and (user.is_admin or circle.branch in user.managed_branches)


def is_lead(user: User, circle: Circle) -> bool:
    return user.is_authenticated and any(
        f.user_id == user.id and f.role == "lead" for f in circle.facilitations
    )


def facilitates(user: User, circle: Circle) -> bool:
    """Leads or co-leads the circle (so is not offered a place in it)."""
    return user.is_authenticated and any(f.user_id == user.id for f in circle.facilitations)


def can_see_evaluation(user: User, circle: Circle) -> bool:
    """A circle's evaluation results with their free text (personal data): its facilitators,
    the managers of its branch and admins."""
    return user.is_authenticated and (
        user.is_admin or circle.branch in user.managed_branches or facilitates(user, circle)
    )


def can_manage_facilitators(user: User, circle: Circle) -> bool:
    """Add and remove co-facilitators, hand over: the branch's managers and the lead."""
    return can_assign_facilitators(user, circle) or is_lead(user, circle)


def can_see_circle(user: User, circle: Circle) -> bool:
    if can_edit_circle(user, circle):
        return True
    if circle.status == CircleStatus.draft:
        return False
    return circle.audience == Audience.public or user.is_authenticated


def can_embed_circle(circle: Circle) -> bool:
    """Embeds on a library's website (app/embeds/) show what anyone may see without signing
    in, whoever looks: public, published circles only."""
    return circle.status == CircleStatus.published and circle.audience == Audience.public


def visible_circle_or_404(circle_id: int, *options) -> Circle:
    """A circle the viewer may see. One that exists but is hidden (staff only, a draft) sends
    a signed-out visitor to sign in first; see ``sign_in_or_404``. ``options``: loader
    options for what the page shows of it (one query instead of one per row)."""
    circle = db.session.get(Circle, circle_id, options=options)
    if circle is None:
        abort(404)
    if not can_see_circle(current_user, circle):
        sign_in_or_404()
    return circle


def editable_circle_or_404(circle_id: int) -> Circle:
    """Circles the user may not change look missing, unless they may see them (then 403)."""
    circle = db.session.get(Circle, circle_id)
    if circle is None or not can_see_circle(current_user, circle):
        abort(404)
    if not can_edit_circle(current_user, circle):
        abort(403)
    return circle


def editable_part_or_404(model: type[Part], row_id: int) -> Part:
    """A meeting, place or outcome of a circle the user may change (the circle's rule decides
    404 or 403)."""
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    editable_circle_or_404(row.circle_id)
    return row


def own_enrollment_or_404(enrollment_id: int) -> Enrollment:
    """A place of the signed-in user (matched by email, as joining does); others look missing."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.email != current_user.email:
        abort(404)
    return enrollment


def own_offer_or_404(offer_id: int) -> OverflowOffer:
    """A seat offered to the signed-in user's waitlist place (matched by email, as places
    are); others look missing."""
    offer = db.session.get(OverflowOffer, offer_id)
    if offer is None or offer.enrollment.email != current_user.email:
        abort(404)
    return offer


# --- pathways ------------------------------------------------------------------------------


def can_manage_pathways(user: User) -> bool:
    """Draft, change, publish and retire pathways: admins."""
    return user.is_authenticated and user.is_admin


def can_see_pathway(user: User, pathway: Pathway, following: bool = False) -> bool:
    """Published ones: everyone signed in; a retired one: its members (and admins); drafts:
    admins only."""
    if can_manage_pathways(user):
        return True
    if pathway.status == PathwayStatus.published:
        return user.is_authenticated
    return following and pathway.status == PathwayStatus.retired


def public_pathways() -> sa.ColumnElement[bool]:
    """What the read API (app/api/) shows anyone of pathways, as a filter on ``Pathway``: the
    published ones' outlines (name, goal, steps), which hold nothing about the people on them."""
    return Pathway.status == PathwayStatus.published


def can_see_pathway_progress(user: User) -> bool:
    """A pathway's progress page: admins and branch managers. What it shows per person is
    ``pathway_people``; everyone else on it is in the counts only."""
    return user.is_authenticated and (user.is_admin or bool(user.managed_branches))


def pathway_people(user: User) -> sa.ColumnElement[bool] | None:
    """Whose progress the user sees person by person (personal data), as a filter on
    ``User``: admins everyone's, managers their own staff's (``own_staff``); None: nobody's
    (counts only). As issue 14 puts it: per person for their own staff, aggregate above."""
    if not user.is_authenticated:
        return None
    if user.is_admin:
        return sa.true()
    return own_staff(user) if user.managed_branches else None


def can_see_person_progress(user: User, person: User) -> bool:
    """One person's progress on every pathway they follow: as their learning record."""
    return can_see_learning_record(user, person)


def can_review_self_paced(user: User, person: User) -> bool:
    """Confirm or decline a course someone finished on their own: their managers and admins,
    never the person themselves."""
    if not user.is_authenticated or user.id == person.id:
        return False
    return user.is_admin or manages_person(user, person)


def self_paced_reviewers_see(user: User) -> sa.ColumnElement[bool] | None:
    """Whose self-paced completions are in the user's queue, as a filter on ``User``: admins
    everyone's, managers their own staff's, others none (None)."""
    return pathway_people(user)


# --- interest and demand -----------------------------------------------------------------------


def can_see_demand(user: User) -> bool:
    """The demand board (counts): facilitators, managers and admins."""
    return is_staff(user)


def interested_people(user: User) -> sa.ColumnElement[bool] | None:
    """Whose interest the user may see by name (personal data), as a filter on ``Interest``
    joined to its ``User``: admins everyone's; managers their own staff's (``own_staff``) and
    those who chose one of their branches; others (facilitators) counts only (None)."""
    if not user.is_authenticated:
        return None
    if user.is_admin:
        return sa.true()
    branch_ids = _managed_ids(user)
    return sa.or_(Interest.branch_id.in_(branch_ids), own_staff(user)) if branch_ids else None


def own_interest_or_404(interest_id: int) -> Interest:
    """One of the signed-in user's interests; anyone else's looks missing."""
    interest = db.session.get(Interest, interest_id)
    if interest is None or interest.user_id != current_user.id:
        abort(404)
    return interest


# --- needs survey ------------------------------------------------------------------------------


def can_run_needs_survey(user: User) -> bool:
    """Opening, closing and reopening the yearly needs survey (app/demand/survey_views.py):
    admins."""
    return user.is_authenticated and user.is_admin


def needs_comments_of(user: User) -> sa.ColumnElement[bool] | None:
    """Whose needs-survey comments (free text, personal) the user may read on the demand
    board, as a filter on the answer's ``User``: admins everyone's, managers their own
    staff's (``own_staff``); others none (None)."""
    if not user.is_authenticated:
        return None
    if user.is_admin:
        return sa.true()
    return own_staff(user) if user.managed_branches else None
