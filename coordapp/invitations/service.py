"""Inviting contacts to a meeting and sending them their invitation; the secretariat's
view of who was invited, what they answered and whether their email arrived."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import format_date, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager, defer, joinedload

from coordapp import audit
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.inputs import bounded_int, csv_safe
from coordapp.invitations import answers
from coordapp.invitations.invite import InviteResult, invite_contacts
from coordapp.invitations.notifications import queue_invitation
from coordapp.links import rsvp_token, rsvp_url  # noqa: F401  (callers' import)
from coordapp.models import (
    Category,
    Contact,
    InboundKind,
    InboundMessage,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    MessageKind,
    Organisation,
    OutgoingMessage,
    User,
    utcnow,
)
from coordapp.models.meeting import series_default_contacts, series_default_organisations

# Meetings that can no longer receive invitations (or resends, or answers).
CLOSED_FOR_INVITATIONS = {MeetingStatus.CANCELLED, MeetingStatus.CLOSED}
# The messages whose delivery the invitation list shows.
DELIVERY_KINDS = (MessageKind.INVITATION, MessageKind.REMINDER)


class InvitationError(DomainError):
    """An action the state of the meeting or invitation does not allow (HTTP 409)."""


def can_invite_to(meeting: Meeting) -> bool:
    return meeting.status not in CLOSED_FOR_INVITATIONS


# --- choosing whom to invite -------------------------------------------------------------


def organisation_choices() -> list[tuple[int, str]]:
    """The active organisations, by name, as the forms choosing people offer them."""
    organisations = db.session.scalars(
        sa.select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    )
    return [(o.id, o.display_name) for o in organisations]


def invitee_choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """What the forms choosing people one by one offer (inviting, asking in a poll): the
    active contacts ("name — organisation") and the active organisations. Two queries."""
    contacts = db.session.scalars(
        sa.select(Contact)
        .join(Contact.organisation)
        .where(Contact.active.is_(True))
        .options(joinedload(Contact.organisation))
        .order_by(Contact.name, Contact.id)
    )
    return (
        [(c.id, _invitee_label(c)) for c in contacts],
        organisation_choices(),
    )


def _invitee_label(contact: Contact) -> str:
    """ "name — organisation", with a warning when the address bounced (coordapp/inbound)."""
    label = f"{contact.name} — {contact.organisation.display_name}"
    if contact.undeliverable_since is not None:
        label += " — " + str(
            _l(
                "address undeliverable since %(date)s",
                date=format_date(contact.undeliverable_since.date(), "d MMM y"),
            )
        )
    return label


def _chosen(
    meeting: Meeting,
    contact_ids: Iterable[int],
    organisation_ids: Iterable[int],
    categories: Iterable[Category],
    series_default_list: bool,
) -> list[sa.ColumnElement[bool]]:
    """The conditions (any of them) on contacts joined to their organisations."""
    conditions = []
    if contact_ids := list(contact_ids):
        conditions.append(Contact.id.in_(contact_ids))
    if organisation_ids := list(organisation_ids):
        conditions.append(Contact.organisation_id.in_(organisation_ids))
    if categories := list(categories):
        conditions.append(Organisation.category.in_(categories))
    if series_default_list and meeting.series_id is not None:
        conditions.append(
            Contact.id.in_(
                sa.select(series_default_contacts.c.contact_id).where(
                    series_default_contacts.c.series_id == meeting.series_id
                )
            )
        )
        conditions.append(
            Contact.organisation_id.in_(
                sa.select(series_default_organisations.c.organisation_id).where(
                    series_default_organisations.c.series_id == meeting.series_id
                )
            )
        )
    return conditions


def contacts_to_invite(
    meeting: Meeting,
    *,
    contact_ids: Iterable[int] = (),
    organisation_ids: Iterable[int] = (),
    categories: Iterable[Category] = (),
    series_default_list: bool = False,
) -> list[Contact]:
    """Every contact the secretariat's choices cover, with its organisation, in one query.

    Inactive contacts are included on purpose: `invite_contacts` skips and reports them.
    """
    conditions = _chosen(meeting, contact_ids, organisation_ids, categories, series_default_list)
    if not conditions:
        return []
    return list(
        db.session.scalars(
            sa.select(Contact)
            .join(Contact.organisation)
            .where(sa.or_(*conditions))
            .options(contains_eager(Contact.organisation))
            .order_by(Contact.name, Contact.id)
        )
    )


def invite_chosen(
    meeting: Meeting,
    *,
    by: User | None,
    contact_ids: Iterable[int] = (),
    organisation_ids: Iterable[int] = (),
    categories: Iterable[Category] = (),
    series_default_list: bool = False,
) -> InviteResult:
    """The invite form: every contact the choices cover, invited (invite_contacts).

    The contacts are read as the four columns inviting needs, not as objects (a whole
    category can be 10,000 people); only those reported back, already invited or inactive,
    are loaded with their organisations for the result page.
    """
    conditions = _chosen(meeting, contact_ids, organisation_ids, categories, series_default_list)
    if not conditions:
        return InviteResult()
    invitees = db.session.execute(
        sa.select(Contact.id, Contact.name, Contact.email, Contact.active)
        .join(Contact.organisation)
        .where(sa.or_(*conditions))
        .order_by(Contact.name, Contact.id)
    ).all()
    result = invite_contacts(meeting, invitees, by=by)
    if reported := [c.id for c in (*result.already_invited, *result.inactive_skipped)]:
        contacts = {
            contact.id: contact
            for contact in db.session.scalars(
                sa.select(Contact)
                .where(Contact.id.in_(reported))
                .options(joinedload(Contact.organisation))
            )
        }
        result.already_invited = [contacts[c.id] for c in result.already_invited]
        result.inactive_skipped = [contacts[c.id] for c in result.inactive_skipped]
    return result


# --- one invitation ----------------------------------------------------------------------


def _check_open(invitation: Invitation) -> None:
    if invitation.meeting.status in CLOSED_FOR_INVITATIONS:
        raise InvitationError()
    if invitation.is_withdrawn:
        raise InvitationError()


def resend_invitation(invitation: Invitation, *, by: User | None) -> OutgoingMessage:
    """Queue the invitation email again (same personal link)."""
    _check_open(invitation)
    message = queue_invitation(invitation)
    audit.record(
        "invitations.resend",
        invitation,
        meeting_id=invitation.meeting_id,
        note=invitation.contact.email,
        user_id=by.id if by else None,
    )
    return message


def withdraw_invitation(invitation: Invitation, *, by: User | None) -> None:
    """Withdraw: the personal link stops working (410) and any seat is freed."""
    answers.lock_invitation(invitation)
    if invitation.is_withdrawn:
        raise InvitationError()
    invitation.withdrawn_at = utcnow()
    answers.release_seat(invitation, by=by)
    audit.record(
        "invitations.withdraw",
        invitation,
        meeting_id=invitation.meeting_id,
        changes={"withdrawn_at": [None, invitation.withdrawn_at.isoformat()]},
        note=invitation.contact.email,
        user_id=by.id if by else None,
    )


def answer_on_behalf(
    invitation: Invitation,
    status: InvitationStatus,
    *,
    needs: str | None,
    comment: str | None,
    by: User,
) -> InvitationStatus:
    """Record a reply given by phone or email; the audit log says who recorded it."""
    _check_open(invitation)
    before = invitation.status
    try:
        recorded = answers.record_answer(
            invitation, status, needs=needs, comment=comment, recorded_by=by
        )
    except answers.AnswerError as error:
        raise InvitationError(str(error)) from error
    audit.record(
        "invitations.answer_on_behalf",
        invitation,
        meeting_id=invitation.meeting_id,
        changes={"status": [before.value, (recorded or status).value]},
        note=f"{invitation.contact.email}: recorded on behalf by {by.name}",
        user_id=by.id,
    )
    return recorded or status


# --- the invitation list -----------------------------------------------------------------

WITHDRAWN = "withdrawn"


@dataclass
class ListFilter:
    status: InvitationStatus | None = None
    category: Category | None = None
    withdrawn: bool = False  # show the withdrawn invitations instead of the live ones
    organisation_id: int | None = None  # one organisation's people (from its group)

    @classmethod
    def parse(
        cls, status: str | None, category: str | None, organisation: str | None = None
    ) -> ListFilter:
        """From query-string values; raises ValueError on an unknown one."""
        result = cls()
        if status == WITHDRAWN:
            result.withdrawn = True
        elif status:
            result.status = InvitationStatus(status)
        if category:
            result.category = Category(category)
        if organisation:
            result.organisation_id = bounded_int(organisation)
            if result.organisation_id < 1:
                raise ValueError("not an organisation")
        return result

    def args(self) -> dict[str, str]:
        args = {}
        if self.withdrawn:
            args["status"] = WITHDRAWN
        elif self.status:
            args["status"] = self.status.value
        if self.category:
            args["category"] = self.category.value
        if self.organisation_id:
            args["organisation"] = str(self.organisation_id)
        return args


# The list's sortable columns: what each sorts by, as shown (the organisation column shows
# the acronym where there is one, so it sorts by that).
def _shown_organisation():
    return sa.func.lower(sa.func.coalesce(Organisation.acronym, Organisation.name))


SORT_COLUMNS = {
    "name": lambda: sa.func.lower(Contact.name),
    "organisation": _shown_organisation,
    "category": lambda: Organisation.category,
    "answer": lambda: Invitation.status,
    "answered": lambda: Invitation.responded_at,
}
DEFAULT_SORT = "organisation"


@dataclass(frozen=True)
class ListOrder:
    """How the list (and its CSV export) is sorted: a column, either way round."""

    column: str = DEFAULT_SORT
    descending: bool = False

    @classmethod
    def parse(cls, column: str | None, direction: str | None) -> ListOrder:
        """From query-string values; an unknown column falls back quietly."""
        return cls(column if column in SORT_COLUMNS else DEFAULT_SORT, direction == "desc")

    def args(self) -> dict[str, str]:
        args = {}
        if self.column != DEFAULT_SORT:
            args["sort"] = self.column
        if self.descending:
            args["dir"] = "desc"
        return args

    def keys(self) -> list:
        key = SORT_COLUMNS[self.column]()
        key = key.desc() if self.descending else key.asc()
        # Those who have not answered come last either way round (PostgreSQL would put
        # them first when descending, SQLite when ascending). Then by what is shown next,
        # and the id so that pages never overlap.
        return [
            key.nulls_last(),
            _shown_organisation(),
            sa.func.lower(Contact.name),
            Invitation.id,
        ]


def _filtered(query, meeting: Meeting, filters: ListFilter):
    """`query` (over invitations joined with contact and organisation) kept to the
    meeting's invitations that `filters` shows."""
    query = query.where(Invitation.meeting_id == meeting.id)
    if filters.withdrawn:
        query = query.where(Invitation.withdrawn_at.is_not(None))
    else:
        query = query.where(Invitation.withdrawn_at.is_(None))
    if filters.status:
        query = query.where(Invitation.status == filters.status)
    if filters.category:
        query = query.where(Organisation.category == filters.category)
    if filters.organisation_id:
        query = query.where(Contact.organisation_id == filters.organisation_id)
    return query


