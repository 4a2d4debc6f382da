"""All models, imported here so Alembic and the app see the whole schema."""

from coordapp.models.agenda import AgendaItem, AgendaItemKind, AgendaItemPresenter, Attachment
from coordapp.models.approval import (
    MinutesApproval,
    MinutesDocument,
    MinutesReturn,
    SignatureStatus,
)
from coordapp.models.audit import AuditEvent
from coordapp.models.base import Base, UTCDateTime, utcnow
from coordapp.models.commitment import (
    SDG_NAMES,
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
    CommitmentUpdate,
)
from coordapp.models.directory import CATEGORY_LABELS, Category, Contact, Organisation
from coordapp.models.document import DocumentStatus, GeneratedDocument, StoredDocument
from coordapp.models.imports import PendingImport
from coordapp.models.inbound import (
    INBOUND_KIND_LABELS,
    InboundFolder,
    InboundKind,
    InboundMessage,
)
from coordapp.models.invitation import (
    ATTENDANCE_LABELS,
    ATTENDANCE_MODE_LABELS,
    INVITATION_STATUS_LABELS,
    Attendance,
    AttendanceMode,
    Invitation,
    InvitationStatus,
)
from coordapp.models.meeting import (
    ALLOWED_TRANSITIONS,
    FORMAT_LABELS,
    Meeting,
    MeetingChair,
    MeetingFormat,
    MeetingKind,
    MeetingStatus,
    Series,
    SeriesChair,
    meeting_page_options,
)
from coordapp.models.minutes import MinutesItem, MinutesRevision, MinutesStatus, MinutesVersion
from coordapp.models.monitoring import MetricCounter, WorkerHeartbeat
from coordapp.models.nomination import DEFAULT_PLACES, NominationRequest
from coordapp.models.outbox import MessageKind, MessageStatus, OutgoingMessage
from coordapp.models.outcome import (
    OutcomePhoto,
    OutcomeSummary,
    OutcomeSummaryVersion,
    SummaryStatus,
)
from coordapp.models.poll import (
    POLL_CHOICE_LABELS,
    POLL_VISIBILITY_LABELS,
    Poll,
    PollAnswer,
    PollChoice,
    PollKeyOrganisation,
    PollRespondent,
    PollSlot,
    PollStatus,
    PollVisibility,
)
from coordapp.models.ratelimit import RateLimitHit
from coordapp.models.report import ReportDocument
from coordapp.models.signing import SigningAuthority, SigningIdentity
from coordapp.models.user import LoginAttempt, LoginSession, Role, User
from coordapp.models.verification import PdfCheck, PdfCheckStatus

__all__ = [
    "INBOUND_KIND_LABELS",
    "InboundFolder",
    "InboundKind",
    "InboundMessage",
    "OutcomePhoto",
    "OutcomeSummary",
    "OutcomeSummaryVersion",
    "SummaryStatus",
    "PdfCheck",
    "PdfCheckStatus",
    "DocumentStatus",
    "GeneratedDocument",
    "MinutesApproval",
    "MinutesDocument",
    "MinutesReturn",
    "SignatureStatus",
    "AgendaItem",
    "AgendaItemKind",
    "AgendaItemPresenter",
    "Attachment",
    "Commitment",
    "CommitmentGCM",
    "CommitmentSDG",
    "CommitmentStatus",
    "CommitmentUpdate",
    "MinutesItem",
    "MinutesRevision",
    "MinutesStatus",
    "MinutesVersion",
    "SDG_NAMES",
    "ATTENDANCE_LABELS",
    "ATTENDANCE_MODE_LABELS",
    "AttendanceMode",
    "DEFAULT_PLACES",
    "FORMAT_LABELS",
    "MeetingFormat",
    "NominationRequest",
    "Attendance",
    "INVITATION_STATUS_LABELS",
    "Invitation",
    "InvitationStatus",
    "MessageKind",
    "MessageStatus",
    "OutgoingMessage",
    "MetricCounter",
    "RateLimitHit",
    "WorkerHeartbeat",
    "POLL_CHOICE_LABELS",
    "POLL_VISIBILITY_LABELS",
    "Poll",
    "PollAnswer",
    "PollChoice",
    "PollKeyOrganisation",
    "PollRespondent",
    "PollSlot",
    "PollStatus",
    "PollVisibility",
    "ReportDocument",
    "StoredDocument",
    "ALLOWED_TRANSITIONS",
    "AuditEvent",
    "Base",
    "CATEGORY_LABELS",
    "Category",
    "Contact",
    "LoginAttempt",
    "LoginSession",
    "Meeting",
    "meeting_page_options",
    "MeetingChair",
    "MeetingKind",
    "MeetingStatus",
    "Organisation",
    "PendingImport",
    "Role",
    "Series",
    "SeriesChair",
    "SigningAuthority",
    "SigningIdentity",
    "User",
    "UTCDateTime",
    "utcnow",
]
