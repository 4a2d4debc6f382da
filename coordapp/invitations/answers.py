"""Answering an invitation: accept / tentative / decline, the waiting list when the
meeting is full, and sending a substitute. Used by the participant's RSVP page and by
the secretariat recording an answer on someone's behalf.

    record_answer(invitation, status, *, needs=None, comment=None, mode=None, recorded_by=None)
        -> InvitationStatus   # what was recorded: ACCEPTED may become WAITLISTED

    delegate_to_substitute(invitation, *, name, email, position, recorded_by=None)
        -> Invitation         # the substitute's new invitation

    release_seat(invitation) -> list[Invitation]
        # call after taking a seat away (e.g. withdrawing): moves waiting people up

Seats: with a capacity, at most `capacity` invitations (not withdrawn) are ACCEPTED
to attend in person: in a hybrid meeting, whoever takes part online takes no seat and
never waits for one.
Every change that takes or frees a seat first locks the meeting row (on SQLite, which
ignores FOR UPDATE, the database's write lock), so concurrent requests serialize and the
count they see is the committed one.

Nothing here commits: the caller commits (and the queued emails go out after that).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.invitations.invite import invite_contacts
from coordapp.invitations.notifications import (
    queue_confirmation,
    queue_waitlist_promotion,
)
from coordapp.invitations.summary import answer_summary, waitlist_position  # noqa: F401
from coordapp.models import (
    AttendanceMode,
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    User,
    utcnow,
)
from coordapp.models.locking import (
    EXCLUSIVE,
    SHARED,
    already_locked,
    lock_for_writing,
    lock_row,
    note_locked,
    take_turns,
)

ANSWERS = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.DECLINED)
OPEN_MEETING = (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED)


class AnswerError(DomainError):
    """An answer that cannot be recorded; str(error) is a message for the person."""


class AnswersClosed(AnswerError):
    """The deadline has passed, or the meeting is cancelled or over."""


class ModeMissing(AnswerError):
    """A hybrid meeting's invitee accepted without saying in person or online."""

    status = 400


class SubstituteError(AnswerError):
    """The substitute cannot be invited (other organisation, already invited…)."""

    status = 400


# --- when answers are taken ---------------------------------------------------------------


def answer_deadline(meeting: Meeting) -> datetime:
    """Answers can be changed until the RSVP deadline, or without one until the start."""
    return meeting.rsvp_deadline or meeting.starts_at


def answers_closed_reason(invitation: Invitation, now: datetime | None = None) -> str | None:
    """Why the invitee can no longer answer through their link, or None if they can."""
    meeting = invitation.meeting
    if invitation.is_withdrawn:
        return str(_l("This invitation was withdrawn."))
    if meeting.status == MeetingStatus.CANCELLED:
        return str(_l("This meeting is cancelled."))
    if meeting.status not in OPEN_MEETING:
        return str(_l("This meeting has taken place."))
    if (now or utcnow()) >= answer_deadline(meeting):
        return str(_l("The deadline for answers has passed."))
    if invitation.status == InvitationStatus.DELEGATED:
        return str(_l("This invitation was handed on to a substitute."))
    return None


def _check_can_answer(invitation: Invitation, recorded_by: User | None) -> None:
    """The invitee is held to the deadline; the secretariat may record late answers
    (phone calls), but nobody answers for a withdrawn, delegated or cancelled one."""
    reason = answers_closed_reason(invitation)
    if reason is None:
        return
    meeting = invitation.meeting
    secretariat_may_still = (
        recorded_by is not None
        and not invitation.is_withdrawn
        and meeting.status != MeetingStatus.CANCELLED
        and invitation.status != InvitationStatus.DELEGATED
    )
    if not secretariat_may_still:
        raise AnswersClosed(reason)


# --- seats and the waiting list -----------------------------------------------------------


