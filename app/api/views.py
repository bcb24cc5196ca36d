"""The read API, /api/v1: what anonymous visitors may see on the site, as JSON.

Lists reuse the pages' queries (the catalogue's search, the public circle list, ...) and page
them by cursor (app/api/paging.py); one item that is not there, or that a visitor may not see
(a draft, a staff-only circle, a retired course), is a 404.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, render_template, request

from app.api import schemas
from app.api.paging import answer, conditional, page_of, paged
from app.api.spec import document, operations, responses, spec
from app.auth.permissions import can_embed_circle, public, public_pathways
from app.catalog.services import search_courses
from app.circles.listing import LISTED, matching_circles
from app.extensions import db, limiter, login_manager
from app.links import base_url, external_url
from app.models import Branch, Circle, Course, Meeting, MeetingStatus, Pathway, PathwayStep, Room
from app.pathways.services import step_name
from app.timeutil import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# One budget per address for the whole API, not one per endpoint.
limiter.shared_limit(lambda: current_app.config["API_LIMITS"], scope="api")(bp)

CIRCLE_LOAD = (*LISTED, so.selectinload(Circle.meetings))
STEPS_LOAD = (
    so.selectinload(Pathway.steps).joinedload(PathwayStep.course),
    so.selectinload(Pathway.steps).joinedload(PathwayStep.credential),
)


# --- what each row shows -------------------------------------------------------------------


def _course(c: Course) -> schemas.Course:
    return schemas.Course(
        id=c.id,
        title=c.title,
        provider=c.provider,
        url=c.url,
        description=c.description,
        language=c.language,
        format=c.format,
        hours=float(c.hours) if c.hours is not None else None,
        is_free=c.is_free,
        credential=c.credential,
        skill_area=c.skill_area,
        career_stage=c.career_stage,
    )


def _circle(c: Circle) -> schemas.Circle:
    return schemas.Circle(
        id=c.id,
        title=c.title,
        description=c.description,
        url=external_url("circles.circle", circle_id=c.id),
        course_id=c.course_id,
        course_title=c.course.title,
        skill_area=c.course.skill_area,
        branch_id=c.branch_id,
        branch_name=c.branch.name,
        format=c.format,
        timezone=c.timezone,
        capacity=c.capacity,
        open_seats=c.seats_left,
        signup_closes_at=c.signup_closes_at,
        meetings=[
            schemas.Meeting(id=m.id, starts_at=m.starts_at, ends_at=m.ends_at)
            for m in c.scheduled_meetings
        ],
    )


def _branch(b: Branch) -> schemas.Branch:
    return schemas.Branch(
        id=b.id,
        name=b.name,
        slug=b.slug,
        address=b.address,
        timezone=b.timezone,
        hours=[
            schemas.Hours(weekday=h.weekday, opens=f"{h.opens:%H:%M}", closes=f"{h.closes:%H:%M}")
            for h in sorted(b.hours, key=lambda h: (h.weekday, h.opens))
        ],
    )


def _room(r: Room) -> schemas.Room:
    return schemas.Room(
        id=r.id,
        branch_id=r.branch_id,
        name=r.name,
        capacity=r.capacity,
        features=list(r.features or []),
        bookable=r.bookable,
    )


def _pathway(p: Pathway) -> schemas.Pathway:
    return schemas.Pathway(
        id=p.id,
        name=p.name,
        career_stage=p.career_stage,
        goal=p.goal,
        description=p.description,
        steps=[
            schemas.Step(
                position=n,
                kind=s.kind,
                name=step_name(s),
                optional=s.optional,
                course_id=s.course_id,
                skill_area=s.skill_area,
                credential_id=s.credential_id,
            )
            for n, s in enumerate(p.steps, start=1)
        ],
    )


def _one(model, row_id: int, *load, visible=lambda row: True):
    row = db.session.get(model, row_id, options=load)
    if row is None or not visible(row):
        abort(404)
    return row


# --- courses -------------------------------------------------------------------------------


@bp.get("/courses")
@public
@spec.validate(query=schemas.CourseQuery, resp=responses(schemas.CoursePage), tags=["courses"])
def courses():
    """Courses in the catalogue (retired ones left out), with the catalogue's filters."""
    query: schemas.CourseQuery = request.context.query
    filters = query.model_dump(exclude={"limit", "cursor"}, exclude_none=True)
    return paged(schemas.CoursePage, page_of(search_courses(**filters), Course, query), _course)


