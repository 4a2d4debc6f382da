"""A meeting's invitations grouped by organisation, for the invitations page: how many
places each organisation asked to nominate has, how many people it nominated, and what
its people answered; and the one reminder to the focal points who have nominated no one.

Nominations sit above invitations in the layers (pyproject.toml): what this module needs
from them it asks through two `Hook`s, which coordapp/nominations answers in its record.

    by_organisation(meeting) -> ByOrganisation     # 2 queries, whatever the number of rows
    REMIND_FOCAL_POINTS(meeting, by=user) -> int   # how many focal points were reminded
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.feature import Hook
from coordapp.models import (
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    Organisation,
)

# (meeting) -> list[Asked]: the organisations asked to nominate delegates for `meeting`.
ASKED_TO_NOMINATE = Hook("invitations.asked_to_nominate")
# (meeting, *, by: User) -> int: remind (one email each, audited) the focal points whose
# organisation has nominated no one and still can; returns how many.
REMIND_FOCAL_POINTS = Hook("invitations.remind_focal_points")


@dataclass(frozen=True)
class Asked:
    """An organisation asked to nominate: its places, and whether its focal point (or
    general address) can be reminded now (it has an address; the deadline is ahead)."""

    organisation_id: int
    places: int
    can_remind: bool


@dataclass
class OrganisationGroup:
    organisation: Organisation
    invited: int = 0  # live invitations, nominated people included
    nominated: int = 0
    accepted: int = 0
    declined: int = 0
    pending: int = 0  # no answer yet
    places: int | None = None  # None: not asked to nominate
    can_remind: bool = False

    @property
    def asked_to_nominate(self) -> bool:
        return self.places is not None

    @property
    def none_yet(self) -> bool:
        """Asked to nominate, and has nominated no one (yet)."""
        return self.asked_to_nominate and self.nominated == 0

    @property
    def remindable(self) -> bool:
        return self.none_yet and self.can_remind


@dataclass
class ByOrganisation:
    groups: list[OrganisationGroup] = field(default_factory=list)

    @property
    def remindable(self) -> int:
        """How many focal points the reminder button would write to."""
        return sum(1 for group in self.groups if group.remindable)

    @property
    def none_yet(self) -> int:
        return sum(1 for group in self.groups if group.none_yet)

    def invited_by_category(self) -> dict[Category, int]:
        """Live invitations per category of organisation (what the page's counts show)."""
        totals: dict[Category, int] = {}
        for group in self.groups:
            category = group.organisation.category
            totals[category] = totals.get(category, 0) + group.invited
        return totals

    def organisation(self, organisation_id: int | None) -> Organisation | None:
        """The organisation of that group (the list filtered to its people names it)."""
        return next(
            (g.organisation for g in self.groups if g.organisation.id == organisation_id), None
        )


def _count(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def by_organisation(meeting: Meeting) -> ByOrganisation:
    """Per organisation invited or asked to nominate, by name: places, nominated,
    invited, accepted, declined, no answer yet. Counted by the database (GROUP BY), so
    10 or 10,000 invitations cost the same two queries."""
    counts = (
        sa.select(
            Contact.organisation_id.label("organisation_id"),
            sa.func.count(Invitation.id).label("invited"),
            _count(Invitation.nomination_id.is_not(None)).label("nominated"),
            _count(Invitation.status == InvitationStatus.ACCEPTED).label("accepted"),
            _count(Invitation.status == InvitationStatus.DECLINED).label("declined"),
            _count(Invitation.status == InvitationStatus.PENDING).label("pending"),
        )
        .join(Invitation.contact)
        .where(Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None))
        .group_by(Contact.organisation_id)
        .subquery()
    )
    asked = {a.organisation_id: a for a in ASKED_TO_NOMINATE(meeting)}
    rows = db.session.execute(
        sa.select(
            Organisation,
            counts.c.invited,
            counts.c.nominated,
            counts.c.accepted,
            counts.c.declined,
            counts.c.pending,
        )
        .outerjoin(counts, counts.c.organisation_id == Organisation.id)
        .where(sa.or_(counts.c.organisation_id.is_not(None), Organisation.id.in_(list(asked))))
        .order_by(sa.func.lower(Organisation.name), Organisation.id)
    )
    groups = []
    for organisation, invited, nominated, accepted, declined, pending in rows:
        group = OrganisationGroup(
            organisation,
            invited=invited or 0,
            nominated=nominated or 0,
            accepted=accepted or 0,
            declined=declined or 0,
            pending=pending or 0,
        )
        if (request := asked.get(organisation.id)) is not None:
            group.places = request.places
            group.can_remind = request.can_remind
        groups.append(group)
    return ByOrganisation(groups)
