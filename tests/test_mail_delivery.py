"""Delivering the outbox to a real SMTP server on loopback (aiosmtpd), and to files."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.invitations.notifications import queue_invitation, queue_reminder
from coordapp.invitations.service import latest_delivery
from coordapp.mail.delivery import deliver_due_messages
from coordapp.models import (
    Invitation,
    MeetingChair,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    utcnow,
)
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_series, make_user
from tests.outbox import queue_email
from tests.smtp import body_text, calendar_part

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:{method}\r\n"
    "BEGIN:VEVENT\r\nUID:meeting-1@test\r\nSEQUENCE:0\r\nSUMMARY:Встреча сети\r\n"
    "DTSTART:20270304T070000Z\r\nDTEND:20270304T100000Z\r\nDTSTAMP:20270101T000000Z\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def queue(
    to_email: str = "ana@example.org",
    *,
    to_name: str | None = "Ana Alves",
    subject: str = "Invitation: fourth extended meeting",
    text: str = "Please answer here: http://example.org/rsvp/abc\n",
    html: str | None = None,
    ics_method: str | None = None,
    kind: MessageKind = MessageKind.INVITATION,
    **links,
) -> OutgoingMessage:
    message = queue_email(
        kind=kind,
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        text_body=text,
        html_body=html,
        ics=(ics_method, ICS.format(method=ics_method)) if ics_method else None,
        **links,
    )
    db.session.commit()
    return message


def queue_many(count: int) -> None:
    for n in range(count):
        queue_email(
            kind=MessageKind.INVITATION,
            to_email=f"invitee{n:03}@example.org",
            to_name=f"Invitee {n}",
            subject=f"Invitation {n}",
            text_body="Please answer.\n",
        )
    db.session.commit()


def reload(message: OutgoingMessage) -> OutgoingMessage:
    db.session.expire_all()
    return db.session.get(OutgoingMessage, message.id)


def statuses() -> dict[MessageStatus, int]:
    rows = db.session.execute(
        sa.select(OutgoingMessage.status, sa.func.count()).group_by(OutgoingMessage.status)
    )
    return dict(rows.all())


def later(minutes: int = 120):
    return utcnow() + timedelta(minutes=minutes)


# --- what the message looks like ---------------------------------------------------------


def test_invitation_has_text_html_calendar_request_and_ics_attachment(app, smtp_server):
    row = queue(
        html="<p>Please <a href='http://example.org/rsvp/abc'>answer</a></p>", ics_method="REQUEST"
    )

    assert deliver_due_messages()["sent"] == 1

    [received] = smtp_server.to("ana@example.org")
    assert received["Message-ID"] == row.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["From"].addresses[0].addr_spec == "secretariat@coordapp.localhost"
    assert received["Date"].datetime is not None
    assert received.get_content_type() == "multipart/mixed"
    alternative, attachment = received.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar = calendar_part(received)
    assert calendar.get_param("method") == "REQUEST"
    # Unquoted, as iMIP clients expect it.
    assert "Content-Type: text/calendar; charset=utf-8; method=REQUEST" in received.as_string()
    assert calendar.get_content_charset() == "utf-8"
    assert "METHOD:REQUEST" in calendar.get_content()
    assert "SUMMARY:Встреча сети" in calendar.get_content()
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert b"UID:meeting-1@test" in attachment.get_content()
    assert "http://example.org/rsvp/abc" in body_text(received)
    assert "answer</a>" in received.get_body(preferencelist=("html",)).get_content()


def test_cancellation_carries_method_cancel(app, smtp_server):
    queue(ics_method="CANCEL", kind=MessageKind.CANCELLATION)
    deliver_due_messages()
    [received] = smtp_server.messages
    assert calendar_part(received).get_param("method") == "CANCEL"
    assert "Content-Type: text/calendar; charset=utf-8; method=CANCEL" in received.as_string()


def test_plain_message_without_html_or_calendar_is_plain_text(app, smtp_server):
    queue(text="Just text.\n")
    deliver_due_messages()
    [received] = smtp_server.messages
    assert received.get_content_type() == "text/plain"
    assert calendar_part(received) is None
    assert body_text(received).replace("\r\n", "\n") == "Just text.\n"


def test_cyrillic_name_subject_and_body_arrive_intact(app, smtp_server):
    queue(
        "ivan@example.org",
        to_name="Иван Петров, МВД",
        subject="Приглашение: четвёртое заседание",
        text="Здравствуйте, Иван!\n",
        html="<p>Здравствуйте</p>",
    )
    deliver_due_messages()

    [received] = smtp_server.to("ivan@example.org")
    [address] = received["To"].addresses
    assert address.display_name == "Иван Петров, МВД"
    assert address.addr_spec == "ivan@example.org"
    assert received["Subject"] == "Приглашение: четвёртое заседание"
    assert body_text(received).replace("\r\n", "\n") == "Здравствуйте, Иван!\n"
    # 7-bit clean on the wire: no relay can mangle it.
    raw = received.as_bytes(policy=email.policy.SMTP)
    assert all(byte < 128 for byte in raw)


def test_a_newline_in_a_name_cannot_inject_a_header(app, smtp_server):
    queue(to_name="Eve\r\nBcc: victim@example.org", subject="Hi\nBcc: victim@example.org")
    deliver_due_messages()
    [received] = smtp_server.messages
    assert received["Bcc"] is None
    assert smtp_server.handler.envelopes[0][1] == ["ana@example.org"]


def test_message_id_is_the_same_on_a_retry(app, smtp_server):
    row = queue()
    smtp_server.handler.refuse["ana@example.org"] = "451 4.3.0 Try again later"
    deliver_due_messages()
    del smtp_server.handler.refuse["ana@example.org"]
    deliver_due_messages(now=later())
    [received] = smtp_server.messages
    assert received["Message-ID"] == row.message_id


# --- backends ----------------------------------------------------------------------------


def test_without_a_mail_server_messages_are_written_as_eml_files(app):
    assert not app.config["MAIL_SERVER"]
    row = queue(ics_method="REQUEST", to_name="Иван Петров")

    assert deliver_due_messages()["sent"] == 1

    path = Path(app.config["MAIL_FILE_DIR"]) / f"{row.id}-invitation.eml"
    written = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert written["Message-ID"] == row.message_id
    assert written["To"].addresses[0].display_name == "Иван Петров"
    assert calendar_part(written).get_param("method") == "REQUEST"
    assert reload(row).status == MessageStatus.SENT
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_an_unwritable_mail_directory_keeps_the_message_queued(app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.config["MAIL_FILE_DIR"] = str(blocker / "mail")
    row = queue()
    result = deliver_due_messages()
    assert result["stopped_early"]
    row = reload(row)
    assert row.status == MessageStatus.QUEUED
    assert "cannot write" in row.last_error


# --- failures ----------------------------------------------------------------------------


def test_a_refused_recipient_fails_at_once_with_the_reason_and_others_are_sent(app, smtp_server):
    smtp_server.handler.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    first = queue("ana@example.org")
    gone = queue("gone@example.org")
    last = queue("bo@example.org")

    result = deliver_due_messages()

    assert result == {"sent": 2, "retrying": 0, "failed": 1, "skipped": 0, "stopped_early": False}
    gone = reload(gone)
    assert gone.status == MessageStatus.FAILED
    assert gone.attempts == 1
    assert "550" in gone.last_error and "No such user here" in gone.last_error
    assert reload(first).status == reload(last).status == MessageStatus.SENT
    assert len(smtp_server.to("bo@example.org")) == 1
    # A failed message is not tried again by later runs.
    deliver_due_messages(now=later(24 * 60))
    assert reload(gone).status == MessageStatus.FAILED


def test_a_temporary_refusal_is_retried_later_without_stopping_the_batch(app, smtp_server):
    smtp_server.handler.refuse["busy@example.org"] = "452 4.2.2 Mailbox full, try later"
    busy = queue("busy@example.org")
    other = queue("bo@example.org")
    before = utcnow()

    deliver_due_messages()

    busy = reload(busy)
    assert busy.status == MessageStatus.QUEUED
    assert busy.attempts == 1
    assert "452" in busy.last_error
    assert busy.next_attempt_at >= before + timedelta(seconds=30)
    assert reload(other).status == MessageStatus.SENT

    # Not due yet: nothing happens; once due and the mailbox has room, it goes.
    del smtp_server.handler.refuse["busy@example.org"]
    assert deliver_due_messages()["sent"] == 0
    assert deliver_due_messages(now=later())["sent"] == 1
    assert reload(busy).status == MessageStatus.SENT
    assert len(smtp_server.to("busy@example.org")) == 1


def test_server_down_keeps_messages_queued_with_backoff_then_sends_them(app, smtp_server):
    app.config["MAIL_TIMEOUT"] = 3
    rows = [queue(f"p{n}@example.org") for n in range(5)]
    smtp_server.stop()
    before = utcnow()

    result = deliver_due_messages()

    # The batch stops at the first failure instead of hammering a dead server.
    assert result["stopped_early"] and result["retrying"] == 1 and result["sent"] == 0
    first = reload(rows[0])
    assert first.status == MessageStatus.QUEUED
    assert first.attempts == 1
    assert "cannot reach the mail server" in first.last_error
    assert (
        before + timedelta(seconds=29) <= first.next_attempt_at <= utcnow() + timedelta(seconds=31)
    )
    assert all(reload(row).attempts == 0 for row in rows[1:])

    # The next run tries again, starting with the message that has waited longest.
    deliver_due_messages(now=first.next_attempt_at)
    assert reload(rows[1]).attempts == 1
    assert reload(first).attempts == 1

    smtp_server.start()
    result = deliver_due_messages(now=later())
    assert result["sent"] == 5
    assert statuses() == {MessageStatus.SENT: 5}
    assert sorted(rcpt for _sender, [rcpt] in smtp_server.handler.envelopes) == sorted(
        f"p{n}@example.org" for n in range(5)
    )


def _counting_connections(monkeypatch) -> list:
    import smtplib

    connections = []
    connect = smtplib.SMTP.connect

    def counted(self, *args, **kwargs):
        connections.append(args)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counted)
    return connections


def test_runs_that_follow_each_other_send_over_one_smtp_connection(app, smtp_server, monkeypatch):
    connections = _counting_connections(monkeypatch)
    for n in range(3):
        queue(f"p{n}@example.org")
        assert deliver_due_messages()["sent"] == 1
    assert len(smtp_server.messages) == 3
    assert len(connections) == 1


def test_a_connection_idle_too_long_or_dropped_by_the_server_is_made_again(
    app, smtp_server, monkeypatch
):
    from coordapp.mail import delivery

    connections = _counting_connections(monkeypatch)
    queue("ana@example.org")
    deliver_due_messages()
    # The server restarts between two runs: the kept connection is dead.
    smtp_server.stop()
    smtp_server.start()
    queue("bo@example.org")
    assert deliver_due_messages()["sent"] == 1
    assert len(connections) == 2
    # Idle longer than the connection is kept: closed, and a new one for the next run.
    monkeypatch.setattr(delivery, "KEEP_CONNECTION_SECONDS", 0)
    queue("cy@example.org")
    assert deliver_due_messages()["sent"] == 1
    assert len(connections) == 3
    assert statuses() == {MessageStatus.SENT: 3}
    assert [rcpt for _sender, [rcpt] in smtp_server.handler.envelopes] == [
        "ana@example.org",
        "bo@example.org",
        "cy@example.org",
    ]


def test_the_delay_doubles_and_after_the_last_attempt_a_message_fails(app, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.handler.refuse["ana@example.org"] = "421 4.7.0 Too busy"
    row = queue()
    delays = []
    for hours in (1, 2, 3):
        moment = later(60 * hours)
        deliver_due_messages(now=moment)
        delays.append(reload(row).next_attempt_at - moment)
    assert delays[:2] == [timedelta(seconds=30), timedelta(seconds=60)]
    row = reload(row)
    assert row.status == MessageStatus.FAILED
    assert row.attempts == 3
    assert "421" in row.last_error and "gave up after 3 attempts" in row.last_error
    assert smtp_server.messages == []


def test_stopping_the_server_during_a_batch_of_200_loses_none_and_duplicates_none(app, smtp_server):
    """The issue's test: every invitee gets exactly one message."""
    app.config["MAIL_TIMEOUT"] = 2
    queue_many(200)
    original = smtp_server.handler.handle_DATA
    received_before_stop = 80

    async def stop_in_the_middle(server, session, envelope):
        if len(smtp_server.messages) < received_before_stop:
            return await original(server, session, envelope)
        # This message has been transmitted but will never be acknowledged: the server
        # goes down while the client waits for the reply.
        threading.Thread(target=smtp_server.stop).start()
        await asyncio.sleep(60)

    smtp_server.handler.handle_DATA = stop_in_the_middle

    first = deliver_due_messages()

    assert first["stopped_early"]
    assert first["sent"] == received_before_stop
    assert len(smtp_server.messages) == received_before_stop
    counts = statuses()
    assert counts[MessageStatus.SENT] == received_before_stop
    assert counts[MessageStatus.QUEUED] == 200 - received_before_stop
    assert MessageStatus.SENDING not in counts

    smtp_server.handler.handle_DATA = original
    for _ in range(200):  # the server is stopped by a thread of its own: wait for it
        if not smtp_server.running:
            break
        time.sleep(0.05)
    assert not smtp_server.running
    smtp_server.start()
    second = deliver_due_messages(now=later())

    assert second["sent"] == 200 - received_before_stop
    assert statuses() == {MessageStatus.SENT: 200}
    recipients = [rcpt for _sender, rcpts in smtp_server.handler.envelopes for rcpt in rcpts]
    assert len(recipients) == 200
    assert sorted(recipients) == [f"invitee{n:03}@example.org" for n in range(200)]


