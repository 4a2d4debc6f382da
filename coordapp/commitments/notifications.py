"""Emails about commitments: asking the responsible contact where one stands.

status_request   to the responsible contact, with a personal link (no account) to
                 the page where they update the status
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from coordapp.commitments.dates import is_overdue
from coordapp.extensions import db
from coordapp.links import external_url, make_token
from coordapp.mail.compose import Email, render_email
from coordapp.mail.queue import Recipient, queue
from coordapp.mail.writers import CannotWrite, Writer
from coordapp.models import Commitment, Meeting, MessageKind, OutgoingMessage

STATUS_PURPOSE = "commitment-status"


def status_token(commitment: Commitment) -> str:
    return make_token(commitment.link_id, STATUS_PURPOSE)


def status_url(commitment: Commitment) -> str:
    return external_url("commitments.status_form", token=status_token(commitment))


def queue_status_request_email(commitment: Commitment) -> OutgoingMessage:
    """Ask the responsible contact (who must exist) for news of `commitment`."""
    contact = commitment.responsible
    return queue(
        STATUS_REQUEST,
        Recipient(
            email=contact.email,
            name=contact.name,
            meeting_id=commitment.meeting_id,
            params={"commitment_id": commitment.id},
        ),
    )


def write_status_request(row: OutgoingMessage) -> Email:
    commitment_id = (row.params or {}).get("commitment_id")
    commitment = (
        db.session.scalar(
            sa.select(Commitment)
            .where(Commitment.id == commitment_id)
            .options(
                joinedload(Commitment.responsible),
                joinedload(Commitment.meeting).joinedload(Meeting.series),
            )
        )
        if commitment_id is not None
        else None
    )
    if commitment is None or commitment.responsible is None:
        raise CannotWrite("the commitment or its responsible contact no longer exists")
    contact = commitment.responsible
    return render_email(
        "status_request",
        contact.language,
        commitment=commitment,
        contact=contact,
        meeting=commitment.meeting,
        overdue=is_overdue(commitment),
        link=status_url(commitment),
    )


STATUS_REQUEST = Writer("status_request", write_status_request, MessageKind.OTHER)

WRITERS = [STATUS_REQUEST]