def _loaded_with_people(query):
    substitute = aliased(Invitation)
    return query.options(
        contains_eager(Invitation.contact).contains_eager(Contact.organisation),
        joinedload(Invitation.substitute.of_type(substitute)).joinedload(substitute.contact),
    )


def invitations_query(meeting: Meeting, filters: ListFilter, order: ListOrder = ListOrder()):
    """The meeting's invitations with contact, organisation and substitute, one query,
    in `order` (the whole list: the CSV)."""
    query = sa.select(Invitation).join(Invitation.contact).join(Contact.organisation)
    return _loaded_with_people(_filtered(query, meeting, filters)).order_by(*order.keys())


def invitation_ids_query(meeting: Meeting, filters: ListFilter, order: ListOrder = ListOrder()):
    """The ids of the invitations `invitations_query` lists, in its order: what a page
    of the list sorts and cuts (narrow rows: the page of 10,000 sorts ids, not rows)."""
    query = sa.select(Invitation.id).join(Invitation.contact).join(Contact.organisation)
    return _filtered(query, meeting, filters).order_by(*order.keys())


def invitations_count(meeting: Meeting, filters: ListFilter) -> int:
    """How many invitations the list shows under `filters` (one query, no sort)."""
    query = sa.select(sa.func.count(Invitation.id))
    if filters.category or filters.organisation_id:
        query = query.join(Invitation.contact).join(Contact.organisation)
    return db.session.scalar(_filtered(query, meeting, filters)) or 0


