"""The rules of approving minutes.

A version goes draft → submitted (content frozen, the chairs are emailed) → each chair
approves (the worker then adds their signature to the PDF) or returns it with a comment
(back to draft, every approval of it dropped) → approved once every chair of the
meeting has signed; the meeting is then closed. An approved version never changes: a
correction is an amendment, a new version that goes through the same approval and, once
approved, supersedes the old one.

The signing and rendering are the worker's (coordapp.minutes_pdf, a feature above this
one): this module asks for them after its transaction commits (`request_rendering`,
`request_signature`) through the hooks `RENDER_PDF` and `SIGN_APPROVAL`, which the
minutes_pdf feature answers with its jobs (coordapp/feature.py, `Hook`); the signing
task calls `finish_if_all_signed` after each signature.

Concurrency: every transition is an `UPDATE minutes_versions ... WHERE status = <the
status it expects>` on the version row, so two transitions of the same version (two
chairs, or a chair returning while another approves) are serialised by the database and
the loser is told what happened instead of acting on a stale state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from coordapp import audit, jobs
from coordapp.approval.notifications import (
    announce_approval,
    notify_chairs_of_submission,
    notify_secretariat_of_return,
)
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.feature import Hook
from coordapp.models import (
    Meeting,
    MeetingChair,
    MeetingStatus,
    User,
    utcnow,
)
from coordapp.models.agenda import AgendaItem
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    MinutesReturn,
    SignatureStatus,
)
from coordapp.models.minutes import MinutesItem, MinutesStatus, MinutesVersion

# A version may be submitted once the meeting took place; CLOSED is for amendments.
SUBMITTABLE_MEETING_STATUSES = frozenset({MeetingStatus.HELD, MeetingStatus.CLOSED})
FINAL_STATUSES = frozenset({MinutesStatus.APPROVED, MinutesStatus.SUPERSEDED})
MAX_COMMENT_LENGTH = 5000
MAX_REASON_LENGTH = 2000
# Answered by the minutes_pdf feature with its worker jobs (a version id, an approval id).
RENDER_PDF = Hook("approval.render_pdf")
SIGN_APPROVAL = Hook("approval.sign_approval")


class ApprovalError(DomainError):
    """A transition the rules do not allow; `message` is shown to the user with
    `status` (409: the state does not allow it, 400: what was typed is wrong,
    403: this user may not)."""


class NotAllowed(ApprovalError):
    status = 403


class InvalidInput(ApprovalError):
    status = 400


class VersionIsFinal(ApprovalError):
    """The version is approved (or superseded): it never changes."""


# --- who may do what ----------------------------------------------------------------------


def chair_row(meeting_id: int, user) -> MeetingChair | None:
    """The user's chair row on the meeting, or None if they do not chair it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(MeetingChair).where(
            MeetingChair.meeting_id == meeting_id, MeetingChair.user_id == user.id
        )
    )


def is_chair(user, meeting_id: int) -> bool:
    return chair_row(meeting_id, user) is not None


def approval_of(version: MinutesVersion, user) -> MinutesApproval | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(MinutesApproval).where(
            MinutesApproval.version_id == version.id, MinutesApproval.user_id == user.id
        )
    )


def can_view_version(user, version: MinutesVersion) -> bool:
    """The secretariat and the chairs of the meeting read submitted and final versions."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_secretariat or is_chair(user, version.meeting_id)


def can_submit(user, version: MinutesVersion) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_secretariat
        and version.status is MinutesStatus.DRAFT
    )


def can_approve(user, version: MinutesVersion) -> bool:
    """A chair of the meeting, on a submitted version they have not approved yet."""
    return (
        version.status is MinutesStatus.SUBMITTED
        and is_chair(user, version.meeting_id)
        and approval_of(version, user) is None
    )


def can_return(user, version: MinutesVersion) -> bool:
    """Any chair of the meeting may send a submitted version back (even after approving
    it: every approval of the version is then dropped)."""
    return version.status is MinutesStatus.SUBMITTED and is_chair(user, version.meeting_id)


def can_amend(user, version: MinutesVersion) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_secretariat
        and version.status is MinutesStatus.APPROVED
    )


# --- the worker's part (after commit) -----------------------------------------------------


def request_rendering(version_id: int) -> None:
    """Ask the worker to render the PDF of a submitted version. Call after commit."""
    RENDER_PDF(version_id)


def request_signature(approval_id: int) -> None:
    """Ask the worker to add a chair's signature. Call after commit."""
    SIGN_APPROVAL(approval_id)


