"""PAdES signatures on a minutes-like PDF, checked by pdfsig, qpdf and verify_pdf.

One A4 document (made with pyHanko's writer, not WeasyPrint, to stay fast) is given two
signature fields and signed by two chairs once per module; the tests share it.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter

from coordapp import create_app
from coordapp.extensions import db
from coordapp.signing import SigningError
from coordapp.signing.ca import current_ca, init_ca
from coordapp.signing.identities import identity_for
from coordapp.signing.pdfsign import SignatureFieldSpec, add_signature_fields, sign_field
from coordapp.signing.verify import verify_pdf
from tests.conftest import _empty_all_tables, test_config
from tests.factories import make_user

A4 = (0, 0, 595, 842)
FIELDS = [
    SignatureFieldSpec("chair-1", -1, (60, 80, 280, 150)),
    SignatureFieldSpec("chair-2", -1, (315, 80, 535, 150)),
]
MINSK = ZoneInfo("Europe/Minsk")
# The chairs approved a little before the worker signs (and first issues their certificates).
APPROVED_AT = datetime.now(MINSK).replace(second=0, microsecond=0) - timedelta(minutes=10)


def a4_pdf(text: bytes = b"Minutes of the fourth extended meeting") -> bytes:
    """A one-page A4 PDF with a line of text."""
    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
            }
        )
    )
    content = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 14 Tf 60 780 Td (" + text + b") Tj ET")
    )
    page = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Page"),
            generic.pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(n) for n in A4]
            ),
            generic.pdf_name("/Resources"): generic.DictionaryObject(
                {
                    generic.pdf_name("/Font"): generic.DictionaryObject(
                        {generic.pdf_name("/F1"): font}
                    )
                }
            ),
            generic.pdf_name("/Contents"): content,
        }
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed(_schema):
    """The fielded PDF, the PDF after chair 1, after chair 2, the CA and the sign times."""
    app = create_app(test_config())
    with app.app_context():
        try:
            init_ca("Test network signing CA", "Test network")
            chair1 = make_user(name="Алесь Чарнавус", email="ales@example.org")
            chair2 = make_user(name="Jane Roe", email="jane@example.org")
            fielded = add_signature_fields(a4_pdf(), FIELDS)
            timings = []
            documents = [fielded]
            for chair, field_name, role in [
                (chair1, "chair-1", "Co-chair, UN Resident Coordinator"),
                (chair2, "chair-2", "Co-chair, IOM Chief of Mission"),
            ]:
                cert, key, chain = identity_for(chair)
                started = time.perf_counter()
                documents.append(
                    sign_field(
                        documents[-1],
                        field_name,
                        cert,
                        key,
                        chain,
                        signer_name=chair.name,
                        role_label=role,
                        when=APPROVED_AT,
                    )
                )
                timings.append(time.perf_counter() - started)
            db.session.commit()
            ca_cert = current_ca()[0]
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()
    print(f"\nsign_field timings: {', '.join(f'{t:.3f}s' for t in timings)}")
    return {
        "fielded": fielded,
        "after_chair_1": documents[1],
        "final": documents[2],
        "ca": ca_cert,
        "timings": timings,
    }


def _write(tmp_path, pdf: bytes):
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    return path


def test_pdfsig_and_qpdf_accept_both_signatures(signed, tmp_path):
    path = _write(tmp_path, signed["final"])
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert pdfsig.stdout.count("Signature Validation: Signature is Valid.") == 2, pdfsig.stdout
    assert "Signature Field Name: chair-1" in pdfsig.stdout
    assert "Signature Field Name: chair-2" in pdfsig.stdout
    assert "Алесь Чарнавус" in pdfsig.stdout
    assert pdfsig.stdout.count("ETSI.CAdES.detached") == 2  # PAdES, not adbe.pkcs7

    qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr


def test_both_signatures_are_authentic_and_trusted(signed):
    final = signed["final"]
    report = verify_pdf(final, [signed["ca"]])

    assert report.authentic and report.error is None
    first, second = report.signatures
    assert (first.field_name, second.field_name) == ("chair-1", "chair-2")
    assert (first.signer_name, second.signer_name) == ("Алесь Чарнавус", "Jane Roe")
    assert (first.signer_email, second.signer_email) == ("ales@example.org", "jane@example.org")
    for signature in report.signatures:
        assert signature.intact and signature.valid and signature.trusted
        assert signature.signing_time == APPROVED_AT
    # Chair 1's signature was followed by chair 2's: a permitted form-filling change.
    assert first.coverage == "entire_revision" and first.modified_after
    assert first.modification_level == "form_filling" and first.modifications_permitted
    assert second.coverage == "entire_file" and not second.modified_after
    # Each signature's revision hash matches the file as it was when that chair signed.
    assert first.revision_sha256 == verify_pdf(signed["after_chair_1"], []).file_sha256
    assert second.revision_sha256 == report.file_sha256


def test_signatures_are_not_trusted_without_this_deployments_ca(signed):
    report = verify_pdf(signed["final"], [])
    assert not report.authentic
    assert all(s.intact and s.valid and not s.trusted for s in report.signatures)


def test_a_signed_field_cannot_be_signed_again(signed):
    cert, key, chain = _foreign_identity()
    with pytest.raises(SigningError, match="already signed"):
        sign_field(
            signed["final"],
            "chair-1",
            cert,
            key,
            chain,
            signer_name="X",
            role_label="Y",
            when=datetime.now(UTC),
        )


def test_flipping_one_signed_byte_is_not_authentic(signed):
    final = bytearray(signed["final"])
    position = final.index(b"Minutes of the fourth") + 3  # inside the page text
    final[position] ^= 0x01
    report = verify_pdf(bytes(final), [signed["ca"]])
    assert not report.authentic
    assert not all(s.intact for s in report.signatures)


def test_an_update_that_changes_page_content_is_reported_as_modified(signed):
    writer = IncrementalPdfFileWriter(BytesIO(signed["final"]))
    forged = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 14 Tf 60 740 Td (Decision: budget x10) Tj ET")
    )
    writer.add_stream_to_page(0, forged)
    out = BytesIO()
    writer.write(out)
    tampered = out.getvalue()

    report = verify_pdf(tampered, [signed["ca"]])
    assert not report.authentic
    for signature in report.signatures:
        assert signature.intact and signature.valid and signature.trusted
        assert signature.modified_after and not signature.modifications_permitted
        assert signature.modification_level == "other"
    # The signed revisions are still recognisable, so the app can name the original.
    assert report.signed_revision_hashes[-1] == verify_pdf(signed["final"], []).file_sha256


def _encrypted_pdf() -> bytes:
    writer = PdfFileWriter()
    writer.encrypt("owner-password", "user-password")
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Page"),
                generic.pdf_name("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in A4]
                ),
            }
        )
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda s: b"", "not_pdf"),
        (lambda s: b"\x00garbage" * 100, "not_pdf"),
        (lambda s: s["final"][: len(s["final"]) // 2], None),
        (lambda s: b"%PDF-1.7\n" + b"\xff" * 5000, "unreadable"),
        (lambda s: a4_pdf(), "unsigned"),
        (lambda s: _encrypted_pdf(), "encrypted"),
    ],
    ids=["empty", "garbage", "truncated", "pdf-header-then-junk", "unsigned", "encrypted"],
)
def test_bad_files_are_not_authentic_and_never_raise(signed, make, error):
    report = verify_pdf(make(signed), [signed["ca"]])
    assert not report.authentic
    if error:
        assert report.error == error and report.error_message


def _foreign_identity():
    """A chair's own certificate from another CA, as a PKCS#12 upload."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Olga Foreign")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now.replace(year=now.year + 1))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )
    # Signed straight into the PDF: the upload page would refuse it (not a trusted CA).
    return cert, key, []


def test_an_uploaded_foreign_certificate_signs_intact_but_untrusted(signed):
    cert, key, chain = _foreign_identity()
    pdf = sign_field(
        signed["fielded"],
        "chair-2",
        cert,
        key,
        chain,
        signer_name="Olga Foreign",
        role_label="Co-chair",
        when=datetime.now(UTC),
    )
    report = verify_pdf(pdf, [signed["ca"]])
    [signature] = report.signatures
    assert signature.signer_name == "Olga Foreign"
    assert signature.intact and signature.valid and not signature.trusted
    assert not report.authentic
