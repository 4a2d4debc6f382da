"""The secretariat's outgoing-mail pages: the list, one message, sending a failed one again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.mail.delivery import deliver_due_messages
from coordapp.models import AuditEvent, MessageKind, MessageStatus, OutgoingMessage, utcnow
from tests.conftest import count_queries
from tests.factories import make_meeting
from tests.outbox import queue_email, written

ICS = (
    "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:m-1@test\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def queue(to_email="ana@example.org", subject="Invitation: fourth extended meeting", **kwargs):
    """A message as the outbox holds it once the worker has written it."""
    kwargs.setdefault("kind", MessageKind.INVITATION)
    message = queue_email(
        to_email=to_email,
        to_name=kwargs.pop("to_name", "Ana Alves"),
        subject=subject,
        text_body=kwargs.pop("text_body", "Please answer through your personal link.\n"),
        **kwargs,
    )
    db.session.flush()
    written(message)
    db.session.commit()
    return message


def set_state(message, **values):
    db.session.execute(
        sa.update(OutgoingMessage).where(OutgoingMessage.id == message.id).values(**values)
    )
    db.session.commit()
    db.session.expire_all()


def insert_many(count: int, meeting_ids: list[int | None] = (None,)) -> None:
    now = utcnow()
    batch = uuid.uuid4().hex
    db.session.execute(
        sa.insert(OutgoingMessage),
        [
            {
                "kind": MessageKind.REMINDER,
                "message_id": f"<bulk-{n}-{batch}@test>",
                "to_email": f"bulk{n}@example.org",
                "to_name": f"Bulk {n}",
                "subject": f"Reminder {n}",
                "text_body": "x",
                "status": MessageStatus.SENT,
                "created_at": now - timedelta(minutes=n),
                "next_attempt_at": now,
                "sent_at": now,
                "meeting_id": meeting_ids[n % len(meeting_ids)],
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def test_outgoing_mail_lists_newest_first_with_status_and_error(app, secretariat_client):
    meeting = make_meeting(title="Fourth extended meeting", timezone_name="Europe/Minsk")
    older = queue("old@example.org", subject="Older message", meeting=meeting)
    set_state(
        older,
        created_at=utcnow() - timedelta(hours=2),
        status=MessageStatus.FAILED,
        attempts=1,
        last_error="550 5.1.1 No such user here",
    )
    queue("new@example.org", subject="Newer message")

    page = secretariat_client.get("/mail")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Outgoing mail" in html
    assert html.index("Newer message") < html.index("Older message")
    assert "550 5.1.1 No such user here" in html
    assert "Failed" in html and "Queued" in html
    assert "(Europe/Minsk)" in html  # times of a meeting's mail are in its zone
    assert "Fourth extended meeting" in html
    assert "Send again" in html  # only the failed row offers it
    assert html.count('action="/mail/') == 1


def test_outgoing_mail_filters_by_status_and_kind(app, secretariat_client):
    failed = queue("failed@example.org", subject="Failed invitation")
    set_state(failed, status=MessageStatus.FAILED, last_error="550 no")
    queue("queued@example.org", subject="Queued invitation")
    queue("reminded@example.org", subject="Queued reminder", kind=MessageKind.REMINDER)

    html = secretariat_client.get("/mail?status=failed").get_data(as_text=True)
    assert "Failed invitation" in html
    assert "Queued invitation" not in html and "Queued reminder" not in html

    html = secretariat_client.get("/mail?kind=reminder").get_data(as_text=True)
    assert "Queued reminder" in html
    assert "Failed invitation" not in html and "Queued invitation" not in html

    html = secretariat_client.get("/mail?status=queued&kind=invitation").get_data(as_text=True)
    assert "Queued invitation" in html
    assert "Failed invitation" not in html and "Queued reminder" not in html

    # Nonsense filters are ignored, not a server error.
    response = secretariat_client.get("/mail?status=bogus&kind=bogus&page=999")
    assert response.status_code == 200
    # A control character is refused with a message, as anywhere (coordapp/inputs.py).
    response = secretariat_client.get("/mail?status=bogus&kind=%00&page=999")
    assert response.status_code == 400


def test_outgoing_mail_list_is_paginated(app, secretariat_client):
    insert_many(30)
    first = secretariat_client.get("/mail").get_data(as_text=True)
    assert "Reminder 0<" in first and "Reminder 29<" not in first
    second = secretariat_client.get("/mail?page=2").get_data(as_text=True)
    assert "Reminder 29<" in second and "Reminder 0<" not in second


def test_outgoing_mail_list_query_count_does_not_grow_with_rows(app, secretariat_client):
    meetings = [make_meeting().id for _ in range(25)]
    # More than a page either way (a short first page skips the count query).
    insert_many(30, meetings[:1])
    secretariat_client.get("/mail")  # warm up (first-request work)
    db.session.expire_all()  # each request below loads its user afresh
    with count_queries() as few:
        assert secretariat_client.get("/mail").status_code == 200
    insert_many(1000, meetings)
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id % 2 == 0)
        .values(meeting_id=None, status=MessageStatus.FAILED, last_error="x")
    )
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        assert secretariat_client.get("/mail").status_code == 200
    assert many.count == few.count, many.statements


def test_message_page_shows_headers_text_and_calendar_part(app, secretariat_client):
    meeting = make_meeting(title="Fourth extended meeting")
    message = queue(
        to_name="Иван Петров",
        text_body="Dear Ivan,\nplease answer.\n",
        html_body="<p>Dear <b>Ivan</b></p><script>alert(1)</script>",
        ics=("REQUEST", ICS),
        meeting=meeting,
    )

    page = secretariat_client.get(f"/mail/{message.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Иван Петров" in html and "&lt;ana@example.org&gt;" in html
    assert message.message_id.strip("<>") in html
    assert "secretariat@coordapp.localhost" in html
    assert "Dear Ivan,\nplease answer." in html
    assert "UID:m-1@test" in html and "REQUEST" in html
    assert "Fourth extended meeting" in html
    # The HTML version is previewed in a sandbox, never run as part of our page.
    assert "<script>alert(1)</script>" not in html
    assert 'sandbox=""' in html


def test_missing_message_is_404(app, secretariat_client):
    assert secretariat_client.get("/mail/999999").status_code == 404
    assert secretariat_client.post("/mail/999999/retry").status_code == 404


def test_retry_puts_a_failed_message_back_in_the_queue_and_it_is_delivered(
    app, secretariat_client, smtp_server
):
    message = queue()
    set_state(
        message,
        status=MessageStatus.FAILED,
        attempts=8,
        last_error="timed out (gave up after 8 attempts)",
    )

    response = secretariat_client.post(f"/mail/{message.id}/retry", follow_redirects=True)

    assert response.status_code == 200
    assert "queued again" in response.get_data(as_text=True)
    message = db.session.get(OutgoingMessage, message.id)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 0
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
    assert event.object_id == message.id
    assert event.user_id == secretariat_client.user.id

    assert deliver_due_messages()["sent"] == 1
    assert len(smtp_server.to("ana@example.org")) == 1


def test_retry_from_the_list_returns_to_the_filtered_list(app, secretariat_client):
    message = queue()
    set_state(message, status=MessageStatus.FAILED, last_error="550 no")
    response = secretariat_client.post(
        f"/mail/{message.id}/retry", data={"next": "/mail?status=failed"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/mail?status=failed"
    # Not somewhere else.
    set_state(message, status=MessageStatus.FAILED)
    response = secretariat_client.post(
        f"/mail/{message.id}/retry", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == f"/mail/{message.id}"


@pytest.mark.parametrize("status", [MessageStatus.SENT, MessageStatus.QUEUED])
def test_only_failed_messages_can_be_sent_again(app, secretariat_client, status):
    message = queue()
    set_state(message, status=status, attempts=1)

    response = secretariat_client.post(f"/mail/{message.id}/retry", follow_redirects=True)

    assert "Only a message whose delivery failed can be sent again." in response.get_data(
        as_text=True
    )
    message = db.session.get(OutgoingMessage, message.id)
    assert message.status == status
    assert message.attempts == 1


def test_members_cannot_see_or_retry_outgoing_mail(app, member_client):
    message = queue()
    set_state(message, status=MessageStatus.FAILED)
    assert member_client.get("/mail").status_code == 403
    assert member_client.get(f"/mail/{message.id}").status_code == 403
    assert member_client.post(f"/mail/{message.id}/retry").status_code == 403
    assert db.session.get(OutgoingMessage, message.id).status == MessageStatus.FAILED
    assert "Outgoing mail" not in member_client.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(app, client):
    response = client.get("/mail")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_secretariat_navigation_links_to_outgoing_mail(app, secretariat_client):
    html = secretariat_client.get("/mail").get_data(as_text=True)
    assert 'href="/mail"' in html


def test_a_plain_visit_to_outgoing_mail_shows_no_filter_error(app, secretariat_client):
    response = secretariat_client.get("/mail")
    assert response.status_code == 200
    assert "Not a valid choice" not in response.get_data(as_text=True)


def test_unknown_filter_values_are_explained_not_applied(app, secretariat_client):
    response = secretariat_client.get("/mail?status=bogus&kind=nonsense")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("Not a valid choice") == 2
