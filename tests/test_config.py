"""Configuration comes from the environment and refuses unsafe production settings."""

import os
import re
import secrets
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from coordapp import config, create_app
from coordapp.config import INSECURE_DEFAULT_KEY, load_or_create_secret_key
from coordapp.extensions import db
from coordapp.models import Role
from tests.conftest import test_config
from tests.factories import PASSWORD, make_user


def test_production_refuses_to_start_without_a_real_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY=INSECURE_DEFAULT_KEY))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY="short"))


@pytest.mark.parametrize(
    "weak", ["a" * 32, "x" * 40, "ab" * 20, "password1234" * 3, "0123456789" * 4]
)
def test_production_refuses_a_long_but_predictable_secret_key(weak):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY=weak))


def test_production_starts_with_a_long_random_secret_key():
    for key in (secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_hex(16)):
        app = create_app(test_config(ENV_NAME="production", SECRET_KEY=key))
        assert app.config["SECRET_KEY"] == key
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def _unconfigured_development_app(monkeypatch, key_file) -> Flask:
    """An app started as `make run` starts it: no COORDAPP_ENV, no SECRET_KEY."""
    monkeypatch.delenv("COORDAPP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("COORDAPP_DOTENV", os.devnull)
    config = test_config(SECRET_KEY_FILE=str(key_file))
    del config["SECRET_KEY"]
    return create_app(config)


def _resigned(app: Flask, cookie: str, key: str) -> str:
    """The same session cookie, signed with `key` (what an attacker does offline)."""
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    forger = Flask("forger")
    forger.secret_key = key
    return app.session_interface.get_signing_serializer(forger).dumps(data)


def test_a_session_cookie_forged_with_the_published_key_opens_nothing(app, monkeypatch, tmp_path):
    dev_app = _unconfigured_development_app(monkeypatch, tmp_path / "secret_key")
    make_user(role=Role.ADMIN, email="admin@example.org")
    client = dev_app.test_client()
    login = client.post("/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert login.status_code == 302
    genuine = client.get_cookie("session").value

    forged = _resigned(dev_app, genuine, INSECURE_DEFAULT_KEY)
    attacker = dev_app.test_client()
    attacker.set_cookie("session", forged)
    response = attacker.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # The same cookie signed with the instance's own key does open the page.
    client.set_cookie("session", _resigned(dev_app, genuine, dev_app.config["SECRET_KEY"]))
    assert client.get("/admin/users").status_code == 200
    assert dev_app.config["SECRET_KEY"] != INSECURE_DEFAULT_KEY


def test_the_generated_key_is_private_and_reused_on_the_next_start(monkeypatch, tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    first = _unconfigured_development_app(monkeypatch, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64

    second = _unconfigured_development_app(monkeypatch, key_file)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary files left


def test_simultaneous_first_starts_agree_on_one_generated_key(tmp_path):
    key_file = tmp_path / "secret_key"
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: load_or_create_secret_key(key_file), range(32)))
    assert keys == {key_file.read_text().strip()}


def test_the_published_key_in_the_environment_is_not_used(monkeypatch, tmp_path):
    monkeypatch.delenv("COORDAPP_ENV", raising=False)
    monkeypatch.setenv("COORDAPP_DOTENV", os.devnull)
    app = create_app(
        test_config(SECRET_KEY=INSECURE_DEFAULT_KEY, SECRET_KEY_FILE=str(tmp_path / "key"))
    )
    assert app.config["SECRET_KEY"] == (tmp_path / "key").read_text().strip()


def test_database_url_from_environment_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.internal:5432/coord")
    from coordapp.config import from_environment

    config = from_environment(str(tmp_path))
    assert (
        config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.internal:5432/coord"
    )
    monkeypatch.delenv("DATABASE_URL")
    config = from_environment(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("coordapp.sqlite")


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("COORDAPP_ENV", "production")
    from coordapp.config import from_environment

    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(_schema):
    from coordapp.extensions import db
    from coordapp.models import LoginAttempt

    app = create_app(test_config(TRUSTED_PROXIES=1))
    with app.app_context():
        try:
            app.test_client().post(
                "/login",
                data={"email": "who@example.org", "password": "wrong-password"},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
            attempt = db.session.scalar(db.select(LoginAttempt))
            assert attempt.ip == "203.0.113.9"
        finally:
            db.session.execute(db.delete(LoginAttempt))
            db.session.commit()


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, client):
    from coordapp.extensions import db
    from coordapp.models import LoginAttempt

    client.post(
        "/login",
        data={"email": "who@example.org", "password": "wrong-password"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert db.session.scalar(db.select(LoginAttempt)).ip == "127.0.0.1"


# --- the README's environment table and config.py agree -----------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"

# For each variable of the table: a value to set, and (config key, what it must hold).
SAMPLES = {
    "COORDAPP_ENV": ("production", "ENV_NAME", "production"),
    "SECRET_KEY": ("k" * 40, "SECRET_KEY", "k" * 40),
    "LOGIN_DAYS": ("3", "REMEMBER_COOKIE_DURATION", timedelta(days=3)),
    "DATABASE_URL": (
        "postgresql://u:p@db:5432/c",
        "SQLALCHEMY_DATABASE_URI",
        "postgresql+psycopg://u:p@db:5432/c",
    ),
    "DATABASE_PING_AFTER_IDLE_SECONDS": ("3", "DATABASE_PING_AFTER_IDLE_SECONDS", 3.0),
    "REDIS_URL": ("redis://r:6379/3", "REDIS_URL", "redis://r:6379/3"),
    "HUEY_NAME": ("third", "HUEY_NAME", "third"),
    "NETWORK_NAME": ("Network 3", "NETWORK_NAME", "Network 3"),
    "DEFAULT_LANGUAGE": ("be", "BABEL_DEFAULT_LOCALE", "be"),
    "BASE_URL": ("https://meet.example.org/", "BASE_URL", "https://meet.example.org"),
    "MAIL_SERVER": ("smtp.example.org", "MAIL_SERVER", "smtp.example.org"),
    "MAIL_PORT": ("3", "MAIL_PORT", 3),
    "MAIL_USE_TLS": ("true", "MAIL_USE_TLS", True),
    "MAIL_USE_SSL": ("true", "MAIL_USE_SSL", True),
    "MAIL_USERNAME": ("user3", "MAIL_USERNAME", "user3"),
    "MAIL_PASSWORD": ("secret3", "MAIL_PASSWORD", "secret3"),
    "MAIL_DEFAULT_SENDER": ("S <s@example.org>", "MAIL_DEFAULT_SENDER", "S <s@example.org>"),
    "MAIL_MAX_ATTEMPTS": ("3", "MAIL_MAX_ATTEMPTS", 3),
    "SIGNING_KEY_PASSPHRASE": ("pass3", "SIGNING_KEY_PASSPHRASE", "pass3"),
    "SIGNING_CA_CERT_FILE": ("/ca3.pem", "SIGNING_CA_CERT_FILE", "/ca3.pem"),
    "SIGNING_CA_KEY_FILE": ("/ca3.key", "SIGNING_CA_KEY_FILE", "/ca3.key"),
    "SIGNING_CA_KEY_PASSPHRASE": ("capass3", "SIGNING_CA_KEY_PASSPHRASE", "capass3"),
    "SIGNING_TRUSTED_CA_FILE": ("/trusted3.pem", "SIGNING_TRUSTED_CA_FILE", "/trusted3.pem"),
    "VERIFY_CPU_SECONDS": ("3", "VERIFY_CPU_SECONDS", 3),
    "VERIFY_MEMORY_MB": ("3", "VERIFY_MEMORY_MB", 3),
    "ATTACHMENT_MAX_BYTES": ("3", "ATTACHMENT_MAX_BYTES", 3),
    "JOB_LEASE_SECONDS": ("3", "JOB_LEASE_SECONDS", 3),
    "TRUSTED_PROXIES": ("3", "TRUSTED_PROXIES", 3),
    "LETTERHEAD_NAME": ("Network 3", "LETTERHEAD_NAME", "Network 3"),
    "LETTERHEAD_ADDRESS": ("1 Street|Minsk", "LETTERHEAD_ADDRESS", "1 Street|Minsk"),
    "LETTERHEAD_LOGO": ("/logo3.png", "LETTERHEAD_LOGO", "/logo3.png"),
    "INBOUND_IMAP_URL": (
        "imaps://u:p@imap:993/INBOX",
        "INBOUND_IMAP_URL",
        "imaps://u:p@imap:993/INBOX",
    ),
    "INBOUND_ADDRESS": ("in@example.org", "INBOUND_ADDRESS", "in@example.org"),
    "INBOUND_DELIMITER": ("-", "INBOUND_DELIMITER", "-"),
    "INBOUND_SUBADDRESS": ("false", "INBOUND_SUBADDRESS", False),
    "INBOUND_POLL_SECONDS": ("3", "INBOUND_POLL_SECONDS", 3),
    "INBOUND_MAX_BYTES": ("3", "INBOUND_MAX_BYTES", 3),
    "INBOUND_BATCH": ("3", "INBOUND_BATCH", 3),
    "INBOUND_IMAP_TIMEOUT": ("3", "INBOUND_IMAP_TIMEOUT", 3.0),
    "INBOUND_RETENTION_DAYS": ("3", "INBOUND_RETENTION_DAYS", 3),
    "INBOUND_MOVE_GRACE_SECONDS": ("3", "INBOUND_MOVE_GRACE_SECONDS", 3),
    "METRICS_TOKEN": ("t" * 32, "METRICS_TOKEN", "t" * 32),
    "METRICS_ALLOW": ("10.0.0.0/8", "METRICS_ALLOW", "10.0.0.0/8"),
    "WORKER_HEARTBEAT_MAX_AGE": ("3", "WORKER_HEARTBEAT_MAX_AGE", 3),
    "WORKER_HEARTBEAT_SECONDS": ("3", "WORKER_HEARTBEAT_SECONDS", 3.0),
    "LOGIN_MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT": (
        "3",
        "LOGIN_MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT",
        3,
    ),
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": ("3", "LOGIN_MAX_FAILURES_PER_ACCOUNT", 3),
    "LOGIN_MAX_FAILURES_PER_IP": ("3", "LOGIN_MAX_FAILURES_PER_IP", 3),
}


def readme_variables() -> list[str]:
    """The variables the README's Production table lists (first column, in backticks)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| variable | meaning |") :].split("\n\n", 1)[0]
    names = []
    for row in table.splitlines()[2:]:
        first = row.split("|")[1]
        names += [name.split("=")[0] for name in re.findall(r"`([^`]+)`", first)]
    return names


def test_the_readme_table_is_walked():
    names = readme_variables()
    assert {"VERIFY_CPU_SECONDS", "VERIFY_MEMORY_MB", "MAIL_USE_SSL", "COORDAPP_ENV"} <= set(names)
    assert sorted(names) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_variable_in_the_readme_reaches_app_config(name, monkeypatch, tmp_path):
    value, key, expected = SAMPLES[name]
    monkeypatch.delenv(name, raising=False)
    before = config.from_environment(str(tmp_path))
    monkeypatch.setenv(name, value)
    after = config.from_environment(str(tmp_path))
    assert after[key] == expected
    assert before[key] != expected


def test_verify_cpu_seconds_from_the_environment_bounds_the_check(monkeypatch, app):
    """VERIFY_CPU_SECONDS=3 in the environment: app.config has 3, and the worker's check
    of an upload runs with 3 s of CPU (and VERIFY_MEMORY_MB's memory)."""
    from coordapp.signing import bounded
    from coordapp.verify import checks

    monkeypatch.setenv("VERIFY_CPU_SECONDS", "3")
    monkeypatch.setenv("VERIFY_MEMORY_MB", "300")
    overrides = test_config()
    for name in ("VERIFY_CPU_SECONDS", "VERIFY_MEMORY_MB"):
        overrides.pop(name, None)
    configured = create_app(overrides)
    assert configured.config["VERIFY_CPU_SECONDS"] == 3
    assert configured.config["VERIFY_MEMORY_MB"] == 300

    bounds = []
    real = bounded.run_bounded

    def watched(fn, *args, cpu_seconds, memory_bytes, **kwargs):
        bounds.append((cpu_seconds, memory_bytes))
        return real(fn, *args, cpu_seconds=cpu_seconds, memory_bytes=memory_bytes, **kwargs)

    monkeypatch.setattr(bounded, "run_bounded", watched)
    for name in ("VERIFY_CPU_SECONDS", "VERIFY_MEMORY_MB"):
        monkeypatch.setitem(app.config, name, configured.config[name])
    check = checks.start_check(b"%PDF-1.7\n%%EOF\n", "minutes.pdf")
    db.session.commit()
    checks.run_check(check.id)
    assert bounds == [(3, 300 * 1024 * 1024)]