# --- crashes and concurrency -------------------------------------------------------------


def test_a_message_left_sending_by_a_dead_worker_is_taken_over_after_the_lease(app, smtp_server):
    abandoned = queue("abandoned@example.org")
    in_flight = queue("in-flight@example.org")
    now = utcnow()
    lease = timedelta(seconds=app.config["JOB_LEASE_SECONDS"])
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == abandoned.id)
        .values(status=MessageStatus.SENDING, claimed_at=now - lease - timedelta(seconds=1))
    )
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == in_flight.id)
        .values(status=MessageStatus.SENDING, claimed_at=now - lease / 2)
    )
    db.session.commit()

    result = deliver_due_messages()

    assert result["sent"] == 1
    assert reload(abandoned).status == MessageStatus.SENT
    assert len(smtp_server.to("abandoned@example.org")) == 1
    # The other worker may still be sending that one: leave it alone.
    assert reload(in_flight).status == MessageStatus.SENDING
    assert smtp_server.to("in-flight@example.org") == []


@pytest.mark.commits  # two worker threads, each on its own connection
def test_two_workers_at_once_never_send_a_message_twice(app, smtp_server):
    queue_many(100)
    db.session.close()
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait()
                results.append(deliver_due_messages())
        except Exception as error:  # reported below, with the test's own assertion
            errors.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(r["sent"] for r in results) == 100
    recipients = [rcpt for _sender, rcpts in smtp_server.handler.envelopes for rcpt in rcpts]
    assert sorted(recipients) == [f"invitee{n:03}@example.org" for n in range(100)]
    assert statuses() == {MessageStatus.SENT: 100}


