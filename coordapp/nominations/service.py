"""Asking organisations to nominate their delegates, and their focal points answering.

    ask_to_nominate(meeting, organisations, places=2, overrides={}, deadline=None, by=user)
        -> AskResult     # one request per organisation, its email queued; who has no address
    nominate(request, Nominee(...), by=None) -> Invitation      # a normal invitation
    withdraw(request, invitation_id, by=None) -> Invitation     # the cancellation queued
    replace(request, invitation_id, Nominee(...)) -> Invitation
    remind_silent(meeting, by=user) -> int   # focal points who have nominated no one
    asked_to_nominate(meeting) -> list[Asked]  # for the invitations page, by organisation

Places: at most `places` live (not withdrawn) invitations per request. Every change
locks the request's row first (FOR UPDATE; on SQLite the database's write lock), so two
tabs nominating at once are served one after the other and the second sees the first.

Nothing here commits: the caller does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.invitations import answers
from coordapp.invitations.invite import invite_contacts
from coordapp.invitations.notifications import queue_invitation
from coordapp.invitations.organisations import Asked
from coordapp.models import (
    DEFAULT_PLACES,
    AttendanceMode,
    Category,
    Contact,
    DocumentStatus,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    NominationLetter,
    NominationRequest,
    Organisation,
    User,
    utcnow,
)
from coordapp.models.locking import lock_for_writing
from coordapp.nominations import notifications

OPEN_MEETING = (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED)
MAX_PLACES = 50
LETTER_KIND = "nomination_letter"


class NominationError(DomainError):
    """A nomination that cannot be recorded; str(error) is the message for the person."""

    status = 400


class NominationsClosed(DomainError):
    """The deadline has passed, or the meeting is cancelled or over."""


class NoPlacesLeft(DomainError):
    """Every place of the organisation is taken."""


# --- asking ------------------------------------------------------------------------------


@dataclass
class AskResult:
    asked: list[NominationRequest] = field(default_factory=list)
    already_asked: list[Organisation] = field(default_factory=list)
    # Neither a focal point nor a general address: the secretariat must reach them itself.
    unreachable: list[Organisation] = field(default_factory=list)
    # The official letters to render (stored documents), once the transaction commits.
    letter_ids: list[int] = field(default_factory=list)


def default_deadline(meeting: Meeting) -> datetime:
    """The RSVP deadline, else the meeting's start."""
    return meeting.rsvp_deadline or meeting.starts_at


def organisations_to_ask(
    organisation_ids: Iterable[int] = (), categories: Iterable[Category] = ()
) -> list[Organisation]:
    """Active organisations chosen by id or by category, by name (one query)."""
    organisation_ids, categories = list(organisation_ids), list(categories)
    if not organisation_ids and not categories:
        return []
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.active.is_(True),
                sa.or_(
                    Organisation.id.in_(organisation_ids),
                    Organisation.category.in_(categories),
                ),
            )
            .order_by(Organisation.name)
        )
    )


def focal_points(organisation_ids: list[int]) -> dict[int, Contact]:
    """Each organisation's focal point (the first marked, active), in one query."""
    if not organisation_ids:
        return {}
    found: dict[int, Contact] = {}
    for contact in db.session.scalars(
        sa.select(Contact)
        .where(
            Contact.organisation_id.in_(organisation_ids),
            Contact.focal_point.is_(True),
            Contact.active.is_(True),
        )
        .order_by(Contact.id)
    ):
        found.setdefault(contact.organisation_id, contact)
    return found


