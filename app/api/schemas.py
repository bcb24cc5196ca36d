"""What the read API takes (query parameters) and answers (bodies), as pydantic models: they
check the query strings and are the OpenAPI document's schemas."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.models import CareerStage, CircleFormat, CourseFormat, SkillArea, StepKind

MAX_LIMIT = 100


class Paged(BaseModel):
    limit: int = Field(25, ge=1, le=MAX_LIMIT, description="Items per page, 1 to 100.")
    cursor: str | None = Field(
        None, max_length=200, description="The `next` link's cursor; omit for the first page."
    )


class CourseQuery(Paged):
    q: str | None = Field(None, max_length=200, description="Words in the title or description.")
    skill_area: SkillArea | None = None
    career_stage: CareerStage | None = None
    format: CourseFormat | None = None
    language: str | None = Field(None, max_length=8, description="A language code, e.g. `es`.")


class CircleQuery(Paged):
    q: str | None = Field(None, max_length=200, description="Words in the circle or its course.")
    branch: int | None = Field(None, ge=1, le=2**31 - 1, description="A branch id.")
    course: int | None = Field(None, ge=1, le=2**31 - 1, description="A course id.")
    skill_area: SkillArea | None = None
    format: CircleFormat | None = None
    upcoming: bool = Field(False, description="Only circles whose first meeting is still ahead.")


class RoomQuery(Paged):
    branch: int | None = Field(None, ge=1, le=2**31 - 1, description="A branch id.")


class PathwayQuery(Paged):
    career_stage: CareerStage | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="e.g. `bad_request`, `not_found`, `too_many_requests`.")
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class Course(BaseModel):
    id: int
    title: str
    provider: str
    url: str
    description: str
    language: str
    format: CourseFormat
    hours: float | None
    is_free: bool
    credential: str
    skill_area: SkillArea
    career_stage: CareerStage


class Meeting(BaseModel):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


class Circle(BaseModel):
    id: int
    title: str
    description: str
    url: str = Field(description="The circle's page, where people join.")
    course_id: int
    course_title: str
    skill_area: SkillArea
    branch_id: int
    branch_name: str
    format: CircleFormat
    timezone: str
    capacity: int
    open_seats: int = Field(ge=0)
    signup_closes_at: dt.datetime | None
    meetings: list[Meeting] = Field(description="Its scheduled meetings, in order.")


class Hours(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 is Monday.")
    opens: str = Field(pattern=r"^\d\d:\d\d$")
    closes: str = Field(pattern=r"^\d\d:\d\d$")


class Branch(BaseModel):
    id: int
    name: str
    slug: str
    address: str
    timezone: str
    hours: list[Hours]


class Room(BaseModel):
    id: int
    branch_id: int
    name: str
    capacity: int
    features: list[str]
    bookable: bool


class Step(BaseModel):
    position: int
    kind: StepKind
    name: str
    optional: bool
    course_id: int | None
    skill_area: SkillArea | None
    credential_id: int | None


class Pathway(BaseModel):
    id: int
    name: str
    career_stage: CareerStage
    goal: str
    description: str
    steps: list[Step] = Field(description="In the order they are taken.")


NEXT = Field(description="The next page, or null on the last one.")


class CoursePage(BaseModel):
    items: list[Course]
    next: str | None = NEXT


class CirclePage(BaseModel):
    items: list[Circle]
    next: str | None = NEXT


class BranchPage(BaseModel):
    items: list[Branch]
    next: str | None = NEXT


class RoomPage(BaseModel):
    items: list[Room]
    next: str | None = NEXT


class PathwayPage(BaseModel):
    items: list[Pathway]
    next: str | None = NEXT
