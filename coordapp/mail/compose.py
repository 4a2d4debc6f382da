"""Rendering an email from templates in the recipient's language.

An email named NAME has three templates under templates/mail/: NAME.subject.txt,
NAME.txt (plain text) and NAME.html (HTML, extends mail/_layout.html).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale

SUBJECT_MAX_LENGTH = 500  # OutgoingMessage.subject is a VARCHAR(500)


@dataclass(frozen=True)
class Email:
    """What a writer produces for one outbox row. `calendar` is (METHOD, iCalendar text)
    for a calendar part, e.g. ("REQUEST", "BEGIN:VCALENDAR…")."""

    subject: str
    text: str
    html: str | None = None
    calendar: tuple[str, str] | None = None

    def columns(self) -> dict:
        """The outbox row's content columns."""
        return {
            "subject": self.subject,
            "text_body": self.text,
            "html_body": self.html,
            "ics_method": self.calendar[0] if self.calendar else None,
            "ics_body": self.calendar[1] if self.calendar else None,
        }


def language_or_default(preferred: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return preferred if preferred in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def render_email(
    name: str, language: str | None, *, calendar: tuple[str, str] | None = None, **context
) -> Email:
    """Email NAME rendered from its templates, in `language` where a translation exists."""
    context.setdefault("network_name", current_app.config["NETWORK_NAME"])
    with force_locale(language_or_default(language)):
        subject = render_template(f"mail/{name}.subject.txt", **context)
        text = render_template(f"mail/{name}.txt", **context)
        html = render_template(f"mail/{name}.html", **context)
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX_LENGTH:  # a long title and name must not break the outbox
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    return Email(subject=subject, text=text.strip() + "\n", html=html, calendar=calendar)