def ask_to_nominate(
    meeting: Meeting,
    organisations: list[Organisation],
    *,
    places: int = DEFAULT_PLACES,
    overrides: Mapping[int, int] | None = None,
    deadline: datetime | None = None,
    by: User | None,
) -> AskResult:
    """One nomination request per organisation not yet asked, addressed to its focal
    point (else its general address) in the organisation's language (else the focal
    point's, else the meeting's), each email queued. Organisations with neither address
    are asked too (the secretariat can copy the link) and listed in `unreachable`."""
    if meeting.status not in OPEN_MEETING:
        raise NominationsClosed(_l("This meeting no longer takes invitations."))
    deadline = deadline or default_deadline(meeting)
    if deadline > meeting.starts_at:
        raise NominationError(_l("The nomination deadline must be before the meeting starts."))
    overrides = overrides or {}
    for number in [places, *overrides.values()]:
        if not 1 <= number <= MAX_PLACES:
            raise NominationError(_l("Places must be between 1 and %(max)s.", max=MAX_PLACES))
    result = AskResult()
    ids = [o.id for o in organisations]
    asked_before = (
        set(
            db.session.scalars(
                sa.select(NominationRequest.organisation_id).where(
                    NominationRequest.meeting_id == meeting.id,
                    NominationRequest.organisation_id.in_(ids),
                )
            )
        )
        if ids
        else set()
    )
    to_ask = [o for o in organisations if o.id not in asked_before]
    result.already_asked = [o for o in organisations if o.id in asked_before]
    points = focal_points([o.id for o in to_ask])
    rows = []
    for organisation in to_ask:
        point = points.get(organisation.id)
        address = point.email if point else organisation.general_email
        if address is None:
            result.unreachable.append(organisation)
        rows.append(
            {
                "meeting_id": meeting.id,
                "organisation_id": organisation.id,
                "places": overrides.get(organisation.id, places),
                "deadline": deadline,
                "focal_point_id": point.id if point else None,
                "sent_to": address,
                "language": organisation.language
                or (point.language if point else None)
                or meeting.language,
                "created_by_id": by.id if by else None,
                "created_at": utcnow(),
                "reminders_sent": 0,
            }
        )
    if rows:
        db.session.flush()
        # Multi-row INSERTs: asking 200 organisations is a few statements, not 200.
        result.letter_ids = list(
            db.session.scalars(
                sa.insert(NominationLetter).returning(NominationLetter.id),
                [
                    {
                        "kind": LETTER_KIND,
                        "meeting_id": meeting.id,
                        "status": DocumentStatus.PENDING,
                        "filename": f"letter-{meeting.id}-{row['organisation_id']}.pdf",
                        "content_type": "application/pdf",
                        "created_at": row["created_at"],
                        "claimed_at": row["created_at"],
                        "created_by_id": row["created_by_id"],
                    }
                    for row in rows
                ],
            )
        )
        for row, letter_id in zip(rows, result.letter_ids, strict=True):
            row["letter_document_id"] = letter_id
        result.asked = list(
            db.session.scalars(sa.insert(NominationRequest).returning(NominationRequest), rows)
        )
        notifications.queue_requests([r for r in result.asked if r.sent_to])
        audit.record(
            "nominations.ask",
            meeting,
            meeting_id=meeting.id,
            changes={"asked": len(result.asked)},
            note=", ".join(o.name for o in to_ask[:50]),
            user_id=by.id if by else None,
        )
    return result


# --- the focal point's page --------------------------------------------------------------


def closed_reason(request: NominationRequest, now: datetime | None = None) -> str | None:
    """Why the link can no longer change the nominations (None if it can)."""
    meeting = request.meeting
    if meeting.status == MeetingStatus.CANCELLED:
        return str(_l("This meeting is cancelled."))
    if meeting.status not in OPEN_MEETING:
        return str(_l("This meeting has taken place."))
    if (now or utcnow()) >= request.deadline:
        return str(_l("The deadline for nominations has passed."))
    return None


def _check_open(request: NominationRequest) -> None:
    reason = closed_reason(request)
    if reason:
        raise NominationsClosed(reason)


