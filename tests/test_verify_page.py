"""The public /verify page: upload a minutes PDF, learn whether it is authentic and which
minutes it is.

The PDFs are built without WeasyPrint (as in tests/test_verify.py) and signed once per
module; each test stores the matching meeting, version, document and approvals itself.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from coordapp import create_app
from coordapp.extensions import db
from coordapp.models import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    MinutesStatus,
    MinutesVersion,
    SignatureStatus,
    SigningAuthority,
)
from coordapp.signing.ca import init_ca
from coordapp.signing.identities import identity_for
from coordapp.signing.pdfsign import SignatureFieldSpec, add_signature_fields, sign_field
from tests.conftest import _empty_all_tables, count_queries, test_config
from tests.factories import make_meeting, make_series, make_user
from tests.test_verify import _foreign_identity, a4_pdf

FIELDS = [
    SignatureFieldSpec("chair-1", -1, (60, 80, 280, 150)),
    SignatureFieldSpec("chair-2", -1, (315, 80, 535, 150)),
]
CHAIRS = [
    ("Алесь Чарнавус", "ales@example.org", "Co-chair, UN Resident Coordinator"),
    ("Jane Roe", "jane@example.org", "Co-chair, IOM Chief of Mission"),
]
# Chair certificates are issued when the test signs, backdated by a day at most.
SIGNED_AT = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
# The page shows the meeting's zone once the file is matched (Minsk is UTC+3, no DST).
SIGNED_AT_IN_MINSK = f"{SIGNED_AT.astimezone(ZoneInfo('Europe/Minsk')):%H:%M} (Europe/Minsk)"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def pdfs(_schema):
    """Every file the tests upload, signed once, and the CA that signed our ones."""
    app = create_app(test_config())
    with app.app_context():
        try:
            authority = init_ca("Test network signing CA", "Test network")
            chairs = [make_user(name=name, email=email) for name, email, _ in CHAIRS]

            def sign(pdf: bytes, field: str, chair, role: str) -> bytes:
                cert, key, chain = identity_for(chair)
                return sign_field(
                    pdf,
                    field,
                    cert,
                    key,
                    chain,
                    signer_name=chair.name,
                    role_label=role,
                    when=SIGNED_AT,
                )

            fielded = add_signature_fields(a4_pdf(), FIELDS)
            after_chair_1 = sign(fielded, "chair-1", chairs[0], CHAIRS[0][2])
            final = sign(after_chair_1, "chair-2", chairs[1], CHAIRS[1][2])
            # Signed with this deployment's CA, but no minutes were ever stored for it.
            unknown = sign(
                add_signature_fields(a4_pdf(b"Minutes nobody issued"), FIELDS),
                "chair-1",
                chairs[0],
                CHAIRS[0][2],
            )
            cert, key, chain = _foreign_identity()
            foreign = sign_field(
                fielded,
                "chair-2",
                cert,
                key,
                chain,
                signer_name="Olga Foreign",
                role_label="Co-chair",
                when=datetime.now(UTC),
            )
            ca = {
                "subject": authority.subject,
                "certificate_pem": authority.certificate_pem,
                "encrypted_key_pem": authority.encrypted_key_pem,
            }
            db.session.commit()
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()
    return {
        "ca": ca,
        "fielded": fielded,
        "after_chair_1": after_chair_1,
        "final": final,
        "unknown": unknown,
        "foreign": foreign,
    }


def store_minutes(pdfs, *, status=MinutesStatus.APPROVED, title="Fourth extended meeting"):
    """The meeting, version, document and approvals the signed files belong to."""
    chairs = [make_user(name=name, email=None) for name, _, _ in CHAIRS]
    meeting = make_meeting(
        title=title,
        series=make_series("Country Network on Migration"),
        number=4,
        starts_at=datetime(2027, 3, 4, 7, 0, tzinfo=UTC),
        chairs=[(chair, role) for chair, (_, _, role) in zip(chairs, CHAIRS, strict=True)],
    )
    # Documents and approvals are written while the version is submitted (as the signing
    # workflow does): the database refuses them once it is approved.
    version = MinutesVersion(meeting=meeting, number=1, status=MinutesStatus.SUBMITTED)
    document = MinutesDocument(
        version=version,
        status=DocumentStatus.READY,
        unsigned_sha256=sha(pdfs["fielded"]),
        pdf=pdfs["final"],
        sha256=sha(pdfs["final"]),
        size=len(pdfs["final"]),
        signature_count=2,
        fields={f"chair-{chair.id}": f"chair-{n}" for n, chair in enumerate(chairs, 1)},
    )
    db.session.add(document)
    for position, (chair, revision) in enumerate(
        zip(chairs, [pdfs["after_chair_1"], pdfs["final"]], strict=True)
    ):
        db.session.add(
            MinutesApproval(
                version=version,
                user=chair,
                role_label=CHAIRS[position][2],
                position=position,
                status=SignatureStatus.SIGNED,
                signed_at=SIGNED_AT,
                revision_sha256=sha(revision),
            )
        )
    db.session.flush()
    version.status = status
    db.session.commit()
    return version


@pytest.fixture
def stored(app, pdfs):
    db.session.add(SigningAuthority(active=True, **pdfs["ca"]))
    db.session.commit()
    return store_minutes(pdfs)


def upload(client, data: bytes, filename: str = "minutes.pdf"):
    """Upload, then follow to the result page (the worker runs at once in tests)."""
    return client.post(
        "/verify",
        data={"file": (BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def verdict_of(response) -> str:
    text = response.get_data(as_text=True)
    if "Authentic and unchanged" in text:
        assert "NOT authentic" not in text
        return "authentic"
    assert "NOT authentic" in text, text
    return "not authentic"


def test_the_page_explains_what_it_does(client):
    response = client.get("/verify")
    assert response.status_code == 200
    assert "Upload a minutes PDF" in response.get_data(as_text=True)


def test_a_fully_signed_file_is_authentic_and_names_its_minutes(client, stored, pdfs):
    response = upload(client, pdfs["final"])
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert verdict_of(response) == "authentic"
    assert "Country Network on Migration" in text
    assert "Fourth extended meeting" in text
    assert "Version 1" in text and "Approved" in text
    assert "Signed by all 2 chairs." in text
    # Both signers, in order, with their email and the time in the meeting's zone.
    assert text.index("Алесь Чарнавус") < text.index("Jane Roe")
    assert "ales@example.org" in text and "jane@example.org" in text
    assert text.count(SIGNED_AT_IN_MINSK) == 2
    # Chair 1's signature was followed only by chair 2's.
    assert "Only by later signatures (fine)" in text
    assert "Yes: the content was changed" not in text


def test_a_file_with_only_the_first_signature_is_an_earlier_state(client, stored, pdfs):
    response = upload(client, pdfs["after_chair_1"])
    text = response.get_data(as_text=True)
    assert verdict_of(response) == "authentic"
    assert "An earlier state of version 1: signed by 1 of 2 chairs." in text
    assert "Алесь Чарнавус" in text and "Jane Roe" not in text


def test_a_superseded_version_says_which_version_replaced_it(client, pdfs):
    db.session.add(SigningAuthority(active=True, **pdfs["ca"]))
    version = store_minutes(pdfs, status=MinutesStatus.SUPERSEDED)
    db.session.add(
        MinutesVersion(
            meeting_id=version.meeting_id,
            number=2,
            status=MinutesStatus.APPROVED,
            amends_id=version.id,
            amendment_reason="Wrong date of the next meeting",
        )
    )
    db.session.commit()

    response = upload(client, pdfs["final"])
    assert verdict_of(response) == "authentic"
    assert "Superseded by version 2" in response.get_data(as_text=True)


def test_flipping_one_byte_is_not_authentic(client, stored, pdfs):
    tampered = bytearray(pdfs["final"])
    tampered[tampered.index(b"Minutes of the fourth") + 3] ^= 0x01
    response = upload(client, bytes(tampered))
    assert response.status_code == 200
    assert verdict_of(response) == "not authentic"
    assert "A signature is broken" in response.get_data(as_text=True)


def test_an_update_that_changes_page_content_is_not_authentic(client, stored, pdfs):
    writer = IncrementalPdfFileWriter(BytesIO(pdfs["final"]))
    forged = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 14 Tf 60 740 Td (Decision: budget x10) Tj ET")
    )
    writer.add_stream_to_page(0, forged)
    out = BytesIO()
    writer.write(out)

    response = upload(client, out.getvalue())
    text = response.get_data(as_text=True)
    assert verdict_of(response) == "not authentic"
    assert "The document was changed after it was signed." in text
    assert "Yes: the content was changed after this signature" in text
    # The signed original is still recognised, so the reader knows what was forged.
    assert "Fourth extended meeting" in text and "Signed by all 2 chairs." in text
    assert "Something was added to the file after that." in text


def test_a_signature_from_a_foreign_certificate_is_not_authentic(client, stored, pdfs):
    response = upload(client, pdfs["foreign"])
    text = response.get_data(as_text=True)
    assert verdict_of(response) == "not authentic"
    assert "not issued by this deployment" in text
    assert "Olga Foreign" in text
    # It was built on our unsigned minutes, which the page still names.
    assert "Fourth extended meeting" in text
    assert "None recorded here" in text and "Something was added" in text


def test_a_valid_file_this_system_never_stored_is_not_authentic(client, stored, pdfs):
    response = upload(client, pdfs["unknown"])
    text = response.get_data(as_text=True)
    assert verdict_of(response) == "not authentic"
    assert "not issued by this system" in text
    assert "matches no minutes issued by this system" in text
    # Its signature as such is fine: intact, valid, our CA.
    assert "Алесь Чарнавус" in text


def test_without_the_ca_the_signatures_are_not_trusted(client, pdfs):
    store_minutes(pdfs)  # the minutes rows, but this deployment never had that CA
    response = upload(client, pdfs["final"])
    assert verdict_of(response) == "not authentic"
    assert "not issued by this deployment" in response.get_data(as_text=True)


def test_an_unsigned_pdf_is_not_authentic(client, stored, pdfs):
    response = upload(client, pdfs["fielded"])
    text = response.get_data(as_text=True)
    assert verdict_of(response) == "not authentic"
    assert "This PDF has no digital signatures." in text
    assert "before any chair signed" in text


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "minutes.pdf", "The file you sent is empty."),
        (b"\x00garbage" * 100, "minutes.pdf", "This file is not a PDF."),
        (b"PK\x03\x04 a zip file, not minutes", "minutes.docx", "This file is not a PDF."),
        (b"%PDF-1.7\n" + b"\xff" * 5000, "minutes.pdf", "damaged or truncated"),
    ],
    ids=["empty", "garbage", "not-a-pdf", "pdf-header-then-junk"],
)
def test_bad_files_get_a_clear_400(client, data, filename, message):
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_no_file_chosen_is_a_400(client):
    response = client.post("/verify", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the PDF file to check." in response.get_data(as_text=True)


def test_a_file_over_the_limit_gets_413(app, client):
    app.config["VERIFY_MAX_BYTES"] = 10 * 1024
    response = upload(client, b"%PDF-1.7\n" + b"0" * 20 * 1024)
    assert response.status_code == 413
    assert "at most 10 KB can be checked" in response.get_data(as_text=True)


def test_a_request_over_the_apps_body_limit_gets_the_same_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10 * 1024
    response = upload(client, b"%PDF-1.7\n" + b"0" * 20 * 1024)
    assert response.status_code == 413
    assert "can be checked" in response.get_data(as_text=True)


def test_uploads_are_rate_limited_per_address(app, client):
    app.config["VERIFY_RATE_LIMIT"] = 2
    assert upload(client, b"junk").status_code == 400
    assert upload(client, b"junk").status_code == 400
    response = upload(client, b"junk")
    assert response.status_code == 429
    assert "Too many files checked" in response.get_data(as_text=True)
    other = client.post(
        "/verify",
        data={"file": (BytesIO(b"junk"), "a.pdf")},
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other.status_code == 400  # another address is not blocked


def test_the_upload_form_is_csrf_protected(app, client, stored, pdfs):
    app.config["WTF_CSRF_ENABLED"] = True
    assert upload(client, pdfs["final"]).status_code == 400

    page = client.get("/verify").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/verify",
        data={"csrf_token": token, "file": (BytesIO(pdfs["final"]), "minutes.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert verdict_of(response) == "authentic"


def test_matching_takes_the_same_queries_however_many_minutes_are_stored(client, stored, pdfs):
    def queries() -> int:
        with count_queries() as counter:
            assert verdict_of(upload(client, pdfs["final"])) == "authentic"
        return counter.count

    few = queries()
    for n in range(30):
        meeting = make_meeting(title=f"Other meeting {n}")
        version = MinutesVersion(meeting=meeting, number=1, status=MinutesStatus.SUBMITTED)
        db.session.add(
            MinutesDocument(
                version=version,
                status=DocumentStatus.READY,
                sha256=f"{n:064x}",
                unsigned_sha256=f"{n + 100:064x}",
                signature_count=1,
            )
        )
        db.session.flush()
        version.status = MinutesStatus.APPROVED
    db.session.commit()
    assert queries() == few