def invitations_in_order(ids: list[int], order: ListOrder = ListOrder()) -> list[Invitation]:
    """The invitations `ids` (a page) with contact, organisation and substitute, in
    `order`: one query."""
    if not ids:
        return []
    query = (
        sa.select(Invitation)
        .join(Invitation.contact)
        .join(Contact.organisation)
        .where(Invitation.id.in_(ids))
    )
    return list(db.session.scalars(_loaded_with_people(query).order_by(*order.keys())).unique())


@dataclass
class Counts:
    by_status: dict[InvitationStatus, int]
    by_category: dict[Category, int]
    withdrawn: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def invitation_counts(meeting_id: int, per_category: dict[Category, int] | None = None) -> Counts:
    """Live invitations per status and per category, and the withdrawn apart (2 queries;
    1 when the caller counted `per_category` already: the invitations page, by adding up
    its groups by organisation)."""
    withdrawn = Invitation.withdrawn_at.is_not(None)
    by_status: dict[InvitationStatus, int] = {status: 0 for status in InvitationStatus}
    withdrawn_count = 0
    rows = db.session.execute(
        sa.select(Invitation.status, withdrawn, sa.func.count(Invitation.id))
        .where(Invitation.meeting_id == meeting_id)
        .group_by(Invitation.status, withdrawn)
    )
    for status, is_withdrawn, count in rows:
        if is_withdrawn:
            withdrawn_count += count
        else:
            by_status[status] += count
    by_category: dict[Category, int] = dict(per_category or {})
    if per_category is None:
        rows = db.session.execute(
            sa.select(Organisation.category, sa.func.count(Invitation.id))
            .join(Invitation.contact)
            .join(Contact.organisation)
            .where(Invitation.meeting_id == meeting_id, Invitation.withdrawn_at.is_(None))
            .group_by(Organisation.category)
        )
        for category, count in rows:
            by_category[category] = count
    ordered = {c: by_category[c] for c in Category if by_category.get(c)}
    return Counts(by_status=by_status, by_category=ordered, withdrawn=withdrawn_count)


