"""Error pages: a clear message and the right 4xx, never a bare 500."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to do this."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    410: _l("This link is no longer valid."),
    413: _l("The file you sent is too large."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Nothing you saved was lost."),
    503: _l("The service is temporarily unavailable."),
}


def render_error(code: int, message: str | None = None):
    return (
        render_template("errors/error.html", code=code, message=message or MESSAGES.get(code, "")),
        code,
    )


def http_error(error: HTTPException):
    code = error.code or 500
    # abort(404, "That meeting does not exist.") shows its own words; a bare
    # abort(404) shows our standard message.
    custom = error.description if error.description != type(error).description else None
    return render_error(code, custom)


def csrf_error(error: CSRFError):
    return render_error(
        400,
        _l("Your form expired or came from elsewhere. Please go back, reload and try again."),
    )


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
