"""Reading the mailbox over IMAP (INBOUND_IMAP_URL): new messages only, in bounded
batches, each processed exactly once (coordapp/inbound/service.py), then moved to the
folders `Processed` or `Needs attention` (created on first use), never deleted.

    fetch(limit=None) -> FetchSummary

Messages are known by UID within the mailbox's UIDVALIDITY: if the server renumbers the
mailbox (a new UIDVALIDITY), what is still in it is new to the app, and anything the app
had already processed was moved out of it. A message bigger than INBOUND_MAX_BYTES is
moved to `Needs attention` without being downloaded. Every network step has a timeout.
"""

from __future__ import annotations

import imaplib
import random
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from flask import current_app

from coordapp.extensions import db
from coordapp.inbound import service
from coordapp.models import InboundFolder


class MailboxError(Exception):
    """The mailbox cannot be used (settings, network, login)."""


@dataclass
class FetchSummary:
    seen: int = 0
    processed: int = 0
    # Recorded already (by another worker, or by a run killed before it moved them):
    # moved on, nothing done again.
    skipped: int = 0
    needs_attention: int = 0
    too_large: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        kinds = " ".join(f"{k}={v}" for k, v in sorted(self.kinds.items()))
        return (
            f"seen={self.seen} processed={self.processed} skipped={self.skipped} "
            f"needs_attention={self.needs_attention} too_large={self.too_large}"
            + (f" {kinds}" if kinds else "")
        )


@dataclass(frozen=True)
class MailboxSettings:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> MailboxSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise MailboxError("INBOUND_IMAP_URL must look like imaps://user:password@host/INBOX")
        secure = parts.scheme == "imaps"
        return cls(
            secure=secure,
            host=parts.hostname,
            port=parts.port or (993 if secure else 143),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response: tuple, what: str) -> list:
    typ, data = response
    if typ != "OK":
        raise MailboxError(f"{what}: {data!r}"[:300])
    return data


def connect(settings: MailboxSettings, timeout: float) -> imaplib.IMAP4:
    try:
        if settings.secure:
            connection = imaplib.IMAP4_SSL(
                settings.host,
                settings.port,
                ssl_context=ssl.create_default_context(),
                timeout=timeout,
            )
        else:
            connection = imaplib.IMAP4(settings.host, settings.port, timeout=timeout)
            if "STARTTLS" in connection.capabilities:
                connection.starttls(ssl_context=ssl.create_default_context())
        connection.login(settings.user, settings.password)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"cannot use the mailbox at {settings.host}: {error}") from error
    return connection


def _ensure_folders(connection: imaplib.IMAP4) -> None:
    for folder in InboundFolder:
        typ, _data = connection.create(_quote(folder.value))
        # NO [ALREADYEXISTS]: fine. Anything else shows up when moving.


def _uidvalidity(connection: imaplib.IMAP4) -> int:
    _typ, data = connection.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    data = _check(connection.status(_quote("INBOX"), "(UIDVALIDITY)"), "STATUS")
    match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
    if not match:
        raise MailboxError("the server names no UIDVALIDITY")
    return int(match.group(1))


def _sizes(connection: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    data = _check(connection.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)"), "FETCH sizes")
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not line:
            continue
        uid = re.search(rb"UID (\d+)", line)
        size = re.search(rb"RFC822\.SIZE (\d+)", line)
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _body(connection: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None  # gone (moved by another worker meanwhile)


def _move(connection: imaplib.IMAP4, uids: list[int], folder: str) -> None:
    if not uids:
        return
    which = ",".join(map(str, uids))
    if "MOVE" in connection.capabilities:
        connection.uid("MOVE", which, _quote(folder))
        return
    typ, _data = connection.uid("COPY", which, _quote(folder))
    if typ == "OK":
        connection.uid("STORE", which, "+FLAGS.SILENT", r"(\Deleted)")
        if "UIDPLUS" in connection.capabilities:
            connection.uid("EXPUNGE", which)
        else:
            connection.expunge()


def fetch(limit: int | None = None) -> FetchSummary:
    """Read the mailbox once: up to `limit` messages (default: all there are, in batches
    of INBOUND_BATCH)."""
    config = current_app.config
    if not config.get("INBOUND_IMAP_URL") or not config.get("INBOUND_ADDRESS"):
        raise MailboxError("INBOUND_IMAP_URL and INBOUND_ADDRESS are not set")
    settings = MailboxSettings.from_url(config["INBOUND_IMAP_URL"])
    summary = FetchSummary()
    connection = connect(settings, config["INBOUND_IMAP_TIMEOUT"])
    try:
        _ensure_folders(connection)
        _check(connection.select(_quote(settings.folder)), f"SELECT {settings.folder}")
        uidvalidity = _uidvalidity(connection)
        data = _check(connection.uid("SEARCH", None, "ALL"), "SEARCH")
        uids = [int(u) for u in (data[0] or b"").split()]
        if limit is not None:
            uids = uids[:limit]
        batch = max(1, int(config["INBOUND_BATCH"]))
        batches = [uids[i : i + batch] for i in range(0, len(uids), batch)]
        # Workers polling at once start at different batches, so they rarely wait on
        # each other; whoever comes second to a message finds it recorded.
        if len(batches) > 1:
            start = random.randrange(len(batches))
            batches = batches[start:] + batches[:start]
        for chunk in batches:
            _process_batch(connection, settings.folder, uidvalidity, chunk, summary)
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return summary


def _process_batch(connection, folder: str, uidvalidity: int, uids: list[int], summary) -> None:
    summary.seen += len(uids)
    destinations: dict[str, list[int]] = {f.value: [] for f in InboundFolder}
    done = service.already_processed(folder, uidvalidity, uids)
    db.session.commit()  # no transaction open while talking to the server
    for uid, (where, left_behind) in done.items():
        if left_behind:
            destinations.setdefault(where, []).append(uid)
        summary.skipped += 1
    todo = [uid for uid in uids if uid not in done]
    sizes = _sizes(connection, todo) if todo else {}
    limit = current_app.config["INBOUND_MAX_BYTES"]
    for uid in todo:
        size = sizes.get(uid)
        if size is None:
            continue  # moved away meanwhile (another worker)
        if size > limit:
            row = service.record_oversized(folder, uidvalidity, uid, size)
            if row is None:
                summary.skipped += 1
                continue
            summary.too_large += 1
            summary.needs_attention += 1
            destinations[row.folder].append(uid)
            continue
        raw = _body(connection, uid)
        if raw is None:
            continue
        row = service.process_message(folder, uidvalidity, uid, raw)
        if row is None:
            summary.skipped += 1
            continue
        summary.processed += 1
        summary.kinds[row.kind.value] = summary.kinds.get(row.kind.value, 0) + 1
        if row.folder == InboundFolder.NEEDS_ATTENTION.value:
            summary.needs_attention += 1
        destinations[row.folder].append(uid)
    for where, moved in destinations.items():
        _move(connection, moved, where)
