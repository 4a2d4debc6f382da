"""Sub-addresses of the mailbox the app reads (INBOUND_ADDRESS): where answers and
bounces come back to.

    invitation_address(invitation_id) -> "meetings+i7k-<mac>@network.example.org"
        the Reply-To of every email about an invitation and its .ics ORGANIZER
    bounce_address(message_id) -> "meetings+m2s-<mac>@…"
        the envelope sender (MAIL FROM) of outbox row `message_id` (VERP)
    parse(address) -> SubAddress | None

A token is a kind letter, the row's id in base 36 and an HMAC of both keyed by the app's
SECRET_KEY (120 bits, base 32): nobody can make one for another invitation, it fits the
64-octet local part, and it is all lower case, so it survives a server that lowercases
the local part (parsing lowercases first). Without INBOUND_ADDRESS, or with
INBOUND_SUBADDRESS off, no sub-address is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from flask import current_app

INVITATION = "i"
MESSAGE = "m"
_TOKEN = re.compile(r"^([im])([0-9a-z]{1,13})-([a-z2-7]{24})$")
LOCAL_PART_LIMIT = 64


@dataclass(frozen=True)
class SubAddress:
    kind: str  # INVITATION or MESSAGE
    id: int


def inbound_address() -> str | None:
    """INBOUND_ADDRESS, or None when the app reads no mailbox."""
    return (current_app.config.get("INBOUND_ADDRESS") or "").strip() or None


def uses_subaddresses() -> bool:
    return inbound_address() is not None and bool(current_app.config.get("INBOUND_SUBADDRESS"))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _mac(kind: str, ident: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"inbound:{kind}:{ident}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def token(kind: str, row_id: int) -> str:
    ident = _base36(row_id)
    return f"{kind}{ident}-{_mac(kind, ident)}"


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain


def _subaddress(kind: str, row_id: int) -> str:
    base = inbound_address()
    assert base is not None
    local, domain = _split(base)
    full = f"{local}{current_app.config['INBOUND_DELIMITER']}{token(kind, row_id)}"
    if len(full) > LOCAL_PART_LIMIT:
        raise ValueError("INBOUND_ADDRESS's local part is too long for sub-addresses")
    return f"{full}@{domain}"


def invitation_address(invitation_id: int | None) -> str | None:
    """Where answers about invitation `invitation_id` go: its sub-address, the plain
    INBOUND_ADDRESS without sub-addressing, None when the app reads no mailbox."""
    if inbound_address() is None:
        return None
    if not uses_subaddresses() or invitation_id is None:
        return inbound_address()
    return _subaddress(INVITATION, invitation_id)


def bounce_address(message_id: int) -> str | None:
    """The envelope sender of outbox row `message_id`, or None (then MAIL_DEFAULT_SENDER)."""
    if inbound_address() is None:
        return None
    if not uses_subaddresses():
        return inbound_address()
    return _subaddress(MESSAGE, message_id)


def parse(address: str | None) -> SubAddress | None:
    """What sub-address `address` is, if it is a genuine one of INBOUND_ADDRESS."""
    base = inbound_address()
    if not base or not address:
        return None
    local, domain = _split(address.strip().strip("<>").lower())
    base_local, base_domain = _split(base.lower())
    prefix = base_local + current_app.config["INBOUND_DELIMITER"].lower()
    if domain != base_domain or not local.startswith(prefix):
        return None
    match = _TOKEN.match(local[len(prefix) :])
    if not match:
        return None
    kind, ident, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(kind, ident)):
        return None
    return SubAddress(kind, int(ident, 36))
