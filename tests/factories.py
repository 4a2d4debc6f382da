"""Small helpers that create rows for tests, committed, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from coordapp.extensions import db
from coordapp.models import (
    Category,
    Contact,
    Meeting,
    MeetingChair,
    MeetingKind,
    MeetingStatus,
    Organisation,
    Role,
    Series,
    User,
)
from coordapp.models.agenda import AgendaItem, Attachment

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
# The smallest file the attachment checks take as a PDF.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_user(
    role: Role = Role.MEMBER,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_seq)
    user = User(
        email=(email or f"user{n}@example.org").lower(),
        name=name or f"User {n}",
        role=role,
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_organisation(
    name: str | None = None,
    acronym: str | None = None,
    category: Category = Category.UN_AGENCY,
    **kwargs,
) -> Organisation:
    n = next(_seq)
    org = Organisation(
        name=name or f"Organisation {n}", acronym=acronym, category=category, **kwargs
    )
    db.session.add(org)
    db.session.commit()
    return org


def make_contact(
    organisation: Organisation | None = None,
    name: str | None = None,
    email: str | None = None,
    **kwargs,
) -> Contact:
    n = next(_seq)
    contact = Contact(
        name=name or f"Contact {n}",
        email=(email or f"contact{n}@example.org").lower(),
        organisation=organisation or make_organisation(),
        **kwargs,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def make_series(name: str | None = None, **kwargs) -> Series:
    series = Series(name=name or f"Series {next(_seq)}", **kwargs)
    db.session.add(series)
    db.session.commit()
    return series


def make_meeting(
    title: str | None = None,
    series: Series | None = None,
    number: int | None = None,
    starts_at: datetime | None = None,
    hours: int = 3,
    timezone_name: str = "Europe/Minsk",
    status: MeetingStatus = MeetingStatus.SCHEDULED,
    chairs: list[tuple[User, str]] = (),
    **kwargs,
) -> Meeting:
    starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    meeting = Meeting(
        title=title or f"Meeting {next(_seq)}",
        series=series,
        number=number,
        kind=kwargs.pop("kind", MeetingKind.REGULAR),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=timezone_name,
        status=status,
        **kwargs,
    )
    for position, (user, label) in enumerate(chairs):
        meeting.chairs.append(MeetingChair(user=user, role_label=label, position=position))
    db.session.add(meeting)
    db.session.commit()
    return meeting


def make_attachment(
    item: AgendaItem, filename: str = "a.pdf", data: bytes = TINY_PDF
) -> Attachment:
    """A PDF attached to agenda item `item`, as if uploaded (the checks are not run)."""
    attachment = Attachment(
        agenda_item=item,
        filename=filename,
        content_type="application/pdf",
        size=len(data),
        sha256="0" * 64,
        data=data,
    )
    db.session.add(attachment)
    db.session.commit()
    return attachment


def make_pkcs12(
    password: bytes,
    *,
    name: str = "Anna Resident (own)",
    email: str | None = None,
    issuer=None,
    key_usage: tuple[bool, bool] = (True, True),
    expired: bool = False,
) -> bytes:
    """A chair's own certificate and key as a PKCS#12 file. `issuer` is (CA certificate,
    CA key); without it the certificate is self-made. `key_usage` is (digitalSignature,
    nonRepudiation)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    subject = x509.Name(attributes)
    issuer_cert, issuer_key = issuer or (None, key)
    now = datetime.now(UTC)
    start = now - timedelta(days=400 if expired else 1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(*key_usage, False, False, False, False, False, False, False),
            critical=True,
        )
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    cert = builder.sign(issuer_key, hashes.SHA256())
    return pkcs12.serialize_key_and_certificates(
        b"chair", key, cert, None, serialization.BestAvailableEncryption(password)
    )


def make_certification_authority(name: str = "Another trusted CA"):
    """(certificate, key) of a CA, e.g. one a deployment lists in SIGNING_TRUSTED_CA_FILE."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_approved_meeting(
    *,
    series: Series | None = None,
    title: str = "Fourth extended meeting",
    venue: str | None = "Minsk",
    starts_at: datetime | None = None,
    chairs: list[tuple[User, str]] = (),
    decisions: list[str] = ("Set up a migration data working group",),
    minutes_text: str = "Partners discussed migration data.",
) -> Meeting:
    """A closed meeting whose minutes (version 1) are approved, without rendering or
    signing a PDF: the version is written through the minutes service, then set to
    APPROVED directly (what the approval's last signature does)."""
    from coordapp.minutes import service as minutes_service
    from coordapp.models import AgendaItem, utcnow
    from coordapp.models.minutes import MinutesStatus

    meeting = make_meeting(
        title=title,
        series=series,
        status=MeetingStatus.HELD,
        venue=venue,
        starts_at=starts_at or datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
        chairs=chairs,
    )
    db.session.add(AgendaItem(meeting_id=meeting.id, position=0, title="Migration data"))
    db.session.commit()
    version = minutes_service.current_version(meeting)
    db.session.flush()
    item = minutes_service.minutes_items(version)[0]
    minutes_service.save_item(item, minutes_text, list(decisions), item.lock_version, by=None)
    version.status = MinutesStatus.APPROVED
    version.approved_at = utcnow()
    meeting.status = MeetingStatus.CLOSED
    db.session.commit()
    return meeting
