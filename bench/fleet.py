"""A fleet that survives losing any node (issue #23): PostgreSQL + Redis, two gunicorn
servers on different ports (clients alternate between them), two Huey workers, a
loopback SMTP server.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/fleet \
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/fleet.py

Load: 1,000 RSVP answers from 50 concurrent clients while 1,000 invitations for another
meeting are being delivered. Three seconds in, `kill -9` one gunicorn master with its
workers and one Huey worker (their process groups); restart both 5 s later. A client whose
server refuses the connection, or fails before the POST, tries the other one (as a load
balancer would); a POST that got no answer is not sent again. Last line:

    answers_ok=… answers_lost=0 emails_expected=… emails_received=… duplicates=0
    resent_copies=… missing=0 max_delay_after_kill_s=…

answers_lost: answers that got a 303 but are not in the database; duplicates: distinct
Message-IDs beyond one per recipient and kind; resent_copies: copies of one Message-ID
beyond the first (SMTP is at-least-once: at most one per killed worker); missing: outbox
messages never received; max_delay_after_kill_s: from the kill until the last of the
emails claimed by a worker at that moment arrived (the killed worker's are sent again once
their lease runs out); last_email_after_kill_s: until the queue's last email arrived
(bound by the delivery rate).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rsvp_burst import answer_once  # noqa: E402

from tests.smtp import SMTPServer  # noqa: E402

ANSWERS = int(os.environ.get("ANSWERS", 1000))
INVITATIONS = int(os.environ.get("INVITATIONS", 1000))
CLIENTS = 50
KILL_AFTER_S = 3.0
RESTART_AFTER_S = 5.0
WAIT_FOR_MAIL_S = float(os.environ.get("WAIT_FOR_MAIL_S", 180))
BIN = Path(sys.executable).parent
PORTS = (int(os.environ.get("FLEET_PORT", 20510)), int(os.environ.get("FLEET_PORT", 20510)) + 1)


class TimedSMTP(SMTPServer):
    """The tests' loopback SMTP server, noting when each message arrived."""

    def start(self):
        handler = self.handler
        original = handler.handle_DATA
        handler.arrived = []

        async def handle_data(server, session, envelope):
            reply = await original(server, session, envelope)
            handler.arrived.append(time.monotonic())
            return reply

        handler.handle_DATA = handle_data
        return super().start()


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    # A session of its own: kill -9 of its group takes a gunicorn master with its workers.
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=open(log, "a"),  # noqa: SIM115 - the process keeps it
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _gunicorn(port: int, env: dict, workdir: Path) -> subprocess.Popen:
    return _start(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        env,
        workdir / f"gunicorn-{port}.log",
    )


