"""Reading one email that arrived, defensively: mail is hostile input.

    read(raw: bytes) -> Mail     # never raises for a bad message: Mail.problem says why

Headers are decoded whatever they are written in: RFC 2047 words in any charset, and raw
8-bit headers (windows-1251 or koi8-r, as Belarusian and Russian government servers send
them; which of the two is guessed from the letters, as lower case dominates in text).
Nesting deeper than MAX_DEPTH, more than MAX_PARTS parts, calendar parts that do not parse
or name more than MAX_ATTENDEES attendees: the message is unreadable, with the reason.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr

MAX_DEPTH = 20
MAX_PARTS = 200
MAX_ATTENDEES = 100
MAX_TEXT = 20_000
MAX_CALENDAR_BYTES = 1024 * 1024


@dataclass
class Attachment:
    name: str
    content_type: str
    size: int


@dataclass
class Mail:
    """What the handlers need of one email."""

    message: Message | None
    message_id: str | None = None
    from_address: str | None = None
    from_name: str | None = None
    subject: str = ""
    # Every address it was sent to (To, Cc, Delivered-To, X-Original-To…), lower case.
    recipients: list[str] = field(default_factory=list)
    # Message-IDs it answers (In-Reply-To, References).
    answers_to: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    calendars: list[str] = field(default_factory=list)  # iCalendar texts, top level only
    attachments: list[Attachment] = field(default_factory=list)
    is_report: bool = False  # multipart/report; report-type=delivery-status
    problem: str | None = None  # why it cannot be read safely

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


# --- headers ---------------------------------------------------------------------------------

_CYRILLIC_LOWER = re.compile("[а-яё]")
_CYRILLIC_UPPER = re.compile("[А-ЯЁ]")


def _guess_cyrillic(data: bytes) -> str:
    """Raw 8-bit text: UTF-8 if it is, else windows-1251 or koi8-r, whichever reads as
    mostly lower-case letters (the other one swaps the cases)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best, best_score = data.decode("latin-1"), -1
    for charset in ("windows-1251", "koi8-r"):
        text = data.decode(charset, "replace")
        score = len(_CYRILLIC_LOWER.findall(text)) - len(_CYRILLIC_UPPER.findall(text))
        if score > best_score:
            best, best_score = text, score
    return best


def _decode_bytes(data: bytes, charset: str | None) -> str:
    if charset:
        try:
            return data.decode(charset.strip().lower())
        except (LookupError, UnicodeDecodeError):
            pass
    return _guess_cyrillic(data)


def decode_header_value(value) -> str:
    """A header as text, on one line, whatever its encoding."""
    if value is None:
        return ""
    if isinstance(value, Header):  # raw 8-bit bytes in the header (compat32 keeps them)
        try:
            pieces = decode_header(value)
        except Exception:  # noqa: BLE001
            pieces = [(str(value), None)]
        return _joined(pieces)
    if not isinstance(value, str):
        value = str(value)
    raw = value.encode("ascii", "surrogateescape") if _has_surrogates(value) else None
    if raw is not None:  # 8-bit bytes in the header, kept by the parser as surrogates
        value = _guess_cyrillic(raw)
    try:
        pieces = decode_header(value)
    except Exception:  # noqa: BLE001  (a malformed encoded word: keep it as written)
        pieces = [(value, None)]
    return _joined(pieces)


def _joined(pieces) -> str:
    out = []
    for piece, charset in pieces:
        out.append(_decode_bytes(piece, charset) if isinstance(piece, bytes) else piece)
    return " ".join("".join(out).split())


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


# --- bodies ----------------------------------------------------------------------------------

_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,2000}>", re.S | re.I)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d)\b[^>]{0,200}>", re.I)


def html_to_text(markup: str) -> str:
    text = _BREAKS.sub("\n", markup[: MAX_TEXT * 5])
    text = html.unescape(_TAGS.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        return b""
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message) -> str:
    return _decode_bytes(_payload(part), part.get_content_charset())


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        return None
    return decode_header_value(name) if name else None


def _parts(message: Message):
    """Every part with its depth, iteratively (no recursion to exhaust); message/rfc822
    parts (a bounce's copy of the original) are not entered."""
    stack = [(message, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"MIME parts nested deeper than {MAX_DEPTH} levels")
        if count > MAX_PARTS:
            raise ValueError(f"more than {MAX_PARTS} MIME parts")
        yield part, depth
        if part.is_multipart() and part.get_content_maintype() != "message":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))


def _is_calendar(part: Message, name: str | None) -> bool:
    content_type = part.get_content_type()
    return content_type in ("text/calendar", "application/ics") or bool(
        name and name.lower().endswith(".ics")
    )


def read(raw: bytes) -> Mail:
    """The email in `raw`; a message that cannot be read safely has `problem` set."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as error:  # noqa: BLE001
        return Mail(message=None, problem=f"not an email: {type(error).__name__}")
    mail = Mail(message=message)
    try:
        _read_headers(mail, message)
        _read_parts(mail, message)
    except (ValueError, RecursionError, LookupError, TypeError, AttributeError) as error:
        mail.problem = str(error)[:500] or type(error).__name__
    return mail


def _read_headers(mail: Mail, message: Message) -> None:
    for name in (
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "x-auto-response-suppress",
        "precedence",
        "content-type",
        "return-path",
    ):
        mail.headers[name] = decode_header_value(message.get(name)).lower()
    mail.subject = decode_header_value(message.get("subject"))[:500]
    from_name, from_address = parseaddr(decode_header_value(message.get("from")))
    mail.from_name = from_name[:200] or None
    mail.from_address = from_address.lower()[:254] or None
    mail.message_id = decode_header_value(message.get("message-id"))[:255] or None
    fields = []
    for name in ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to"):
        fields.extend(decode_header_value(value) for value in message.get_all(name) or [])
    mail.recipients = sorted({addr.lower() for _n, addr in getaddresses(fields) if "@" in addr})
    answers = " ".join(
        decode_header_value(message.get(name)) for name in ("in-reply-to", "references")
    )
    mail.answers_to = re.findall(r"<[^<>\s]{1,250}>", answers)


def _read_parts(mail: Mail, message: Message) -> None:
    texts, htmls = [], []
    mail.is_report = (
        message.get_content_type() == "multipart/report"
        and (message.get_param("report-type") or "").lower() == "delivery-status"
    )
    for part, _depth in _parts(message):
        if part.is_multipart():
            continue
        name = _filename(part)
        content_type = part.get_content_type()
        if _is_calendar(part, name):
            data = _payload(part)
            if len(data) > MAX_CALENDAR_BYTES:
                raise ValueError("calendar part too large")
            mail.calendars.append(_decode_bytes(data, part.get_content_charset() or "utf-8"))
            if name:
                mail.attachments.append(Attachment(name[:200], content_type, len(data)))
            continue
        disposition = (part.get("content-disposition") or "").lower()
        if name or disposition.startswith("attachment"):
            size = len(_payload(part))
            mail.attachments.append(Attachment((name or "attachment")[:200], content_type, size))
            continue
        if content_type == "text/plain":
            texts.append(_part_text(part))
        elif content_type == "text/html":
            htmls.append(_part_text(part))
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text and htmls:
        text = "\n\n".join(html_to_text(h) for h in htmls)
    mail.text = text.replace("\r\n", "\n").replace("\x00", "")[:MAX_TEXT]
