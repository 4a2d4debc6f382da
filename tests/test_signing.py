"""The signing CA and the chairs' identities: created once, kept encrypted, reused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import SigningAuthority, SigningIdentity
from coordapp.signing import CAAlreadyExists, InvalidCertificateFile, SigningConfigError
from coordapp.signing.ca import current_ca, fingerprint, init_ca, trust_roots
from coordapp.signing.identities import identity_for, identity_from_pkcs12
from tests.factories import (
    make_certification_authority,
    make_contact,
    make_organisation,
    make_pkcs12,
    make_user,
)


@pytest.fixture
def ca(app):
    authority = init_ca("Test network signing CA", "Test network")
    db.session.commit()
    return authority


def _name(cert, oid) -> str:
    return cert.subject.get_attributes_for_oid(oid)[0].value


def test_init_ca_command_creates_the_ca_and_publishes_its_certificate(app, tmp_path):
    app.instance_path = str(tmp_path)
    result = app.test_cli_runner().invoke(args=["signing", "init-ca"])
    assert result.exit_code == 0, result.output

    [authority] = db.session.scalars(sa.select(SigningAuthority)).all()
    assert authority.active
    published = x509.load_pem_x509_certificate((tmp_path / "signing" / "ca.pem").read_bytes())
    assert fingerprint(published) in result.output
    assert published == current_ca()[0]
    assert b"PRIVATE KEY" not in (tmp_path / "signing" / "ca.pem").read_bytes()
    constraints = published.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = published.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert published.not_valid_after_utc - published.not_valid_before_utc > timedelta(days=3650)

    again = app.test_cli_runner().invoke(args=["signing", "init-ca"])
    assert again.exit_code != 0 and "--force" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningAuthority)) == 1


def test_a_forced_new_ca_retires_the_old_one_which_stays_trusted(ca):
    old_cert = current_ca()[0]
    with pytest.raises(CAAlreadyExists):
        init_ca()
    init_ca(force=True)
    db.session.commit()
    authorities = db.session.scalars(sa.select(SigningAuthority).order_by("id")).all()
    assert [a.active for a in authorities] == [False, True]
    assert current_ca()[0] != old_cert
    assert old_cert in trust_roots()


def test_chair_identity_is_issued_once_and_reused(app, ca):
    organisation = make_organisation(name="International Organization for Migration")
    chair = make_user(name="Алесь Чарнавус", email="ales@example.org")
    chair.contact = make_contact(organisation=organisation, email="ales@example.org")
    db.session.commit()

    cert, key, chain = identity_for(chair)
    db.session.commit()
    again_cert, again_key, _chain = identity_for(chair)

    assert again_cert == cert
    assert again_key.private_numbers() == key.private_numbers()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningIdentity)) == 1
    assert chain == [current_ca()[0]]
    cert.verify_directly_issued_by(chain[0])
    assert _name(cert, NameOID.COMMON_NAME) == "Алесь Чарнавус"
    assert _name(cert, NameOID.EMAIL_ADDRESS) == "ales@example.org"
    assert _name(cert, NameOID.ORGANIZATION_NAME) == "International Organization for Migration"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["ales@example.org"]


def test_chair_without_contact_is_named_with_the_network(app, ca):
    app.config["NETWORK_NAME"] = "Country Network on Migration"
    cert, _key, _chain = identity_for(make_user(name="Jane Roe"))
    assert _name(cert, NameOID.ORGANIZATION_NAME) == "Country Network on Migration"


def test_a_new_ca_or_a_renamed_chair_gets_a_new_certificate(app, ca):
    chair = make_user(name="Jane Roe")
    first, _key, _chain = identity_for(chair)
    chair.name = "Jane Roe-Smith"
    renamed, _key, _chain = identity_for(chair)
    init_ca(force=True)
    reissued, _key, chain = identity_for(chair)
    db.session.commit()

    assert len({first.serial_number, renamed.serial_number, reissued.serial_number}) == 3
    assert _name(renamed, NameOID.COMMON_NAME) == "Jane Roe-Smith"
    reissued.verify_directly_issued_by(chain[0])
    identities = db.session.scalars(sa.select(SigningIdentity).order_by("id")).all()
    assert [i.active for i in identities] == [False, False, True]


def test_private_keys_are_stored_encrypted_under_the_passphrase(app, ca):
    identity_for(make_user())
    db.session.commit()
    stored = [ca.encrypted_key_pem, db.session.scalar(sa.select(SigningIdentity)).encrypted_key_pem]
    for pem in stored:
        assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # "password was not given but key is encrypted"
            serialization.load_pem_private_key(pem.encode(), None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(pem.encode(), b"a guess")

    # Keys made under the SECRET_KEY-derived passphrase do not open with another one.
    app.config["SIGNING_KEY_PASSPHRASE"] = "another passphrase entirely"
    with pytest.raises(SigningConfigError, match="cannot be decrypted"):
        current_ca()


def _pbkdf2_parameters(pem: str) -> dict:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import pem as asn1_pem

    _, _, der = asn1_pem.unarmor(pem.encode("ascii"))
    algorithm = asn1_keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"]
    assert algorithm["algorithm"].native == "pbes2"
    assert algorithm["parameters"]["encryption_scheme"]["algorithm"].native == "aes256_cbc"
    kdf = algorithm["parameters"]["key_derivation_func"]
    assert kdf["algorithm"].native == "pbkdf2"
    return kdf["parameters"].native


def test_a_typed_passphrase_protects_stored_keys_with_600000_pbkdf2_rounds(app):
    """A person types SIGNING_KEY_PASSPHRASE: guessing it must cost 600,000 PBKDF2-SHA256
    rounds per try, not the 2,048 of cryptography's BestAvailableEncryption."""
    app.config["SIGNING_KEY_PASSPHRASE"] = "correct horse"
    authority = init_ca()
    identity_for(make_user())
    db.session.commit()
    identity = db.session.scalar(sa.select(SigningIdentity))

    for pem in (authority.encrypted_key_pem, identity.encrypted_key_pem):
        parameters = _pbkdf2_parameters(pem)
        assert parameters["iteration_count"] >= 600_000
        assert parameters["prf"]["algorithm"] == "sha256"
        assert len(parameters["salt"]) >= 16
        # Standard PKCS#8: it opens with the passphrase alone.
        key = serialization.load_pem_private_key(pem.encode(), b"correct horse")
        assert key.key_size == 3072
    salts = {
        _pbkdf2_parameters(p)["salt"]
        for p in (authority.encrypted_key_pem, identity.encrypted_key_pem)
    }
    assert len(salts) == 2


