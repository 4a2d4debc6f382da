"""All models, imported here so Alembic and the app see the whole schema."""

from coordapp.models.audit import AuditEvent
from coordapp.models.base import Base, UTCDateTime, utcnow
from coordapp.models.directory import CATEGORY_LABELS, Category, Contact, Organisation
from coordapp.models.imports import PendingImport
from coordapp.models.meeting import (
    ALLOWED_TRANSITIONS,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    Series,
    SeriesChair,
)
from coordapp.models.user import LoginAttempt, Role, User

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AuditEvent",
    "Base",
    "CATEGORY_LABELS",
    "Category",
    "Contact",
    "LoginAttempt",
    "Meeting",
    "MeetingChair",
    "MeetingKind",
    "MeetingStatus",
    "Organisation",
    "PendingImport",
    "Role",
    "Series",
    "SeriesChair",
    "User",
    "UTCDateTime",
    "utcnow",
]
