"""The deployment's signing CA, and how private keys are kept encrypted at rest.

The CA lives in the database (table signing_authorities) so that every app process and
worker can issue chair certificates. A deployment may instead point SIGNING_CA_CERT_FILE
and SIGNING_CA_KEY_FILE (+ SIGNING_CA_KEY_PASSPHRASE) at its own CA; those then win.

Private keys are PKCS#8 PEM encrypted with the passphrase SIGNING_KEY_PASSPHRASE, or, when
that is not set, with a key derived from SECRET_KEY by HKDF. Changing the passphrase (or
SECRET_KEY, without a passphrase) makes the stored keys unreadable: keep it stable.

The passphrase may be typed by a person, so the encryption key is derived from it slowly:
PBES2 with PBKDF2-HMAC-SHA256 at KDF_ROUNDS rounds and AES-256-CBC (standard PKCS#8 that
`openssl pkey` reads too). cryptography's BestAvailableEncryption, used before, stops at
2,048 rounds; keys stored that way still load, and are re-encrypted when next used.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
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
# PBKDF2-HMAC-SHA256 rounds for a stored private key (OWASP's figure for a typed password);
# loading such a key costs about 0.1 s.
KDF_ROUNDS = 600_000


# --- configuration ------------------------------------------------------------------------


def setting(name: str) -> str | None:
    """A signing setting from the app config (coordapp/config.py reads the environment)."""
    return current_app.config.get(name) or None


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
    """`key` as an encrypted PKCS#8 PEM: PBES2, PBKDF2-HMAC-SHA256 at KDF_ROUNDS, AES-256."""
    from asn1crypto import core as asn1_core
    from asn1crypto import keys as asn1_keys

    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    derived = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=32, salt=salt, iterations=KDF_ROUNDS
    ).derive(key_passphrase())
    padder = symmetric_padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(derived), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": "pbkdf2",
                        "parameters": {
                            "salt": asn1_core.OctetString(salt),
                            "iteration_count": KDF_ROUNDS,
                            "prf": {"algorithm": "sha256"},
                        },
                    },
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
                },
            },
            "encrypted_data": encrypted,
        }
    )
    body = base64.encodebytes(info.dump()).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(
        ["-----BEGIN ENCRYPTED PRIVATE KEY-----", *lines, "-----END ENCRYPTED PRIVATE KEY-----", ""]
    )


def kdf_rounds_of(pem: str) -> int | None:
    """The PBKDF2 rounds protecting a stored key (None: another scheme, or unreadable)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem as asn1_pem

    try:
        _, _, der = asn1_pem.unarmor(pem.encode("ascii"))
        algorithm = asn1_keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"]
        if algorithm["algorithm"].native != "pbes2":
            return None
        kdf = algorithm["parameters"]["key_derivation_func"]
        if kdf["algorithm"].native != "pbkdf2":
            return None
        return int(kdf["parameters"]["iteration_count"].native)
    except (ValueError, TypeError, KeyError):
        return None


def stronger_encryption(pem: str, key) -> str | None:
    """`key` encrypted anew when its stored `pem` is protected more weakly than now."""
    rounds = kdf_rounds_of(pem)
    if rounds is not None and rounds >= KDF_ROUNDS:
        return None
    return encrypt_private_key(key)


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
    key = decrypt_private_key(authority.encrypted_key_pem)
    stronger = stronger_encryption(authority.encrypted_key_pem, key)
    if stronger is not None:  # stored before KDF_ROUNDS: saved with the caller's commit
        authority.encrypted_key_pem = stronger
    return cert, key


def listed_authorities() -> list[x509.Certificate]:
    """Further CAs the deployment trusts (SIGNING_TRUSTED_CA_FILE, PEM certificates): a chair
    may sign with a certificate one of them issued, uploaded as PKCS#12."""
    path = setting("SIGNING_TRUSTED_CA_FILE")
    if not path:
        return []
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as error:
        raise SigningConfigError(f"cannot load SIGNING_TRUSTED_CA_FILE: {error}") from error


def signing_anchors() -> list[x509.Certificate]:
    """The CAs whose certificates may sign minutes now: the current CA (configured files,
    else the active one here) and the listed ones. Retired CAs sign nothing new."""
    anchors = listed_authorities()
    files = _configured_files()
    if files:
        anchors.append(_load_ca_from_files(*files)[0])
    elif (authority := active_authority()) is not None:
        anchors.append(certificate_of(authority))
    return anchors


def trust_roots() -> list[x509.Certificate]:
    """Every CA whose signatures this deployment vouches for: the configured one, the listed
    ones and all CAs ever created here (a retired CA's signatures on old minutes stay
    authentic)."""
    roots = listed_authorities()
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
