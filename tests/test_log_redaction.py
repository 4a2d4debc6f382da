"""Personal-link tokens never reach the logs: Flask's exception log, the development
server's request lines and gunicorn's access log show the path without them."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from coordapp import create_app
from coordapp.extensions import db
from coordapp.gunicorn_logging import RedactingLogger
from coordapp.invitations import answers
from coordapp.links import rsvp_token
from coordapp.models import Invitation
from coordapp.redaction import redact
from tests.conftest import test_config
from tests.factories import make_contact, make_meeting


def _invitation() -> Invitation:
    invitation = Invitation(meeting=make_meeting(), contact=make_contact())
    db.session.add(invitation)
    db.session.commit()
    return invitation


def test_an_exception_on_an_rsvp_page_is_logged_without_the_token(app, caplog, monkeypatch):
    token = rsvp_token(_invitation())
    failing = create_app(test_config(PROPAGATE_EXCEPTIONS=False))

    def broken(*args, **kwargs):
        raise RuntimeError("the answer could not be stored")

    monkeypatch.setattr(answers, "record_answer", broken)
    with caplog.at_level(logging.ERROR):
        response = failing.test_client().post(f"/rsvp/{token}", data={"status": "accepted"})

    assert response.status_code == 500
    assert "Exception on /rsvp/[redacted] [POST]" in caplog.text
    assert "the answer could not be stored" in caplog.text  # the traceback is kept
    assert token not in caplog.text
    assert token.split(".")[0] not in caplog.text


def test_the_development_servers_request_lines_hide_the_token(app, caplog):
    token = rsvp_token(_invitation())
    create_app(test_config())  # installs the filter on werkzeug's logger
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        # What werkzeug.serving logs for each request.
        logging.getLogger("werkzeug").info(
            '%s - - [%s] "%s" %s -',
            "127.0.0.1",
            "29/Nov/2026 21:00:00",
            f"GET /commitments/status/{token}?done=1 HTTP/1.1",
            "200",
        )
    assert "GET /commitments/status/[redacted]?done=1 HTTP/1.1" in caplog.text
    assert token not in caplog.text


def test_gunicorn_access_log_hides_tokens_in_path_query_and_referer():
    token = f"{'ab' * 16}.{'Xy_-' * 6}"
    cfg = Config()
    logger = RedactingLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/feeds/series/{token}.ics?x=1",
        "PATH_INFO": f"/feeds/series/{token}.ics",
        "QUERY_STRING": f"next=/rsvp/{token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://meetings.example.org/rsvp/{token}",
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))

    line = cfg.access_log_format % atoms + " " + atoms["U"] + " " + atoms["q"]
    assert token not in line and token.split(".")[1] not in line
    assert '"GET /feeds/series/[redacted]?x=1 HTTP/1.1"' in line
    assert "https://meetings.example.org/rsvp/[redacted]" in line


def test_redaction_keeps_what_is_not_a_token():
    assert redact('File "/srv/coordapp/rsvp/routes.py", line 92') == (
        'File "/srv/coordapp/rsvp/routes.py", line 92'
    )
    assert redact("GET /rsvp/0123456789abcdef.trunc HTTP/1.1") == "GET /rsvp/[redacted] HTTP/1.1"
    assert redact("/meetings/12/agenda") == "/meetings/12/agenda"
