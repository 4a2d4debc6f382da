"""Personal links that work without an account (RSVP, scheduling polls, commitment
status updates).

A link token is `<link_id>.<mac>`: `link_id` is 128 random bits stored in the database,
`mac` an HMAC of it keyed by the app's SECRET_KEY and the link's purpose. A copy of the
database alone therefore yields no working link, while the app can rebuild any link
(so the secretariat can copy it) and check a token without storing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.urls import iri_to_uri

_TOKEN = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{20,64})$")


def _mac(link_id: str, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{link_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def make_token(link_id: str, purpose: str) -> str:
    return f"{link_id}.{_mac(link_id, purpose)}"


def link_id_from_token(token: str, purpose: str) -> str | None:
    """The link id if `token` is well formed and its MAC is right, else None."""
    match = _TOKEN.match(token or "")
    if not match:
        return None
    link_id, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(link_id, purpose)):
        return None
    return link_id


# --- where to go back to -------------------------------------------------------------------


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: every `next` (after logging in,
    choosing a language, retrying a message…) goes through here, so none leads off-site.

    Browsers drop tabs and line breaks inside a URL and treat "\\" like "/", so
    "/\t/evil.example/" and "/\\evil.example" would leave the site: any control
    character or backslash refuses the target (and a line break would break the header).
    The path is returned ASCII-only, as a Location header must be."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return iri_to_uri(target)


# --- absolute links --------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    """A link for an email or calendar file: BASE_URL + path."""
    return current_app.config["BASE_URL"] + path


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint`, inside a request or not (the worker builds links
    for emails too): BASE_URL + the route's path."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return absolute_url(path)


# --- the personal links themselves -----------------------------------------------------------


@dataclass(frozen=True)
class PersonalLink:
    """A kind of personal link: the purpose its tokens are signed for, and what a wrong
    one is told (may be lazy: translated only for a wrong link). The feature that owns
    the page declares it; `coordapp.web.load_by_link` opens one."""

    purpose: str
    invalid_message: Any


RSVP_PURPOSE = "rsvp"


def rsvp_token(invitation) -> str:
    return make_token(invitation.link_id, RSVP_PURPOSE)


def rsvp_url(invitation) -> str:
    """The invitee's personal page, absolute (for emails, calendar files and copying)."""
    return external_url("rsvp.show", token=rsvp_token(invitation))


POLL_PURPOSE = "poll"


def poll_token(respondent) -> str:
    return make_token(respondent.link_id, POLL_PURPOSE)


def poll_url(respondent) -> str:
    """The person's page for answering a scheduling poll, absolute (for emails and copying).
    The page is the endpoint "poll_answer.show" (a blueprint the poll pages add)."""
    return external_url("poll_answer.show", token=poll_token(respondent))


NOMINATION_PURPOSE = "nominate"


def nomination_token(nomination_request) -> str:
    return make_token(nomination_request.link_id, NOMINATION_PURPOSE)


def nomination_url(nomination_request) -> str:
    """The focal point's page for nominating an organisation's delegates, absolute (for
    emails, letters and copying). The page is the endpoint "nominations.page"."""
    return external_url("nominations.page", token=nomination_token(nomination_request))


def slugify(text: str | None, max_length: int = 80) -> str:
    """A readable piece of an address or file name: "UN Country Network, 4th" becomes
    "un-country-network-4th" (letters of any script kept, lower-cased)."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in (text or "").lower())
    return "-".join(part for part in cleaned.split("-") if part)[:max_length].strip("-")
