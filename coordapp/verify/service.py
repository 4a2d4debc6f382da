"""Which minutes a checked PDF is, and what to tell the person who uploaded it.

A minutes PDF changes state as the chairs sign: the rendered file with empty signature
fields (MinutesDocument.unsigned_sha256), then one incremental update per chair
(MinutesApproval.revision_sha256 holds the SHA-256 of the file right after that chair's
signature), the last one being the stored file (MinutesDocument.sha256). An uploaded file is
matched by its own SHA-256, else by the hash of each revision a signature covers (from the
verification report), else by the hash of each earlier revision of the file (each prefix
that ends with an end-of-file marker), so that a file with something appended is still
recognised as the minutes it started from.

Matching takes three queries whatever the number of signatures, documents or versions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.models import (
    Meeting,
    MinutesApproval,
    MinutesDocument,
    MinutesStatus,
    MinutesVersion,
)
from coordapp.signing.verify import SignatureReport, VerificationReport

# Hashing every prefix of a hostile file with thousands of %%EOF markers must stay cheap:
# a real minutes PDF has one revision per chair plus two.
MAX_REVISIONS_HASHED = 50
EOF_MARKER = re.compile(rb"%%EOF(\r\n|\r|\n)?")


@dataclass
class Match:
    """The stored minutes a file is (or started from)."""

    document: MinutesDocument
    version: MinutesVersion
    meeting: Meeting
    # How many chair signatures the matched state holds, out of how many chairs.
    signatures: int
    chairs: int
    # The whole file is a state we stored; otherwise only a part of it (signed or earlier
    # revision) is, and something was added after it.
    exact: bool
    superseded_by: MinutesVersion | None = None

    @property
    def unsigned(self) -> bool:
        return self.signatures == 0

    @property
    def earlier_state(self) -> bool:
        """Not every chair's signature is in this state of the document."""
        return self.signatures < self.chairs


@dataclass
class Verdict:
    authentic: bool
    headline: str
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def revision_prefix_hashes(pdf: bytes) -> list[str]:
    """SHA-256 of every earlier revision of `pdf`: each prefix ending with %%EOF (and its
    line end, with and without it). One pass over the file."""
    hashes: list[str] = []
    hasher = hashlib.sha256()
    position = 0
    for count, marker in enumerate(EOF_MARKER.finditer(pdf)):
        if count >= MAX_REVISIONS_HASHED:
            break
        hasher.update(pdf[position : marker.start() + 5])
        hashes.append(hasher.copy().hexdigest())
        if marker.group(1):
            hasher.update(marker.group(1))
            hashes.append(hasher.copy().hexdigest())
        position = marker.end()
    return hashes


def match_document(report: VerificationReport, earlier: list[str] = ()) -> Match | None:
    """The stored minutes document `report`'s file is, or the one it was built on.

    `earlier` are hashes of earlier revisions of the file (revision_prefix_hashes)."""
    signed = report.signed_revision_hashes
    candidates = {report.file_sha256, *signed, *earlier}

    documents = db.session.scalars(
        sa.select(MinutesDocument)
        .where(
            sa.or_(
                MinutesDocument.sha256.in_(candidates),
                MinutesDocument.unsigned_sha256.in_(candidates),
                MinutesDocument.version_id.in_(
                    sa.select(MinutesApproval.version_id).where(
                        MinutesApproval.revision_sha256.in_(candidates)
                    )
                ),
            )
        )
        .options(
            joinedload(MinutesDocument.version)
            .joinedload(MinutesVersion.meeting)
            .joinedload(Meeting.series)
        )
    ).all()
    approvals = db.session.scalars(
        sa.select(MinutesApproval)
        .where(MinutesApproval.revision_sha256.in_(candidates))
        .order_by(MinutesApproval.position)
    ).all()

    # (hash → (document version id, signatures in that state)) for every stored state.
    states: dict[str, tuple[int, int]] = {}
    by_version = {document.version_id: document for document in documents}
    for document in documents:
        if document.unsigned_sha256:
            states[document.unsigned_sha256] = (document.version_id, 0)
    for approval in approvals:
        if approval.revision_sha256 and approval.version_id in by_version:
            states[approval.revision_sha256] = (approval.version_id, -1)  # counted below
    for document in documents:
        if document.sha256:
            states[document.sha256] = (document.version_id, document.signature_count)

    found = _best_state(report, earlier, states)
    if found is None:
        return None
    state_hash, exact = found
    version_id, signatures = states[state_hash]
    if signatures < 0:
        signatures = _signatures_in_state(report, state_hash, approvals, version_id)
    document = by_version[version_id]
    version = document.version
    superseded_by = None
    if version.status == MinutesStatus.SUPERSEDED:
        superseded_by = db.session.scalar(
            sa.select(MinutesVersion)
            .where(MinutesVersion.amends_id == version.id)
            .order_by(MinutesVersion.number.desc())
            .limit(1)
        )
    return Match(
        document=document,
        version=version,
        meeting=version.meeting,
        signatures=signatures,
        chairs=len(document.fields or {}) or max(document.signature_count, signatures),
        exact=exact,
        superseded_by=superseded_by,
    )


