"""Configuration comes from the environment and refuses unsafe production settings."""

import pytest

from coordapp import create_app
from coordapp.config import INSECURE_DEFAULT_KEY
from tests.conftest import test_config


def test_production_refuses_to_start_without_a_real_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY=INSECURE_DEFAULT_KEY))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(test_config(ENV_NAME="production", SECRET_KEY="short"))


def test_production_starts_with_a_long_random_secret_key():
    app = create_app(test_config(ENV_NAME="production", SECRET_KEY="x" * 40))
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


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
