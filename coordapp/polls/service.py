"""Scheduling polls: creating one on a draft meeting, its candidate slots, the people asked
and their answers. Services take the acting user as `by=`; nothing here commits (the caller
does) and no email is queued here.

    create_poll(meeting, *, message, deadline, visibility, reminder_days_before, by) -> Poll
    add_slot(poll, *, day, start, end, by, now=None) -> PollSlot
    update_slot(slot, *, day, start, end, by, now=None) -> PollSlot
    remove_slot(slot, *, by) -> None
    people_to_ask(meeting, *, contact_ids, organisation_ids, categories, series_default_list)
        -> list[Contact]          # = invitations' contacts_to_invite
    ask_people(poll, contacts, *, by) -> AskResult
    ask_chairs(poll, *, by) -> list[PollRespondent]
    set_key_organisations(poll, organisation_ids, *, by) -> None
    answer(respondent, choices, comment, *, now=None) -> None
    answers_closed_reason(respondent_or_poll, now=None) -> str | None

Concurrency: every write that depends on what it read first locks (PostgreSQL: rows FOR
UPDATE / FOR SHARE; SQLite, which ignores FOR UPDATE: the database's write lock, see
models/locking.py), so two people answering at once, an answer racing a slot's removal
and a re-answer racing itself all come out whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, raiseload, selectinload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.invitations.service import contacts_to_invite
from coordapp.links import POLL_PURPOSE, PersonalLink
from coordapp.models import (
    Contact,
    Meeting,
    MeetingChair,
    MeetingStatus,
    Organisation,
    Poll,
    PollAnswer,
    PollChoice,
    PollKeyOrganisation,
    PollRespondent,
    PollSlot,
    PollStatus,
    PollVisibility,
    User,
    utcnow,
)
from coordapp.models.locking import lock_for_writing
from coordapp.timefmt import wall_clock_to_utc

# Choosing whom to ask works exactly as choosing whom to invite.
people_to_ask = contacts_to_invite


class PollError(DomainError):
    """What the poll's state does not allow (409)."""


class PollInputError(PollError):
    """What was typed is wrong (400): a slot ending before it starts, in the past…"""

    status = 400


class PollClosed(PollError):
    """Answers are no longer taken: past the deadline, or the date is chosen."""


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


# --- the poll ------------------------------------------------------------------------------


def create_poll(
    meeting: Meeting,
    *,
    message: str | None,
    deadline: datetime,
    visibility: PollVisibility = PollVisibility.COUNTS,
    reminder_days_before: int | None = None,
    by: User | None,
    now: datetime | None = None,
) -> Poll:
    """A poll for a draft meeting (one per meeting); `deadline` is an aware datetime."""
    if meeting.status != MeetingStatus.DRAFT:
        raise PollError(_l("A date can only be polled for a draft meeting."))
    if deadline.tzinfo is None:
        raise ValueError("the deadline must be an aware datetime")
    if deadline <= (now or utcnow()):
        raise PollInputError(_l("The poll's deadline must be in the future."))
    if reminder_days_before is not None and reminder_days_before < 0:
        raise PollInputError(_l("The number of days before the deadline cannot be negative."))
    exists = db.session.scalar(sa.select(Poll.id).where(Poll.meeting_id == meeting.id))
    if exists is not None:
        raise PollError(_l("This meeting already has a scheduling poll."))
    poll = Poll(
        meeting=meeting,
        message=_clean(message),
        deadline=deadline,
        visibility=visibility,
        status=PollStatus.OPEN,
        reminder_days_before=reminder_days_before,
        created_by_id=by.id if by else None,
    )
    db.session.add(poll)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # Created at the same moment by someone else (unique meeting_id).
        raise PollError(_l("This meeting already has a scheduling poll.")) from None
    audit.record(
        "polls.create",
        poll,
        meeting_id=meeting.id,
        changes=audit.snapshot(poll, ["deadline", "visibility", "reminder_days_before"]),
        by=by,
    )
    return poll


