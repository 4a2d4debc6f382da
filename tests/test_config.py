"""Configuration comes from the environment and refuses unsafe production settings."""

import os
import secrets
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from coordapp import create_app
from coordapp.config import INSECURE_DEFAULT_KEY, load_or_create_secret_key
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
