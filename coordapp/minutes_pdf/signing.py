"""Who may sign, download or retry, and putting a chair's signature into the document.

Two chairs' signatures may be made at the same moment (two workers, or a worker and a
chair uploading their own certificate), and the same approval may be signed by two jobs at
once. Signatures on one version are made one at a time: before reading the bytes, the
signer claims the version with a conditional UPDATE, which takes the version's row lock on
PostgreSQL and the database's write lock on SQLite (where FOR UPDATE means nothing); the
next signer waits for that transaction to end and then reads the bytes it produced (or
finds its approval signed already). The new bytes are still written only if the stored
ones are those that were signed (a compare-and-set on sha256), as a last guard.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import undefer

from coordapp.approval.service import SUBMITTABLE_MEETING_STATUSES, finish_if_all_signed
from coordapp.extensions import db
from coordapp.minutes_pdf.render import document_locale, fields_key
from coordapp.models import Meeting, MeetingChair, User
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    SignatureStatus,
)
from coordapp.models.minutes import MinutesStatus, MinutesVersion
from coordapp.signing import SigningError

# Statuses in which a version's signed PDF may be downloaded.
DOWNLOADABLE = (MinutesStatus.APPROVED, MinutesStatus.SUPERSEDED)
# A chair may (re)sign while their approval waits for the worker or after it failed.
SIGNABLE = (SignatureStatus.PENDING, SignatureStatus.FAILED)


class AlreadySigned(SigningError):
    """The chair's field is signed already (by the worker, or by an earlier upload)."""

    status = 409


class SigningConflict(SigningError):
    """Another signature changed the document under us: the app's own doing, so the job
    tries again by itself (never a chair)."""

    status = 409


class DocumentNotReady(SigningError):
    """The PDF has not been rendered yet (or its rendering failed)."""

    status = 409


# --- access --------------------------------------------------------------------------------


