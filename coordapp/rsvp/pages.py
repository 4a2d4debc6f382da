"""What the RSVP page reads, and no more (its template is templates/rsvp/show.html).

The columns it shows (a wider row costs the busiest page of all more to read than its
query), and every relationship it does not show raises instead of loading (`raiseload`):
a template that starts showing something new fails in the tests until it is added here,
rather than adding a query per visit. The substitute of a delegated invitation is read
with it, only for such an invitation. Built once: building the query is a fair
part of its cost."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, load_only, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from coordapp.extensions import db
from coordapp.invitations.links import refuse_if_withdrawn
from coordapp.models import Contact, Invitation, Meeting, MeetingChair, Organisation, Series, User

_PAGE_QUERY = (
    sa.select(Invitation)
    .where(Invitation.link_id == sa.bindparam("link_id"))
    .options(
        load_only(
            Invitation.meeting_id,
            Invitation.contact_id,
            Invitation.status,
            Invitation.needs,
            Invitation.comment,
            Invitation.substitute_id,
            Invitation.response_recorded_by_id,
            Invitation.waitlisted_at,
            Invitation.withdrawn_at,
            Invitation.attendance_mode,
            raiseload=True,
        ),
        joinedload(Invitation.meeting).options(
            joinedload(Meeting.series).load_only(Series.name, raiseload=True),
            joinedload(Meeting.chairs).options(
                load_only(
                    MeetingChair.position,
                    MeetingChair.role_label,
                    MeetingChair.user_id,
                    raiseload=True,
                ),
                joinedload(MeetingChair.user).load_only(User.name, raiseload=True),
                raiseload("*"),
            ),
            raiseload("*"),
        ),
        joinedload(Invitation.contact)
        .load_only(
            Contact.name,
            Contact.email,
            Contact.language,
            Contact.organisation_id,
            raiseload=True,
        )
        .options(
            joinedload(Contact.organisation).load_only(Organisation.name, raiseload=True),
            raiseload("*"),
        ),
        raiseload("*"),
    )
)


def invitation_for_page(link_id: str) -> Invitation | None:
    invitation = refuse_if_withdrawn(db.session.scalar(_PAGE_QUERY, {"link_id": link_id}))
    if invitation is not None and invitation.substitute_id is not None:
        # Only a delegated invitation names its substitute: one more query for it alone.
        substitute = db.session.scalar(
            sa.select(Invitation)
            .where(Invitation.id == invitation.substitute_id)
            .options(
                load_only(Invitation.contact_id, raiseload=True),
                joinedload(Invitation.contact).load_only(Contact.name, raiseload=True),
                raiseload("*"),
            )
        )
        set_committed_value(invitation, "substitute", substitute)
    return invitation