def _lock_meeting(meeting_id: int) -> Meeting:
    """Lock the meeting row until commit (FOR UPDATE on PostgreSQL, the database's write
    lock on SQLite) and read its capacity afresh. Once per transaction.

    An invitee's answer reads its meeting FOR SHARE with the invitation (coordapp/web.py):
    nobody changes the meeting (capacity, status, deadline) until the answer commits,
    while answers to a meeting without a capacity, which count no seats, go on side by
    side. Where there is a capacity, seats are counted one answer at a time (take_turns);
    whoever locks the meeting FOR UPDATE waits for every answer in progress."""
    held = already_locked(db.session, Meeting, meeting_id)
    if held is not None:
        meeting, mode = held
        if mode == SHARED and meeting.capacity is not None:
            take_turns(db.session, "meeting-seats", meeting_id)
            note_locked(db.session, meeting, EXCLUSIVE)
        return meeting
    lock_for_writing(db.session)
    return db.session.scalars(
        db.select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_invitation(invitation: Invitation) -> None:
    """Lock the invitation's meeting, then the invitation, until commit (the order an
    answer takes them in: the other order could wait in a circle with one) and read both
    afresh: a change that an answer may race (a withdrawal) comes before it or after."""
    _lock_meeting(invitation.meeting_id)
    lock_row(db.session, invitation)


def takes_seat(status: InvitationStatus, mode: AttendanceMode | None) -> bool:
    """An acceptance takes a seat unless the person takes part online."""
    return status == InvitationStatus.ACCEPTED and mode is not AttendanceMode.ONLINE


def _accepted_count(meeting_id: int, *, excluding: Invitation | None = None) -> int:
    """The seats taken: acceptances to attend in person (online ones take none)."""
    query = db.select(db.func.count(Invitation.id)).where(
        Invitation.meeting_id == meeting_id,
        Invitation.status == InvitationStatus.ACCEPTED,
        Invitation.withdrawn_at.is_(None),
        db.or_(
            Invitation.attendance_mode.is_(None),
            Invitation.attendance_mode != AttendanceMode.ONLINE,
        ),
    )
    if excluding is not None and excluding.id is not None:
        query = query.where(Invitation.id != excluding.id)
    return db.session.scalar(query) or 0


def _waiting_query(meeting_id: int):
    return (
        db.select(Invitation)
        .where(
            Invitation.meeting_id == meeting_id,
            Invitation.status == InvitationStatus.WAITLISTED,
            Invitation.withdrawn_at.is_(None),
        )
        .order_by(Invitation.waitlisted_at, Invitation.id)
    )


def _fill_free_seats(
    meeting: Meeting,
    *,
    skip: Invitation | None = None,
    by: User | None = None,
) -> list[Invitation]:
    """Move waiting people up, oldest first, while seats are free. The meeting row must
    be locked. `skip` is left waiting (it is being answered right now)."""
    if meeting.status not in OPEN_MEETING:
        return []
    promoted: list[Invitation] = []
    free = None if meeting.capacity is None else meeting.capacity - _accepted_count(meeting.id)
    if free is not None and free <= 0:
        return promoted
    query = _waiting_query(meeting.id)
    if skip is not None and skip.id is not None:
        query = query.where(Invitation.id != skip.id)
    if free is not None:
        query = query.limit(free)
    for invitation in db.session.scalars(query):
        invitation.status = InvitationStatus.ACCEPTED
        invitation.waitlisted_at = None
        promoted.append(invitation)
        queue_waitlist_promotion(invitation)
        audit.record(
            "invitations.promote",
            invitation,
            meeting_id=meeting.id,
            changes={"status": ["waitlisted", "accepted"]},
            note="moved up from the waiting list",
            by=by,
        )
    return promoted


def fill_free_seats(meeting_id: int, *, by: User | None = None) -> list[Invitation]:
    """After the capacity was raised or removed: move waiting people up into the free
    seats and tell them. Returns them."""
    return _fill_free_seats(_lock_meeting(meeting_id), by=by)


def release_seat(invitation: Invitation, *, by: User | None = None) -> list[Invitation]:
    """Call after `invitation` gave up its seat (withdrawn, declined…): the first people
    on the waiting list move up into the free seats and are told. Returns them."""
    meeting = _lock_meeting(invitation.meeting_id)
    if invitation.is_withdrawn and invitation.status == InvitationStatus.WAITLISTED:
        invitation.waitlisted_at = None
    return _fill_free_seats(meeting, by=by)


# --- answering ----------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def record_answer(
    invitation: Invitation,
    status: InvitationStatus,
    *,
    needs: str | None = None,
    comment: str | None = None,
    mode: AttendanceMode | None = None,
    recorded_by: User | None = None,
    source: str | None = None,
    confirm: bool = True,
) -> InvitationStatus:
    """Record the invitee's answer (or, with `recorded_by`, the secretariat's record of
    it) and queue a confirmation email. `needs` / `comment` of None leave them as they
    are; an empty string clears them. In a hybrid meeting, `mode` says in person or
    online (None keeps what was said before; an invitee accepting on the RSVP page must
    say; an answer from their calendar counts in person). Returns what was recorded: an
    in-person acceptance while the meeting is full goes on the waiting list (WAITLISTED).

    `source` names where an answer came from when not the RSVP page ("calendar": a
    reply from their calendar program, coordapp/rsvp/inbound.py); its confirmation is
    then marked as an automatic reply, and `confirm=False` sends none (never in answer to
    an automatic message)."""
    if status not in ANSWERS:
        raise AnswerError(str(_l("Choose accept, tentative or decline.")))
    meeting = _lock_meeting(invitation.meeting_id)
    # Read afresh, locked (unless its loader did: coordapp/invitations/links.py).
    lock_row(db.session, invitation)
    _check_can_answer(invitation, recorded_by)
    before = audit.snapshot(invitation, ["status", "needs", "comment", "attendance_mode"])
    previous = invitation.status
    previous_mode = invitation.attendance_mode
    new_mode = _chosen_mode(meeting, invitation, status, mode, recorded_by or source)
    had_seat = takes_seat(previous, previous_mode)
    recorded = status
    if takes_seat(status, new_mode) and not had_seat:
        # Anyone already waiting for a seat freed meanwhile goes first.
        if meeting.capacity is not None:  # nobody waits for a meeting without a limit
            _fill_free_seats(meeting, skip=invitation, by=recorded_by)
        if meeting.capacity is not None and (
            _accepted_count(meeting.id, excluding=invitation) >= meeting.capacity
        ):
            recorded = InvitationStatus.WAITLISTED

    invitation.status = recorded
    invitation.attendance_mode = new_mode
    if recorded == InvitationStatus.WAITLISTED:
        if previous != InvitationStatus.WAITLISTED or invitation.waitlisted_at is None:
            invitation.waitlisted_at = utcnow()
    else:
        invitation.waitlisted_at = None
    if needs is not None:
        invitation.needs = _clean(needs)
    if comment is not None:
        invitation.comment = _clean(comment)
    invitation.responded_at = utcnow()
    invitation.response_recorded_by_id = recorded_by.id if recorded_by else None

    if had_seat and not takes_seat(recorded, new_mode) and meeting.capacity is not None:
        db.session.flush()
        _fill_free_seats(meeting, by=recorded_by)

    # The busiest write of all (every invitee answers, most within hours): the audit row
    # and the confirmation are one INSERT each, without the unit of work.
    audit.record_now(
        "invitations.answer",
        invitation,
        meeting_id=meeting.id,
        changes=audit.diff(
            before, audit.snapshot(invitation, ["status", "needs", "comment", "attendance_mode"])
        ),
        note=_answer_note(recorded_by, source),
        user_id=recorded_by.id if recorded_by else None,
    )
    if confirm:
        queue_confirmation(invitation, auto_replied=source is not None)
    return recorded