def _check_open(poll: Poll) -> None:
    if poll.status != PollStatus.OPEN:
        raise PollError(_l("This poll is closed: the date has been chosen."))


# --- slots ---------------------------------------------------------------------------------


def slot_times(meeting: Meeting, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A start and end typed on the meeting's wall clock, as UTC datetimes.

    PollInputError when the end is not after the start, or a time does not exist on that
    day (the clocks go forward)."""
    if end <= start:
        raise PollInputError(_l("A slot must end after it starts."))
    moments = []
    for wall in (datetime.combine(day, start), datetime.combine(day, end)):
        utc = wall_clock_to_utc(wall, meeting.tz)
        if utc is None:
            raise PollInputError(
                _l(
                    "%(time)s does not exist on that day in the meeting's timezone "
                    "(the clocks change). Please choose another time.",
                    time=wall.strftime("%H:%M"),
                )
            )
        moments.append(utc)
    return moments[0], moments[1]


def _lock_poll(poll: Poll) -> Poll:
    """The poll row locked (and reloaded): slot changes and answers serialize on it."""
    lock_for_writing(db.session)
    return db.session.scalars(
        sa.select(Poll)
        .where(Poll.id == poll.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _check_slot(
    poll: Poll, starts_at: datetime, ends_at: datetime, now: datetime, exclude_id=None
) -> None:
    if starts_at <= now:
        raise PollInputError(_l("A slot cannot be in the past."))
    duplicate = db.session.scalar(
        sa.select(PollSlot.id).where(
            PollSlot.poll_id == poll.id,
            PollSlot.starts_at == starts_at,
            PollSlot.ends_at == ends_at,
            *([PollSlot.id != exclude_id] if exclude_id is not None else []),
        )
    )
    if duplicate is not None:
        raise PollInputError(_l("This poll already has a slot at that time."))


def _slot_note(meeting: Meeting, slot: PollSlot) -> str:
    start, end = meeting.local(slot.starts_at), meeting.local(slot.ends_at)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {meeting.timezone}"


def add_slot(
    poll: Poll, *, day: date, start: time, end: time, by: User | None, now: datetime | None = None
) -> PollSlot:
    """A candidate slot, given on the meeting's wall clock (date, start, end)."""
    meeting = poll.meeting
    starts_at, ends_at = slot_times(meeting, day, start, end)
    poll = _lock_poll(poll)
    _check_open(poll)
    _check_slot(poll, starts_at, ends_at, now or utcnow())
    slot = PollSlot(poll=poll, starts_at=starts_at, ends_at=ends_at)
    db.session.add(slot)
    audit.record(
        "polls.slot_add",
        slot,
        meeting_id=meeting.id,
        changes={
            "starts_at": [None, starts_at.isoformat()],
            "ends_at": [None, ends_at.isoformat()],
        },
        note=_slot_note(meeting, slot),
        by=by,
    )
    return slot


def update_slot(
    slot: PollSlot,
    *,
    day: date,
    start: time,
    end: time,
    by: User | None,
    now: datetime | None = None,
) -> PollSlot:
    """Move a slot. The answers already given for it are removed: they were for the old
    time and no longer mean anything (the page says so before the secretariat confirms).
    The audit entry counts the answers removed."""
    poll = slot.poll
    meeting = poll.meeting
    starts_at, ends_at = slot_times(meeting, day, start, end)
    poll = _lock_poll(poll)
    _check_open(poll)
    if starts_at == slot.starts_at and ends_at == slot.ends_at:
        return slot
    _check_slot(poll, starts_at, ends_at, now or utcnow(), exclude_id=slot.id)
    before = audit.snapshot(slot, ["starts_at", "ends_at"])
    slot.starts_at, slot.ends_at = starts_at, ends_at
    cleared = db.session.execute(sa.delete(PollAnswer).where(PollAnswer.slot_id == slot.id))
    changes = audit.diff(before, audit.snapshot(slot, ["starts_at", "ends_at"]))
    changes["answers_cleared"] = cleared.rowcount or 0
    audit.record(
        "polls.slot_change",
        slot,
        meeting_id=meeting.id,
        changes=changes,
        note=_slot_note(meeting, slot),
        by=by,
    )
    return slot


def remove_slot(slot: PollSlot, *, by: User | None) -> None:
    """Remove a slot and, with it (ON DELETE CASCADE), every answer given for it."""
    poll = _lock_poll(slot.poll)
    _check_open(poll)
    meeting = poll.meeting
    audit.record(
        "polls.slot_remove",
        slot,
        meeting_id=meeting.id,
        changes={
            "starts_at": [slot.starts_at.isoformat(), None],
            "ends_at": [slot.ends_at.isoformat(), None],
        },
        note=_slot_note(meeting, slot),
        by=by,
    )
    db.session.execute(sa.delete(PollSlot).where(PollSlot.id == slot.id))
    db.session.expire(poll, ["slots"])
    db.session.expunge(slot)


# --- the people asked ----------------------------------------------------------------------


@dataclass
class AskResult:
    asked: list[PollRespondent] = field(default_factory=list)
    already_asked: list[Contact] = field(default_factory=list)
    inactive_skipped: list[Contact] = field(default_factory=list)
    # Contacts with the email of a chair already asked: the chair answers once, as chair.
    asked_as_chair: list[Contact] = field(default_factory=list)


def _insert_respondents(poll: Poll, rows: list[dict]) -> list[PollRespondent]:
    """One multi-row INSERT; people asked meanwhile by someone else are left alone."""
    if not rows:
        return []
    db.session.flush()
    now = utcnow()
    for row in rows:
        row.update(poll_id=poll.id, asked_at=now, reminders_sent=0)
    return list(db.session.scalars(sa.insert(PollRespondent).returning(PollRespondent), rows))


def ask_people(poll: Poll, contacts: Iterable[Contact], *, by: User | None) -> AskResult:
    """Ask each new active contact (as invitations do: those already asked are left alone,
    inactive ones skipped; both reported). Queues no email."""
    poll = _lock_poll(poll)
    _check_open(poll)
    result = AskResult()
    unique = {contact.id: contact for contact in contacts}
    existing = (
        set(
            db.session.scalars(
                sa.select(PollRespondent.contact_id).where(
                    PollRespondent.poll_id == poll.id,
                    PollRespondent.contact_id.in_(list(unique)),
                )
            )
        )
        if unique
        else set()
    )
    chair_emails = {
        email.lower()
        for email in db.session.scalars(
            sa.select(User.email)
            .join(PollRespondent, PollRespondent.user_id == User.id)
            .where(PollRespondent.poll_id == poll.id)
        )
    }
    new_contacts = []
    for contact in unique.values():
        if contact.id in existing:
            result.already_asked.append(contact)
        elif contact.email.lower() in chair_emails:
            result.asked_as_chair.append(contact)
        elif not contact.active:
            result.inactive_skipped.append(contact)
        else:
            new_contacts.append(contact)
    created = _insert_respondents(poll, [{"contact_id": c.id} for c in new_contacts])
    order = {contact.id: n for n, contact in enumerate(new_contacts)}
    result.asked = sorted(created, key=lambda r: order[r.contact_id])
    if result.asked:
        db.session.expire(poll, ["respondents"])
        audit.record(
            "polls.ask",
            poll,
            meeting_id=poll.meeting_id,
            changes={"asked": len(result.asked)},
            note=", ".join(c.email for c in new_contacts[:50]),
            by=by,
        )
    return result


def ask_chairs(poll: Poll, *, by: User | None) -> list[PollRespondent]:
    """Ask the meeting's chairs (users) not asked yet; returns the new respondents."""
    poll = _lock_poll(poll)
    _check_open(poll)
    chair_ids = list(
        db.session.scalars(
            sa.select(MeetingChair.user_id)
            .where(MeetingChair.meeting_id == poll.meeting_id)
            .order_by(MeetingChair.position, MeetingChair.id)
        )
    )
    asked = set(
        db.session.scalars(
            sa.select(PollRespondent.user_id).where(
                PollRespondent.poll_id == poll.id, PollRespondent.user_id.is_not(None)
            )
        )
    )
    new_ids = [user_id for user_id in dict.fromkeys(chair_ids) if user_id not in asked]
    # A chair already asked as a contact (same email) becomes that person's chair entry:
    # same link and answers, asked once.
    emails = (
        dict(
            db.session.execute(
                sa.select(User.id, sa.func.lower(User.email)).where(User.id.in_(new_ids))
            ).all()
        )
        if new_ids
        else {}
    )
    as_contact = (
        {
            email: respondent
            for respondent, email in db.session.execute(
                sa.select(PollRespondent, sa.func.lower(Contact.email))
                .join(Contact, PollRespondent.contact_id == Contact.id)
                .where(
                    PollRespondent.poll_id == poll.id,
                    sa.func.lower(Contact.email).in_(list(emails.values())),
                )
            )
        }
        if emails
        else {}
    )
    converted = []
    for user_id in list(new_ids):
        respondent = as_contact.get(emails.get(user_id))
        if respondent is not None:
            respondent.contact_id, respondent.user_id = None, user_id
            db.session.expire(respondent, ["contact", "user"])
            converted.append(respondent)
            new_ids.remove(user_id)
    if converted:
        db.session.flush()
    created = _insert_respondents(poll, [{"user_id": user_id} for user_id in new_ids])
    if created:
        db.session.expire(poll, ["respondents"])
        order = {user_id: n for n, user_id in enumerate(new_ids)}
        created.sort(key=lambda r: order[r.user_id])
        audit.record(
            "polls.ask_chairs",
            poll,
            meeting_id=poll.meeting_id,
            changes={"asked": len(created)},
            by=by,
        )
    return created


def set_key_organisations(poll: Poll, organisation_ids: Iterable[int], *, by: User | None) -> None:
    """Mark exactly these organisations "key for this meeting" (unknown ids: 400)."""
    poll = _lock_poll(poll)
    _check_open(poll)
    wanted = {int(i) for i in organisation_ids}
    if wanted:
        found = set(
            db.session.scalars(sa.select(Organisation.id).where(Organisation.id.in_(wanted)))
        )
        if found != wanted:
            raise PollInputError(_l("One of the organisations chosen does not exist."))
    current = {k.organisation_id: k for k in poll.key_organisations}
    if set(current) == wanted:
        return
    for organisation_id, key in current.items():
        if organisation_id not in wanted:
            poll.key_organisations.remove(key)
    for organisation_id in sorted(wanted - set(current)):
        poll.key_organisations.append(PollKeyOrganisation(organisation_id=organisation_id))
    audit.record(
        "polls.key_organisations",
        poll,
        meeting_id=poll.meeting_id,
        changes={"organisation_ids": [sorted(current), sorted(wanted)]},
        by=by,
    )


# --- answering -----------------------------------------------------------------------------


def answers_closed_reason(poll: Poll, now: datetime | None = None) -> str | None:
    """Why answers are no longer taken, or None while they are."""
    if poll.status != PollStatus.OPEN:
        return str(_l("This poll is closed: the date has been chosen."))
    if poll.meeting.status != MeetingStatus.DRAFT:
        # Scheduled or cancelled from the meeting page: the question is settled.
        return str(_l("This poll is closed: the meeting is no longer being planned."))
    if (now or utcnow()) >= poll.deadline:
        return str(_l("The deadline for answering this poll has passed."))
    return None


def answer(
    respondent: PollRespondent,
    choices: Mapping[int, PollChoice | str],
    comment: str | None,
    *,
    seen: Mapping[int, tuple[datetime, datetime]] | None = None,
    now: datetime | None = None,
) -> None:
    """Record (or replace) the person's answers: {slot id: choice} and a comment.

    Slots left out have no answer. Refused (PollClosed) after the deadline or once the date
    is chosen; refused (PollError, nothing saved) when a slot named no longer exists, or
    (with `seen`, {slot id: (starts_at, ends_at)} as the page showed them) when one was
    moved meanwhile."""
    try:
        wanted = {int(slot_id): PollChoice(choice) for slot_id, choice in choices.items()}
    except ValueError:
        raise PollInputError(_l("One of the answers could not be understood.")) from None
    # Locks, in one order everywhere (poll, then respondent): the poll row is shared
    # (FOR SHARE) so people answer in parallel, while a slot's removal or the date's
    # choice (FOR UPDATE on the poll) waits for them, and they for it.
    lock_for_writing(db.session)
    poll = db.session.scalars(
        sa.select(Poll)
        .where(Poll.id == respondent.poll_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one()
    respondent = db.session.scalars(
        sa.select(PollRespondent)
        .where(PollRespondent.id == respondent.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    reason = answers_closed_reason(poll, now)
    if reason:
        raise PollClosed(reason)
    slot_times_now = {
        slot_id: (starts_at, ends_at)
        for slot_id, starts_at, ends_at in db.session.execute(
            sa.select(PollSlot.id, PollSlot.starts_at, PollSlot.ends_at).where(
                PollSlot.poll_id == poll.id
            )
        )
    }
    slot_ids = set(slot_times_now)
    if not set(wanted) <= slot_ids:
        raise PollError(
            _l(
                "One of the dates you answered for has been removed by the secretariat "
                "meanwhile. Nothing was saved: please look at the dates again and answer."
            )
        )
    if seen is not None and any(
        slot_id in slot_times_now and tuple(slot_times_now[slot_id]) != tuple(times)
        for slot_id, times in seen.items()
        if slot_id in wanted
    ):
        raise PollError(
            _l(
                "The secretariat changed the time of one of the dates meanwhile. Nothing was "
                "saved: please look at the dates again and answer."
            )
        )
    when = now or utcnow()
    db.session.execute(sa.delete(PollAnswer).where(PollAnswer.respondent_id == respondent.id))
    if wanted:
        db.session.execute(
            sa.insert(PollAnswer),
            [
                {
                    "respondent_id": respondent.id,
                    "slot_id": slot_id,
                    "choice": choice,
                    "updated_at": when,
                }
                for slot_id, choice in sorted(wanted.items())
            ],
        )
    respondent.comment = _clean(comment)
    respondent.answered_at = when
    db.session.expire(respondent, ["answers"])


POLL_LINK = PersonalLink(
    POLL_PURPOSE,
    _l(
        "This link is not valid. Please check that you copied the whole link "
        "from the poll's email, or ask the secretariat for a new one."
    ),
)


def respondent_by_link(link_id: str) -> PollRespondent | None:
    """The person asked behind a scheduling poll link, with the poll, its meeting and the
    person (the answer page: `web.load_by_link(token, POLL_LINK, respondent_by_link)`)."""
    return db.session.scalar(
        sa.select(PollRespondent)
        .where(PollRespondent.link_id == link_id)
        .options(
            joinedload(PollRespondent.poll).joinedload(Poll.meeting),
            joinedload(PollRespondent.contact),
            joinedload(PollRespondent.user),
        )
    )


def respondent_for_page(link_id: str) -> PollRespondent | None:
    """What the answer page (templates/polls/answer.html) shows: the person, the poll
    with its dates and chosen date, the meeting and its series, the person's answers.
    Any other relationship raises instead of loading (a template or view that starts
    using one fails in the tests until it is read here)."""
    nothing_else = raiseload("*", sql_only=True)
    return db.session.scalar(
        sa.select(PollRespondent)
        .where(PollRespondent.link_id == link_id)
        .options(
            joinedload(PollRespondent.poll).options(
                joinedload(Poll.meeting).options(
                    joinedload(Meeting.series).options(nothing_else), nothing_else
                ),
                selectinload(Poll.slots).options(nothing_else),
                joinedload(Poll.chosen_slot).options(nothing_else),
                nothing_else,
            ),
            joinedload(PollRespondent.contact).options(nothing_else),
            joinedload(PollRespondent.user).options(nothing_else),
            selectinload(PollRespondent.answers).options(nothing_else),
            nothing_else,
        )
    )
