"""Uploaded PDFs waiting for the worker's check, and their results.

The web request only stores the upload (pdf_checks) and queues the job; the worker checks
it within bounds (coordapp.signing.bounded) and stores the report as plain data, dropping
the bytes. The page /verify/<token> refreshes itself until the answer is there, then
matches the report against the stored minutes and words the verdict in the reader's
language. Every app process and the worker share the table, so any of them can answer.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import undefer

from coordapp import jobs
from coordapp.extensions import db
from coordapp.jobs import held_lease
from coordapp.models import PdfCheck, PdfCheckStatus, utcnow
from coordapp.signing.verify import SignatureReport, VerificationReport
from coordapp.verify import service

# A check still pending after this long was lost (worker stopped): the page says so.
DEFAULT_STALE_SECONDS = 300
# Results are kept this long, then purged with whatever was never checked.
DEFAULT_KEEP_MINUTES = 60


def start_check(data: bytes, filename: str) -> PdfCheck:
    """Store an upload for the worker to check. The caller commits, then queues the job."""
    check = PdfCheck(token=secrets.token_urlsafe(32), pdf=data, filename=(filename or "")[:255])
    db.session.add(check)
    db.session.flush()
    return check


def check_by_token(token: str) -> PdfCheck | None:
    return db.session.scalar(sa.select(PdfCheck).where(PdfCheck.token == token[:64]))


def run_check(check_id: int) -> None:
    """Check a stored upload within the configured bounds and store the report, holding
    the check's lease meanwhile (coordapp/jobs.py); commits."""
    with held_lease(PdfCheck, check_id, PdfCheckStatus.PENDING) as held:
        if held:  # else answered, or another worker is on it
            _run_check(check_id)


def _run_check(check_id: int) -> None:
    from coordapp.signing.bounded import verify_pdf_bounded
    from coordapp.signing.ca import trust_roots

    check = db.session.scalar(
        sa.select(PdfCheck).where(PdfCheck.id == check_id).options(undefer(PdfCheck.pdf))
    )
    if check is None or check.status is not PdfCheckStatus.PENDING or check.pdf is None:
        return
    data = check.pdf
    try:
        report = verify_pdf_bounded(
            data,
            trust_roots(),
            cpu_seconds=current_app.config["VERIFY_CPU_SECONDS"],
            memory_bytes=current_app.config["VERIFY_MEMORY_MB"] * 1024 * 1024,
        )
    except Exception:  # stored as FAILED: the page says it could not be checked
        current_app.logger.exception("verify: checking upload %s failed", check_id)
        db.session.rollback()
        check = db.session.get(PdfCheck, check_id)
        _finish(check, PdfCheckStatus.FAILED, None)
        return
    status = PdfCheckStatus.TOO_COMPLEX if report.error == "too_complex" else PdfCheckStatus.DONE
    _finish(
        check,
        status,
        {"report": report_to_data(report), "earlier": service.revision_prefix_hashes(data)},
    )


def _finish(check: PdfCheck, status: PdfCheckStatus, result: dict | None) -> None:
    check.status = status
    check.result = result
    check.pdf = None  # the file is not kept once checked
    check.finished_at = utcnow()
    db.session.commit()


def is_lost(check: PdfCheck) -> bool:
    """Pending for so long that the worker will not answer any more."""
    stale = int(current_app.config.get("VERIFY_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    return check.status is PdfCheckStatus.PENDING and check.created_at < utcnow() - timedelta(
        seconds=stale
    )


def requeue_expired() -> list[int]:
    """The checks whose worker died (PENDING, lease expired), their lease renewed for
    queuing them again; only while the page still waits for them (not `is_lost`), so a
    file that keeps killing its worker is not tried for ever. Commits."""
    stale = int(current_app.config.get("VERIFY_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    return jobs.requeue_expired(
        PdfCheck,
        PdfCheckStatus.PENDING,
        PdfCheck.created_at >= utcnow() - timedelta(seconds=stale),
    )


def purge_old_checks() -> int:
    """Delete checks older than VERIFY_KEEP_MINUTES (answered or not); commits."""
    keep = int(current_app.config.get("VERIFY_KEEP_MINUTES", DEFAULT_KEEP_MINUTES))
    result = db.session.execute(
        sa.delete(PdfCheck).where(PdfCheck.created_at < utcnow() - timedelta(minutes=keep))
    )
    db.session.commit()
    return result.rowcount or 0


# --- the report as JSON ---------------------------------------------------------------------


def report_to_data(report: VerificationReport) -> dict:
    data = asdict(report)
    for signature in data["signatures"]:
        if signature["signing_time"] is not None:
            signature["signing_time"] = signature["signing_time"].isoformat()
    return data


def report_from_data(data: dict) -> VerificationReport:
    signatures = []
    for fields in data.get("signatures", []):
        fields = dict(fields)
        if fields.get("signing_time"):
            fields["signing_time"] = datetime.fromisoformat(fields["signing_time"])
        signatures.append(SignatureReport(**fields))
    return VerificationReport(
        file_sha256=data["file_sha256"], signatures=signatures, error=data.get("error")
    )
