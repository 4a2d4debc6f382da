"""Configuration read from environment variables (and a `.env` file, if present).

The one place the app reads its settings from the environment: everything else reads
`app.config`. Every variable of the README's table (Production) is read here
(tests/test_config.py walks the table)."""

from __future__ import annotations

import math
import os
import secrets
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

# Published in earlier versions as the development default: never used as a key again.
INSECURE_DEFAULT_KEY = "dev-insecure-secret-key-change-me"
# A production key must look like this much randomness (secrets.token_hex(32) has ~240).
MIN_SECRET_KEY_BITS = 80
MIN_SECRET_KEY_LENGTH = 32
LANGUAGES = ("en", "ru", "be")
# The app's version (coordapp.__version__), written into backups beside the schema
# revision (coordapp/backup.py). Here, not in coordapp/__init__.py: whatever reads it
# would otherwise import the app factory's module.
VERSION = "2026.12"


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


def _default_language() -> str:
    language = (os.environ.get("DEFAULT_LANGUAGE") or "en").strip().lower()
    if language not in LANGUAGES:
        raise RuntimeError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    return language


def from_environment(instance_path: str) -> dict:
    """Build the config mapping for `create_app` from the process environment."""
    env = os.environ.get("COORDAPP_ENV", "development")
    production = env == "production"
    return {
        "ENV_NAME": env,
        # Without SECRET_KEY (outside production), a random key generated on first start
        # and kept in SECRET_KEY_FILE is used: see ensure_secret_key.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SECRET_KEY_FILE": os.environ.get(
            "SECRET_KEY_FILE", str(Path(instance_path) / "secret_key")
        ),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # No pool_pre_ping (a round trip before every request's first query): a pooled
        # connection idle for longer than this is pinged when checked out, one in steady
        # use is not (coordapp/database.py).
        "DATABASE_PING_AFTER_IDLE_SECONDS": float(
            os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", 10)
        ),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # The queue's name: apps sharing one Redis keep their jobs apart by it.
        "HUEY_NAME": os.environ.get("HUEY_NAME") or "coordapp",
        "HUEY_SQLITE_PATH": os.environ.get(
            "HUEY_SQLITE_PATH", str(Path(instance_path) / "huey.sqlite")
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), production),
        # How long a login lasts at most (the server ends it then, "remember me" or not).
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(os.environ.get("LOGIN_DAYS", 30))),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024)),
        # The languages the app speaks, and the one for visitors whose browser asks for
        # none of them (and for emails to contacts in another language).
        "LANGUAGES": list(LANGUAGES),
        "BABEL_DEFAULT_LOCALE": _default_language(),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        # Login throttling: failures allowed in the window before refusing, for one
        # account from one address; for one account from all addresses together (much
        # higher: whoever knows an address must not keep its owner out); per address.
        "LOGIN_MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT": int(
            os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS_AND_ACCOUNT", 5)
        ),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(
            os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 100)
        ),
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", 20)),
        "LOGIN_FAILURE_WINDOW_SECONDS": int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", 900)),
        # How many reverse proxies sit in front of the app (0: none, trust no headers).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
        # Mail: SMTP when MAIL_SERVER is set, else .eml files under instance/mail/.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_USE_TLS": _bool(os.environ.get("MAIL_USE_TLS")),  # STARTTLS
        "MAIL_USE_SSL": _bool(os.environ.get("MAIL_USE_SSL")),  # implicit TLS (port 465)
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", 20)),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Secretariat <secretariat@coordapp.localhost>"
        ),
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR", str(Path(instance_path) / "mail")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", 8)),
        "MAIL_DELIVER_AFTER_COMMIT": True,
        # Answers that arrive by email (coordapp/inbound/): the mailbox the app reads and
        # its public address. Without both, nothing changes (no Reply-To, no VERP).
        "INBOUND_IMAP_URL": os.environ.get("INBOUND_IMAP_URL") or None,
        "INBOUND_ADDRESS": os.environ.get("INBOUND_ADDRESS") or None,
        # meetings+<token>@…: the sub-address delimiter, and whether the server delivers
        # sub-addresses at all (off: replies are matched by UID and From, others held).
        "INBOUND_DELIMITER": os.environ.get("INBOUND_DELIMITER") or "+",
        "INBOUND_SUBADDRESS": _bool(os.environ.get("INBOUND_SUBADDRESS"), True),
        "INBOUND_POLL_SECONDS": int(os.environ.get("INBOUND_POLL_SECONDS", 60)),
        "INBOUND_MAX_BYTES": int(os.environ.get("INBOUND_MAX_BYTES", 10 * 1024 * 1024)),
        "INBOUND_BATCH": int(os.environ.get("INBOUND_BATCH", 50)),
        "INBOUND_IMAP_TIMEOUT": float(os.environ.get("INBOUND_IMAP_TIMEOUT", 30)),
        "INBOUND_RETENTION_DAYS": int(os.environ.get("INBOUND_RETENTION_DAYS", 180)),
        # A message recorded this long ago but still in the mailbox was left by a worker
        # that died before moving it: the next run moves it.
        "INBOUND_MOVE_GRACE_SECONDS": int(os.environ.get("INBOUND_MOVE_GRACE_SECONDS", 120)),
        # Agenda attachments: largest accepted file.
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)),
        # Photos of public meeting summaries: largest accepted file.
        "OUTCOME_PHOTO_MAX_BYTES": int(os.environ.get("OUTCOME_PHOTO_MAX_BYTES", 5 * 1024 * 1024)),
        # Signing: private keys are encrypted with this passphrase (default: derived from
        # SECRET_KEY). A deployment may bring its own CA as files instead.
        "SIGNING_KEY_PASSPHRASE": os.environ.get("SIGNING_KEY_PASSPHRASE") or None,
        "SIGNING_CA_CERT_FILE": os.environ.get("SIGNING_CA_CERT_FILE") or None,
        "SIGNING_CA_KEY_FILE": os.environ.get("SIGNING_CA_KEY_FILE") or None,
        "SIGNING_CA_KEY_PASSPHRASE": os.environ.get("SIGNING_CA_KEY_PASSPHRASE") or None,
        # PEM file of further CAs a chair's own certificate (and /verify) may chain to.
        "SIGNING_TRUSTED_CA_FILE": os.environ.get("SIGNING_TRUSTED_CA_FILE") or None,
        "SIGNING_STAMP_FONT": os.environ.get(
            "SIGNING_STAMP_FONT",
            str(
                Path(__file__).resolve().parent.parent / "static" / "fonts" / "DejaVuSans-stamp.ttf"
            ),
        ),
        # /verify checks an upload in a child process of the worker, within these bounds.
        "VERIFY_CPU_SECONDS": int(os.environ.get("VERIFY_CPU_SECONDS", 10)),
        "VERIFY_MEMORY_MB": int(os.environ.get("VERIFY_MEMORY_MB", 1024)),
        # Background jobs (renders, signatures, /verify checks, mail runs) hold a lease
        # this long, renewed every quarter of it while they run (coordapp/jobs.py); a
        # job whose lease expired (its worker died) is queued again within ~10 s more.
        "JOB_LEASE_SECONDS": float(os.environ.get("JOB_LEASE_SECONDS", 20)),
        # /metrics: a bearer token, and/or addresses or networks allowed without one.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        "METRICS_ALLOW": os.environ.get("METRICS_ALLOW", ""),
        # /readyz: the worker counts as gone when its newest heartbeat is older than this.
        "WORKER_HEARTBEAT_MAX_AGE": int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", 120)),
        "WORKER_HEARTBEAT_SECONDS": float(os.environ.get("WORKER_HEARTBEAT_SECONDS", 15)),
        # Absolute links in emails and calendar files.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "NETWORK_NAME": os.environ.get("NETWORK_NAME", "Coordination network"),
        # The letterhead of official letters (nomination requests): the network's name
        # (default NETWORK_NAME), its postal address (lines split by "|") and a logo file
        # (PNG, JPEG or SVG), read by the worker and embedded in the PDF.
        "LETTERHEAD_NAME": os.environ.get("LETTERHEAD_NAME", ""),
        "LETTERHEAD_ADDRESS": os.environ.get("LETTERHEAD_ADDRESS", ""),
        "LETTERHEAD_LOGO": os.environ.get("LETTERHEAD_LOGO", ""),
        "PER_PAGE": 25,
    }


