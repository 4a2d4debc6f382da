"""What every blueprint's views share: loading the object a URL names (404 when it does
not exist), opening personal links (RSVP, scheduling poll, commitment status, calendar
feed) and the few formatting helpers templates may call.

A view loads, checks access, calls services (passing who acts: services never read the
request or the logged-in user), then commits once at the end. A refusal (DomainError)
that the view does not turn into a better page reaches errors.register, which rolls back.

A personal link works without an account, so its token is the only secret: a wrong one
counts against the client's address and, past the limit, the address waits (429) while
anyone holding a right token is never blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, load_only, selectinload

from coordapp import ratelimit
from coordapp.errors import wants_json  # noqa: F401  (the views' import)
from coordapp.extensions import db
from coordapp.gcm import gcm_label, gcm_title
from coordapp.links import POLL_PURPOSE, RSVP_PURPOSE, link_id_from_token
from coordapp.models import (
    Commitment,
    Contact,
    Invitation,
    Meeting,
    MeetingChair,
    Organisation,
    Poll,
    PollRespondent,
    Series,
    SeriesChair,
    User,
    meeting_page_options,
)
from coordapp.models.commitment import SDG_NAMES, CommitmentUpdate, commitment_list_options
from coordapp.models.locking import SHARED, lock_for_writing, note_locked

T = TypeVar("T")

BAD_LINK_BUCKET = "bad-personal-link"
BAD_LINK_LIMIT = 30
BAD_LINK_WINDOW_SECONDS = 600


# --- template helpers (formatting only: none of them queries) -------------------------------


def sdg_name(goal: int) -> str:
    """The official short name of a Sustainable Development Goal."""
    return str(SDG_NAMES.get(goal, ""))


def register(app: Flask) -> None:
    """Every page's data comes from its view; these only format what they are given."""
    app.add_template_global(sdg_name)
    app.add_template_global(gcm_title)
    app.add_template_global(gcm_label)


# --- objects named in the URL --------------------------------------------------------------


def get_meeting_or_404(meeting_id: int) -> Meeting:
    """The meeting with its series and chairs (what every meeting page shows)."""
    meeting = db.session.scalar(
        sa.select(Meeting).where(Meeting.id == meeting_id).options(*meeting_page_options())
    )
    if meeting is None:
        abort(404, _("This meeting does not exist."))
    return meeting


def get_series_or_404(series_id: int) -> Series:
    """The series with its default chairs, contacts and organisations."""
    series = db.session.scalar(
        sa.select(Series)
        .where(Series.id == series_id)
        .options(
            selectinload(Series.default_chairs).joinedload(SeriesChair.user),
            selectinload(Series.default_contacts).joinedload(Contact.organisation),
            selectinload(Series.default_organisations),
        )
    )
    if series is None:
        abort(404, _("This series does not exist."))
    return series


def get_invitation_or_404(invitation_id: int) -> Invitation:
    invitation = db.session.scalar(
        sa.select(Invitation)
        .where(Invitation.id == invitation_id)
        .options(
            joinedload(Invitation.contact).joinedload(Contact.organisation),
            joinedload(Invitation.meeting),
            joinedload(Invitation.substitute).joinedload(Invitation.contact),
        )
    )
    if invitation is None:
        abort(404, _("This invitation does not exist."))
    return invitation


def get_commitment_or_404(commitment_id: int, *, with_history: bool = False) -> Commitment:
    query = sa.select(Commitment).where(Commitment.id == commitment_id)
    query = query.options(*commitment_list_options())
    if with_history:
        query = query.options(
            selectinload(Commitment.updates).options(
                joinedload(CommitmentUpdate.by_user),
                joinedload(CommitmentUpdate.by_contact),
                joinedload(CommitmentUpdate.meeting),
            )
        )
    commitment = db.session.scalar(query)
    if commitment is None:
        abort(404, _("This commitment does not exist."))
    return commitment


# --- personal links ------------------------------------------------------------------------


def load_by_link(
    token: str, purpose: str, find: Callable[[str], T | None], *, invalid_message: str
) -> T:
    """What `find(link_id)` returns for a right `token`; else 404 with `invalid_message`,
    or 429 once the client's address has sent too many wrong tokens (of any kind).
    `invalid_message` may be lazy (_l): translated only for a wrong link, not on every
    right one (an RSVP link is opened a thousand times in an hour)."""
    link_id = link_id_from_token(token, purpose)
    found = find(link_id) if link_id is not None else None
    if found is None:
        allowed = ratelimit.hit_and_check(
            BAD_LINK_BUCKET,
            request.remote_addr or "unknown",
            BAD_LINK_LIMIT,
            BAD_LINK_WINDOW_SECONDS,
        )
        if not allowed:
            abort(429, _("Too many wrong links from your address. Please wait ten minutes."))
        abort(404, str(invalid_message))
    return found