# --- invitations -------------------------------------------------------------------------


def test_delivery_sets_the_invitation_sent_time_and_latest_status_per_invitation(app, smtp_server):
    """The invitations' writer marks its invitation sent once the email went out (its
    on_sent hook): mail itself knows no invitation."""
    meeting = make_meeting()
    ana, gone, waiting = (
        make_contact(email=f"{name}@example.org") for name in ("ana", "gone", "waiting")
    )
    invitations = [Invitation(meeting=meeting, contact=c) for c in (ana, gone, waiting)]
    db.session.add_all(invitations)
    db.session.commit()
    smtp_server.handler.refuse["gone@example.org"] = "550 5.1.1 Unknown user"
    for invitation in invitations[:2]:
        queue_invitation(invitation)
    db.session.commit()
    deliver_due_messages()
    # Resent later: the newest message is the one that counts.
    queue_invitation(invitations[0])
    queue_invitation(invitations[2])
    reminder = queue_reminder(invitations[0], "pending")
    db.session.commit()
    db.session.expire_all()

    assert invitations[0].sent_at is not None
    assert invitations[1].sent_at is None
    assert invitations[2].sent_at is None

    meeting_id = meeting.id
    with count_queries() as queries:
        latest = latest_delivery(meeting_id)
    assert queries.count == 1, queries.statements
    assert latest[invitations[0].id].id == reminder.id
    assert latest[invitations[0].id].status == MessageStatus.QUEUED
    assert latest[invitations[1].id].status == MessageStatus.FAILED
    assert "Unknown user" in latest[invitations[1].id].last_error
    assert latest[invitations[2].id].status == MessageStatus.QUEUED