# --- helpers ------------------------------------------------------------------------------


def _refuse_if_final(version: MinutesVersion) -> None:
    if version.status in FINAL_STATUSES:
        raise VersionIsFinal(
            _(
                "Version %(number)s of the minutes is %(status)s: it never changes. "
                "To correct it, create an amendment.",
                number=version.number,
                status=version.status.label.lower(),
            )
        )


def _move(version: MinutesVersion, expected: MinutesStatus, **values) -> bool:
    """UPDATE the version WHERE its status is still `expected`; False if it was not.
    The row stays locked until commit, which serialises transitions of one version."""
    result = db.session.execute(
        sa.update(MinutesVersion)
        .where(MinutesVersion.id == version.id, MinutesVersion.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(version)
    return result.rowcount == 1


def _changed_meanwhile(version: MinutesVersion) -> ApprovalError:
    return ApprovalError(
        _(
            "Version %(number)s of the minutes changed in the meantime: it is now "
            "“%(status)s”. Please reload the page.",
            number=version.number,
            status=version.status.label,
        )
    )


def _clean(text: str | None, limit: int, required_message: str, too_long_message: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(required_message)
    if len(text) > limit:
        raise InvalidInput(too_long_message)
    return text


def _chairs(meeting_id: int) -> list[MeetingChair]:
    return list(
        db.session.scalars(
            sa.select(MeetingChair)
            .where(MeetingChair.meeting_id == meeting_id)
            .options(joinedload(MeetingChair.user).joinedload(User.contact))
            .order_by(MeetingChair.position, MeetingChair.id)
        )
    )


# --- submitting ---------------------------------------------------------------------------


def missing_minutes(version: MinutesVersion) -> list[str]:
    """Titles of the meeting's agenda items that have no minutes item in this version."""
    return list(
        db.session.scalars(
            sa.select(AgendaItem.title)
            .where(
                AgendaItem.meeting_id == version.meeting_id,
                ~sa.exists().where(
                    MinutesItem.version_id == version.id,
                    MinutesItem.agenda_item_id == AgendaItem.id,
                ),
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def submit_for_approval(version: MinutesVersion, by: User) -> MinutesVersion:
    """Freeze a draft and send it to the chairs. Does not commit; after commit, call
    `request_rendering(version.id)`."""
    _refuse_if_final(version)
    meeting = version.meeting
    if version.status is not MinutesStatus.DRAFT:
        raise ApprovalError(
            _(
                "Version %(number)s is already %(status)s.",
                number=version.number,
                status=version.status.label.lower(),
            )
        )
    if meeting.status not in SUBMITTABLE_MEETING_STATUSES:
        raise ApprovalError(
            _("Minutes can be submitted for approval once the meeting is marked as held.")
        )
    chairs = _chairs(meeting.id)
    if not chairs:
        raise ApprovalError(
            _("This meeting has no chairs: add at least one chair to approve the minutes.")
        )
    missing = missing_minutes(version)
    if missing:
        raise ApprovalError(
            _(
                "These agenda items have no minutes yet: %(titles)s. Open the minutes "
                "editor once so that they get their place, then submit again.",
                titles=", ".join(f"“{title}”" for title in missing),
            )
        )
    now = utcnow()
    if not _move(
        version,
        MinutesStatus.DRAFT,
        status=MinutesStatus.SUBMITTED,
        submitted_at=now,
        submitted_by_id=by.id,
    ):
        raise _changed_meanwhile(version)

    document = db.session.scalar(
        sa.select(MinutesDocument).where(MinutesDocument.version_id == version.id)
    )
    if document is None:
        db.session.add(MinutesDocument(version_id=version.id))
    else:
        _reset_document(document)

    notify_chairs_of_submission(version, chairs, by)
    audit.record(
        "approval.submit",
        version,
        meeting_id=meeting.id,
        changes={"status": [MinutesStatus.DRAFT.value, MinutesStatus.SUBMITTED.value]},
        note=_("Version %(number)s", number=version.number),
        user_id=by.id,
    )
    db.session.flush()
    return version


def _reset_document(document: MinutesDocument) -> None:
    document.status = DocumentStatus.PENDING
    document.error = None
    document.unsigned_sha256 = None
    document.pdf = None
    document.sha256 = None
    document.size = None
    document.signature_count = 0
    document.fields = None
    document.rendered_at = None
    jobs.fresh_lease(document)  # a job rendering the earlier submission keeps nothing


# --- approving ----------------------------------------------------------------------------


def approve(version: MinutesVersion, chair: User) -> MinutesApproval:
    """Record a chair's approval (PENDING until the worker signed). Does not commit;
    after commit, call `request_signature(approval.id)`."""
    _refuse_if_final(version)
    row = chair_row(version.meeting_id, chair)
    if row is None:
        raise NotAllowed(_("Only the chairs of the meeting can approve its minutes."))
    if version.status is not MinutesStatus.SUBMITTED:
        raise ApprovalError(
            _("Version %(number)s is not submitted for approval.", number=version.number)
        )
    if approval_of(version, chair) is not None:
        raise ApprovalError(_("You have already approved this version of the minutes."))
    # Locks the version row: a return at the same moment waits for us, or we for it.
    if not _move(version, MinutesStatus.SUBMITTED, status=MinutesStatus.SUBMITTED):
        raise _changed_meanwhile(version)
    approval = MinutesApproval(
        version_id=version.id,
        user_id=chair.id,
        role_label=row.role_label or "",
        position=row.position,
        approved_at=utcnow(),
        status=SignatureStatus.PENDING,
    )
    try:
        with db.session.begin_nested():
            db.session.add(approval)
    except IntegrityError:
        # A second click that raced the first one: the unique constraint decided.
        raise ApprovalError(_("You have already approved this version of the minutes.")) from None
    audit.record(
        "approval.chair_approve",
        approval,
        meeting_id=version.meeting_id,
        note=_("Version %(number)s, %(role)s", number=version.number, role=row.role_label or "-"),
        user_id=chair.id,
    )
    return approval


def return_version(version: MinutesVersion, chair: User, comment: str | None) -> MinutesReturn:
    """Send a submitted version back to draft with a comment for the secretariat. Every
    approval of it is dropped (its signature was on content that will change; the audit
    log keeps who had approved) and so is its PDF. Does not commit."""
    _refuse_if_final(version)
    if chair_row(version.meeting_id, chair) is None:
        raise NotAllowed(_("Only the chairs of the meeting can return its minutes."))
    comment = _clean(
        comment,
        MAX_COMMENT_LENGTH,
        _("Please write a comment: the secretariat needs to know what to change."),
        _("The comment is too long (at most %(max)s characters).", max=MAX_COMMENT_LENGTH),
    )
    if version.status is not MinutesStatus.SUBMITTED:
        raise ApprovalError(
            _("Version %(number)s is not submitted for approval.", number=version.number)
        )
    if not _move(
        version,
        MinutesStatus.SUBMITTED,
        status=MinutesStatus.DRAFT,
        submitted_at=None,
        submitted_by_id=None,
    ):
        raise _changed_meanwhile(version)

    dropped = list(
        db.session.scalars(
            sa.select(MinutesApproval.user_id).where(MinutesApproval.version_id == version.id)
        )
    )
    db.session.execute(
        sa.delete(MinutesApproval)
        .where(MinutesApproval.version_id == version.id)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        sa.delete(MinutesDocument)
        .where(MinutesDocument.version_id == version.id)
        .execution_options(synchronize_session="fetch")
    )
    returned = MinutesReturn(version_id=version.id, user_id=chair.id, comment=comment)
    db.session.add(returned)
    audit.record(
        "approval.return",
        version,
        meeting_id=version.meeting_id,
        changes={
            "status": [MinutesStatus.SUBMITTED.value, MinutesStatus.DRAFT.value],
            "approvals_dropped": [dropped, []],
        },
        note=comment,
        user_id=chair.id,
    )
    notify_secretariat_of_return(version, chair, comment)
    db.session.flush()
    return returned


# --- the end of the approval --------------------------------------------------------------


def finish_if_all_signed(version: MinutesVersion, *, by: User | None = None) -> bool:
    """Called by the signing task after each signature, in its transaction: once every
    chair of the meeting has a SIGNED approval, the version is approved, the meeting
    closed, the version it amends superseded, and the secretariat and participants
    emailed. Returns True when it approved. Does not commit."""
    db.session.flush()
    if version.status is not MinutesStatus.SUBMITTED:
        return False
    # Lock the version row first, then count: of two signatures committing at the same
    # time, the second to get the lock sees the first one's SIGNED row.
    if not _move(version, MinutesStatus.SUBMITTED, status=MinutesStatus.SUBMITTED):
        return False
    chair_ids = set(
        db.session.scalars(
            sa.select(MeetingChair.user_id).where(MeetingChair.meeting_id == version.meeting_id)
        )
    )
    signed_ids = set(
        db.session.scalars(
            sa.select(MinutesApproval.user_id).where(
                MinutesApproval.version_id == version.id,
                MinutesApproval.status == SignatureStatus.SIGNED,
            )
        )
    )
    if not chair_ids or not chair_ids <= signed_ids:
        return False

    now = utcnow()
    _move(version, MinutesStatus.SUBMITTED, status=MinutesStatus.APPROVED, approved_at=now)
    audit.record(
        "approval.approve",
        version,
        meeting_id=version.meeting_id,
        changes={"status": [MinutesStatus.SUBMITTED.value, MinutesStatus.APPROVED.value]},
        note=_("Version %(number)s", number=version.number),
        by=by,
    )
    meeting = db.session.get(Meeting, version.meeting_id)
    if meeting.status is MeetingStatus.HELD:
        # The one status change approval makes: approved minutes close a held meeting.
        changes = meeting.move_to(MeetingStatus.CLOSED)
        audit.record(
            "meetings.status_change", meeting, meeting_id=meeting.id, changes=changes, by=by
        )

    superseded = None
    if version.amends_id is not None:
        superseded = db.session.get(MinutesVersion, version.amends_id)
        if superseded is not None and _move(
            superseded, MinutesStatus.APPROVED, status=MinutesStatus.SUPERSEDED
        ):
            audit.record(
                "approval.supersede",
                superseded,
                meeting_id=version.meeting_id,
                changes={"status": [MinutesStatus.APPROVED.value, MinutesStatus.SUPERSEDED.value]},
                note=_("Superseded by version %(number)s", number=version.number),
                by=by,
            )
    announce_approval(version, superseded)
    db.session.flush()
    return True


# --- amendments ---------------------------------------------------------------------------


def open_version(meeting_id: int) -> MinutesVersion | None:
    """The meeting's draft or submitted version, if there is one."""
    return db.session.scalar(
        sa.select(MinutesVersion)
        .where(
            MinutesVersion.meeting_id == meeting_id,
            MinutesVersion.status.in_([MinutesStatus.DRAFT, MinutesStatus.SUBMITTED]),
        )
        .limit(1)
    )


def create_amendment(approved: MinutesVersion, reason: str | None, by: User) -> MinutesVersion:
    """A new draft version correcting the latest approved one: a copy of its content,
    with the reason. It goes through the same approval, and supersedes `approved` once
    approved. Does not commit."""
    reason = _clean(
        reason,
        MAX_REASON_LENGTH,
        _("Please give the reason for the amendment."),
        _("The reason is too long (at most %(max)s characters).", max=MAX_REASON_LENGTH),
    )
    if approved.status is not MinutesStatus.APPROVED:
        raise ApprovalError(_("Only approved minutes can be amended."))
    latest_number = db.session.scalar(
        sa.select(sa.func.max(MinutesVersion.number)).where(
            MinutesVersion.meeting_id == approved.meeting_id
        )
    )
    newer_approved = db.session.scalar(
        sa.select(MinutesVersion.number).where(
            MinutesVersion.meeting_id == approved.meeting_id,
            MinutesVersion.status == MinutesStatus.APPROVED,
            MinutesVersion.number > approved.number,
        )
    )
    if newer_approved is not None:
        raise ApprovalError(
            _(
                "Only the latest approved version can be amended (version %(number)s).",
                number=newer_approved,
            )
        )
    pending = open_version(approved.meeting_id)
    if pending is not None:
        raise ApprovalError(
            _(
                "Version %(number)s is already open (%(status)s): finish it before "
                "starting another amendment.",
                number=pending.number,
                status=pending.status.label.lower(),
            )
        )
    amendment = MinutesVersion(
        meeting_id=approved.meeting_id,
        number=(latest_number or 0) + 1,
        status=MinutesStatus.DRAFT,
        amends_id=approved.id,
        amendment_reason=reason,
        opening_summary=approved.opening_summary,
        closing_summary=approved.closing_summary,
        next_meeting_date=approved.next_meeting_date,
        next_meeting_note=approved.next_meeting_note,
        created_by_id=by.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(amendment)
    except IntegrityError:
        raise ApprovalError(
            _("Someone else created an amendment at the same moment; please reload the page.")
        ) from None
    items = db.session.execute(
        sa.select(MinutesItem.agenda_item_id, MinutesItem.text, MinutesItem.decisions).where(
            MinutesItem.version_id == approved.id
        )
    ).all()
    if items:
        now = utcnow()
        db.session.execute(
            sa.insert(MinutesItem),
            [
                {
                    "version_id": amendment.id,
                    "agenda_item_id": agenda_item_id,
                    "text": text or "",
                    "decisions": list(decisions or []),
                    "lock_version": 1,
                    "updated_at": now,
                    "updated_by_id": by.id,
                }
                for agenda_item_id, text, decisions in items
            ],
        )
    audit.record(
        "approval.amend",
        amendment,
        meeting_id=approved.meeting_id,
        note=reason,
        changes={"amends_version": [None, approved.number]},
        user_id=by.id,
    )
    return amendment


# --- what the pages show ------------------------------------------------------------------


@dataclass
class ChairLine:
    """One chair of the meeting, in meeting order, and where their approval stands."""

    chair: MeetingChair
    approval: MinutesApproval | None

    @property
    def state(self) -> str:
        """not_yet / pending / signed / failed"""
        if self.approval is None:
            return "not_yet"
        return self.approval.status.value


@dataclass
class VersionStatus:
    """Everything the approval status box and the version page show, loaded in a fixed
    number of queries."""

    meeting: Meeting
    version: MinutesVersion | None
    chairs: list[ChairLine] = field(default_factory=list)
    returns: list[MinutesReturn] = field(default_factory=list)
    submitted_by: User | None = None
    superseded_by: MinutesVersion | None = None
    # Approved and superseded versions, newest first, for the download links.
    final_versions: list[MinutesVersion] = field(default_factory=list)
    # version id -> number of the version that superseded it
    superseded_by_number: dict[int, int] = field(default_factory=dict)


def version_status(meeting: Meeting, version: MinutesVersion | None) -> VersionStatus:
    status = VersionStatus(meeting=meeting, version=version)
    versions = list(
        db.session.scalars(
            sa.select(MinutesVersion)
            .where(MinutesVersion.meeting_id == meeting.id)
            .order_by(MinutesVersion.number.desc())
        )
    )
    if version is None and versions:
        version = status.version = versions[0]
    status.final_versions = [v for v in versions if v.status in FINAL_STATUSES]
    for v in versions:
        if v.amends_id is not None and v.status in FINAL_STATUSES:
            status.superseded_by_number[v.amends_id] = v.number
    if version is None:
        return status
    if version.status is MinutesStatus.SUPERSEDED:
        status.superseded_by = next(
            (v for v in versions if v.amends_id == version.id and v.status in FINAL_STATUSES),
            None,
        )
    approvals = {
        a.user_id: a
        for a in db.session.scalars(
            sa.select(MinutesApproval).where(MinutesApproval.version_id == version.id)
        )
    }
    status.chairs = [
        ChairLine(chair, approvals.get(chair.user_id)) for chair in _chairs(meeting.id)
    ]
    status.returns = list(
        db.session.scalars(
            sa.select(MinutesReturn)
            .where(MinutesReturn.version_id == version.id)
            .options(joinedload(MinutesReturn.user))
            .order_by(MinutesReturn.at.desc(), MinutesReturn.id.desc())
        )
    )
    if version.submitted_by_id:
        status.submitted_by = db.session.get(User, version.submitted_by_id)
    return status


@dataclass
class MeetingSection:
    """The approval box of the meeting page, for `viewer`."""

    status: VersionStatus
    is_chair: bool
    can_submit: bool
    can_amend: bool


def meeting_section(meeting: Meeting, viewer: User) -> MeetingSection:
    status = version_status(meeting, None)
    version = status.version
    return MeetingSection(
        status=status,
        is_chair=viewer.is_authenticated
        and any(line.chair.user_id == viewer.id for line in status.chairs),
        can_submit=bool(
            version is not None
            and can_submit(viewer, version)
            and meeting.status in SUBMITTABLE_MEETING_STATUSES
        ),
        can_amend=bool(version is not None and can_amend(viewer, version)),
    )
