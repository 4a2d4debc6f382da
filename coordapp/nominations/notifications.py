"""The emails of nominations: who gets what, and the writers the worker runs.

nomination_request   the focal point (or the organisation's address): the link
nomination_reminder  the same, when the organisation has nominated no one yet
nominee_withdrawn    a nominee withdrawn by the focal point: calendar CANCEL
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.ics import meeting_calendar
from coordapp.links import nomination_url
from coordapp.mail.compose import Email, render_email
from coordapp.mail.queue import Recipient, queue, queue_many
from coordapp.mail.writers import CannotWrite, Writer
from coordapp.models import (
    Invitation,
    Meeting,
    MessageKind,
    NominationRequest,
    OutgoingMessage,
)


def _to(request: NominationRequest, *, letter: bool = False) -> Recipient:
    point = request.focal_point
    return Recipient(
        email=request.sent_to,
        name=point.name if point is not None else request.organisation.name,
        meeting_id=request.meeting_id,
        params={"request_id": request.id},
        document_id=request.letter_document_id if letter else None,
    )


def queue_requests(requests: Iterable[NominationRequest]) -> int:
    """The nomination request email for each of `requests`, its official letter
    attached (sent once the worker has rendered it); one INSERT."""
    return queue_many(NOMINATION_REQUEST, (_to(r, letter=True) for r in requests))


def queue_reminders(requests: Iterable[NominationRequest]) -> int:
    return queue_many(NOMINATION_REMINDER, (_to(r) for r in requests))


def queue_withdrawn(invitation: Invitation) -> OutgoingMessage:
    contact = invitation.contact
    return queue(
        NOMINEE_WITHDRAWN,
        Recipient(
            email=contact.email,
            name=contact.name,
            meeting_id=invitation.meeting_id,
            invitation_id=invitation.id,
        ),
    )


# --- the writers (run in the worker) -----------------------------------------------------


def _request_of(row: OutgoingMessage) -> NominationRequest:
    request_id = (row.params or {}).get("request_id")
    request = (
        db.session.scalar(
            sa.select(NominationRequest)
            .where(NominationRequest.id == request_id)
            .options(
                joinedload(NominationRequest.meeting).joinedload(Meeting.series),
                joinedload(NominationRequest.organisation),
                joinedload(NominationRequest.focal_point),
            )
        )
        if request_id is not None
        else None
    )
    if request is None:
        raise CannotWrite("the nomination request of this message no longer exists")
    return request


def _request_email(template: str, row: OutgoingMessage) -> Email:
    request = _request_of(row)
    return render_email(
        template,
        request.language,
        meeting=request.meeting,
        request=request,
        organisation=request.organisation,
        focal_point=request.focal_point,
        link=nomination_url(request),
    )


def write_request(row: OutgoingMessage) -> Email:
    return _request_email("nomination_request", row)


def write_reminder(row: OutgoingMessage) -> Email:
    return _request_email("nomination_reminder", row)


def write_withdrawn(row: OutgoingMessage) -> Email:
    invitation = db.session.scalar(
        sa.select(Invitation)
        .where(Invitation.id == row.invitation_id)
        .options(
            joinedload(Invitation.contact),
            joinedload(Invitation.meeting).joinedload(Meeting.series),
        )
    )
    if invitation is None:
        raise CannotWrite("the invitation of this message no longer exists")
    meeting, contact = invitation.meeting, invitation.contact
    return render_email(
        "nominee_withdrawn",
        contact.language,
        calendar=("CANCEL", meeting_calendar(meeting, "CANCEL", attendee=invitation)),
        meeting=meeting,
        contact=contact,
    )


NOMINATION_REQUEST = Writer("nomination_request", write_request, MessageKind.INVITATION)
NOMINATION_REMINDER = Writer("nomination_reminder", write_reminder, MessageKind.REMINDER)
NOMINEE_WITHDRAWN = Writer("nominee_withdrawn", write_withdrawn, MessageKind.CANCELLATION)

WRITERS = [NOMINATION_REQUEST, NOMINATION_REMINDER, NOMINEE_WITHDRAWN]
