"""Moving a meeting with 1,000 invitees to another day and venue: how long the
secretariat's "save" takes, and how long the worker takes to deliver the updates.

    .venv/bin/python bench/reschedule.py            # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_x \
        .venv/bin/python bench/reschedule.py

A scheduled meeting gets 1,000 invitees through `invite_contacts`; their invitations
are then marked sent (as after the first delivery). The secretariat saves the meeting
form with a new venue and a start one day later (the real edit route, through the test
client, after one warm-up GET of the form). Then the outbox is delivered to a loopback
SMTP server by the function the worker runs. Every invitee must receive exactly one
update whose calendar has SEQUENCE raised and the new venue. Last line: the figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _invitees import add_invitees  # noqa: E402  (bench/, the script's folder)
from icalendar import Calendar  # noqa: E402

from coordapp import create_app  # noqa: E402
from coordapp.extensions import db  # noqa: E402
from coordapp.models import (  # noqa: E402
    Base,
    Contact,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    Role,
    User,
)
from tests.conftest import forget_cached_user_before_each_request, login_as  # noqa: E402
from tests.smtp import SMTPServer, calendar_part  # noqa: E402

INVITEES = int(os.environ.get("INVITEES", 1000))
TIMEZONE = "Europe/Minsk"
NEW_VENUE = "Hotel Minsk, conference hall 2"
DELIVERY_TIMEOUT_S = 900


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m-%dT%H:%M")


def build(user: User) -> Meeting:
    """The scheduled meeting, its invitees, and their invitations marked sent."""
    from coordapp.invitations.service import invite_contacts

    add_invitees(INVITEES)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
    meeting = Meeting(
        title="Bench meeting",
        kind=MeetingKind.REGULAR,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone=TIMEZONE,
        venue="UN House",
        status=MeetingStatus.SCHEDULED,
        rsvp_deadline=start - timedelta(days=5),
    )
    db.session.add(meeting)
    db.session.flush()
    contacts = db.session.scalars(db.select(Contact)).all()
    invite_contacts(meeting, contacts, by=user)
    sent_at = datetime.now(UTC)
    db.session.execute(
        db.update(OutgoingMessage).values(status=MessageStatus.SENT, sent_at=sent_at, attempts=1)
    )
    db.session.execute(db.update(Invitation).values(sent_at=sent_at))
    db.session.commit()
    return meeting


def edit_form(meeting: Meeting, starts_at: datetime) -> dict:
    return {
        "title": meeting.title,
        "series_id": "0",
        "number": "",
        "kind": meeting.kind.value,
        "description": "",
        "timezone": TIMEZONE,
        "starts_at": local(starts_at),
        "ends_at": local(starts_at + (meeting.ends_at - meeting.starts_at)),
        "venue": NEW_VENUE,
        "online_url": "",
        "rsvp_deadline": local(meeting.rsvp_deadline),
        "capacity": "",
        "language": "en",
        "reminder_days": str(meeting.reminder_days),
    }


def check_received(smtp: SMTPServer, sequence: int) -> list[str]:
    """Problems with what the invitees received: one update each, SEQUENCE raised."""
    problems = []
    per_recipient = Counter()
    for message, (_sender, rcpts) in zip(smtp.messages, smtp.handler.envelopes, strict=True):
        per_recipient.update(r.lower() for r in rcpts)
        part = calendar_part(message)
        if part is None:
            problems.append(f"{rcpts}: no calendar part")
            continue
        [event] = Calendar.from_ical(part.get_content()).walk("VEVENT")
        if int(event["SEQUENCE"]) != sequence or sequence < 1:
            problems.append(f"{rcpts}: SEQUENCE {event['SEQUENCE']}, expected {sequence}")
        if str(event.get("LOCATION", "")) != NEW_VENUE:
            problems.append(f"{rcpts}: LOCATION {event.get('LOCATION')!r}")
    expected = {f"invitee{n:04d}@example.org" for n in range(INVITEES)}
    missing = expected - set(per_recipient)
    twice = [address for address, count in per_recipient.items() if count != 1]
    if missing:
        problems.append(f"{len(missing)} invitees got no update, e.g. {sorted(missing)[:3]}")
    if twice:
        problems.append(f"{len(twice)} invitees got more than one, e.g. {twice[:3]}")
    if set(per_recipient) - expected:
        problems.append(f"unexpected recipients: {sorted(set(per_recipient) - expected)[:3]}")
    return problems


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coordapp-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    smtp = SMTPServer().start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "WTF_CSRF_ENABLED": False,
            "MAIL_DELIVER_AFTER_COMMIT": False,
            "MAIL_SERVER": smtp.host,
            "MAIL_PORT": smtp.port,
            "MAIL_TIMEOUT": 30,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    # Requests share the bench's app context, as in the tests: each authenticates afresh.
    forget_cached_user_before_each_request(app)
    try:
        with app.app_context():
            return run(app, smtp, url)
    finally:
        smtp.stop()


def run(app, smtp: SMTPServer, url: str) -> int:
    from coordapp.mail.delivery import deliver_due_messages

    Base.metadata.drop_all(db.engine)
    Base.metadata.create_all(db.engine)
    user = User(email="bench@example.org", name="Bench Secretariat", role=Role.SECRETARIAT)
    user.set_password("bench-password")
    db.session.add(user)
    db.session.commit()
    meeting = build(user)
    meeting_id, sequence_before = meeting.id, meeting.ics_sequence
    form = edit_form(meeting, meeting.starts_at + timedelta(days=1))
    print(f"set up on {url.split(':', 1)[0]}: {INVITEES} invitees, invitations marked sent")

    client = app.test_client()
    login_as(client, user)  # a login session, as the login form starts
    client.get(f"/meetings/{meeting_id}/edit")  # warm-up: imports and templates
    db.session.remove()

    began = time.perf_counter()
    response = client.post(f"/meetings/{meeting_id}/edit", data=form)
    request_s = time.perf_counter() - began
    if response.status_code != 302:
        print(
            f"the edit was refused: {response.status_code}\n"
            f"{response.get_data(as_text=True)[:2000]}",
            file=sys.stderr,
        )
        return 1
    db.session.remove()
    meeting = db.session.get(Meeting, meeting_id)
    queued = db.session.scalar(
        db.select(db.func.count(OutgoingMessage.id)).where(
            OutgoingMessage.kind == MessageKind.UPDATE,
            OutgoingMessage.status == MessageStatus.QUEUED,
        )
    )
    print(
        f"edit request (new venue, start +1 day): {request_s:.3f} s, {queued} updates queued, "
        f"SEQUENCE {sequence_before} -> {meeting.ics_sequence}"
    )

    began = time.perf_counter()
    while db.session.scalar(
        db.select(db.func.count(OutgoingMessage.id)).where(
            OutgoingMessage.status == MessageStatus.QUEUED
        )
    ):
        summary = deliver_due_messages(limit=500)
        db.session.expire_all()
        if summary["stopped_early"] or time.perf_counter() - began > DELIVERY_TIMEOUT_S:
            print(f"delivery stopped: {summary}", file=sys.stderr)
            break
    delivery_s = time.perf_counter() - began
    received = len(smtp.messages)
    rate = received / delivery_s if delivery_s else 0
    print(f"delivery: {delivery_s:.2f} s, {received} received, {rate:.0f} messages/s")

    problems = check_received(smtp, meeting.ics_sequence)
    if queued != INVITEES:
        problems.insert(0, f"{queued} updates queued, expected {INVITEES}")
    for problem in problems[:20]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print(
        f"invitees={INVITEES} edit_request_s={request_s:.3f} delivery_s={delivery_s:.2f} "
        f"received={received} messages_per_s={rate:.0f} problems={len(problems)}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
