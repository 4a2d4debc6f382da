"""Worker jobs: render the minutes PDF of a submitted version once, and sign it for each
chair's approval. The approval workflow (coordapp.approval.service) enqueues both.

Neither job raises: a failure is stored on the row it concerns (the document or the
approval) with its message, so the pages can show it and offer "Try again".

Each job holds a lease on its row while it runs (coordapp/jobs.py): if the worker dies
mid-job, the row stays PENDING only until the lease runs out, when `requeue_expired` (the
sweep) queues the job again; a copy of a job whose row another worker holds does nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from coordapp import jobs
from coordapp.extensions import db
from coordapp.jobs import INTERACTIVE, held_lease, task
from coordapp.minutes_pdf import signing
from coordapp.minutes_pdf.render import fields_key, render_unsigned
from coordapp.models import User
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    SignatureStatus,
)
from coordapp.models.minutes import MinutesStatus, MinutesVersion

log = logging.getLogger(__name__)

# A job that meets another signature being made on the same document tries this often.
SIGNING_ATTEMPTS = 3


@task(priority=INTERACTIVE)
def render_minutes_pdf(version_id: int) -> None:
    """Render the version's PDF with an empty signature field per chair and store it.

    Once per version: a document that is READY with bytes is left alone. When done,
    approvals that chairs gave while it rendered are sent on to signing."""
    version = db.session.get(MinutesVersion, version_id)
    if version is None or version.status is not MinutesStatus.SUBMITTED:
        return  # returned to draft meanwhile (or never submitted): nothing to render
    document = signing.document_of(version_id)
    if document is None:
        document = MinutesDocument(version_id=version_id, status=DocumentStatus.PENDING)
        db.session.add(document)
        db.session.commit()
    elif document.status is DocumentStatus.READY and document.pdf:
        return
    with held_lease(MinutesDocument, document.id, DocumentStatus.PENDING) as held:
        if not held:
            return  # rendered, failed, or another worker is on it
        rendered = _render_and_store(version)
    if rendered:
        for approval_id in pending_approval_ids(version_id):
            sign_approval(approval_id)


def _render_and_store(version: MinutesVersion) -> bool:
    """Render the version's PDF and store it on its document; False when the bytes were
    not stored (failed, or the version changed meanwhile). Commits."""
    version_id = version.id
    # Identifies this submission: if the version is returned and submitted again while
    # we render, our (stale) bytes must not be stored.
    submitted_at = version.submitted_at

    try:
        pdf, fields = render_unsigned(version)
    except Exception as error:  # anything at all: store it for the secretariat to see
        log.exception("rendering the minutes PDF of version %s failed", version_id)
        db.session.rollback()
        document = signing.document_of(version_id, lock=True)
        if document is not None and document.status is not DocumentStatus.READY:
            document.status = DocumentStatus.FAILED
            document.error = signing.error_text(error)
        db.session.commit()
        return False

    document = signing.document_of(version_id, lock=True)
    db.session.refresh(version)
    if (
        document is None
        or (document.status is DocumentStatus.READY and document.pdf)
        or version.status is not MinutesStatus.SUBMITTED
        or version.submitted_at != submitted_at
    ):
        # Another worker rendered it meanwhile (keep theirs), or the version was returned
        # (and perhaps submitted again, which asks for a fresh rendering).
        db.session.rollback()
        return False
    digest = hashlib.sha256(pdf).hexdigest()
    document.pdf = pdf
    document.sha256 = digest
    document.unsigned_sha256 = digest
    document.size = len(pdf)
    document.signature_count = 0
    document.fields = {fields_key(user_id): name for user_id, name in fields.items()}
    document.rendered_at = datetime.now(UTC)
    document.status = DocumentStatus.READY
    document.error = None
    db.session.commit()
    return True


def pending_approval_ids(version_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(MinutesApproval.id)
            .where(
                MinutesApproval.version_id == version_id,
                MinutesApproval.status == SignatureStatus.PENDING,
            )
            .order_by(MinutesApproval.position, MinutesApproval.id)
        )
    )


@task(priority=INTERACTIVE)
def sign_approval(approval_id: int) -> None:
    """Sign the chair's field for a PENDING approval with the chair's certificate (issued
    by the deployment's CA on first use), then let the workflow close the version when
    every chair has signed.

    If the PDF is not rendered yet this does nothing: `render_minutes_pdf` sends every
    pending approval on to signing when it finishes (so this never loops)."""
    approval = db.session.get(MinutesApproval, approval_id)
    if approval is None or approval.status is not SignatureStatus.PENDING:
        return
    document = signing.document_of(approval.version_id)
    if document is None or document.status is not DocumentStatus.READY:
        db.session.rollback()
        return
    db.session.rollback()
    with held_lease(MinutesApproval, approval_id, SignatureStatus.PENDING) as held:
        if held:  # else signed, failed, or another worker is on it
            _sign(approval_id)


def _sign(approval_id: int) -> None:
    from coordapp.signing.identities import identity_for

    approval = db.session.get(MinutesApproval, approval_id)
    for attempt in range(1, SIGNING_ATTEMPTS + 1):
        try:
            cert, key, chain = identity_for(db.session.get(User, approval.user_id))
            # Keep a newly issued certificate, and start the signing transaction afresh:
            # on SQLite its lock must be taken by its first write (see claim_for_signing).
            db.session.commit()
            signing.sign_approval_with(approval, cert, key, chain)
            db.session.commit()
            return
        except signing.AlreadySigned:  # a second job for the same approval: nothing to do
            db.session.rollback()
            return
        except (signing.SigningConflict, sa.exc.OperationalError) as error:
            # Another signature, or a lock that waited too long: the app's own doing, so
            # try again rather than ask the chair to.
            db.session.rollback()
            if attempt < SIGNING_ATTEMPTS:
                log.info("signing approval %s: %s; trying again", approval_id, error)
                time.sleep(0.2 * attempt)
                continue
            log.exception("signing approval %s failed", approval_id)
            signing.record_failure(approval_id, error)
            return
        except Exception as error:  # stored on the approval, shown with "Try again"
            log.exception("signing approval %s failed", approval_id)
            db.session.rollback()
            signing.record_failure(approval_id, error)
            return


# --- jobs a dead worker left behind -------------------------------------------------------


def requeue_expired() -> tuple[list[int], list[int]]:
    """Queue again the renderings and signatures of submitted versions whose worker died
    (PENDING, lease expired). Returns (version ids rendered again, approval ids signed
    again). Commits."""
    return requeue_expired_renderings(), requeue_expired_signatures()


def requeue_expired_renderings() -> list[int]:
    """Queue again the PDFs of submitted versions whose worker died; returns the version
    ids. Commits."""
    submitted = sa.select(MinutesVersion.id).where(MinutesVersion.status == MinutesStatus.SUBMITTED)
    renewed = jobs.requeue_expired(
        MinutesDocument, DocumentStatus.PENDING, MinutesDocument.version_id.in_(submitted)
    )
    rendered = list(
        db.session.scalars(
            sa.select(MinutesDocument.version_id)
            .where(MinutesDocument.id.in_(renewed))
            .order_by(MinutesDocument.id)
        )
    )
    for version_id in rendered:  # after the commit, so the worker sees the new lease
        log.warning("re-queued the minutes PDF of version %s (its worker died)", version_id)
        render_minutes_pdf(version_id)
    return rendered


def requeue_expired_signatures() -> list[int]:
    """Queue again the signatures whose worker died; returns the approval ids. Commits."""
    # A signature waits for the PDF (rendering signs the pending approvals when done).
    signable = (
        sa.select(MinutesDocument.version_id)
        .join(MinutesVersion, MinutesVersion.id == MinutesDocument.version_id)
        .where(
            MinutesDocument.status == DocumentStatus.READY,
            MinutesVersion.status == MinutesStatus.SUBMITTED,
        )
    )
    signed = jobs.requeue_expired(
        MinutesApproval, SignatureStatus.PENDING, MinutesApproval.version_id.in_(signable)
    )
    for approval_id in signed:
        log.warning("re-queued the signature of approval %s (its worker died)", approval_id)
        sign_approval(approval_id)
    return signed
