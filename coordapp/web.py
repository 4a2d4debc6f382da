"""What every blueprint's views share, and nothing page-specific: loading the object a
URL names (404 when it does not exist) and opening a personal link (RSVP, scheduling
poll, commitment status, calendar feed) behind the throttle. What a page reads with its
object is the page's feature's business (its loader, next to its service).

A view loads, checks access, calls services (passing who acts: services never read the
request or the logged-in user), then commits once at the end. A refusal (DomainError)
that the view does not turn into a better page reaches errors.register, which rolls back
and answers with the error's own status.

A personal link works without an account, so its token is the only secret: a wrong one
counts against the client's address and, past the limit, the address waits (429) while
anyone holding a right token is never blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coordapp import gcm, ratelimit
from coordapp.extensions import db
from coordapp.links import PersonalLink, link_id_from_token
from coordapp.models import Meeting, meeting_page_options

T = TypeVar("T")

BAD_LINK_BUCKET = "bad-personal-link"
BAD_LINK_LIMIT = 30
BAD_LINK_WINDOW_SECONDS = 600


def register(app: Flask) -> None:
    """Every page's data comes from its view; these only format what they are given."""
    app.add_template_global(gcm.sdg_title, "sdg_name")
    app.add_template_global(gcm.gcm_title)
    app.add_template_global(gcm.gcm_label)


# --- objects named in the URL --------------------------------------------------------------


def or_404(found: T | None, message: Any = None) -> T:
    """`found`, or 404 with `message` (may be lazy) when there is nothing."""
    if found is None:
        abort(404, str(message or _l("This page does not exist.")))
    return found


def get_or_404(model: type[T], ident: int, *options: Any, message: Any = None) -> T:
    """The `model` row `ident`, loaded with `options` (what the page shows), or 404."""
    query = sa.select(model).where(model.id == ident)  # type: ignore[attr-defined]
    return or_404(db.session.scalar(query.options(*options)), message)


def get_meeting_or_404(meeting_id: int) -> Meeting:
    """The meeting with its series and chairs: what every feature's meeting pages show
    in their header (the meeting is the aggregate all of them hang off)."""
    return get_or_404(
        Meeting, meeting_id, *meeting_page_options(), message=_l("This meeting does not exist.")
    )


# --- personal links ------------------------------------------------------------------------


def load_by_link(token: str, link: PersonalLink, find: Callable[[str], T | None]) -> T:
    """What `find(link_id)` returns for a right `token` of the `link` kind; else 404 with
    the link's message, or 429 once the client's address has sent too many wrong tokens
    (of any kind). `find` is the page's loader (its feature's); it may refuse a right
    link with a DomainError carrying its status (a withdrawn invitation: 410)."""
    link_id = link_id_from_token(token, link.purpose)
    found = find(link_id) if link_id is not None else None
    if found is None:
        allowed = ratelimit.hit_and_check(
            BAD_LINK_BUCKET,
            request.remote_addr or "unknown",
            BAD_LINK_LIMIT,
            BAD_LINK_WINDOW_SECONDS,
        )
        if not allowed:
            abort(429, _("Too many wrong links from your address. Please wait ten minutes."))
        abort(404, str(link.invalid_message))
    return found
