"""Never over capacity, even when many invitees accept at the same moment, on PostgreSQL
(the meeting row is locked FOR UPDATE) and on SQLite (which ignores FOR UPDATE: the
database's write lock is taken first)."""

from __future__ import annotations

import threading

import pytest

from coordapp.extensions import db
from coordapp.invitations.answers import record_answer
from coordapp.models import Invitation, InvitationStatus, MessageKind, OutgoingMessage
from tests.factories import make_contact, make_meeting, make_organisation


@pytest.mark.commits  # threads, each on its own connection
@pytest.mark.parametrize("capacity, invitees", [(1, 4), (20, 50)])
def test_simultaneous_acceptances_never_take_more_seats_than_the_capacity(app, capacity, invitees):
    meeting = make_meeting(capacity=capacity)
    organisation = make_organisation()
    invitations = []
    for n in range(invitees):
        invitation = Invitation(
            meeting=meeting, contact=make_contact(organisation, email=f"rush{n}@example.org")
        )
        db.session.add(invitation)
        invitations.append(invitation)
    db.session.commit()
    invitation_ids = [i.id for i in invitations]
    meeting_id = meeting.id
    db.session.close()  # hold no transaction while the threads work

    barrier = threading.Barrier(invitees)
    results: dict[int, InvitationStatus] = {}
    errors: list[BaseException] = []

    def accept(invitation_id: int) -> None:
        # Each thread: its own app context, hence its own session and connection.
        # (A request context too: the confirmation email carries the personal link.)
        with app.app_context(), app.test_request_context():
            try:
                invitation = db.session.get(Invitation, invitation_id)
                # Give the connection back while waiting: the pool is smaller than 50.
                db.session.commit()
                barrier.wait(timeout=30)
                results[invitation_id] = record_answer(invitation, InvitationStatus.ACCEPTED)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in invitation_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    statuses = list(
        db.session.scalars(db.select(Invitation.status).where(Invitation.meeting_id == meeting_id))
    )
    assert statuses.count(InvitationStatus.ACCEPTED) == capacity
    assert statuses.count(InvitationStatus.WAITLISTED) == invitees - capacity
    # What each request was told matches what was stored.
    assert sorted(s.value for s in results.values()) == sorted(s.value for s in statuses)
    # Everyone got a confirmation; the waiting list is in a strict order.
    confirmations = db.session.scalar(
        db.select(db.func.count(OutgoingMessage.id)).where(
            OutgoingMessage.kind == MessageKind.CONFIRMATION
        )
    )
    assert confirmations == invitees
    waited = db.session.scalars(
        db.select(Invitation.waitlisted_at).where(
            Invitation.meeting_id == meeting_id,
            Invitation.status == InvitationStatus.WAITLISTED,
        )
    ).all()
    assert None not in waited


@pytest.mark.commits  # threads, each request on its own connection
def test_simultaneous_acceptances_through_the_personal_links_respect_the_capacity(app):
    """The RSVP page's answer locks the meeting row while it reads the invitation (one
    query): answers sent at the same moment still take no more seats than there are."""
    from coordapp.invitations.service import rsvp_token

    capacity, invitees = 3, 12
    meeting = make_meeting(capacity=capacity)
    organisation = make_organisation()
    invitations = [
        Invitation(
            meeting=meeting, contact=make_contact(organisation, email=f"link{n}@example.org")
        )
        for n in range(invitees)
    ]
    db.session.add_all(invitations)
    db.session.commit()
    links = {i.id: f"/rsvp/{rsvp_token(i)}" for i in invitations}
    meeting_id = meeting.id
    db.session.close()

    barrier = threading.Barrier(invitees)
    codes: dict[int, int] = {}
    errors: list[BaseException] = []

    def answer(invitation_id: int) -> None:
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            codes[invitation_id] = client.post(
                links[invitation_id], data={"status": "accepted"}
            ).status_code
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(i,)) for i in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert sorted(codes.values()) == [303] * invitees
    statuses = list(
        db.session.scalars(db.select(Invitation.status).where(Invitation.meeting_id == meeting_id))
    )
    assert statuses.count(InvitationStatus.ACCEPTED) == capacity
    assert statuses.count(InvitationStatus.WAITLISTED) == invitees - capacity


@pytest.mark.postgres_only  # row locks (SQLite has one writer at a time anyway)
@pytest.mark.commits  # an answer held open in a thread while others run
def test_an_answer_in_progress_holds_off_changes_to_the_meeting_but_not_other_answers(app):
    """While one invitee's answer is being recorded, another invitee's answer to the same
    meeting (no capacity: no seats to count) goes through without waiting, but a change
    to the meeting (its capacity, its status) waits until the first answer is done."""
    import sqlalchemy as sa
    from sqlalchemy.exc import OperationalError

    from coordapp.invitations.links import RSVP_LINK, invitation_to_answer
    from coordapp.invitations.service import rsvp_token
    from coordapp.web import load_by_link

    meeting = make_meeting()
    organisation = make_organisation()
    first, second = (
        Invitation(
            meeting=meeting, contact=make_contact(organisation, email=f"held{n}@example.org")
        )
        for n in range(2)
    )
    db.session.add_all([first, second])
    db.session.commit()
    first_token, second_link = rsvp_token(first), f"/rsvp/{rsvp_token(second)}"
    meeting_id = meeting.id
    db.session.close()

    loaded, release = threading.Event(), threading.Event()

    def answer_held_open() -> None:
        with app.test_request_context(f"/rsvp/{first_token}", method="POST"):
            load_by_link(first_token, RSVP_LINK, invitation_to_answer)  # the meeting locked
            loaded.set()
            release.wait(timeout=30)
            db.session.rollback()
            db.session.remove()

    holder = threading.Thread(target=answer_held_open)
    holder.start()
    try:
        assert loaded.wait(timeout=30)
        codes = []
        other = threading.Thread(
            target=lambda: codes.append(
                app.test_client().post(second_link, data={"status": "accepted"}).status_code
            )
        )
        other.start()
        other.join(timeout=10)
        assert codes == [303]  # did not wait for the first answer

        with db.engine.connect() as conn:
            conn.execute(sa.text("SET lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                conn.execute(
                    sa.text("UPDATE meetings SET capacity = 1 WHERE id = :id"), {"id": meeting_id}
                )
            conn.rollback()
    finally:
        release.set()
        holder.join(timeout=30)
    with db.engine.begin() as conn:  # once the answer is done, the change goes through
        conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
        conn.execute(sa.text("UPDATE meetings SET capacity = 1 WHERE id = :id"), {"id": meeting_id})