def is_chair(user, meeting_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return (
        db.session.scalar(
            sa.select(MeetingChair.id).where(
                MeetingChair.meeting_id == meeting_id, MeetingChair.user_id == user.id
            )
        )
        is not None
    )


def can_download(user, version: MinutesVersion) -> bool:
    """The secretariat and the meeting's chairs download the minutes PDF."""
    if not user.is_authenticated:
        return False
    return bool(user.is_secretariat or is_chair(user, version.meeting_id))


def can_sign(user, approval: MinutesApproval) -> bool:
    """Only the chair who approved signs their own approval."""
    return bool(user.is_authenticated and approval.user_id == user.id)


def can_retry_signature(user, approval: MinutesApproval) -> bool:
    """The chair, or the secretariat on their behalf, asks the worker to try again."""
    return bool(user.is_authenticated and (approval.user_id == user.id or user.is_secretariat))


def can_retry_render(user) -> bool:
    return bool(user.is_authenticated and user.is_secretariat)


# --- loading -------------------------------------------------------------------------------


def document_of(version_id: int, *, lock: bool = False) -> MinutesDocument | None:
    """The version's document with its bytes, fresh from the database; `lock` takes the
    row lock (PostgreSQL; SQLite ignores FOR UPDATE) until the transaction ends."""
    query = (
        sa.select(MinutesDocument)
        .where(MinutesDocument.version_id == version_id)
        .options(undefer(MinutesDocument.data))
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def downloadable_document(version: MinutesVersion) -> MinutesDocument | None:
    """The signed PDF of an approved (or since superseded) version, if there is one."""
    if version.status not in DOWNLOADABLE:
        return None
    document = document_of(version.id)
    if document is None or document.status is not DocumentStatus.READY or not document.pdf:
        return None
    return document


# Minutes are submitted, hence approved, only once the meeting is held (approval
# service), and a held meeting never goes back to draft or scheduled, nor is cancelled
# (models/meeting.py ALLOWED_TRANSITIONS): before that there is nothing to download.
MEETING_STATUSES_WITH_MINUTES = SUBMITTABLE_MEETING_STATUSES


def downloadable_versions(meeting: Meeting) -> list[MinutesVersion]:
    """Approved and superseded versions of a meeting whose PDF is ready, newest first
    (one query; none while the meeting has not taken place, when the invitees answer)."""
    if meeting.status not in MEETING_STATUSES_WITH_MINUTES:
        return []
    meeting_id = meeting.id
    return list(
        db.session.scalars(
            sa.select(MinutesVersion)
            .join(MinutesDocument, MinutesDocument.version_id == MinutesVersion.id)
            .where(
                MinutesVersion.meeting_id == meeting_id,
                MinutesVersion.status.in_(DOWNLOADABLE),
                MinutesDocument.status == DocumentStatus.READY,
            )
            .order_by(MinutesVersion.number.desc())
        )
    )


# --- signing -------------------------------------------------------------------------------


def signing_time(approval: MinutesApproval, meeting: Meeting) -> datetime:
    """When the chair approved, on the meeting's wall clock (the stamp shows that zone)."""
    approved_at = approval.approved_at or datetime.now(UTC)
    if approved_at.tzinfo is None:
        approved_at = approved_at.replace(tzinfo=UTC)
    return approved_at.astimezone(meeting.tz)


def now_in(meeting: Meeting) -> datetime:
    return datetime.now(UTC).astimezone(meeting.tz)


def sign_approval_with(
    approval: MinutesApproval,
    cert,
    key,
    chain,
    *,
    when: datetime | None = None,
    by: User | None = None,
) -> MinutesDocument:
    """Sign `approval`'s chair field with (cert, key, chain) and store the new bytes;
    mark the approval SIGNED and let the workflow finish the version when every chair has
    signed. Runs in the caller's transaction; the caller commits (or rolls back on error).

    Raises DocumentNotReady, AlreadySigned or SigningError."""
    from coordapp.signing.pdfsign import sign_field

    claim_for_signing(approval.version_id)
    version = db.session.scalar(
        sa.select(MinutesVersion)
        .where(MinutesVersion.id == approval.version_id)
        .execution_options(populate_existing=True)
    )
    document = document_of(approval.version_id, lock=True)
    # Re-read the approval after taking the locks: another signer may have finished it.
    db.session.refresh(approval)
    if approval.status is SignatureStatus.SIGNED:
        raise AlreadySigned("this approval is already signed")
    if version is None or version.status is not MinutesStatus.SUBMITTED:
        raise SigningError("this version of the minutes is no longer submitted for approval")
    if document is None or document.status is not DocumentStatus.READY or not document.pdf:
        raise DocumentNotReady("the minutes PDF is not ready yet")
    field = (document.fields or {}).get(fields_key(approval.user_id))
    if field is None:
        raise SigningError("the minutes PDF has no signature field for this chair")

    meeting = db.session.get(Meeting, version.meeting_id)
    user = db.session.get(User, approval.user_id)
    signed_before = document.sha256
    with force_locale(document_locale(meeting)):  # the stamp speaks the document's language
        pdf = sign_field(
            document.pdf,
            field,
            cert,
            key,
            chain,
            signer_name=user.name or user.email,
            role_label=approval.role_label or "",
            when=when or signing_time(approval, meeting),
        )
    digest = hashlib.sha256(pdf).hexdigest()
    written = db.session.execute(
        sa.update(MinutesDocument)
        .where(MinutesDocument.id == document.id, MinutesDocument.sha256 == signed_before)
        .values(
            data=pdf,
            sha256=digest,
            size=len(pdf),
            signature_count=MinutesDocument.signature_count + 1,
            updated_at=datetime.now(UTC),
        )
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:
        raise SigningConflict("another signature was added to the PDF at the same moment")
    db.session.expire(document)

    approval.status = SignatureStatus.SIGNED
    approval.signed_at = datetime.now(UTC)
    approval.error = None
    approval.revision_sha256 = digest
    db.session.flush()
    finish_if_all_signed(version, by=by)
    return document


def claim_for_signing(version_id: int) -> None:
    """Take the lock that makes signatures on this version one at a time, until the
    transaction ends: a conditional UPDATE of the version row (no change to it). Locks in
    the order the approval workflow takes them (version, then document), so a chair
    returning the version at this moment waits for us or we for them.

    On SQLite this must be the transaction's first write (it is, in the job and on the
    upload page): a first write waits for the other writer's commit, while a reader that
    later tries to write would fail at once instead."""
    db.session.execute(
        sa.update(MinutesVersion)
        .where(MinutesVersion.id == version_id, MinutesVersion.status == MinutesStatus.SUBMITTED)
        .values(status=MinutesVersion.status)
        .execution_options(synchronize_session=False)
    )


def record_failure(approval_id: int, error: BaseException) -> None:
    """Mark the approval FAILED with a message the chair can read; commits."""
    approval = db.session.get(MinutesApproval, approval_id)
    if approval is None or approval.status is SignatureStatus.SIGNED:
        return
    approval.status = SignatureStatus.FAILED
    approval.error = error_text(error)
    db.session.commit()


def error_text(error: BaseException) -> str:
    message = str(error).strip()
    return (message or type(error).__name__)[:2000]