def latest_delivery(
    meeting_id: int, invitation_ids: Iterable[int] | None = None
) -> dict[int, OutgoingMessage]:
    """{invitation id: its latest invitation or reminder email (status, last_error,
    sent_at)}, in one query: for `invitation_ids` (a page of the list), else the whole
    meeting. Bodies are not loaded."""
    latest_ids = sa.select(sa.func.max(OutgoingMessage.id)).where(
        OutgoingMessage.kind.in_(DELIVERY_KINDS)
    )
    if invitation_ids is not None:
        # The invitations name the meeting: no second index for the planner to AND in.
        latest_ids = latest_ids.where(OutgoingMessage.invitation_id.in_(list(invitation_ids)))
    else:
        latest_ids = latest_ids.where(
            OutgoingMessage.meeting_id == meeting_id, OutgoingMessage.invitation_id.is_not(None)
        )
    latest_ids = latest_ids.group_by(OutgoingMessage.invitation_id)
    messages = db.session.scalars(
        sa.select(OutgoingMessage)
        .options(
            defer(OutgoingMessage.text_body),
            defer(OutgoingMessage.html_body),
            defer(OutgoingMessage.ics_body),
        )
        .where(OutgoingMessage.id.in_(latest_ids))
    )
    return {message.invitation_id: message for message in messages}