def _lock(request: NominationRequest) -> NominationRequest:
    """Lock the request's row until commit and read it afresh (places may have changed)."""
    lock_for_writing(db.session)
    return db.session.scalars(
        sa.select(NominationRequest)
        .where(NominationRequest.id == request.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def nominees(request: NominationRequest) -> list[Invitation]:
    """The live nominees with their contacts, in the order nominated (one query)."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.nomination_id == request.id, Invitation.withdrawn_at.is_(None))
            .options(joinedload(Invitation.contact))
            .order_by(Invitation.invited_at, Invitation.id)
        )
    )


def _nominated_count(request_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Invitation.id)).where(
                Invitation.nomination_id == request_id, Invitation.withdrawn_at.is_(None)
            )
        )
        or 0
    )


def places_left(request: NominationRequest) -> int:
    return max(request.places - _nominated_count(request.id), 0)


@dataclass
class Nominee:
    """What the nomination form collects."""

    name: str
    email: str
    position: str = ""
    language: str = "en"
    needs: str = ""
    mode: AttendanceMode | None = None


def _contact_for(request: NominationRequest, nominee: Nominee, by: User | None) -> Contact:
    """The nominee's contact: the existing one with this email (never a duplicate), or a
    new one at the organisation."""
    email = Contact.normalise_email(nominee.email)
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == email))
    if contact is None:
        contact = Contact(
            name=nominee.name.strip(),
            email=email,
            position=nominee.position.strip() or None,
            organisation_id=request.organisation_id,
            language=nominee.language,
        )
        db.session.add(contact)
        db.session.flush()
        audit.record(
            "nominations.contact_create",
            contact,
            meeting_id=request.meeting_id,
            note=f"nominated by {request.organisation.name}",
            user_id=by.id if by else None,
        )
        return contact
    if contact.organisation_id != request.organisation_id or not contact.active:
        # One answer naming no one: the link must not tell whose address is whose.
        raise NominationError(
            _l("This person cannot be nominated here. Please contact the secretariat.")
        )
    return contact


def nominate(request: NominationRequest, nominee: Nominee, *, by: User | None = None) -> Invitation:
    """Nominate one person: a contact of the organisation (matched by email), with a
    normal invitation and its email. NoPlacesLeft when every place is taken."""
    _check_open(request)
    request = _lock(request)
    if _nominated_count(request.id) >= request.places:
        raise NoPlacesLeft(_l("All places of your organisation are taken."))
    meeting = request.meeting
    if meeting.is_hybrid and nominee.mode is None:
        raise NominationError(_l("Choose whether the person will attend in person or online."))
    contact = _contact_for(request, nominee, by)
    existing = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.contact_id == contact.id
        )
    )
    if existing is not None and not existing.is_withdrawn:
        raise NominationError(_l("%(name)s is already invited to this meeting.", name=contact.name))
    if existing is not None:  # withdrawn before: invited again, same personal link
        invitation = existing
        invitation.withdrawn_at = None
        invitation.status = InvitationStatus.PENDING
        invitation.responded_at = None
        queue_invitation(invitation)
    else:
        invitation = invite_contacts(meeting, [contact], by=by).invited[0]
    invitation.nomination_id = request.id
    invitation.needs = nominee.needs.strip() or None
    invitation.attendance_mode = nominee.mode if meeting.is_hybrid else None
    db.session.flush()
    audit.record(
        "nominations.nominate",
        invitation,
        meeting_id=meeting.id,
        note=f"{contact.email} for {request.organisation.name}",
        user_id=by.id if by else None,
    )
    return invitation


def withdraw(
    request: NominationRequest, invitation_id: int, *, by: User | None = None
) -> Invitation:
    """Withdraw a nominee: their link stops working, their seat frees up, and they get
    the cancellation."""
    _check_open(request)
    request = _lock(request)
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.nomination_id == request.id,
            Invitation.withdrawn_at.is_(None),
        )
    )
    if invitation is None:
        raise NominationError(_l("This person is no longer nominated: reload the page."))
    invitation.withdrawn_at = utcnow()
    answers.release_seat(invitation, by=by)
    notifications.queue_withdrawn(invitation)
    audit.record(
        "nominations.withdraw",
        invitation,
        meeting_id=request.meeting_id,
        note=invitation.contact.email,
        user_id=by.id if by else None,
    )
    return invitation


def replace(
    request: NominationRequest, invitation_id: int, nominee: Nominee, *, by: User | None = None
) -> Invitation:
    """Withdraw one nominee and nominate another in their place, in one transaction."""
    withdraw(request, invitation_id, by=by)
    db.session.flush()
    return nominate(request, nominee, by=by)


# --- the secretariat's overview ----------------------------------------------------------


@dataclass
class OrganisationRow:
    request: NominationRequest
    nominated: int = 0
    accepted: int = 0
    declined: int = 0

    @property
    def none_yet(self) -> bool:
        return self.nominated == 0


def overview(meeting: Meeting) -> list[OrganisationRow]:
    """Per organisation asked: places, nominated, accepted, declined (two queries)."""
    requests = list(
        db.session.scalars(
            sa.select(NominationRequest)
            .where(NominationRequest.meeting_id == meeting.id)
            .options(
                joinedload(NominationRequest.organisation),
                joinedload(NominationRequest.focal_point),
            )
            .join(NominationRequest.organisation)
            .order_by(Organisation.name)
        )
    )
    rows = {r.id: OrganisationRow(r) for r in requests}
    counts = db.session.execute(
        sa.select(Invitation.nomination_id, Invitation.status, sa.func.count(Invitation.id))
        .where(
            Invitation.meeting_id == meeting.id,
            Invitation.nomination_id.is_not(None),
            Invitation.withdrawn_at.is_(None),
        )
        .group_by(Invitation.nomination_id, Invitation.status)
    )
    for request_id, status, number in counts:
        row = rows[request_id]
        row.nominated += number
        if status == InvitationStatus.ACCEPTED:
            row.accepted += number
        elif status == InvitationStatus.DECLINED:
            row.declined += number
    return list(rows.values())


def remind_silent(meeting: Meeting, *, by: User | None) -> int:
    """Remind the focal points of organisations that have nominated no one yet (and can
    still): one email each. Returns how many."""
    now = utcnow()
    silent = [
        row.request
        for row in overview(meeting)
        if row.none_yet and row.request.sent_to and closed_reason(row.request, now) is None
    ]
    for request in silent:
        request.reminders_sent += 1
        request.last_reminded_at = now
    notifications.queue_reminders(silent)
    if silent:
        audit.record(
            "nominations.remind",
            meeting,
            meeting_id=meeting.id,
            changes={"reminded": len(silent)},
            user_id=by.id if by else None,
        )
    return len(silent)


def asked_to_nominate(meeting: Meeting) -> list[Asked]:
    """The organisations asked to nominate for `meeting`, with their places and whether
    `remind_silent` may write to them now (one query): what the invitations page, which
    groups by organisation, asks through `invitations.organisations.ASKED_TO_NOMINATE`."""
    now = utcnow()
    meeting_open = meeting.status in OPEN_MEETING
    rows = db.session.execute(
        sa.select(
            NominationRequest.organisation_id,
            NominationRequest.places,
            NominationRequest.sent_to,
            NominationRequest.deadline,
        ).where(NominationRequest.meeting_id == meeting.id)
    )
    return [
        Asked(
            organisation_id=organisation_id,
            places=places,
            can_remind=bool(sent_to) and meeting_open and now < deadline,
        )
        for organisation_id, places, sent_to, deadline in rows
    ]


@dataclass
class Section:
    """The meeting page's nominations section (for the secretariat)."""

    organisations: int
    nominated: int
    silent: int
    can_ask: bool


def meeting_section(meeting: Meeting, viewer: User) -> Section | None:
    if not viewer.is_secretariat:
        return None
    rows = overview(meeting)
    return Section(
        organisations=len(rows),
        nominated=sum(row.nominated for row in rows),
        silent=sum(1 for row in rows if row.none_yet),
        can_ask=meeting.status in OPEN_MEETING,
    )
