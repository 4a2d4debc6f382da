"""What an invitee's answer amounts to, in words: for their page and their emails."""

from __future__ import annotations

from flask_babel import gettext as _

from coordapp.extensions import db
from coordapp.models import Invitation, InvitationStatus


def waitlist_position(invitation: Invitation) -> int | None:
    """1 for the first person waiting; None if `invitation` is not on the waiting list."""
    if invitation.status != InvitationStatus.WAITLISTED or invitation.is_withdrawn:
        return None
    ahead = db.session.scalar(
        db.select(db.func.count(Invitation.id)).where(
            Invitation.meeting_id == invitation.meeting_id,
            Invitation.status == InvitationStatus.WAITLISTED,
            Invitation.withdrawn_at.is_(None),
            db.or_(
                Invitation.waitlisted_at < invitation.waitlisted_at,
                db.and_(
                    Invitation.waitlisted_at == invitation.waitlisted_at,
                    Invitation.id < invitation.id,
                ),
            ),
        )
    )
    return (ahead or 0) + 1


def answer_summary(invitation: Invitation, status: InvitationStatus | None = None) -> str:
    """One sentence saying what is recorded, for the page and the confirmation email.
    `status` is the answer to speak of, when it is not (or no longer) the current one."""
    status = status or invitation.status
    if status == InvitationStatus.ACCEPTED:
        return _("You accepted: you will attend.")
    if status == InvitationStatus.TENTATIVE:
        return _("You answered maybe (tentative).")
    if status == InvitationStatus.DECLINED:
        return _("You declined: you will not attend.")
    if status == InvitationStatus.WAITLISTED:
        return _(
            "You are on the waiting list (position %(position)s): the meeting is full. "
            "You will get an email if a seat frees up.",
            position=waitlist_position(invitation) or "?",
        )
    if status == InvitationStatus.DELEGATED:
        name = invitation.substitute.contact.name if invitation.substitute else "?"
        return _("Delegated to %(name)s, who receives their own invitation.", name=name)
    return _("You have not answered yet.")