def _worker(n: int, env: dict, workdir: Path) -> subprocess.Popen:
    return _start(
        [str(BIN / "huey_consumer"), "coordapp.worker.huey", "--workers", "2"],
        env,
        workdir / f"worker-{n}.log",
    )


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _wait_for_server(port: int, deadline_s: float = 60) -> None:
    import http.client

    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn on {port} did not start")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not url.startswith("postgresql") or not redis_url:
        print("fleet needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-fleet-"))
    smtp = TimedSMTP().start()
    dotenv = workdir / "fleet.env"
    dotenv.write_text(
        f"DATABASE_URL={url}\nREDIS_URL={redis_url}\nHUEY_NAME=fleet-{uuid.uuid4().hex[:8]}\n"
        f"SECRET_KEY={uuid.uuid4().hex}{uuid.uuid4().hex}\nMAIL_SERVER={smtp.host}\n"
        f"MAIL_PORT={smtp.port}\nBASE_URL=http://127.0.0.1:{PORTS[0]}\n"
    )
    os.environ["COORDAPP_DOTENV"] = str(dotenv)
    for key in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(key, None)  # the .env decides, for this process and the fleet alike
    env = dict(os.environ)

    from coordapp import create_app, links
    from coordapp.extensions import db
    from coordapp.invitations.invite import invite_contacts
    from coordapp.models import (
        Base,
        Category,
        Contact,
        Invitation,
        Meeting,
        MeetingStatus,
        MessageStatus,
        Organisation,
        OutgoingMessage,
    )

    app = create_app()
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        meetings = []
        for title in ("Answered meeting", "Invited meeting"):
            meeting = Meeting(
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                timezone="Europe/Minsk",
                status=MeetingStatus.SCHEDULED,
                rsvp_deadline=start - timedelta(days=3),
            )
            db.session.add(meeting)
            meetings.append(meeting)
        organisation = Organisation(name="Fleet", category=Category.OTHER)
        db.session.add(organisation)
        db.session.flush()
        people = [
            Contact(
                name=f"Person {n:04d}", email=f"p{n:04d}@example.org", organisation=organisation
            )
            for n in range(max(ANSWERS, INVITATIONS))
        ]
        db.session.add_all(people)
        db.session.flush()
        invite_contacts(meetings[0], people[:ANSWERS], by=None, send=False)
        db.session.commit()
        tokens = [
            links.rsvp_token(invitation)
            for invitation in db.session.scalars(
                db.select(Invitation).filter_by(meeting_id=meetings[0].id).order_by(Invitation.id)
            )
        ]
        invited_meeting_id = meetings[1].id
        invitees = [person.id for person in people[:INVITATIONS]]

    servers = [_gunicorn(port, env, workdir) for port in PORTS]
    workers = [_worker(n, env, workdir) for n in range(2)]
    for port in PORTS:
        _wait_for_server(port)
    time.sleep(2)  # the workers connect to Redis

    with app.app_context():  # the invitations: queued in the outbox, delivered by the fleet
        meeting = db.session.get(Meeting, invited_meeting_id)
        contacts = db.session.scalars(db.select(Contact).where(Contact.id.in_(invitees))).all()
        invite_contacts(meeting, contacts, by=None)
        db.session.commit()

    results: dict[str, str] = {}
    errors: Counter = Counter()
    statuses = ("accepted", "declined", "tentative")

    def answer(index: int) -> None:
        token, status = tokens[index], statuses[index % 3]
        for attempt in range(4):
            port = PORTS[(index + attempt) % 2]
            cycle = answer_once(port, f"/rsvp/{token}", status)
            if not cycle.error:
                results[token] = status
                return
            errors[cycle.error[:60]] += 1
            # Try the other server only when the answer surely was not sent: a POST that
            # timed out may have been recorded (and a second one would answer twice).
            if not (cycle.error.startswith("GET") or "ConnectionRefused" in cycle.error):
                return
            time.sleep(0.2)

    killed_at: list[float] = []
    in_flight: set[str] = set()  # messages claimed by a worker when one was killed

    def chaos() -> None:
        time.sleep(KILL_AFTER_S)
        _kill(servers[0])
        _kill(workers[0])
        killed_at.append(time.monotonic())
        with app.app_context():
            in_flight.update(
                db.session.scalars(
                    db.select(OutgoingMessage.message_id).where(
                        OutgoingMessage.status == MessageStatus.SENDING
                    )
                )
            )
            db.session.remove()
        time.sleep(RESTART_AFTER_S)
        servers[0] = _gunicorn(PORTS[0], env, workdir)
        workers[0] = _worker(0, env, workdir)

    saboteur = threading.Thread(target=chaos)
    saboteur.start()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(answer, range(len(tokens))))
    saboteur.join()

    with app.app_context():
        deadline = killed_at[0] + WAIT_FOR_MAIL_S
        while time.monotonic() < deadline:
            db.session.remove()
            waiting = db.session.scalar(
                db.select(db.func.count(OutgoingMessage.id)).where(
                    OutgoingMessage.status.in_((MessageStatus.QUEUED, MessageStatus.SENDING))
                )
            )
            if not waiting:
                break
            time.sleep(1)
        db.session.remove()
        stored = dict(
            db.session.execute(
                db.select(Invitation.id, Invitation.status).filter_by(meeting_id=meetings[0].id)
            ).all()
        )
        by_token = {
            links.rsvp_token(invitation): invitation.status.value
            for invitation in db.session.scalars(
                db.select(Invitation).filter_by(meeting_id=meetings[0].id)
            )
        }
        expected = {
            row.message_id: (row.to_email.lower(), row.kind.value)
            for row in db.session.scalars(
                db.select(OutgoingMessage).where(OutgoingMessage.status != MessageStatus.OBSOLETE)
            )
        }
    for process in [*servers, *workers]:
        _kill(process)
    time.sleep(0.5)
    smtp.stop()

    received_ids = [message["Message-ID"] for message in smtp.messages]
    copies = Counter(received_ids)
    per_recipient_kind: dict[tuple, set] = defaultdict(set)
    for message_id in copies:
        if message_id in expected:
            per_recipient_kind[expected[message_id]].add(message_id)
    duplicates = sum(len(ids) - 1 for ids in per_recipient_kind.values())
    resent = sum(count - 1 for count in copies.values())
    missing = len(set(expected) - set(copies))
    lost = sum(1 for token, status in results.items() if by_token.get(token) != status)
    arrival: dict[str, float] = {}
    for message, at in zip(smtp.messages, smtp.handler.arrived, strict=False):
        arrival.setdefault(message["Message-ID"], at)
    # The emails the kill held up: those claimed at that moment (the killed worker's among
    # them), until each arrived; and when the last email of all arrived.
    after_kill = [arrival[m] - killed_at[0] for m in in_flight if m in arrival]
    last_email_s = max(arrival.values(), default=killed_at[0]) - killed_at[0]
    print(f"fleet: logs in {workdir}; {len(stored)} invitations of the answered meeting")
    if errors:
        print(
            "client errors (GET failures and refused connections retried on the other "
            f"server): {dict(errors.most_common(5))}"
        )
    print(
        f"answers_ok={len(results)} answers_lost={lost} emails_expected={len(expected)} "
        f"emails_received={len(received_ids)} duplicates={duplicates} resent_copies={resent} "
        f"missing={missing} max_delay_after_kill_s={max(after_kill, default=0):.1f} "
        f"held_at_kill={len(in_flight)} last_email_after_kill_s={last_email_s:.1f}"
    )
    return 0 if not (lost or duplicates or missing) and resent <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