def test_keys_stored_with_the_old_2048_rounds_still_sign_and_are_encrypted_anew(app):
    app.config["SIGNING_KEY_PASSPHRASE"] = "correct horse"
    authority = init_ca()
    user = make_user()
    cert, key, _chain = identity_for(user)
    db.session.commit()
    identity = db.session.scalar(sa.select(SigningIdentity))

    def old_style(pem: str) -> str:
        loaded = serialization.load_pem_private_key(pem.encode(), b"correct horse")
        return loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        ).decode()

    authority.encrypted_key_pem = old_style(authority.encrypted_key_pem)
    identity.encrypted_key_pem = old_style(identity.encrypted_key_pem)
    db.session.commit()
    assert _pbkdf2_parameters(identity.encrypted_key_pem)["iteration_count"] == 2048

    again, again_key, _chain = identity_for(user)
    db.session.commit()

    assert again == cert  # the same identity, its key read from the old format
    assert again_key.public_key().public_numbers() == key.public_key().public_numbers()
    db.session.expire_all()
    for pem in (
        db.session.get(SigningAuthority, authority.id).encrypted_key_pem,
        db.session.get(SigningIdentity, identity.id).encrypted_key_pem,
    ):
        assert _pbkdf2_parameters(pem)["iteration_count"] >= 600_000


@pytest.fixture
def chair(app):
    return make_user(email="anna.resident@example.org", name="Anna Resident")


def test_pkcs12_from_the_deployment_ca_naming_the_chair_signs_and_stores_nothing(ca, chair):
    data = make_pkcs12(b"s3cret", email="Anna.Resident@example.org", issuer=current_ca())
    cert, key, chain = identity_from_pkcs12(data, "s3cret", chair=chair)
    assert _name(cert, NameOID.COMMON_NAME) == "Anna Resident (own)"
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert chain == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SigningIdentity)) == 0


def test_pkcs12_from_a_ca_the_deployment_lists_is_accepted_and_trusted(app, ca, chair, tmp_path):
    listed_cert, listed_key = make_certification_authority("National PKI")
    bundle = tmp_path / "trusted.pem"
    bundle.write_bytes(listed_cert.public_bytes(serialization.Encoding.PEM))
    data = make_pkcs12(b"pin", email=chair.email, issuer=(listed_cert, listed_key))
    with pytest.raises(InvalidCertificateFile, match="not issued by a certification authority"):
        identity_from_pkcs12(data, "pin", chair=chair)

    app.config["SIGNING_TRUSTED_CA_FILE"] = str(bundle)
    cert, _key, _chain = identity_from_pkcs12(data, "pin", chair=chair)

    assert cert.issuer == listed_cert.subject
    assert listed_cert in trust_roots()  # so /verify calls its signatures authentic


@pytest.mark.parametrize(
    ("case", "password", "message"),
    [
        ("not a file", "x", "not a PKCS#12"),
        ("good", "wrong password", "password is wrong"),
        ("expired", "s3cret", "not now"),
        ("self-made", "s3cret", "not issued by a certification authority this site trusts"),
        ("retired CA", "s3cret", "not issued by a certification authority this site trusts"),
        ("another person", "s3cret", "it must carry anna.resident@example.org"),
        ("no email", "s3cret", "it must carry anna.resident@example.org"),
        ("cannot sign", "s3cret", "needs the key usages"),
        ("no non-repudiation", "s3cret", "needs the key usages"),
    ],
)
def test_pkcs12_upload_refuses_what_cannot_sign_for_the_chair_with_a_clear_message(
    ca, chair, case, password, message
):
    deployment = current_ca()
    email = chair.email
    if case == "not a file":
        data = b"not a certificate at all"
    elif case == "self-made":
        data = make_pkcs12(b"s3cret", name="UN Secretary-General", email=email)
    elif case == "retired CA":
        retired = current_ca()
        init_ca(force=True)
        data = make_pkcs12(b"s3cret", email=email, issuer=retired)
    else:
        data = make_pkcs12(
            b"s3cret",
            email={"another person": "someone.else@example.org", "no email": None}.get(case, email),
            issuer=deployment,
            expired=case == "expired",
            key_usage={"cannot sign": (False, False), "no non-repudiation": (True, False)}.get(
                case, (True, True)
            ),
        )
    with pytest.raises(InvalidCertificateFile, match=message) as caught:
        identity_from_pkcs12(data, password, chair=chair)
    # Unhandled, it still answers 400 with its message, not a 500.
    assert isinstance(caught.value, DomainError) and caught.value.status == 400
