"""The certificate and key a chair signs with.

Either issued by the deployment's CA on the chair's first signature and reused afterwards
(stored encrypted in signing_identities), or a PKCS#12 file the chair uploads when signing,
which is used once and never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app

from coordapp.extensions import db
from coordapp.models import SigningIdentity, User
from coordapp.signing import InvalidCertificateFile
from coordapp.signing import gettext_anywhere as _
from coordapp.signing.ca import (
    BACKDATE,
    current_ca,
    decrypt_private_key,
    encrypt_private_key,
    new_private_key,
    stronger_encryption,
)

IDENTITY_VALIDITY = timedelta(days=3 * 365)
# A certificate this close to expiry is replaced rather than used once more.
RENEW_BEFORE = timedelta(days=30)
# X.509 upper bound for CN and O (RFC 5280 ub-common-name, ub-organization-name).
NAME_MAX = 64

Identity = tuple[x509.Certificate, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, list]


def identity_for(user: User) -> Identity:
    """(certificate, private key, chain) for `user`, issued by the current CA on first use.

    A stored identity is reused while it was issued by the current CA, is not about to
    expire and still names the user as they are now; otherwise a new one replaces it.
    Flushes; the caller commits."""
    ca_cert, ca_key = current_ca()
    identity = db.session.scalar(sa.select(SigningIdentity).filter_by(user_id=user.id, active=True))
    if identity is not None:
        cert = x509.load_pem_x509_certificate(identity.certificate_pem.encode("ascii"))
        if _still_good(cert, user, ca_cert):
            key = decrypt_private_key(identity.encrypted_key_pem)
            stronger = stronger_encryption(identity.encrypted_key_pem, key)
            if stronger is not None:  # stored before KDF_ROUNDS: saved with the commit
                identity.encrypted_key_pem = stronger
            return cert, key, [ca_cert]

    cert, key = _issue(user, ca_cert, ca_key)
    replacement = SigningIdentity(
        user_id=user.id,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        encrypted_key_pem=encrypt_private_key(key),
        serial=format(cert.serial_number, "x"),
        active=True,
    )
    try:
        # A savepoint: if another worker issued one for this user at the same moment, the
        # "one active identity per user" index refuses ours and we use theirs.
        with db.session.begin_nested():
            if identity is not None:
                identity.active = False
                db.session.flush()
            db.session.add(replacement)
    except sa.exc.IntegrityError:
        winner = db.session.scalar(
            sa.select(SigningIdentity).filter_by(user_id=user.id, active=True)
        )
        if winner is None:
            raise
        cert = x509.load_pem_x509_certificate(winner.certificate_pem.encode("ascii"))
        return cert, decrypt_private_key(winner.encrypted_key_pem), [ca_cert]
    return cert, key, [ca_cert]


def _subject_for(user: User) -> dict:
    contact = user.contact
    organisation = (
        contact.organisation.name
        if contact is not None and contact.organisation is not None
        else current_app.config.get("NETWORK_NAME") or "coordapp"
    )
    return {
        "name": (user.name or user.email)[:NAME_MAX],
        "email": user.email,
        "organisation": organisation[:NAME_MAX],
    }


def _still_good(cert: x509.Certificate, user: User, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < datetime.now(UTC):
        return False
    wanted = _subject_for(user)
    return (
        _attribute(cert, NameOID.COMMON_NAME) == wanted["name"]
        and _attribute(cert, NameOID.EMAIL_ADDRESS) == wanted["email"]
        and _attribute(cert, NameOID.ORGANIZATION_NAME) == wanted["organisation"]
    )


def _attribute(cert: x509.Certificate, oid) -> str | None:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _issue(user: User, ca_cert: x509.Certificate, ca_key) -> tuple[x509.Certificate, object]:
    wanted = _subject_for(user)
    key = new_private_key()
    now = datetime.now(UTC)
    not_after = min(now + IDENTITY_VALIDITY, ca_cert.not_valid_after_utc)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, wanted["name"]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, wanted["organisation"]),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, wanted["email"]),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(max(now - BACKDATE, ca_cert.not_valid_before_utc))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # a.k.a. nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(user.email)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def identity_from_pkcs12(data: bytes, password: str, *, chair: User) -> Identity:
    """(certificate, private key, chain) from `chair`'s own PKCS#12 (.p12/.pfx) file.

    Nothing is stored. The certificate must chain to a CA this deployment trusts for
    signing (signing_anchors), be valid now, allow signing (digitalSignature and
    nonRepudiation) and name the chair by the email address of their account: anybody can
    make a certificate that says "Secretary-General". Raises InvalidCertificateFile (a 400
    DomainError) with a message for the user otherwise."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except (ValueError, TypeError) as error:
        raise InvalidCertificateFile(
            _(
                "The certificate file could not be opened: it is not a PKCS#12 (.p12 or .pfx) "
                "file, or the password is wrong."
            )
        ) from error
    if cert is None or key is None:
        raise InvalidCertificateFile(
            _("The certificate file must contain both a certificate and its private key.")
        )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidCertificateFile(_("Only RSA and elliptic-curve keys can sign PDFs."))
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise InvalidCertificateFile(
            _("The private key in the file does not belong to its certificate.")
        )
    chain = list(extra or [])
    _check_uploaded_certificate(cert, chain, chair)
    return cert, key, chain


def _check_uploaded_certificate(cert: x509.Certificate, chain: list, chair: User) -> None:
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise InvalidCertificateFile(
            _(
                "The certificate is valid from %(start)s to %(end)s, not now.",
                start=cert.not_valid_before_utc.date().isoformat(),
                end=cert.not_valid_after_utc.date().isoformat(),
            )
        )
    if not _chains_to_an_anchor(cert, chain, now):
        raise InvalidCertificateFile(
            _(
                "This certificate was not issued by a certification authority this site "
                "trusts for signing minutes. Sign without uploading a certificate, or ask the "
                "secretariat which certificates are accepted."
            )
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature and usage.content_commitment):
        raise InvalidCertificateFile(
            _(
                "This certificate is not allowed to sign documents: it needs the key usages "
                "“digital signature” and “non-repudiation”."
            )
        )
    account = (chair.email or "").casefold()
    if not account or account not in {email.casefold() for email in _emails_in(cert)}:
        raise InvalidCertificateFile(
            _(
                "This certificate does not name you: it must carry %(email)s, the email "
                "address of your account.",
                email=chair.email,
            )
        )


def _chains_to_an_anchor(cert: x509.Certificate, chain: list, now: datetime) -> bool:
    """The certificate is valid now on a path (through `chain`) to one of signing_anchors,
    as pyHanko's validator (the one /verify uses) sees it, offline."""
    import asyncio

    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1 as asn1
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, ValidationError

    from coordapp.signing import outside_event_loop
    from coordapp.signing.ca import signing_anchors

    anchors = signing_anchors()
    if not anchors:
        return False
    intermediates = [asn1(c) for c in chain]
    context = ValidationContext(
        trust_roots=[asn1(anchor) for anchor in anchors],
        other_certs=intermediates,
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=now,
    )
    validator = CertificateValidator(asn1(cert), intermediates, validation_context=context)
    try:
        outside_event_loop(asyncio.run, validator.async_validate_path())
    except (PathBuildingError, ValidationError):
        return False
    return True


def _emails_in(cert: x509.Certificate) -> list[str]:
    emails = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails += names.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        pass
    return emails
