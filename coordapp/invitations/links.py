"""Opening an invitation through its personal (RSVP) link: what the pages and downloads
behind the link read with it. The page views open a link with
`coordapp.web.load_by_link(token, RSVP_LINK, <one of these>)`; the RSVP page's own loader
is the rsvp feature's (coordapp/rsvp/pages.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.links import RSVP_PURPOSE, PersonalLink
from coordapp.models import Contact, Invitation, Meeting, MeetingChair
from coordapp.models.locking import EXCLUSIVE, SHARED, lock_for_writing, note_locked

RSVP_LINK = PersonalLink(
    RSVP_PURPOSE,
    _l(
        "This link is not valid. Please check that you copied the whole link "
        "from your invitation email, or ask the secretariat for a new one."
    ),
)


class WithdrawnInvitation(DomainError):
    """A right link to an invitation the secretariat withdrew."""

    status = 410


def refuse_if_withdrawn(invitation: Invitation | None) -> Invitation | None:
    if invitation is not None and invitation.is_withdrawn:
        raise WithdrawnInvitation(
            str(
                _l(
                    "This invitation was withdrawn. Please contact the secretariat "
                    "if you think this is a mistake."
                )
            )
        )
    return invitation


# What the personal links' pages and downloads may use, loaded with the invitation.
_PAGE_OPTIONS = (
    joinedload(Invitation.meeting).joinedload(Meeting.series),
    joinedload(Invitation.meeting).joinedload(Meeting.chairs).joinedload(MeetingChair.user),
    joinedload(Invitation.contact).joinedload(Contact.organisation),
    joinedload(Invitation.substitute).joinedload(Invitation.contact),
)


def invitation_by_link(link_id: str) -> Invitation | None:
    """The invitation, its meeting, series, chairs, contact, organisation and substitute
    (any page or download behind the link)."""
    return refuse_if_withdrawn(
        db.session.scalar(
            sa.select(Invitation).where(Invitation.link_id == link_id).options(*_PAGE_OPTIONS)
        )
    )


_ANSWER_QUERY = (
    sa.select(Invitation)
    .join(Invitation.meeting)
    .where(Invitation.link_id == sa.bindparam("link_id"))
    .options(
        contains_eager(Invitation.meeting),
        joinedload(Invitation.contact).load_only(
            Contact.name, Contact.email, Contact.language, Contact.organisation_id
        ),
    )
    .with_for_update(of=Meeting, read=True)
    # The meeting first, then the invitation (PostgreSQL locks in the order written): the
    # order of every other change to both, so none waits for the other in a circle.
    .suffix_with("FOR UPDATE OF invitations", dialect="postgresql")
    .execution_options(populate_existing=True)
)


def invitation_to_answer(link_id: str) -> Invitation | None:
    """What recording an answer reads, in one query: the meeting row locked FOR SHARE
    (nobody changes the meeting until the answer commits; how seats are then counted:
    coordapp/invitations/answers.py, _lock_meeting) and the invitation FOR UPDATE, read
    as the last answer through the same link left it (two browsers answering at once:
    one answer is recorded whole, then the other, whole). The page's other parts load on
    first use if the answer is refused."""
    lock_for_writing(db.session)
    invitation = db.session.scalar(_ANSWER_QUERY, {"link_id": link_id})
    if invitation is not None:
        note_locked(db.session, invitation.meeting, SHARED)
        note_locked(db.session, invitation, EXCLUSIVE)
    return refuse_if_withdrawn(invitation)
