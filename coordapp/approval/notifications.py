"""Who hears what about the approval of minutes, and the emails they get.

    minutes_submitted   to each chair: a version waits for their approval
    minutes_returned    to the secretariat: a chair sent the version back, with a comment
    minutes_approved    to the secretariat and everyone who took part: signed PDF ready

The `notify_…` functions queue rows in the caller's transaction; the writers below
write each email in the worker, in its recipient's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from coordapp.extensions import db
from coordapp.links import external_url, rsvp_url
from coordapp.mail.compose import Email, render_email
from coordapp.mail.queue import Recipient, queue_many
from coordapp.mail.writers import CannotWrite, Writer
from coordapp.models import (
    Attendance,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    MessageKind,
    OutgoingMessage,
    Role,
    User,
)
from coordapp.models.minutes import MinutesVersion


def secretariat_users() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.SECRETARIAT, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _user_recipient(user: User, meeting_id: int, **params) -> Recipient:
    return Recipient(
        email=user.email,
        name=user.name,
        meeting_id=meeting_id,
        params={"user_id": user.id, **params},
    )


def _secretariat(meeting_id: int, **params) -> list[Recipient]:
    """The secretariat; the sender address if nobody has a secretariat account, so that
    the message is never silently dropped."""
    users = secretariat_users()
    if users:
        return [_user_recipient(user, meeting_id, **params) for user in users]
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    if not address:
        return []
    return [Recipient(email=address, name=name or None, meeting_id=meeting_id, params=params)]


def attendee_invitations(meeting_id: int) -> list[Invitation]:
    """Invitations of people who accepted or attended (not withdrawn), with contacts."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.meeting_id == meeting_id,
                Invitation.withdrawn_at.is_(None),
                sa.or_(
                    Invitation.attendance == Attendance.PRESENT,
                    Invitation.status == InvitationStatus.ACCEPTED,
                ),
            )
            .options(joinedload(Invitation.contact))
            .order_by(Invitation.id)
        )
    )


def notify_chairs_of_submission(
    version: MinutesVersion, chairs: Iterable[MeetingChair], by: User
) -> int:
    recipients = [
        _user_recipient(chair.user, version.meeting_id, version_id=version.id, submitted_by=by.name)
        for chair in chairs
    ]
    return queue_many(MINUTES_SUBMITTED, recipients)


def notify_secretariat_of_return(version: MinutesVersion, chair: User, comment: str) -> int:
    recipients = _secretariat(
        version.meeting_id, version_id=version.id, chair_name=chair.name, comment=comment
    )
    return queue_many(MINUTES_RETURNED, recipients)


def announce_approval(version: MinutesVersion, superseded: MinutesVersion | None) -> int:
    """Tell the secretariat and everyone who accepted or attended, once per address."""
    params = {"version_id": version.id, "superseded_id": superseded.id if superseded else None}
    sent: set[str] = set()
    recipients: list[Recipient] = []
    for recipient in _secretariat(version.meeting_id, **params):
        if recipient.email.lower() not in sent:
            sent.add(recipient.email.lower())
            recipients.append(recipient)
    for invitation in attendee_invitations(version.meeting_id):
        contact = invitation.contact
        if contact.email.lower() in sent:
            continue
        sent.add(contact.email.lower())
        recipients.append(
            Recipient(
                email=contact.email,
                name=contact.name,
                meeting_id=version.meeting_id,
                invitation_id=invitation.id,
                params=params,
            )
        )
    return queue_many(MINUTES_APPROVED, recipients)


# --- the writers (run in the worker) -----------------------------------------------------


def _version(version_id: int | None) -> MinutesVersion:
    version = (
        db.session.scalar(
            sa.select(MinutesVersion)
            .where(MinutesVersion.id == version_id)
            .options(joinedload(MinutesVersion.meeting).joinedload(Meeting.series))
        )
        if version_id is not None
        else None
    )
    if version is None:
        raise CannotWrite("the minutes version of this message no longer exists")
    return version


def _language(row: OutgoingMessage) -> str | None:
    """The recipient's language: their contact's, for a user or an invitee."""
    user_id = (row.params or {}).get("user_id")
    if user_id is not None:
        user = db.session.get(User, user_id, options=[joinedload(User.contact)])
        return user.contact.language if user is not None and user.contact else None
    if row.invitation_id is not None:
        invitation = db.session.get(
            Invitation, row.invitation_id, options=[joinedload(Invitation.contact)]
        )
        return invitation.contact.language if invitation is not None else None
    return None


def _write(name: str, row: OutgoingMessage, **context) -> Email:
    version = _version((row.params or {}).get("version_id"))
    return render_email(
        name,
        _language(row),
        meeting=version.meeting,
        version=version,
        recipient_name=row.to_name,
        **context,
    )


def write_minutes_submitted(row: OutgoingMessage) -> Email:
    version_id = (row.params or {}).get("version_id")
    return _write(
        "minutes_submitted",
        row,
        url=external_url("approval.version", version_id=version_id),
        submitted_by=(row.params or {}).get("submitted_by"),
    )


def write_minutes_returned(row: OutgoingMessage) -> Email:
    params = row.params or {}
    return _write(
        "minutes_returned",
        row,
        chair_name=params.get("chair_name"),
        comment=params.get("comment"),
        url=external_url("minutes.index", meeting_id=row.meeting_id),
    )


def write_minutes_approved(row: OutgoingMessage) -> Email:
    superseded_id = (row.params or {}).get("superseded_id")
    superseded = db.session.get(MinutesVersion, superseded_id) if superseded_id else None
    if row.invitation_id is not None:
        invitation = db.session.get(Invitation, row.invitation_id)
        if invitation is None:
            raise CannotWrite("the invitation of this message no longer exists")
        url = rsvp_url(invitation)  # participants download from their personal page
    else:
        url = external_url("meetings.show", meeting_id=row.meeting_id) + "#minutes"
    return _write("minutes_approved", row, superseded=superseded, url=url)


MINUTES_SUBMITTED = Writer("minutes_submitted", write_minutes_submitted, MessageKind.OTHER)
MINUTES_RETURNED = Writer("minutes_returned", write_minutes_returned, MessageKind.OTHER)
MINUTES_APPROVED = Writer("minutes_approved", write_minutes_approved, MessageKind.OTHER)

WRITERS = [MINUTES_SUBMITTED, MINUTES_RETURNED, MINUTES_APPROVED]
