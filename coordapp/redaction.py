"""Personal-link tokens are the only secret of an RSVP, status-update or calendar-feed
link: keep them out of the logs (Flask's "Exception on /rsvp/<token> [POST]", the
development server's request lines, gunicorn's access log)."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# A token anywhere (links.make_token: <32 hex>.<mac>), and after the prefix of a personal
# link whatever starts like one, even malformed or truncated (but not a traceback's
# ".../coordapp/rsvp/routes.py").
_TOKEN = re.compile(r"[0-9a-f]{32}\.[A-Za-z0-9_-]{20,64}")
_PERSONAL_PATH = re.compile(
    r"(/(?:rsvp|commitments/status|feeds/series)/)[0-9a-fA-F]{8}[^/\s?#\"']*"
)


def redact(text: str) -> str:
    return _TOKEN.sub(REDACTED, _PERSONAL_PATH.sub(r"\g<1>" + REDACTED, text))


class RedactTokens(logging.Filter):
    """Rewrites a record's message (and its traceback text) without tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's own problem
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(logger: logging.Logger) -> None:
    """Filter `logger`'s records (once, however many apps a process builds)."""
    if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
        logger.addFilter(RedactTokens())


def install_on_app(app) -> None:
    install(app.logger)
    install(logging.getLogger("werkzeug"))
