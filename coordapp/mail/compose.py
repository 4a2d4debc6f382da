"""Rendering an email from templates in the recipient's language.

An email named NAME has three templates under templates/mail/: NAME.subject.txt,
NAME.txt (plain text) and NAME.html (HTML, extends mail/_layout.html).
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

SUBJECT_MAX_LENGTH = 500  # OutgoingMessage.subject is a VARCHAR(500)


def _language(preferred: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return preferred if preferred in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def render_email(name: str, language: str | None, **context) -> tuple[str, str, str]:
    """(subject, text, html) of email NAME, in `language` where a translation exists."""
    context.setdefault("network_name", current_app.config["NETWORK_NAME"])
    with force_locale(_language(language)):
        subject = render_template(f"mail/{name}.subject.txt", **context)
        text = render_template(f"mail/{name}.txt", **context)
        html = render_template(f"mail/{name}.html", **context)
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX_LENGTH:  # a long title and name must not break the outbox
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    return subject, text.strip() + "\n", html


def absolute_url(path: str) -> str:
    """A link for an email or calendar file: BASE_URL + path."""
    return current_app.config["BASE_URL"] + path


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint`, inside a request or not (the worker builds links
    for emails too): BASE_URL + the route's path."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return absolute_url(path)