def _answer_note(recorded_by: User | None, source: str | None) -> str:
    if recorded_by:
        return "recorded by the secretariat"
    if source == "calendar":
        return "answered from their calendar"
    return "by the invitee"


def _chosen_mode(
    meeting: Meeting,
    invitation: Invitation,
    status: InvitationStatus,
    mode: AttendanceMode | None,
    recorded_by: User | str | None,
) -> AttendanceMode | None:
    """In person or online, for a hybrid meeting's answer (None for other meetings).
    Only the invitee on the RSVP page must say; the secretariat's record or an answer from
    a calendar program that does not say counts in person (a seat is kept)."""
    if not meeting.is_hybrid:
        return None
    chosen = mode or invitation.attendance_mode
    if chosen is None and status in (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE):
        if recorded_by is None:
            raise ModeMissing(str(_l("Choose whether you will attend in person or online.")))
        chosen = AttendanceMode.IN_PERSON
    return chosen


# --- sending a substitute -----------------------------------------------------------------


def _substitute_contact(
    invitation: Invitation, *, name: str, email: str, position: str | None, by: User | None = None
) -> Contact:
    """The contact for the substitute: an existing one of the same organisation, or a
    new one there."""
    original = invitation.contact
    email = Contact.normalise_email(email)
    contact = db.session.scalar(db.select(Contact).where(Contact.email == email))
    if contact is None:
        contact = Contact(
            name=name.strip(),
            email=email,
            position=_clean(position),
            organisation_id=original.organisation_id,
            language=original.language,
        )
        db.session.add(contact)
        db.session.flush()
        audit.record(
            "directory.contact_create",
            contact,
            meeting_id=invitation.meeting_id,
            note=f"named as a substitute by {original.email}",
            by=by,
        )
        return contact
    if contact.id == original.id:
        raise SubstituteError(str(_l("Name a colleague, not yourself, as your substitute.")))
    if contact.organisation_id != original.organisation_id or not contact.active:
        # One answer for both, naming no one: a link holder must not learn from this form
        # whose address belongs to which organisation.
        raise SubstituteError(
            str(_l("This person cannot be invited. Please contact the secretariat."))
        )
    return contact


