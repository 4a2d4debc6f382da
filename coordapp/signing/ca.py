"""The deployment's signing CA, and how private keys are kept encrypted at rest.

The CA lives in the database (table signing_authorities) so that every app process and
worker can issue chair certificates. A deployment may instead point SIGNING_CA_CERT_FILE
and SIGNING_CA_KEY_FILE (+ SIGNING_CA_KEY_PASSPHRASE) at its own CA; those then win.

Private keys are PKCS#8 PEM encrypted with the passphrase SIGNING_KEY_PASSPHRASE, or, when
that is not set, with a key derived from SECRET_KEY by HKDF. Changing the passphrase (or
SECRET_KEY, without a passphrase) makes the stored keys unreadable: keep it stable.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from flask import current_app

from coordapp.extensions import db
from coordapp.models import SigningAuthority
from coordapp.signing import CAAlreadyExists, SigningConfigError

# RSA rather than ECDSA: every PDF viewer and validator handles it (poppler handles both).
RSA_KEY_SIZE = 3072
CA_VALIDITY = timedelta(days=3652)
# Certificates start a day in the past: a chair's approval may wait in the job queue before
# their certificate is first issued, and the signature carries the approval time, at which
# viewers (and verify_pdf) check the certificate. Also covers clock skew.
BACKDATE = timedelta(days=1)
# Changing this string makes every stored key unreadable when no passphrase is set.
HKDF_INFO = b"coordapp signing: private key encryption v1"


# --- configuration ------------------------------------------------------------------------


def setting(name: str) -> str | None:
    """A signing setting from the app config, else from the environment."""
    value = current_app.config.get(name) or os.environ.get(name)
    return value or None


def key_passphrase() -> bytes:
    passphrase = setting("SIGNING_KEY_PASSPHRASE")
    if passphrase:
        return passphrase.encode()
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise SigningConfigError("set SIGNING_KEY_PASSPHRASE or SECRET_KEY to encrypt keys")
    secret_bytes = secret if isinstance(secret, bytes) else secret.encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret_bytes
    )
    return base64.urlsafe_b64encode(derived)


def encrypt_private_key(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(key_passphrase()),
    ).decode("ascii")


def decrypt_private_key(pem: str):
    try:
        # The RSA consistency check costs ~0.4 s per load; these keys are ones we generated
        # and stored ourselves, so it is skipped (cryptography documents this as safe then).
        return serialization.load_pem_private_key(
            pem.encode("ascii"), key_passphrase(), unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError) as error:
        raise SigningConfigError(
            "a stored signing key cannot be decrypted: SIGNING_KEY_PASSPHRASE (or SECRET_KEY "
            "when no passphrase is set) is not the one the key was encrypted with"
        ) from error


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as colon-separated hex, as `openssl x509 -fingerprint` prints."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _configured_files() -> tuple[str, str] | None:
    cert_file, key_file = setting("SIGNING_CA_CERT_FILE"), setting("SIGNING_CA_KEY_FILE")
    if bool(cert_file) != bool(key_file):
        raise SigningConfigError(
            "set both SIGNING_CA_CERT_FILE and SIGNING_CA_KEY_FILE, or neither"
        )
    return (cert_file, key_file) if cert_file else None


def _load_ca_from_files(cert_file: str, key_file: str):
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
        passphrase = setting("SIGNING_CA_KEY_PASSPHRASE")
        key = serialization.load_pem_private_key(
            Path(key_file).read_bytes(), passphrase.encode() if passphrase else None
        )
    except (OSError, ValueError, TypeError) as error:
        raise SigningConfigError(f"cannot load the configured signing CA: {error}") from error
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise SigningConfigError("SIGNING_CA_KEY_FILE does not belong to SIGNING_CA_CERT_FILE")
    return cert, key


# --- the CA -------------------------------------------------------------------------------


def active_authority() -> SigningAuthority | None:
    return db.session.scalar(sa.select(SigningAuthority).filter_by(active=True))


def current_ca() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The CA that issues chair certificates now: configured files, else the active one in
    the database. Raises SigningConfigError when there is none."""
    files = _configured_files()
    if files:
        return _load_ca_from_files(*files)
    authority = active_authority()
    if authority is None:
        raise SigningConfigError("there is no signing CA: run `flask signing init-ca`")
    cert = x509.load_pem_x509_certificate(authority.certificate_pem.encode("ascii"))
    return cert, decrypt_private_key(authority.encrypted_key_pem)


def trust_roots() -> list[x509.Certificate]:
    """Every CA whose signatures this deployment vouches for: the configured one and all
    CAs ever created here (a retired CA's signatures on old minutes stay authentic)."""
    roots = []
    files = _configured_files()
    if files:
        roots.append(_load_ca_from_files(*files)[0])
    pems = db.session.scalars(sa.select(SigningAuthority.certificate_pem)).all()
    roots.extend(x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in pems)
    return roots


def init_ca(
    common_name: str | None = None, organisation: str | None = None, *, force: bool = False
) -> SigningAuthority:
    """Create a self-signed CA (10 years) and make it the active one. The caller commits.

    Refuses when an active CA exists unless `force` (the old one is then retired, and chair
    certificates are re-issued under the new CA on their next signature)."""
    if _configured_files():
        raise SigningConfigError(
            "the signing CA is configured from files (SIGNING_CA_CERT_FILE); nothing to create"
        )
    existing = active_authority()
    if existing is not None:
        if not force:
            raise CAAlreadyExists("an active signing CA exists; use --force to replace it")
        existing.active = False
        db.session.flush()  # retire it before the new one takes the "one active" slot

    network = current_app.config.get("NETWORK_NAME") or "coordapp"
    organisation = (organisation or network)[:64]
    common_name = (common_name or f"{network} signing CA")[:64]
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    key = new_private_key()
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    authority = SigningAuthority(
        subject=cert.subject.rfc4514_string(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        encrypted_key_pem=encrypt_private_key(key),
        active=True,
    )
    db.session.add(authority)
    db.session.flush()
    return authority


def certificate_of(authority: SigningAuthority) -> x509.Certificate:
    return x509.load_pem_x509_certificate(authority.certificate_pem.encode("ascii"))
