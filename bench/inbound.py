"""Reading 1,000 mixed messages from the app's mailbox with two worker processes polling
it at once: calendar replies (Outlook, Gmail, Apple, Thunderbird), bounces through VERP,
auto-replies, plain replies and junk, on a real Dovecot on loopback.

    .venv/bin/python bench/inbound.py                 # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/inbound.py

Each worker runs what the periodic job runs (coordapp.inbound.mailbox.fetch) until the
mailbox is empty. Checked afterwards: every message recorded once (`duplicates`: a
Message-ID recorded twice, or an answer written twice), none left in INBOX.
Last line: processed=… duplicates=0 seconds=…
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402

MESSAGES = int(os.environ.get("MESSAGES", 1000))
WORKERS = int(os.environ.get("WORKERS", 2))
INBOUND = "meetings@network.example.org"
SECRET = "bench-secret-key-0123456789abcdef0123456789"


def _app(url: str, imap_url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "INBOUND_IMAP_URL": imap_url,
            "INBOUND_ADDRESS": INBOUND,
            "INBOUND_BATCH": 50,
        }
    )


def worker(url: str, imap_url: str) -> None:
    """One worker process: poll until the mailbox is empty."""
    from coordapp.inbound import mailbox

    app = _app(url, imap_url)
    with app.app_context():
        while True:
            summary = mailbox.fetch()
            if summary.seen == 0:
                break
            print(f"worker {os.getpid()}: {summary.line()}", flush=True)


def _messages(invitations, outgoing_ids) -> list[bytes]:
    from coordapp.ics import meeting_uid
    from coordapp.mail import addresses
    from tests import inbound_mail as shaped

    clients = [shaped.outlook, shaped.gmail, shaped.apple, shaped.thunderbird]
    partstats = ["ACCEPTED", "DECLINED", "TENTATIVE"]
    messages: list[bytes] = []
    replies = int(MESSAGES * 0.4)
    for n in range(replies):
        invitation = invitations[n]
        to = addresses.invitation_address(invitation.id)
        ics = shaped.reply_ics(
            uid=meeting_uid(invitation.meeting),
            organizer=to,
            attendee=invitation.contact.email,
            partstat=partstats[n % 3],
        )
        messages.append(clients[n % 4](invitation.contact.email, to, ics))
    for n in range(int(MESSAGES * 0.2)):
        outgoing_id, email = outgoing_ids[n]
        messages.append(shaped.dsn(addresses.bounce_address(outgoing_id), email))
    for n in range(int(MESSAGES * 0.15)):
        invitation = invitations[replies + n]
        to = addresses.invitation_address(invitation.id)
        messages.append(shaped.auto_reply(invitation.contact.email, to))
    plain = int(MESSAGES * 0.15)
    for n in range(plain):
        invitation = invitations[replies + n]
        to = addresses.invitation_address(invitation.id)
        messages.append(shaped.plain(invitation.contact.email, to, f"I will come ({n})."))
    while len(messages) < MESSAGES:
        n = len(messages)
        junk = [
            b"\x00\xff junk " + str(n).encode(),
            f"Message-ID: <junk{n}@x>\r\nContent-Type: multipart/mixed; boundary=x\r\n"
            "\r\n--x\r\n".encode(),
            shaped.outlook("x@example.net", INBOUND, "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n"),
        ]
        messages.append(junk[n % 3])
    return messages


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    from coordapp.models import (
        Base,
        Category,
        Contact,
        InboundMessage,
        Invitation,
        Meeting,
        MeetingStatus,
        MessageKind,
        MessageStatus,
        Organisation,
        OutgoingMessage,
    )
    from tests.imap import DovecotServer

    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    server = DovecotServer().start()
    try:
        box = server.for_user(f"bench{uuid.uuid4().hex[:6]}")
        app = _app(url, box.url)
        with app.app_context():
            Base.metadata.drop_all(db.engine)
            Base.metadata.create_all(db.engine)
            organisation = Organisation(name="Districts", category=Category.LOCAL_GOVERNMENT)
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
            meeting = Meeting(
                title="Bench meeting",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                timezone="Europe/Minsk",
                status=MeetingStatus.SCHEDULED,
            )
            db.session.add_all([organisation, meeting])
            db.session.flush()
            people = MESSAGES
            db.session.execute(
                sa.insert(Contact),
                [
                    {
                        "name": f"Invitee {n:04d}",
                        "email": f"invitee{n:04d}@example.org",
                        "organisation_id": organisation.id,
                        "language": "en",
                    }
                    for n in range(people)
                ],
            )
            contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))
            db.session.add_all(Invitation(meeting=meeting, contact=c) for c in contacts)
            db.session.flush()
            invitations = list(db.session.scalars(sa.select(Invitation).order_by(Invitation.id)))
            outgoing = [
                OutgoingMessage(
                    kind=MessageKind.INVITATION,
                    message_id=f"<bench{n}@coordapp>",
                    to_email=invitations[-1 - n].contact.email,
                    invitation_id=invitations[-1 - n].id,
                    meeting_id=meeting.id,
                    status=MessageStatus.SENT,
                )
                for n in range(int(MESSAGES * 0.2))
            ]
            db.session.add_all(outgoing)
            db.session.commit()
            outgoing_ids = [(o.id, o.to_email) for o in outgoing]
            messages = _messages(invitations, outgoing_ids)

        connection = box.connect()
        for raw in messages:
            connection.append("INBOX", None, None, raw)
        connection.logout()
        print(f"mailbox: {box.count('INBOX')} messages", flush=True)

        started = time.perf_counter()
        workers = [
            subprocess.Popen([sys.executable, __file__, "--worker", url, box.url], cwd=str(ROOT))
            for _ in range(WORKERS)
        ]
        for process in workers:
            process.wait(timeout=600)
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime

        with app.app_context():
            processed = db.session.scalar(sa.select(sa.func.count(InboundMessage.id)))
            twice = db.session.scalar(
                sa.select(sa.func.count()).select_from(
                    sa.select(InboundMessage.message_id)
                    .where(InboundMessage.message_id.is_not(None))
                    .group_by(InboundMessage.message_id)
                    .having(sa.func.count() > 1)
                    .subquery()
                )
            )
            answers_twice = db.session.scalar(
                sa.select(sa.func.count()).select_from(
                    sa.select(OutgoingMessage.invitation_id)
                    .where(OutgoingMessage.writer == "confirmation")
                    .group_by(OutgoingMessage.invitation_id)
                    .having(sa.func.count() > 1)
                    .subquery()
                )
            )
            kinds = dict(
                db.session.execute(
                    sa.select(InboundMessage.kind, sa.func.count()).group_by(InboundMessage.kind)
                ).all()
            )
        left = box.count("INBOX")
        print("kinds: " + " ".join(f"{k.value}={v}" for k, v in sorted(kinds.items(), key=str)))
        print(
            f"left_in_inbox={left} processed_folder={box.count('Processed')} "
            f"needs_attention_folder={box.count('Needs attention')}"
        )
        # The workers' own CPU time: what the figure would be on an idle machine's two
        # cores, roughly (seconds is wall-clock time, shared with whatever else runs).
        print(f"load_average={os.getloadavg()[0]:.1f} worker_cpu_seconds={cpu:.1f}")
        print(f"processed={processed} duplicates={twice + answers_twice} seconds={seconds:.1f}")
        if processed != len(messages) or twice or answers_twice or left:
            sys.exit(1)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