@bp.get("/courses/<int:course_id>")
@public
@spec.validate(resp=responses(schemas.Course, one=True), tags=["courses"])
def course(course_id: int):
    """One course; a retired one is not found."""
    return answer(_course(_one(Course, course_id, visible=lambda c: c.retired_at is None)))


# --- circles -------------------------------------------------------------------------------


@bp.get("/circles")
@public
@spec.validate(query=schemas.CircleQuery, resp=responses(schemas.CirclePage), tags=["circles"])
def circles():
    """Public, published circles that still meet (as the site's circle list shows a visitor),
    each with its scheduled meetings and open seats."""
    query: schemas.CircleQuery = request.context.query
    now = utcnow()
    select = matching_circles(
        login_manager.anonymous_user(),
        now,
        q=query.q,
        branch=query.branch,
        skill_area=query.skill_area,
        format=query.format,
    )
    if query.course:
        select = select.where(Circle.course_id == query.course)
    if query.upcoming:
        started = (
            sa.select(Meeting.id)
            .where(
                Meeting.circle_id == Circle.id,
                Meeting.status == MeetingStatus.scheduled,
                Meeting.starts_at <= now,
            )
            .exists()
        )
        select = select.where(~started)
    return paged(schemas.CirclePage, page_of(select, Circle, query, CIRCLE_LOAD), _circle)


@bp.get("/circles/<int:circle_id>")
@public
@spec.validate(resp=responses(schemas.Circle, one=True), tags=["circles"])
def circle(circle_id: int):
    """One public, published circle; a draft, staff-only, finished or cancelled one is not
    found."""
    return answer(_circle(_one(Circle, circle_id, *CIRCLE_LOAD, visible=can_embed_circle)))


# --- branches and rooms --------------------------------------------------------------------


@bp.get("/branches")
@public
@spec.validate(query=schemas.Paged, resp=responses(schemas.BranchPage), tags=["places"])
def branches():
    """Branches with their address, time zone and opening hours."""
    select = sa.select(Branch)
    load = (so.selectinload(Branch.hours),)
    return paged(schemas.BranchPage, page_of(select, Branch, request.context.query, load), _branch)


@bp.get("/branches/<int:branch_id>")
@public
@spec.validate(resp=responses(schemas.Branch, one=True), tags=["places"])
def branch(branch_id: int):
    """One branch."""
    return answer(_branch(_one(Branch, branch_id, so.selectinload(Branch.hours))))


@bp.get("/rooms")
@public
@spec.validate(query=schemas.RoomQuery, resp=responses(schemas.RoomPage), tags=["places"])
def rooms():
    """Rooms: their size, features and whether they can be booked."""
    query: schemas.RoomQuery = request.context.query
    select = sa.select(Room)
    if query.branch:
        select = select.where(Room.branch_id == query.branch)
    return paged(schemas.RoomPage, page_of(select, Room, query), _room)


# --- pathways ------------------------------------------------------------------------------


@bp.get("/pathways")
@public
@spec.validate(query=schemas.PathwayQuery, resp=responses(schemas.PathwayPage), tags=["pathways"])
def pathways():
    """Published pathways with their steps in order."""
    query: schemas.PathwayQuery = request.context.query
    select = sa.select(Pathway).where(public_pathways())
    if query.career_stage:
        select = select.where(Pathway.career_stage == query.career_stage)
    return paged(schemas.PathwayPage, page_of(select, Pathway, query, STEPS_LOAD), _pathway)


@bp.get("/pathways/<int:pathway_id>")
@public
@spec.validate(resp=responses(schemas.Pathway, one=True), tags=["pathways"])
def pathway(pathway_id: int):
    """One published pathway; a draft or retired one is not found."""
    select = sa.select(Pathway).where(Pathway.id == pathway_id, public_pathways())
    row = db.session.scalar(select.options(*STEPS_LOAD))
    if row is None:
        abort(404)
    return answer(_pathway(row))


# --- the document and its page -------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi():
    return conditional(current_app.json.response(document(base_url())))


@bp.get("/docs")
@public
def docs():
    doc = document(base_url())
    return render_template("api/docs.html", doc=doc, ops=operations(doc))


# The write API's endpoints, on this blueprint: imported for their routes.
from app.api import write_views  # noqa: E402, F401
