"""What the secretariat and the chairs see of mail that came back: the Inbox (record the
answer in one click, mark done, the Unmatched tab), undeliverable addresses on the
contact, the invitation list, the outbox and the invite form, and the meeting page's
"Answers by email" section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.inbound.handlers import mark_bounced
from coordapp.invitations.notifications import queue_invitation
from coordapp.models import (
    Contact,
    InboundKind,
    InboundMessage,
    Invitation,
    InvitationStatus,
    Role,
)
from tests.conftest import count_queries, login_as
from tests.factories import make_contact, make_meeting, make_user

_uid = iter(range(1, 10_000))


def _invitation(meeting=None, email="ana@example.org", name="Ana Alves"):
    meeting = meeting or make_meeting(title="Fourth extended meeting")
    invitation = Invitation(meeting=meeting, contact=make_contact(email=email, name=name))
    db.session.add(invitation)
    db.session.commit()
    return invitation


def _message(invitation=None, kind=InboundKind.PLAIN, text="I will attend.", **kwargs):
    row = InboundMessage(
        mailbox="INBOX",
        uidvalidity=1,
        uid=next(_uid),
        kind=kind,
        folder=kwargs.pop("folder", "Processed" if invitation else "Needs attention"),
        from_address=invitation.contact.email if invitation else "someone@example.net",
        subject="Re: Invitation",
        text=text,
        invitation_id=invitation.id if invitation else None,
        meeting_id=invitation.meeting_id if invitation else None,
        **kwargs,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_a_plain_reply_is_answered_in_one_click_and_leaves_the_inbox(secretariat_client):
    invitation = _invitation()
    message = _message(invitation, text="I will attend with a colleague.")

    page = secretariat_client.get("/inbox")
    assert page.status_code == 200
    assert "I will attend with a colleague." in page.text and "Ana Alves" in page.text

    response = secretariat_client.post(f"/inbox/{message.id}/answer", data={"status": "accepted"})

    assert response.status_code == 303
    db.session.expire_all()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.response_recorded_by_id == secretariat_client.user.id
    assert message.handled_at is not None
    assert "I will attend with a colleague." not in secretariat_client.get("/inbox").text
    assert "I will attend with a colleague." in secretariat_client.get("/inbox?tab=done").text


def test_unmatched_mail_is_in_its_own_tab_and_can_be_marked_done(secretariat_client):
    message = _message(None, text="Who are you?")
    assert "Who are you?" not in secretariat_client.get("/inbox").text
    assert "Who are you?" in secretariat_client.get("/inbox?tab=unmatched").text

    secretariat_client.post(f"/inbox/{message.id}/done")

    db.session.expire_all()
    assert message.handled_at is not None
    assert "Who are you?" not in secretariat_client.get("/inbox?tab=unmatched").text


def test_a_bad_answer_value_is_refused_without_a_500(secretariat_client):
    message = _message(_invitation())
    response = secretariat_client.post(f"/inbox/{message.id}/answer", data={"status": "maybe"})
    assert response.status_code == 400
    assert secretariat_client.post("/inbox/999999/done").status_code == 404


def test_a_chair_reads_their_meetings_mail_only_and_cannot_act(app, client):
    chair = make_user(Role.MEMBER, email="chair@example.org")
    mine = make_meeting(title="Mine", chairs=[(chair, "Co-chair")])
    ours = _message(_invitation(mine), text="Message about my meeting")
    _message(_invitation(email="bo@example.org", name="Bo"), text="Message about another")
    _message(None, text="Unmatched message")
    login_as(client, chair)

    page = client.get("/inbox").text
    assert "Message about my meeting" in page
    assert "Message about another" not in page
    assert "Record the answer" not in page
    assert "Unmatched message" not in client.get("/inbox?tab=unmatched").text
    assert client.post(f"/inbox/{ours.id}/answer", data={"status": "accepted"}).status_code == 403


def test_a_member_who_chairs_nothing_has_no_inbox(member_client):
    assert member_client.get("/inbox").status_code == 403


def test_the_inbox_query_count_does_not_grow_with_its_rows(secretariat_client):
    meeting = make_meeting()
    for n in range(3):
        _message(_invitation(meeting, email=f"p{n}@example.org"))
    with count_queries() as few:
        secretariat_client.get("/inbox")
    for n in range(3, 12):
        _message(_invitation(meeting, email=f"p{n}@example.org"))
    with count_queries() as many:
        secretariat_client.get("/inbox")
    assert many.count == few.count


def test_an_undeliverable_address_shows_everywhere_and_can_be_cleared(secretariat_client):
    invitation = _invitation()
    row = queue_invitation(invitation)
    db.session.commit()
    mark_bounced(row, "550 5.1.1 User unknown")
    db.session.commit()
    contact_id, meeting_id = invitation.contact_id, invitation.meeting_id

    assert "undeliverable since" in secretariat_client.get("/directory/contacts").text
    assert (
        "undeliverable since" in secretariat_client.get(f"/meetings/{meeting_id}/invitations").text
    )
    outbox = secretariat_client.get("/mail").text
    assert "Bounced" in outbox and "User unknown" in outbox
    other = make_meeting(title="Next meeting")
    invite_page = secretariat_client.get(f"/meetings/{other.id}/invitations/new").text
    assert "address undeliverable since" in invite_page
    edit_page = secretariat_client.get(f"/directory/contacts/{contact_id}/edit").text
    assert "User unknown" in edit_page

    response = secretariat_client.post(f"/inbox/contacts/{contact_id}/deliverable")

    assert response.status_code == 303
    db.session.expire_all()
    contact = db.session.get(Contact, contact_id)
    assert contact.undeliverable_since is None and contact.undeliverable_reason is None
    assert "undeliverable since" not in secretariat_client.get("/directory/contacts").text


def test_the_meeting_page_shows_proposed_times_and_out_of_office_notes(secretariat_client):
    invitation = _invitation()
    start = datetime(2027, 3, 5, 7, 0, tzinfo=UTC)
    _message(
        invitation,
        kind=InboundKind.COUNTER,
        text=None,
        proposed_start=start,
        proposed_end=start + timedelta(hours=2),
    )
    _message(invitation, kind=InboundKind.AUTO_REPLY, text="Out of office until Monday")

    page = secretariat_client.get(f"/meetings/{invitation.meeting_id}").text

    assert "Answers by email" in page
    assert "proposes" in page and "5 Mar 2027" in page
    assert "Out of office until Monday" in page


def test_messages_older_than_the_retention_are_purged(app):
    from coordapp.inbound.service import purge_old_messages

    old = _message(None, received_at=datetime.now(UTC) - timedelta(days=181))
    new = _message(None)
    old_id, new_id = old.id, new.id

    assert purge_old_messages() == 1

    ids = set(db.session.scalars(sa.select(InboundMessage.id)))
    assert old_id not in ids and new_id in ids


def test_the_worker_reads_the_mailbox_every_inbound_poll_seconds(app):
    from coordapp.inbound.tasks import is_due

    at = datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
    assert all(is_due(at + timedelta(minutes=n)) for n in range(5))  # default: 60 s
    app.config["INBOUND_POLL_SECONDS"] = 300
    assert [is_due(at + timedelta(minutes=n)) for n in range(6)] == [
        True,
        False,
        False,
        False,
        False,
        True,
    ]


def test_the_invitation_list_counts_each_invitees_messages_and_the_invitation_shows_them(
    secretariat_client,
):
    """A person's reply and their calendar's proposal of another time show on the meeting's
    invitation list ("2 messages") and, in full, on the invitation's own page; the list's
    query count does not grow with the messages."""
    meeting = make_meeting(title="Fifth extended meeting")
    ana = _invitation(meeting, "ana@example.org", "Ana Alves")
    bo = _invitation(meeting, "bo@example.org", "Bo Berg")
    _message(ana, text="I will attend with a colleague.")
    start = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    _message(
        ana,
        kind=InboundKind.COUNTER,
        text="Could we move it?",
        proposed_start=start,
        proposed_end=start + timedelta(hours=2),
    )
    _message(bo, kind=InboundKind.AUTO_REPLY, text="Out of office until Monday.")

    with count_queries() as few:
        listing = secretariat_client.get(f"/meetings/{meeting.id}/invitations")
    assert listing.status_code == 200
    assert "2 messages" in listing.text
    assert "1 message" not in listing.text  # an out-of-office note is not a message to read

    for _ in range(3):
        _message(bo)
    with count_queries() as more:
        listing = secretariat_client.get(f"/meetings/{meeting.id}/invitations")
    assert "3 messages" in listing.text
    assert more.count == few.count

    page = secretariat_client.get(f"/invitations/{ana.id}")
    assert page.status_code == 200
    assert "Received by email" in page.text
    assert "I will attend with a colleague." in page.text
    assert "Could we move it?" in page.text
    assert "12:00 – 14:00" in page.text  # the proposal, in the meeting's zone (Minsk)
    assert "Out of office" not in page.text  # Bo's note is on Bo's invitation
    assert "Out of office until Monday." in secretariat_client.get(f"/invitations/{bo.id}").text