def _invite(meeting, count: int, language: str = "ru") -> None:
    contacts = [
        make_contact(email=f"p{meeting.id}-{n}@example.org", language=language)
        for n in range(count)
    ]
    invitations = [Invitation(meeting=meeting, contact=c) for c in contacts]
    db.session.add_all(invitations)
    db.session.flush()
    for invitation in invitations:
        queue_invitation(invitation)
    db.session.commit()


def test_writing_a_batch_of_invitations_reads_the_meeting_once_whatever_its_size(app, smtp_server):
    """The worker writes each email, but the invitations, contacts, meeting, series and
    chairs of a batch are read in a fixed number of queries: the statements that grow
    with the batch are the outcomes' own (two per sent invitation: the message and its
    invitation's sent time), committed one by one."""
    chairs = [make_user(name=f"Co-chair {n}") for n in range(2)]

    def reads_and_writes(count: int) -> tuple[int, int]:
        meeting = make_meeting(series=make_series(), number=4)
        meeting.chairs = [
            MeetingChair(user=user, position=n, role_label="Co-chair")
            for n, user in enumerate(chairs)
        ]
        db.session.commit()
        _invite(meeting, count)
        with count_queries() as queries:
            result = deliver_due_messages()
        assert result["sent"] == count
        writes = [s for s in queries.statements if not s.lstrip().upper().startswith("SELECT")]
        return queries.count - len(writes), len(writes)

    small, large = reads_and_writes(3), reads_and_writes(12)
    assert small[0] == large[0], (small, large)
    assert large[1] == 1 + 2 * 12  # the claim, then each outcome
    sent = smtp_server.messages[-1]
    assert "Co-chair 1" in body_text(sent)