def _best_state(
    report: VerificationReport, earlier: list[str], states: dict[str, tuple[int, int]]
) -> tuple[str, bool] | None:
    """The stored state the file is (exact), else the latest stored state it contains."""
    if report.file_sha256 in states:
        return report.file_sha256, True
    # Each signed revision ends with %%EOF, so it is among the prefixes when they are given;
    # both lists run from the start of the file to its end.
    for state_hash in [*reversed(earlier), *reversed(report.signed_revision_hashes)]:
        if state_hash in states:
            return state_hash, False
    return None


def _signatures_in_state(
    report: VerificationReport, state_hash: str, approvals: list[MinutesApproval], version_id: int
) -> int:
    """How many signatures the state after an approval holds: from the file when one of its
    signatures ends there, else the approval's place among the version's stored states."""
    for index, signature in enumerate(report.signatures):
        if signature.revision_sha256 == state_hash:
            return index + 1
    ordered = [a for a in approvals if a.version_id == version_id and a.revision_sha256]
    for index, approval in enumerate(ordered):
        if approval.revision_sha256 == state_hash:
            return index + 1
    return 1


def signature_problem(signature: SignatureReport) -> str | None:
    """Why one signature does not make the document authentic, in plain words."""
    if signature.problem or not signature.intact or not signature.valid:
        return _(
            "A signature is broken: the signed content was altered, or the signature is damaged."
        )
    if not signature.trusted:
        return _(
            "A signature was made with a certificate that was not issued by this "
            "deployment's signing authority."
        )
    if not signature.modifications_permitted:
        return _("The document was changed after it was signed.")
    return None


def verdict(report: VerificationReport, match: Match | None) -> Verdict:
    """The answer shown at the top of the page."""
    not_authentic = _("NOT authentic")
    if report.error:
        return Verdict(False, not_authentic, [report.error_message or ""])
    reasons: list[str] = []
    for signature in report.signatures:
        problem = signature_problem(signature)
        if problem and problem not in reasons:
            reasons.append(problem)
    if not reasons and match is None:
        reasons.append(
            _(
                "Its signatures are valid, but this document was not issued by this system: "
                "it matches no minutes stored here."
            )
        )
    elif not reasons and match.signatures != len(report.signatures):
        reasons.append(
            _(
                "This file was not issued by this system: it carries signatures that were "
                "not recorded for these minutes."
            )
        )
    if reasons:
        return Verdict(False, not_authentic, reasons)

    result = Verdict(True, _("Authentic and unchanged"))
    assert match is not None
    if not match.exact:
        result.notes.append(
            _(
                "The file holds additions after the last signature that do not change its "
                "content (allowed)."
            )
        )
    if match.earlier_state:
        result.notes.append(
            _(
                "This is an earlier state of version %(number)s: signed by %(signed)s of "
                "%(chairs)s chairs.",
                number=match.version.number,
                signed=match.signatures,
                chairs=match.chairs,
            )
        )
    return result


def modification_text(signature: SignatureReport) -> tuple[bool, str]:
    """(fine?, what happened to the file after this signature), in plain words."""
    if not signature.modified_after:
        return True, _("No")
    if not signature.modifications_permitted:
        return False, _("Yes: the content was changed after this signature")
    if signature.modification_level == "form_filling":
        return True, _("Only by later signatures (fine)")
    if signature.modification_level == "lta_updates":
        return True, _("Only by validation data added later (fine)")
    return True, _("Only by additions that change nothing (fine)")
