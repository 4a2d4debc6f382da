"""gunicorn's logger without personal-link tokens in the access and error logs:

gunicorn --logger-class coordapp.gunicorn_logging.RedactingLogger wsgi:app
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from coordapp.redaction import install, redact


class RedactingLogger(Logger):
    def __init__(self, cfg) -> None:
        super().__init__(cfg)
        install(self.error_log)  # "Error handling request /rsvp/<token>"

    def atoms(self, resp, req, environ, request_time) -> dict:
        # Every atom: %(r)s, %(U)s, %(q)s, the Referer %(f)s and any {header}i.
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
