"""A real SMTP server on loopback (aiosmtpd) for tests: it records what it receives,
can refuse chosen recipients, and can be stopped and started again on the same port."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self._parsed: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        # address (lower-case) -> SMTP reply, e.g. "550 5.1.1 No such user"
        self.refuse: dict[str, str] = {}
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """The received messages, parsed when first asked for (parsing while receiving
        would compete with the sender for the CPU in benchmarks)."""
        with self._lock:
            for raw in self.raw[len(self._parsed) :]:
                self._parsed.append(email.message_from_bytes(raw, policy=email.policy.default))
            return list(self._parsed)

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.raw.append(envelope.content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.handler.messages

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages received for `address`."""
        return [
            m
            for m, (_sender, rcpts) in zip(self.messages, self.handler.envelopes, strict=True)
            if address.lower() in (r.lower() for r in rcpts)
        ]

    def start(self) -> SMTPServer:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None


def body_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def calendar_part(message: email.message.EmailMessage) -> email.message.EmailMessage | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None
