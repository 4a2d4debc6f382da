"""What the signatures in a PDF say: for the public verification page and for tests.

verify_pdf never raises on bad input (not a PDF, truncated, encrypted, garbage): the report
then says the file is not a valid signed PDF. Certificates are validated offline against the
given trust roots (this deployment's CAs), at the time each signature claims it was made:
B-B signatures carry no trusted timestamp, and a chair's certificate that expired since must
not turn approved minutes into "not authentic".

A file with more revisions, form fields or signatures than minutes ever have is refused
as "too complex" before its signatures are looked at; coordapp.signing.bounded adds the
limits on the raw file, CPU time and memory for untrusted uploads.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO

from cryptography import x509
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from coordapp.signing import gettext_anywhere as _
from coordapp.signing import outside_event_loop

log = logging.getLogger(__name__)

# After a signature, only these kinds of later revisions keep it authentic: none at all,
# signature maintenance (DSS, timestamps), and form filling, which includes signing the
# other chairs' fields.
# Minutes have one signature field per chair and one revision per signature plus two.
MAX_REVISIONS = 50
MAX_FIELDS = 200
MAX_SIGNATURES = 50

PERMITTED_MODIFICATIONS = {
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
}

COVERAGE_NAMES = {
    SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "contiguous_block",
    SignatureCoverageLevel.UNCLEAR: "unclear",
}


@dataclass
class SignatureReport:
    field_name: str | None
    signer_name: str | None = None
    signer_email: str | None = None
    signer_organisation: str | None = None
    signing_time: datetime | None = None  # as the signer claims it (/M or signing-time)
    intact: bool = False  # the signed bytes hash to the signed digest
    valid: bool = False  # the cryptographic signature over that digest is correct
    trusted: bool = False  # the signer's certificate chains to one of the trust roots
    coverage: str = "unclear"  # entire_file | entire_revision | contiguous_block | unclear
    modified_after: bool = True  # the file goes on after the bytes this signature covers
    modification_level: str | None = None  # none | lta_updates | form_filling | ... | other
    modifications_permitted: bool = False
    revision_sha256: str | None = None  # sha256 of the bytes up to this signature's end
    certificate_sha256: str | None = None
    problem: str | None = None  # why the signature could not be checked at all

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.modifications_permitted


@dataclass
class VerificationReport:
    file_sha256: str
    signatures: list[SignatureReport] = field(default_factory=list)
    # Why the file as a whole could not be checked: not_pdf | encrypted | unreadable |
    # unsigned | too_complex; None when its signatures were examined.
    error: str | None = None

    @property
    def authentic(self) -> bool:
        return (
            self.error is None
            and bool(self.signatures)
            and all(signature.ok for signature in self.signatures)
        )

    @property
    def signed_revision_hashes(self) -> list[str]:
        return [s.revision_sha256 for s in self.signatures if s.revision_sha256]

    @property
    def error_message(self) -> str | None:
        messages = {
            "not_pdf": _("This file is not a PDF."),
            "encrypted": _("This PDF is encrypted; its signatures cannot be checked."),
            "unreadable": _("This PDF is damaged or truncated; it cannot be checked."),
            "unsigned": _("This PDF has no digital signatures."),
            "too_complex": _(
                "This PDF is too complex to check: it holds far more parts than minutes "
                "issued by this system ever do. It was not checked."
            ),
        }
        return str(messages[self.error]) if self.error else None


def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate]) -> VerificationReport:
    """Check every signature in `pdf` against `trust_roots` (this deployment's CAs)."""
    report = VerificationReport(file_sha256=hashlib.sha256(pdf).hexdigest())
    if b"%PDF-" not in pdf[:1024]:
        report.error = "not_pdf"
        return report
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        if reader.encrypted:
            report.error = "encrypted"
            return report
        if _too_complex(reader):
            report.error = "too_complex"
            return report
        embedded = reader.embedded_regular_signatures
    except Exception:  # any parser failure means "cannot be checked"
        log.info("verify_pdf: unreadable PDF", exc_info=True)
        report.error = "unreadable"
        return report
    if not embedded:
        report.error = "unsigned"
        return report
    if len(embedded) > MAX_SIGNATURES:
        report.error = "too_complex"
        return report
    roots = [translate_pyca_cryptography_cert_to_asn1(root) for root in trust_roots]
    for signature in embedded:
        report.signatures.append(_check_signature(pdf, signature, roots))
    return report


def _too_complex(reader: PdfFileReader) -> bool:
    """More revisions or form fields (counting nested ones) than minutes ever have; stops
    counting at the bound, so a form with 260,000 fields costs no more than one with 201."""
    if reader.xrefs.total_revisions > MAX_REVISIONS:
        return True
    form = reader.root.get("/AcroForm")
    if form is None:
        return False
    pending = list(form.get_object().get("/Fields") or [])
    seen = 0
    while pending:
        seen += 1
        if seen > MAX_FIELDS:
            return True
        node = pending.pop().get_object()
        if hasattr(node, "get"):
            pending.extend(node.get("/Kids") or [])
    return False


def _check_signature(pdf: bytes, signature, roots) -> SignatureReport:
    result = SignatureReport(field_name=_safe(lambda: signature.field_name))
    try:
        byte_range = [int(n) for n in signature.byte_range]
        end = byte_range[2] + byte_range[3]
        result.revision_sha256 = hashlib.sha256(pdf[:end]).hexdigest()
        result.modified_after = end != len(pdf)

        claimed = signature.self_reported_timestamp
        now = datetime.now(UTC)
        moment = claimed if claimed is not None and claimed <= now else now
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", moment=moment
        )
        status = outside_event_loop(
            validate_pdf_signature, signature, signer_validation_context=context
        )
    except Exception as error:  # a broken signature is reported, not raised
        log.info("verify_pdf: signature %s unreadable", result.field_name, exc_info=True)
        result.problem = f"{type(error).__name__}: {error}"
        return result

    cert = status.signing_cert
    subject = cert.subject.native
    result.signer_name = subject.get("common_name")
    result.signer_organisation = subject.get("organization_name")
    result.signer_email = subject.get("email_address") or _san_email(cert)
    result.certificate_sha256 = hashlib.sha256(cert.dump()).hexdigest()
    result.signing_time = status.signer_reported_dt
    result.intact = bool(status.intact)
    result.valid = bool(status.valid)
    result.trusted = bool(status.trusted)
    result.coverage = COVERAGE_NAMES.get(status.coverage, "unclear")
    level = status.modification_level
    result.modification_level = level.name.lower() if level is not None else None
    result.modifications_permitted = (
        status.coverage
        in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
        and level in PERMITTED_MODIFICATIONS
        and status.docmdp_ok is not False
    )
    return result


def _san_email(cert) -> str | None:
    names = cert.subject_alt_name_value
    for general_name in names or []:
        if general_name.name == "rfc822_name":
            return general_name.native
    return None


def _safe(getter):
    try:
        return getter()
    except Exception:
        return None
