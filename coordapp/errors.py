"""Error pages: a clear message and the right 4xx, never a bare 500.

Services refuse what the rules do not allow by raising a `DomainError` (each feature
has its own subclass): it carries the message for the user and the HTTP status. A view
that has a better page to show (the form again, with the message) catches it; anything
else reaches the one handler here, which rolls the session back, so nothing half-done
is ever committed, and shows the error page.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coordapp.extensions import db, login_manager


class DomainError(Exception):
    """A rule of the domain refused what was asked. `message` is for the user; `status`
    is what the page answers (409: the state does not allow it, 400: what was typed is
    wrong, 403: this person may not)."""

    status = 409

    def __init__(self, message: str | None = None) -> None:
        super().__init__(*(() if message is None else (message,)))
        self.message = message


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


def render_error(code: int, message: str | None = None, **context):
    return (
        render_template(
            "errors/error.html", code=code, message=message or MESSAGES.get(code, ""), **context
        ),
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


def wants_json() -> bool:
    """The page's script asked (Accept: application/json) rather than the browser."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def domain_error(error: DomainError):
    db.session.rollback()
    message = str(error.message) if error.message else None
    if wants_json():
        return jsonify(ok=False, message=message or str(MESSAGES.get(error.status, ""))), (
            error.status
        )
    return render_error(error.status, message)


# The database does not answer: down, unreachable, out of connections, locked too long.
DATABASE_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def database_unavailable(error: Exception):
    """503 with the error page (not a 500): the request may well work in a minute."""
    current_app.logger.error("database unavailable: %s", type(error).__name__, exc_info=error)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: nothing to roll back
        pass
    # The page's header shows who is logged in, which would ask the database again: the
    # user loader answers "nobody" from now on (coordapp/__init__.py), and the page is
    # shown to nobody, even if a user was loaded before the database went away.
    g.database_unavailable = True
    if wants_json():
        response = jsonify(ok=False, message=str(MESSAGES[503]))
        response.status_code = 503
    else:
        nobody = login_manager.anonymous_user()
        response = current_app.make_response(render_error(503, current_user=nobody))
    response.headers["Retry-After"] = "30"
    return response


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DomainError, domain_error)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