# What the personal links' pages may use, loaded with the invitation in one query.
_PAGE_OPTIONS = (
    joinedload(Invitation.meeting).joinedload(Meeting.series),
    joinedload(Invitation.meeting).joinedload(Meeting.chairs).joinedload(MeetingChair.user),
    joinedload(Invitation.contact).joinedload(Contact.organisation),
    joinedload(Invitation.substitute).joinedload(Invitation.contact),
)


def _invitation_by_link(link_id: str) -> Invitation | None:
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.link_id == link_id).options(*_PAGE_OPTIONS)
    )


# What the RSVP page shows, and no more: the columns it reads (a wider row costs the
# busiest page of all more to read than its query); the substitute is loaded when shown
# (only for a delegated invitation). Built once: building it is a fair part of its cost.
_RSVP_PAGE_QUERY = (
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
        ),
        joinedload(Invitation.meeting).joinedload(Meeting.series).load_only(Series.name),
        joinedload(Invitation.meeting)
        .joinedload(Meeting.chairs)
        .options(
            load_only(MeetingChair.position, MeetingChair.role_label, MeetingChair.user_id),
            joinedload(MeetingChair.user).load_only(User.name),
        ),
        joinedload(Invitation.contact)
        .load_only(Contact.name, Contact.email, Contact.language, Contact.organisation_id)
        .joinedload(Contact.organisation)
        .load_only(Organisation.name),
    )
)


def _invitation_for_rsvp_page(link_id: str) -> Invitation | None:
    return db.session.scalar(_RSVP_PAGE_QUERY, {"link_id": link_id})


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
    .execution_options(populate_existing=True)
)


def _invitation_to_answer(link_id: str) -> Invitation | None:
    """What recording an answer reads, the meeting row locked FOR SHARE in the same query
    (nobody changes the meeting until the answer commits; how seats are then counted:
    coordapp/invitations/answers.py, _lock_meeting)."""
    lock_for_writing(db.session)
    invitation = db.session.scalar(_ANSWER_QUERY, {"link_id": link_id})
    if invitation is not None:
        note_locked(db.session, invitation.meeting, SHARED)
    return invitation


_LOADERS = {
    "links": _invitation_by_link,
    "rsvp_page": _invitation_for_rsvp_page,
    "answer": _invitation_to_answer,
}


def get_invitation_by_token_or_404(token: str, *, to: str = "links") -> Invitation:
    """The invitation behind an RSVP link: 404 (wrong), 410 (withdrawn) or 429 (guessing).

    What is read with it depends on what the request does (`to`):
    - "links": the invitation, its meeting, series, chairs, contact, organisation and
      substitute (any page or download behind the link);
    - "rsvp_page": only what the RSVP page shows (anything else loads on first use);
    - "answer": what recording an answer needs, the meeting row locked until commit;
      the page's other parts load on first use if the answer is refused."""
    invitation = load_by_link(
        token,
        RSVP_PURPOSE,
        _LOADERS[to],
        invalid_message=_l(
            "This link is not valid. Please check that you copied the whole link "
            "from your invitation email, or ask the secretariat for a new one."
        ),
    )
    if invitation.is_withdrawn:
        abort(
            410,
            _(
                "This invitation was withdrawn. Please contact the secretariat "
                "if you think this is a mistake."
            ),
        )
    return invitation


def get_poll_respondent_by_token_or_404(token: str) -> PollRespondent:
    """The person asked behind a scheduling poll link (with the poll, its meeting and the
    person): 404 (wrong) or 429 (guessing), as for RSVP links."""
    return load_by_link(
        token,
        POLL_PURPOSE,
        lambda link_id: db.session.scalar(
            sa.select(PollRespondent)
            .where(PollRespondent.link_id == link_id)
            .options(
                joinedload(PollRespondent.poll).joinedload(Poll.meeting),
                joinedload(PollRespondent.contact),
                joinedload(PollRespondent.user),
            )
        ),
        invalid_message=_l(
            "This link is not valid. Please check that you copied the whole link "
            "from the poll's email, or ask the secretariat for a new one."
        ),
    )
