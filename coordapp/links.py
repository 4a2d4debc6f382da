"""Personal links that work without an account (RSVP, commitment status updates).

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

from flask import current_app

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