def delegate_to_substitute(
    invitation: Invitation,
    *,
    name: str,
    email: str,
    position: str | None,
    recorded_by: User | None = None,
    source: str | None = None,
) -> Invitation:
    """Hand the invitation on to a colleague of the same organisation, who gets their
    own invitation (and email). The original becomes DELEGATED and frees its seat."""
    _check_can_answer(invitation, recorded_by)
    meeting = _lock_meeting(invitation.meeting_id)
    contact = _substitute_contact(
        invitation, name=name, email=email, position=position, by=recorded_by
    )
    result = invite_contacts(meeting, [contact], by=recorded_by)
    if not result.invited:
        raise SubstituteError(
            str(_l("%(name)s is already invited to this meeting.", name=contact.name))
        )
    substitute = result.invited[0]
    substitute.delegated_from_id = invitation.id

    previous = invitation.status
    invitation.status = InvitationStatus.DELEGATED
    invitation.substitute_id = substitute.id
    invitation.waitlisted_at = None
    invitation.responded_at = utcnow()
    invitation.response_recorded_by_id = recorded_by.id if recorded_by else None
    db.session.flush()
    if previous == InvitationStatus.ACCEPTED:
        _fill_free_seats(meeting, by=recorded_by)

    audit.record(
        "invitations.delegate",
        invitation,
        meeting_id=meeting.id,
        changes={"status": [previous.value, "delegated"], "substitute": [None, contact.email]},
        note=_answer_note(recorded_by, source),
        user_id=recorded_by.id if recorded_by else None,
    )
    queue_confirmation(invitation, auto_replied=source is not None)
    return substitute
