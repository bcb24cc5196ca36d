"""What the write API (app/api/write_views.py) takes and answers, as pydantic models: they
check the JSON bodies and are the OpenAPI document's schemas. Text refuses control
characters and dates stay within app.edges' range, as the forms do."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from app.edges import INT_MAX, MAX_DATE, MIN_DATE
from app.models import AttendanceStatus, EnrollmentStatus, OutcomeKind, OutcomeStatus

NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # tab and line breaks allowed
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


def _id(description: str):
    return Field(ge=1, le=INT_MAX, description=description)


def _date(description: str):
    return Field(ge=MIN_DATE, le=MAX_DATE, description=description)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- joining -----------------------------------------------------------------------------------


class JoinBody(Body):
    goals: str = Field("", max_length=2000, pattern=NO_CONTROL, description="If the circle asks.")
    answer: str = Field(
        "", max_length=2000, pattern=NO_CONTROL, description="To the circle's own question."
    )
    consent_contact: bool = False


class Place(BaseModel):
    id: int
    circle_id: int
    status: EnrollmentStatus
    waitlist_position: int | None = Field(description="On the waitlist: its place, from 1.")


class Withdrawn(BaseModel):
    id: int
    circle_id: int
    status: EnrollmentStatus
    moved_up: int = Field(ge=0, description="How many on the waitlist got the freed seat.")


# --- bookings ----------------------------------------------------------------------------------


class BookingBody(Body):
    room_id: int = _id("A bookable room.")
    title: str = Field(min_length=1, max_length=200, pattern=ONE_LINE, description="What for.")
    date: dt.date = _date("The day, in the branch's calendar.")
    start_time: dt.time = Field(description="Local time at the branch, e.g. 14:00.")
    end_time: dt.time = Field(description="Local time at the branch, e.g. 15:30.")
    repeats: int = Field(0, ge=0, le=51, description="Extra weeks at the same time: a series.")


class Booking(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from the row the service made

    id: int
    room_id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class Bookings(BaseModel):
    items: list[Booking] = Field(description="The bookings made, first one first.")


# --- attendance --------------------------------------------------------------------------------


class Mark(BaseModel):
    enrollment_id: int = _id("A place in the circle (enrolled or completed).")
    status: AttendanceStatus


class AttendanceBody(Body):
    marks: list[Mark] = Field(max_length=1000, description="Marks to set; others stay as they are.")
    walk_ins: int | None = Field(
        None, ge=0, le=1000, description="Left out: the number already saved."
    )
    note: str | None = Field(
        None, max_length=2000, pattern=NO_CONTROL, description="Left out: the note already saved."
    )


class Sheet(BaseModel):
    meeting_id: int
    changed: int = Field(ge=0, description="How many marks changed.")
    walk_ins: int
    note: str
    marks: list[Mark] = Field(description="Every mark of the meeting now.")


# --- outcomes ----------------------------------------------------------------------------------


class OutcomeBody(Body):
    enrollment_id: int | None = Field(
        None, ge=1, le=INT_MAX, description="A participant; left out: the whole circle."
    )
    kind: OutcomeKind
    credential_id: int | None = Field(
        None, ge=1, le=INT_MAX, description="For credentials and certificates: from the list."
    )
    title: str = Field("", max_length=200, pattern=ONE_LINE, description="For the other kinds.")
    achieved_on: dt.date = _date("Not after today, in the circle's time zone.")
    ce_hours: float | None = Field(None, ge=0, le=1000, allow_inf_nan=False)
    funder: str = Field("", max_length=200, pattern=ONE_LINE, description="For grants.")
    amount: float | None = Field(
        None, ge=0, le=10_000_000, allow_inf_nan=False, description="For grants, in dollars."
    )
    evidence_url: str = Field("", max_length=500, pattern=ONE_LINE)
    again: bool = Field(False, description="Another one of a credential already reported.")


class OutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from the row the service made

    id: int
    circle_id: int
    enrollment_id: int | None
    kind: OutcomeKind
    title: str
    achieved_on: dt.date
    status: OutcomeStatus


# --- refusals ----------------------------------------------------------------------------------


class RuleDetail(BaseModel):
    code: str = Field(description="`conflict` (409) or `unprocessable_content` (422).")
    message: str = Field(description="What the page would say, naming the clash if any.")
    field: str | None = Field(None, description="The field it concerns, if one.")


class RuleError(BaseModel):
    error: RuleDetail
