"""The participant's personal page `/rsvp/<token>`: seeing the meeting, answering,
sending a substitute, and refusing wrong, withdrawn or guessed links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from coordapp.extensions import db
from coordapp.links import make_token, rsvp_token
from coordapp.models import (
    Contact,
    Invitation,
    InvitationStatus,
    MeetingStatus,
    MessageKind,
    OutgoingMessage,
    utcnow,
)
from coordapp.models.invitation import new_link_id
from tests.conftest import count_queries
from tests.factories import (
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)
from tests.outbox import written

# Thursday 7 March 2030, 10:00 in Minsk (UTC+3).
STARTS = datetime(2030, 3, 7, 7, 0, tzinfo=UTC)


def invite(meeting=None, contact=None, **kwargs) -> Invitation:
    invitation = Invitation(
        meeting=meeting or make_meeting(starts_at=STARTS),
        contact=contact or make_contact(name="Irina Invitee"),
        **kwargs,
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation


def url(invitation, suffix="") -> str:
    return f"/rsvp/{rsvp_token(invitation)}{suffix}"


def outbox(kind: MessageKind) -> list[OutgoingMessage]:
    return [
        written(m)
        for m in db.session.scalars(
            db.select(OutgoingMessage)
            .where(OutgoingMessage.kind == kind)
            .order_by(OutgoingMessage.id)
        )
    ]


def fresh(invitation) -> Invitation:
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


# --- seeing the meeting -------------------------------------------------------------------


def test_the_page_shows_the_meeting_in_its_timezone_with_chairs_and_the_invitee(client):
    chair1 = make_user(name="Rita Coordinator")
    chair2 = make_user(name="Ivan Agency")
    meeting = make_meeting(
        title="Fourth extended meeting",
        series=make_series(name="Country Network on Migration"),
        number=4,
        starts_at=STARTS,
        rsvp_deadline=STARTS - timedelta(days=7),
        venue="UN House, Minsk",
        online_url="https://meet.example.org/cnm4",
        chairs=[(chair1, "UN Resident Coordinator"), (chair2, "Head of IOM")],
    )
    organisation = make_organisation(name="Ministry of Labour")
    invitation = invite(meeting, make_contact(organisation, name="Irina Invitee"))

    response = client.get(url(invitation))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        "Fourth extended meeting",
        "Country Network on Migration",
        "No. 4",
        "Rita Coordinator — UN Resident Coordinator",
        "Ivan Agency — Head of IOM",
        "Thu 7 Mar 2030, 10:00 (Europe/Minsk)",
        "Thu 28 Feb 2030, 10:00 (Europe/Minsk)",  # the deadline
        "UN House, Minsk",
        "Hybrid (in person and online)",
        "Irina Invitee",
        "Ministry of Labour",
        "You have not answered yet.",
        'id="agenda"',
    ):
        assert text in page, text
    # The online link only once they accept (tests/test_hybrid.py).
    assert "https://meet.example.org/cnm4" not in page
    assert 'name="status"' in page
    assert url(invitation, "/calendar.ics") in page


def test_personal_pages_are_not_cached_and_leak_no_referrer(client):
    # same-origin: no Referer (with the token) to other sites; our own forms keep theirs,
    # which Flask-WTF requires of a form posted over HTTPS.
    invitation = invite()
    for path in (url(invitation), url(invitation, "/calendar.ics"), "/rsvp/x"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["Referrer-Policy"] == "same-origin", path


def test_add_to_calendar_downloads_an_ics_file(client):
    invitation = invite()
    response = client.get(url(invitation, "/calendar.ics"))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "method=REQUEST" in response.headers["Content-Type"]
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).startswith("BEGIN:VCALENDAR")


# --- answering ----------------------------------------------------------------------------


def test_accepting_with_a_need_shows_a_confirmation_and_queues_an_email(client):
    invitation = invite()

    response = client.post(url(invitation), data={"status": "accepted", "needs": "Vegetarian"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(url(invitation) + "?done=answer")
    saved = fresh(invitation)
    assert saved.status == InvitationStatus.ACCEPTED
    assert saved.needs == "Vegetarian"
    assert saved.response_recorded_by_id is None

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Said once, as the heading; the summary follows.
    assert page.count("Your answer has been recorded") == 1
    assert re.search(r"Your answer has been recorded</h2>\s*<div[^>]*>\s*<p>You accepted", page)
    assert "Needs: Vegetarian" in page

    [confirmation] = outbox(MessageKind.CONFIRMATION)
    assert confirmation.to_email == saved.contact.email
    assert confirmation.ics_method == "REQUEST"
    assert "Vegetarian" in confirmation.text_body
    assert rsvp_token(saved) in confirmation.text_body


def test_the_answer_can_be_changed_until_the_deadline(client):
    invitation = invite()
    client.post(url(invitation), data={"status": "accepted"})
    client.post(url(invitation), data={"status": "tentative", "comment": "Depends on travel"})
    assert fresh(invitation).status == InvitationStatus.TENTATIVE
    assert "You answered maybe" in client.get(url(invitation)).get_data(as_text=True)

    client.post(url(invitation), data={"status": "declined"})
    saved = fresh(invitation)
    assert saved.status == InvitationStatus.DECLINED
    assert saved.comment is None  # the comment field was sent empty
    assert [m.ics_method for m in outbox(MessageKind.CONFIRMATION)] == [
        "REQUEST",
        "REQUEST",
        None,
    ]


def test_the_form_shows_the_recorded_answer_and_needs(client):
    invitation = invite()
    client.post(url(invitation), data={"status": "tentative", "needs": "Sign language"})
    page = client.get(url(invitation)).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="tentative"', page)
    assert "Sign language</textarea>" in page


def test_bad_input_is_refused_with_a_message_and_the_typed_values_kept(client):
    invitation = invite()

    response = client.post(url(invitation), data={"status": "maybe-later", "needs": "Wheelchair"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your answer was not saved" in page
    assert "Not a valid choice" in page
    assert "Wheelchair</textarea>" in page

    response = client.post(url(invitation), data={"status": "accepted", "needs": "x" * 2001})
    assert response.status_code == 400
    assert "2000" in response.get_data(as_text=True)

    response = client.post(url(invitation), data={"needs": "Wheelchair"})
    assert response.status_code == 400
    assert "Choose yes, maybe or no." in response.get_data(as_text=True)

    assert fresh(invitation).status == InvitationStatus.PENDING
    assert outbox(MessageKind.CONFIRMATION) == []


def test_answering_reads_only_what_the_answer_needs_and_a_refused_answer_shows_the_page(client):
    chair = make_user(name="Jane Chair")
    meeting = make_meeting(
        starts_at=STARTS,
        series=make_series("Country Network"),
        number=4,
        chairs=[(chair, "Co-chair")],
    )
    invitation = invite(meeting)
    link = url(invitation)
    db.session.expire_all()  # the request must load what it uses, as in production

    with count_queries() as queries:
        response = client.post(link, data={"status": "accepted"})

    assert response.status_code == 303
    page_only = [s for s in queries.statements if "meeting_chairs" in s or "organisations" in s]
    assert page_only == []  # the chairs and the organisation are on the page, not the answer
    [confirmation] = outbox(MessageKind.CONFIRMATION)
    assert "Country Network — " in confirmation.text_body  # the series is still read

    db.session.expire_all()
    response = client.post(link, data={"status": "maybe-later"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Jane Chair — Co-chair" in page
    assert "Irina Invitee" in page


def test_after_the_deadline_the_answer_is_shown_read_only_and_posts_are_refused(client):
    now = datetime.now(UTC)
    meeting = make_meeting(starts_at=now + timedelta(days=3), rsvp_deadline=now - timedelta(days=1))
    invitation = invite(meeting, status=InvitationStatus.ACCEPTED, needs="Halal meals")

    page = client.get(url(invitation)).get_data(as_text=True)
    assert "The deadline for answers has passed." in page
    assert "You accepted" in page
    assert "Halal meals" in page
    assert 'name="status"' not in page
    assert 'name="email"' not in page

    response = client.post(url(invitation), data={"status": "declined"})
    assert response.status_code == 409
    assert "The deadline for answers has passed." in response.get_data(as_text=True)
    response = client.post(
        url(invitation, "/substitute"), data={"name": "A B", "email": "ab@example.org"}
    )
    assert response.status_code == 409
    assert fresh(invitation).status == InvitationStatus.ACCEPTED
    assert outbox(MessageKind.CONFIRMATION) == []


def test_a_cancelled_meeting_shows_the_reason_and_no_form(client):
    meeting = make_meeting(
        starts_at=STARTS, status=MeetingStatus.CANCELLED, cancel_reason="The venue is flooded."
    )
    invitation = invite(meeting)
    page = client.get(url(invitation)).get_data(as_text=True)
    assert "This meeting is cancelled." in page
    assert "The venue is flooded." in page
    assert 'name="status"' not in page
    assert client.post(url(invitation), data={"status": "accepted"}).status_code == 409


def test_a_full_meeting_puts_the_invitee_on_the_waiting_list(client):
    meeting = make_meeting(starts_at=STARTS, capacity=1)
    first, second = invite(meeting), invite(meeting, make_contact())
    client.post(url(first), data={"status": "accepted"})
    client.post(url(second), data={"status": "accepted"})
    assert fresh(second).status == InvitationStatus.WAITLISTED
    page = client.get(url(second)).get_data(as_text=True)
    assert "You are on the waiting list (position 1)" in page

    client.post(url(first), data={"status": "declined"})
    assert fresh(second).status == InvitationStatus.ACCEPTED
    assert [m.to_email for m in outbox(MessageKind.WAITLIST)] == [second.contact.email]


# --- wrong links --------------------------------------------------------------------------


def test_a_tampered_token_gets_a_clear_404(client):
    invitation = invite()
    token = rsvp_token(invitation)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "x", token.split(".")[0], make_token(invitation.link_id, "other")):
        response = client.get(f"/rsvp/{bad}")
        assert response.status_code == 404, bad
        assert "This link is not valid" in response.get_data(as_text=True)
    assert client.post(f"/rsvp/{tampered}", data={"status": "accepted"}).status_code == 404
    assert fresh(invitation).status == InvitationStatus.PENDING


def test_a_well_formed_token_for_no_invitation_gets_404(client):
    invite()
    response = client.get(f"/rsvp/{make_token(new_link_id(), 'rsvp')}")
    assert response.status_code == 404
    assert client.get(f"/rsvp/{make_token(new_link_id(), 'rsvp')}/calendar.ics").status_code == 404


def test_a_withdrawn_invitation_gets_410(client):
    invitation = invite(withdrawn_at=utcnow())
    for response in (
        client.get(url(invitation)),
        client.post(url(invitation), data={"status": "accepted"}),
        client.get(url(invitation, "/calendar.ics")),
    ):
        assert response.status_code == 410
        assert "This invitation was withdrawn" in response.get_data(as_text=True)
    assert fresh(invitation).status == InvitationStatus.PENDING


def test_guessing_links_is_throttled_per_address_but_a_real_invitee_is_never_blocked(client):
    invitation = invite()
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(30):
        bad = make_token(new_link_id(), "rsvp")
        assert client.get(f"/rsvp/{bad}", environ_base=guesser).status_code == 404, n
    response = client.get("/rsvp/x", environ_base=guesser)
    assert response.status_code == 429
    assert "Too many wrong links" in response.get_data(as_text=True)

    # The invitee's own link works, even from the same address, and answers still go in.
    assert client.get(url(invitation), environ_base=guesser).status_code == 200
    response = client.post(url(invitation), data={"status": "accepted"}, environ_base=guesser)
    assert response.status_code == 303
    # Someone else's wrong link is just a 404.
    assert client.get("/rsvp/x", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 404


# --- sending a substitute -----------------------------------------------------------------


def test_sending_a_substitute_invites_a_colleague_of_the_same_organisation(client):
    organisation = make_organisation(name="Statistics Office")
    invitation = invite(contact=make_contact(organisation, name="Olga Original"))

    response = client.post(
        url(invitation, "/substitute"),
        data={"name": "Sasha Substitute", "email": "Sasha.S@Example.org", "position": "Analyst"},
    )

    assert response.status_code == 303
    contact = db.session.scalar(db.select(Contact).where(Contact.email == "sasha.s@example.org"))
    assert contact.organisation_id == organisation.id
    assert contact.position == "Analyst"
    original = fresh(invitation)
    assert original.status == InvitationStatus.DELEGATED
    assert original.substitute.contact_id == contact.id
    assert original.substitute.delegated_from_id == original.id
    [invitation_email] = outbox(MessageKind.INVITATION)
    assert invitation_email.to_email == "sasha.s@example.org"
    assert invitation_email.invitation_id == original.substitute_id

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Delegated to Sasha Substitute" in page
    assert 'name="status"' not in page
    # The substitute's own link works.
    assert client.get(url(original.substitute)).status_code == 200


def test_a_substitute_from_another_organisation_is_refused_with_a_message(client):
    make_contact(make_organisation(name="Other Agency"), email="taken@example.org")
    invitation = invite(contact=make_contact(make_organisation(name="Home Office")))

    response = client.post(
        url(invitation, "/substitute"),
        data={"name": "Tina Taken", "email": "Taken@example.org", "position": "Officer"},
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This person cannot be invited. Please contact the secretariat." in page
    assert 'value="Tina Taken"' in page  # what was typed is kept
    assert fresh(invitation).status == InvitationStatus.PENDING
    assert outbox(MessageKind.INVITATION) == []


def _substitute_answer(client, invitation, email: str) -> tuple[int, str]:
    response = client.post(
        url(invitation, "/substitute"), data={"name": "Tina Taken", "email": email}
    )
    page = response.get_data(as_text=True)
    return response.status_code, page[page.index("<main") :].replace(email, "EMAIL")


def test_the_substitute_form_does_not_tell_whose_address_belongs_to_another_organisation(
    client,
):
    home = make_organisation(name="Home Office")
    make_contact(make_organisation(name="Other Agency"), email="outsider@example.org")
    make_contact(home, email="inactive@example.org", active=False)
    invitation = invite(contact=make_contact(home))

    outsider = _substitute_answer(client, invitation, "outsider@example.org")
    inactive_colleague = _substitute_answer(client, invitation, "inactive@example.org")

    assert outsider == inactive_colleague
    assert "Other Agency" not in outsider[1] and "another organisation" not in outsider[1]


def test_a_substitute_form_with_a_bad_email_is_refused(client):
    invitation = invite()
    response = client.post(
        url(invitation, "/substitute"), data={"name": "No Mail", "email": "not-an-address"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert fresh(invitation).status == InvitationStatus.PENDING


# --- the confirmation email, end to end ---------------------------------------------------


def test_the_confirmation_email_reaches_the_invitee(client, smtp_server):
    from coordapp.mail.delivery import deliver_due_messages
    from tests.smtp import body_text, calendar_part

    invitation = invite(contact=make_contact(name="Irina Invitee", email="irina@example.org"))
    client.post(url(invitation), data={"status": "accepted", "needs": "Gluten-free lunch"})

    deliver_due_messages()

    [message] = smtp_server.to("irina@example.org")
    text = body_text(message)
    assert "Dear Irina Invitee," in text
    assert "Your answer has been recorded: You accepted" in text
    assert "Gluten-free lunch" in text
    assert "Thu 7 Mar 2030, 10:00 (Europe/Minsk)" in text
    assert rsvp_token(invitation) in text
    assert calendar_part(message) is not None
