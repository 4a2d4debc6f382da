"""The answer rules: what is recorded, the waiting list, substitutes (service level)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coordapp.extensions import db
from coordapp.invitations import answers
from coordapp.invitations.answers import (
    AnswerError,
    AnswersClosed,
    SubstituteError,
    delegate_to_substitute,
    record_answer,
    release_seat,
    waitlist_position,
)
from coordapp.models import (
    AuditEvent,
    Contact,
    Invitation,
    InvitationStatus,
    MessageKind,
    OutgoingMessage,
    Role,
    utcnow,
)
from tests.factories import make_contact, make_meeting, make_organisation, make_user
from tests.outbox import written

ACCEPTED = InvitationStatus.ACCEPTED
DECLINED = InvitationStatus.DECLINED
TENTATIVE = InvitationStatus.TENTATIVE
WAITLISTED = InvitationStatus.WAITLISTED


@pytest.fixture(autouse=True)
def request_context(app):
    # Emails carry the personal link, built with url_for.
    with app.test_request_context():
        yield


def invite(meeting, contact=None, **kwargs) -> Invitation:
    invitation = Invitation(meeting=meeting, contact=contact or make_contact(), **kwargs)
    db.session.add(invitation)
    db.session.commit()
    return invitation


def answer(invitation, status, **kwargs) -> InvitationStatus:
    recorded = record_answer(invitation, status, **kwargs)
    db.session.commit()
    return recorded


def messages(kind: MessageKind, to: str | None = None) -> list[OutgoingMessage]:
    query = db.select(OutgoingMessage).where(OutgoingMessage.kind == kind)
    if to:
        query = query.where(OutgoingMessage.to_email == to)
    return [written(m) for m in db.session.scalars(query.order_by(OutgoingMessage.id))]


def test_accepting_records_the_answer_needs_and_time():
    invitation = invite(make_meeting())
    recorded = answer(invitation, ACCEPTED, needs="  Vegetarian  ", comment="Looking forward")
    assert recorded == ACCEPTED
    assert invitation.status == ACCEPTED
    assert invitation.needs == "Vegetarian"
    assert invitation.comment == "Looking forward"
    assert invitation.responded_at is not None
    assert invitation.response_recorded_by_id is None


def test_every_answer_queues_a_confirmation_with_a_calendar_only_for_yes_or_maybe():
    invitation = invite(make_meeting())
    answer(invitation, ACCEPTED)
    answer(invitation, TENTATIVE)
    answer(invitation, DECLINED)
    sent = messages(MessageKind.CONFIRMATION, invitation.contact.email)
    assert [m.ics_method for m in sent] == ["REQUEST", "REQUEST", None]
    assert all(m.invitation_id == invitation.id for m in sent)
    assert "You accepted" in sent[0].text_body
    assert "You declined" in sent[2].text_body


def test_only_yes_maybe_or_no_can_be_recorded():
    invitation = invite(make_meeting())
    for status in (InvitationStatus.PENDING, WAITLISTED, InvitationStatus.DELEGATED):
        with pytest.raises(AnswerError):
            record_answer(invitation, status)
    assert invitation.status == InvitationStatus.PENDING


def test_an_empty_needs_field_clears_the_needs_and_none_keeps_them():
    invitation = invite(make_meeting())
    answer(invitation, ACCEPTED, needs="Wheelchair access")
    answer(invitation, TENTATIVE)
    assert invitation.needs == "Wheelchair access"
    answer(invitation, ACCEPTED, needs="")
    assert invitation.needs is None


def test_the_audit_log_says_who_answered(app):
    secretary = make_user(Role.SECRETARIAT)
    invitation = invite(make_meeting())
    answer(invitation, ACCEPTED)
    answer(invitation, DECLINED, recorded_by=secretary)
    events = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.action == "invitations.answer", AuditEvent.object_id == invitation.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.note, e.user_id) for e in events] == [
        ("by the invitee", None),
        ("recorded by the secretariat", secretary.id),
    ]
    assert events[1].changes["status"] == ["accepted", "declined"]
    assert invitation.response_recorded_by_id == secretary.id


def test_the_invitee_cannot_answer_after_the_deadline_but_the_secretariat_can():
    now = datetime.now(UTC)
    meeting = make_meeting(starts_at=now + timedelta(days=2), rsvp_deadline=now - timedelta(1))
    invitation = invite(meeting)
    with pytest.raises(AnswersClosed):
        record_answer(invitation, ACCEPTED)
    secretary = make_user(Role.SECRETARIAT)
    assert answer(invitation, ACCEPTED, recorded_by=secretary) == ACCEPTED


def test_without_a_deadline_answers_close_when_the_meeting_starts():
    meeting = make_meeting(starts_at=datetime.now(UTC) - timedelta(minutes=5))
    invitation = invite(meeting)
    assert answers.answers_closed_reason(invitation) == "The deadline for answers has passed."
    with pytest.raises(AnswersClosed):
        record_answer(invitation, DECLINED)


# --- capacity and the waiting list --------------------------------------------------------


def test_acceptances_beyond_capacity_go_on_the_waiting_list():
    meeting = make_meeting(capacity=2)
    first, second, third = (invite(meeting) for _ in range(3))
    assert answer(first, ACCEPTED) == ACCEPTED
    assert answer(second, ACCEPTED) == ACCEPTED
    assert answer(third, ACCEPTED) == WAITLISTED
    assert third.waitlisted_at is not None
    assert waitlist_position(third) == 1
    # The confirmation says so.
    assert (
        "waiting list (position 1)"
        in messages(MessageKind.CONFIRMATION, third.contact.email)[0].text_body
    )


def test_a_declined_seat_goes_to_the_first_person_waiting_who_is_told():
    meeting = make_meeting(capacity=2)
    first, second, third, fourth = (invite(meeting) for _ in range(4))
    for invitation in (first, second, third, fourth):
        answer(invitation, ACCEPTED)
    assert (third.status, fourth.status) == (WAITLISTED, WAITLISTED)
    assert waitlist_position(fourth) == 2

    answer(first, DECLINED)

    assert third.status == ACCEPTED and third.waitlisted_at is None
    assert fourth.status == WAITLISTED and waitlist_position(fourth) == 1
    promoted = messages(MessageKind.WAITLIST)
    assert [m.to_email for m in promoted] == [third.contact.email]
    assert promoted[0].ics_method == "REQUEST"
    assert "moved up from the waiting list" in promoted[0].text_body


def test_changing_to_tentative_also_frees_the_seat():
    meeting = make_meeting(capacity=1)
    first, second = invite(meeting), invite(meeting)
    answer(first, ACCEPTED)
    answer(second, ACCEPTED)
    answer(first, TENTATIVE)
    assert second.status == ACCEPTED


def test_accepting_again_while_waiting_keeps_the_place_in_the_queue():
    meeting = make_meeting(capacity=1)
    first, second, third = invite(meeting), invite(meeting), invite(meeting)
    for invitation in (first, second, third):
        answer(invitation, ACCEPTED)
    queued_at = second.waitlisted_at
    answer(second, ACCEPTED, needs="Vegan")
    assert second.status == WAITLISTED
    assert second.waitlisted_at == queued_at
    assert waitlist_position(second) == 1 and waitlist_position(third) == 2


def test_leaving_the_waiting_list_promotes_nobody_and_clears_the_place():
    meeting = make_meeting(capacity=1)
    first, second = invite(meeting), invite(meeting)
    answer(first, ACCEPTED)
    answer(second, ACCEPTED)
    answer(second, DECLINED)
    assert first.status == ACCEPTED
    assert second.waitlisted_at is None
    assert messages(MessageKind.WAITLIST) == []


def test_withdrawing_an_accepted_invitation_and_releasing_its_seat_promotes_the_next():
    meeting = make_meeting(capacity=1)
    first, second = invite(meeting), invite(meeting)
    answer(first, ACCEPTED)
    answer(second, ACCEPTED)
    # What the secretariat's "withdraw" does.
    first.withdrawn_at = utcnow()
    promoted = release_seat(first)
    db.session.commit()
    assert promoted == [second]
    assert second.status == ACCEPTED
    assert [m.to_email for m in messages(MessageKind.WAITLIST)] == [second.contact.email]


def test_a_new_acceptance_does_not_jump_the_queue_when_capacity_grows():
    meeting = make_meeting(capacity=1)
    first, second, late = invite(meeting), invite(meeting), invite(meeting)
    answer(first, ACCEPTED)
    answer(second, ACCEPTED)
    meeting.capacity = 2
    db.session.commit()
    assert answer(late, ACCEPTED) == WAITLISTED
    assert second.status == ACCEPTED


def test_without_capacity_everyone_who_accepts_gets_a_seat():
    meeting = make_meeting()
    invitations = [invite(meeting) for _ in range(5)]
    assert {answer(i, ACCEPTED) for i in invitations} == {ACCEPTED}


# --- substitutes --------------------------------------------------------------------------


def test_a_substitute_becomes_a_contact_of_the_same_organisation_with_their_own_invitation():
    organisation = make_organisation(name="Ministry of Labour")
    original = make_contact(organisation, name="Olga Original", language="ru")
    meeting = make_meeting()
    invitation = invite(meeting, original)

    substitute = delegate_to_substitute(
        invitation, name=" Sasha Substitute ", email="Sasha@Example.ORG", position="Adviser"
    )
    db.session.commit()

    contact = db.session.scalar(db.select(Contact).where(Contact.email == "sasha@example.org"))
    assert contact.name == "Sasha Substitute"
    assert contact.position == "Adviser"
    assert contact.organisation_id == organisation.id
    assert contact.language == "ru"
    assert substitute.contact_id == contact.id
    assert substitute.delegated_from_id == invitation.id
    assert invitation.status == InvitationStatus.DELEGATED
    assert invitation.substitute_id == substitute.id
    assert [m.to_email for m in messages(MessageKind.INVITATION)] == ["sasha@example.org"]
    assert "Delegated to Sasha Substitute" in answers.answer_summary(invitation)


def test_an_existing_colleague_is_matched_by_email_whatever_the_case():
    organisation = make_organisation()
    colleague = make_contact(organisation, email="colleague@example.org")
    invitation = invite(make_meeting(), make_contact(organisation))
    substitute = delegate_to_substitute(
        invitation, name="Someone Else", email="COLLEAGUE@example.org", position=""
    )
    assert substitute.contact_id == colleague.id
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 2


def test_a_contact_of_another_organisation_cannot_be_a_substitute():
    outsider = make_contact(make_organisation(name="Other Agency"), email="out@example.org")
    invitation = invite(make_meeting(), make_contact(make_organisation(name="Home Office")))
    with pytest.raises(SubstituteError, match="cannot be invited") as refused:
        delegate_to_substitute(invitation, name="Out", email=outsider.email, position=None)
    assert "organisation" not in str(refused.value)
    db.session.rollback()
    assert invitation.status == InvitationStatus.PENDING


def test_someone_already_invited_cannot_be_named_as_substitute():
    organisation = make_organisation()
    meeting = make_meeting()
    invitation = invite(meeting, make_contact(organisation))
    colleague = invite(meeting, make_contact(organisation)).contact
    with pytest.raises(SubstituteError, match="already invited"):
        delegate_to_substitute(invitation, name="x", email=colleague.email, position=None)
    with pytest.raises(SubstituteError):
        delegate_to_substitute(invitation, name="Me", email=invitation.contact.email, position=None)


def test_delegating_an_accepted_seat_frees_it_for_the_waiting_list():
    meeting = make_meeting(capacity=1)
    organisation = make_organisation()
    holder = invite(meeting, make_contact(organisation))
    waiting = invite(meeting)
    answer(holder, ACCEPTED)
    answer(waiting, ACCEPTED)
    substitute = delegate_to_substitute(
        holder, name="New Person", email="new.person@example.org", position=None
    )
    db.session.commit()
    assert waiting.status == ACCEPTED
    # The substitute gets an invitation, not the seat: they answer for themselves.
    assert substitute.status == InvitationStatus.PENDING
    assert answer(substitute, ACCEPTED) == WAITLISTED


def test_a_delegated_invitation_cannot_be_answered_again():
    organisation = make_organisation()
    invitation = invite(make_meeting(), make_contact(organisation))
    delegate_to_substitute(invitation, name="A B", email="ab@example.org", position=None)
    db.session.commit()
    with pytest.raises(AnswersClosed):
        record_answer(invitation, ACCEPTED)
