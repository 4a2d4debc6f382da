"""Formatted text typed by users (Markdown), rendered safely.

Markdown is parsed with raw HTML switched off, and the resulting HTML is passed through
an allow-list sanitiser, so no script, style, event handler or `javascript:` link gets
through — in pages and in PDFs alike.

Markdown is rendered once, when the text is saved: each Markdown column has an HTML
column beside it, set whenever the Markdown is set (`MARKDOWN_COLUMNS`). Pages and PDFs
show the stored HTML (the `stored_html` filter), so a hostile text costs its author one
render at save, never every reader one render per view.
"""

from __future__ import annotations

from typing import Any

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup

from coordapp.models import AgendaItem, MinutesItem, MinutesVersion, OutcomeSummary

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")  # no images: a PDF must never fetch anything

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for `text` written in Markdown (paragraphs, lists, bold, italic, links)."""
    if not text:
        return Markup("")
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def html_of(text: str | None) -> str | None:
    """What to store beside the Markdown `text`: its sanitised HTML (None for no text)."""
    return str(render_markdown(text)) if text else None


def stored_html(html: str | None) -> Markup:
    """Show HTML that `html_of` stored at save time (already sanitised)."""
    return Markup(html or "")


# Markdown column -> the column holding its HTML, per model.
MARKDOWN_COLUMNS: dict[type, dict[str, str]] = {
    AgendaItem: {"description": "description_html"},
    MinutesItem: {"text": "text_html"},
    MinutesVersion: {
        "opening_summary": "opening_summary_html",
        "closing_summary": "closing_summary_html",
    },
    OutcomeSummary: {"body": "body_html"},
}


def with_html(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """`values` for a bulk UPDATE of `model`, plus the HTML of each Markdown value in it
    (an UPDATE statement sets no attributes, so the listeners below do not see it)."""
    html = {
        html_column: html_of(values[column])
        for column, html_column in MARKDOWN_COLUMNS[model].items()
        if column in values
    }
    return {**values, **html}


def _render_into(html_column: str):
    def set_html(target, value, oldvalue, initiator):
        setattr(target, html_column, html_of(value))

    return set_html


_LISTENERS = [
    (getattr(model, column), _render_into(html_column))
    for model, columns in MARKDOWN_COLUMNS.items()
    for column, html_column in columns.items()
]


def keep_html_beside_markdown() -> None:
    """Whenever a Markdown attribute is set (constructor, service, demo, tests), set its
    HTML column too. Idempotent: every app calls it."""
    for attribute, listener in _LISTENERS:
        if not sa.event.contains(attribute, "set", listener):
            sa.event.listen(attribute, "set", listener)


def register(app) -> None:
    keep_html_beside_markdown()
    app.jinja_env.filters["stored_html"] = stored_html