# What an invitee sent by email that the secretariat reads (coordapp/inbound keeps it):
# their own words and their calendar's proposal of another time.
READ_BY_PEOPLE = (InboundKind.PLAIN, InboundKind.COUNTER)


def received_counts(invitation_ids: Iterable[int]) -> dict[int, int]:
    """{invitation id: how many messages its invitee wrote to the app (plain replies,
    proposed times)}, for a page of the list in one query: "1 message" on the list."""
    rows = db.session.execute(
        sa.select(InboundMessage.invitation_id, sa.func.count())
        .where(
            InboundMessage.invitation_id.in_(list(invitation_ids)),
            InboundMessage.kind.in_(READ_BY_PEOPLE),
        )
        .group_by(InboundMessage.invitation_id)
    )
    return {invitation_id: count for invitation_id, count in rows}


def received_messages(invitation_id: int) -> list[InboundMessage]:
    """Everything that arrived by email about one invitation, newest first: replies,
    proposed times, calendar answers, out-of-office notes, bounces."""
    return list(
        db.session.scalars(
            sa.select(InboundMessage)
            .where(InboundMessage.invitation_id == invitation_id)
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        )
    )


def waiting_positions(
    meeting_id: int, invitation_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """{invitation id: place on the waiting list, from 1}, one query: for
    `invitation_ids` (a page of the list; the database numbers the whole list), else
    everyone waiting."""
    waiting = sa.select(
        Invitation.id.label("id"),
        sa.func.row_number()
        .over(order_by=(Invitation.waitlisted_at, Invitation.id))
        .label("place"),
    ).where(
        Invitation.meeting_id == meeting_id,
        Invitation.status == InvitationStatus.WAITLISTED,
        Invitation.withdrawn_at.is_(None),
    )
    if invitation_ids is None:
        rows = db.session.execute(waiting)
    else:
        numbered = waiting.subquery()
        rows = db.session.execute(
            sa.select(numbered.c.id, numbered.c.place).where(
                numbered.c.id.in_(list(invitation_ids))
            )
        )
    return {invitation_id: place for invitation_id, place in rows}


def users_by_id(ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


@dataclass
class Summary:
    counts: Counts
    invite_open: bool


def meeting_summary(meeting: Meeting) -> Summary:
    """What the meeting page shows about invitations (2 queries)."""
    return Summary(counts=invitation_counts(meeting.id), invite_open=can_invite_to(meeting))


def meeting_section(meeting: Meeting, viewer: User) -> Summary | None:
    """The meeting page's invitations section: the summary, for the secretariat."""
    return meeting_summary(meeting) if viewer.is_secretariat else None


# --- CSV for the venue -------------------------------------------------------------------

# The venue's list is read by people: its headers speak the reader's language.
CSV_COLUMNS = [
    lazy_pgettext("person", "Name"),
    _l("Organisation"),
    _l("Category"),
    _l("Answer"),
    _l("Needs"),
]


def status_text(invitation: Invitation, waiting: dict[int, int]) -> str:
    from flask_babel import gettext as _

    if invitation.status is InvitationStatus.DELEGATED and invitation.substitute is not None:
        return _("Delegated to %(name)s", name=invitation.substitute.contact.name)
    if invitation.status is InvitationStatus.WAITLISTED and invitation.id in waiting:
        return _("Waiting list #%(place)s", place=waiting[invitation.id])
    return invitation.status.label


def invitations_csv(invitations: Iterable[Invitation], waiting: dict[int, int]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(column) for column in CSV_COLUMNS])
    for invitation in invitations:
        organisation = invitation.contact.organisation
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    invitation.contact.name,
                    organisation.display_name,
                    organisation.category.label,
                    status_text(invitation, waiting),
                    invitation.needs,
                )
            ]
        )
    return out.getvalue()


def invitation_page_options() -> tuple:
    """What the secretariat's page of one invitation shows with it."""
    return (
        joinedload(Invitation.contact).joinedload(Contact.organisation),
        joinedload(Invitation.meeting),
        joinedload(Invitation.substitute).joinedload(Invitation.contact),
    )
