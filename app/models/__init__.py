"""The data model, one module per area; import from here: ``from app.models import User``."""

from app.models.attendance import (
    Attendance,
    AttendanceChange,
    AttendanceSheet,
    AttendanceStatus,
    Credential,
    CredentialKind,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    credential_key,
)
from app.models.base import TimestampMixin
from app.models.catalog import (
    CareerStage,
    Course,
    CourseFormat,
    SkillArea,
)
from app.models.circles import (
    Audience,
    Circle,
    CircleFormat,
    CircleStatus,
    Facilitation,
    FacilitatorRole,
    Meeting,
    MeetingStatus,
)
from app.models.demand import (
    Interest,
    InterestFormat,
    InterestStatus,
    TimeOfDay,
)
from app.models.digest import (
    DigestFrequency,
    DigestSent,
    DigestSubscription,
)
from app.models.evaluation import (
    SurveyAnswer,
    SurveyInvitation,
    WrapUp,
)
from app.models.feeds import (
    FeedCache,
    FeedScope,
    FeedToken,
)
from app.models.outbox import (
    FacilitatorDigest,
    OutboxMessage,
)
from app.models.participation import (
    ACTIVE_ENROLLMENT,
    Enrollment,
    EnrollmentStatus,
    GuestSignup,
    ReminderSent,
)
from app.models.pathways import (
    Pathway,
    PathwayMember,
    PathwayStatus,
    PathwayStep,
    StepKind,
)
from app.models.people import (
    AuditEvent,
    User,
    branch_manager,
)
from app.models.places import (
    Booking,
    BookingKind,
    BookingStatus,
    Branch,
    Closure,
    OpeningHours,
    Room,
    RoomFeature,
)

__all__ = [
    "ACTIVE_ENROLLMENT",
    "Attendance",
    "AttendanceChange",
    "AttendanceSheet",
    "AttendanceStatus",
    "Audience",
    "AuditEvent",
    "Booking",
    "BookingKind",
    "BookingStatus",
    "Branch",
    "CareerStage",
    "Circle",
    "CircleFormat",
    "CircleStatus",
    "Closure",
    "Course",
    "CourseFormat",
    "Credential",
    "CredentialKind",
    "DigestFrequency",
    "DigestSent",
    "DigestSubscription",
    "Enrollment",
    "EnrollmentStatus",
    "Facilitation",
    "FacilitatorDigest",
    "FacilitatorRole",
    "FeedCache",
    "FeedScope",
    "FeedToken",
    "GuestSignup",
    "Interest",
    "InterestFormat",
    "InterestStatus",
    "Meeting",
    "MeetingStatus",
    "OpeningHours",
    "OutboxMessage",
    "Outcome",
    "OutcomeKind",
    "OutcomeStatus",
    "Pathway",
    "PathwayMember",
    "PathwayStatus",
    "PathwayStep",
    "ReminderSent",
    "Room",
    "RoomFeature",
    "SkillArea",
    "StepKind",
    "SurveyAnswer",
    "SurveyInvitation",
    "TimeOfDay",
    "TimestampMixin",
    "User",
    "WrapUp",
    "branch_manager",
    "credential_key",
]