# --- worker jobs -------------------------------------------------------------------------


def test_worker_jobs_deliver_the_outbox(app, smtp_server):
    from coordapp import worker
    from coordapp.mail.tasks import deliver_outbox, sweep_outbox

    periodic = {task.__name__ for task in worker.huey._registry._periodic_tasks}
    assert any("sweep_outbox" in name for name in periodic)

    queue("ana@example.org")
    deliver_outbox.call_local()
    queue("bo@example.org")
    sweep_outbox.call_local()
    assert statuses() == {MessageStatus.SENT: 2}
    assert len(smtp_server.messages) == 2


def test_a_queue_longer_than_one_run_is_delivered_by_runs_that_queue_the_next(
    app, smtp_server, monkeypatch
):
    """A run takes at most RUN_LIMIT messages; one that took that many queues the next
    run rather than leaving the rest to the sweep a minute later."""
    from coordapp.mail import tasks

    job = tasks.deliver_outbox
    queued = []

    def queue_the_job():  # what the worker does with it, at once
        queued.append(True)
        return job.call_local()

    monkeypatch.setattr(tasks, "RUN_LIMIT", 2)
    monkeypatch.setattr(tasks, "deliver_outbox", queue_the_job)
    queue_many(7)
    job.call_local()
    assert statuses() == {MessageStatus.SENT: 7}
    assert len(smtp_server.messages) == 7
    assert len(queued) == 3  # after the runs of 2, 2 and 2; not after the last one (1)


@pytest.mark.parametrize("attempts,seconds", [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)])
def test_retry_delay_doubles_up_to_an_hour(attempts, seconds):
    from coordapp.mail.delivery import retry_delay

    assert retry_delay(attempts) == timedelta(seconds=seconds)


def test_a_long_subject_with_a_dash_arrives_exactly_as_written(app, smtp_server):
    """Folding a long header must not add or drop a character (it once put two spaces
    before the dash of "For your approval: … — …")."""
    subject = (
        "For your approval: minutes of Country Network on Migration — Fourth extended "
        "meeting of the network in Minsk (version 2)"
    )
    queue(subject=subject)
    deliver_due_messages()
    [received] = smtp_server.messages
    assert received["Subject"] == subject
    raw = smtp_server.handler.raw[0]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_locked_database_is_written_again_and_the_message_sent_once(app, smtp_server):
    """SQLite answers "database is locked" while another worker writes: the worker rolls
    back (here: to the test's savepoint), waits and writes again."""
    row = queue()
    refused: list[str] = []

    def locked_once(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outgoing_messages") and not refused:
            refused.append(statement)
            raise db.engine.dialect.loaded_dbapi.OperationalError("database is locked")

    sa.event.listen(db.engine, "before_cursor_execute", locked_once)
    try:
        summary = deliver_due_messages()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", locked_once)

    assert refused, "the refusal was never raised"
    assert summary["sent"] == 1
    assert len(smtp_server.to("ana@example.org")) == 1
    assert reload(row).status is MessageStatus.SENT
