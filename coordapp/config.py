"""Configuration read from environment variables (and a `.env` file, if present)."""

from __future__ import annotations

import os
from pathlib import Path

INSECURE_DEFAULT_KEY = "dev-insecure-secret-key-change-me"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "coordapp.sqlite")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: str) -> dict:
    """Build the config mapping for `create_app` from the process environment."""
    env = os.environ.get("COORDAPP_ENV", "development")
    production = env == "production"
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", INSECURE_DEFAULT_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "HUEY_SQLITE_PATH": os.environ.get(
            "HUEY_SQLITE_PATH", str(Path(instance_path) / "huey.sqlite")
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024)),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["en"],
        # Login throttling: failures allowed in the window before refusing.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)),
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", 20)),
        "LOGIN_FAILURE_WINDOW_SECONDS": int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", 900)),
        # How many reverse proxies sit in front of the app (0: none, trust no headers).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
        "NETWORK_NAME": os.environ.get("NETWORK_NAME", "Coordination network"),
        "PER_PAGE": 25,
    }


def check_production_ready(config: dict) -> None:
    """Refuse to run in production with a guessable secret key."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if key == INSECURE_DEFAULT_KEY or len(key) < 32:
        raise RuntimeError(
            "COORDAPP_ENV=production needs SECRET_KEY set to a random value of at least "
            "32 characters (python -c 'import secrets; print(secrets.token_hex(32))')."
        )