def estimated_entropy_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length: 'a' * 32 has none."""
    if not key:
        return 0.0
    counts = Counter(key)
    n = len(key)
    return -n * sum(c / n * math.log2(c / n) for c in counts.values())


def is_strong_secret_key(key: str | None) -> bool:
    """Long, not the published key, not a repeated pattern, and random-looking enough."""
    if not key or len(key) < MIN_SECRET_KEY_LENGTH or key == INSECURE_DEFAULT_KEY:
        return False
    if (key + key).find(key, 1) != len(key):  # "ab" * 20, "password1234" * 3
        return False
    return estimated_entropy_bits(key) >= MIN_SECRET_KEY_BITS


def check_production_ready(config: dict) -> None:
    """Refuse to run in production without a strong, configured secret key."""
    if config.get("ENV_NAME") != "production":
        return
    if not is_strong_secret_key(config.get("SECRET_KEY")):
        raise RuntimeError(
            "COORDAPP_ENV=production needs SECRET_KEY set to a long random value "
            "(python -c 'import secrets; print(secrets.token_hex(32))'); a short, repetitive "
            "or published key is refused."
        )


def ensure_secret_key(config: dict) -> None:
    """Outside production, without a configured key, use the instance's own random key.

    The published development key is never used: it would let anyone forge session
    cookies and personal links."""
    key = config.get("SECRET_KEY")
    if key and key != INSECURE_DEFAULT_KEY:
        return
    config["SECRET_KEY"] = load_or_create_secret_key(Path(config["SECRET_KEY_FILE"]))


def load_or_create_secret_key(path: Path) -> str:
    """The key in `path`, generated there (mode 0600) on first use.

    The new key is written to a private temporary file and then hard-linked into place,
    which fails if the file exists: two processes starting at once both end up reading
    the one key that won."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32) + "\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process was first: use its key
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not is_strong_secret_key(key):
        raise RuntimeError(f"{path} does not hold a usable secret key: delete it to make a new one")
    return key
