"""Commitments: capturing them, their status history, the tracker, carry-over to the
next meeting of the series, and asking the responsible contact for news.

The one rule that matters: a commitment's `status` is always its latest update's
status. Only `add_update` changes a status, so it is the one place that keeps it so.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from coordapp import audit
from coordapp.commitments.dates import (  # noqa: F401  (part of this module's interface)
    ACTIVE_STATUSES,
    QUARTER_TEXT,
    is_overdue,
    overdue_condition,
    parse_quarter,
    quarter_last_day,
    quarter_text,
    today,
)
from coordapp.commitments.notifications import (  # noqa: F401
    STATUS_PURPOSE,
    queue_status_request_email,
    status_token,
    status_url,
)
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.gcm import gcm_label, sdg_label
from coordapp.i18n import supported
from coordapp.inputs import csv_safe
from coordapp.links import PersonalLink
from coordapp.models import Contact, Meeting, Organisation, Series, User, utcnow
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.commitment import (
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
    CommitmentUpdate,
    commitment_list_options,
    commitment_organisations,
)
from coordapp.models.directory import Category
from coordapp.models.locking import lock_row
from coordapp.models.outbox import OutgoingMessage


class CommitmentError(DomainError):
    """A change the state of the meeting or commitment does not allow (HTTP 409)."""


class StatusLinkRevoked(CommitmentError):
    """The status link a person used was revoked (the commitment was handed to someone
    else) while their update waited for the commitment's row."""

    status = 404


# --- the status rule ---------------------------------------------------------------------


def add_update(
    commitment: Commitment,
    status: CommitmentStatus,
    note: str | None,
    *,
    meeting: Meeting | None = None,
    by_user: User | None = None,
    by_contact: Contact | None = None,
    through_link: str | None = None,
) -> CommitmentUpdate:
    """Record a dated status update; the commitment's status becomes `status`. Updates
    sent at the same moment (the status link and the follow-up page) are recorded one
    after the other: the commitment's status is always its latest update's. An update
    sent `through_link` (its link id) is refused (StatusLinkRevoked) if the link was
    revoked meanwhile: a new responsible person, a new link."""
    lock_row(db.session, commitment)
    if through_link is not None and commitment.link_id != through_link:
        raise StatusLinkRevoked(str(STATUS_LINK.invalid_message))
    update = CommitmentUpdate(
        status=status,
        note=(note or "").strip() or None,
        at=utcnow(),
        meeting=meeting,
        by_user=by_user,
        by_contact=by_contact,
    )
    before = commitment.status
    commitment.updates.append(update)
    commitment.status = status
    audit.record(
        "commitments.status_update",
        commitment,
        meeting_id=commitment.meeting_id,
        changes={"status": [before.value if before else None, status.value]},
        note=update.note,
        user_id=by_user.id if by_user else None,
    )
    return update


# --- capture -----------------------------------------------------------------------------


@dataclass
class CommitmentValues:
    description: str
    organisations: list[Organisation]
    responsible: Contact | None
    due_date: date | None
    due_quarter: int | None
    goals: list[int]
    agenda_item: AgendaItem | None
    # None: leave them as they are (the form did not offer them: the series does not use
    # the Global Compact for Migration).
    gcm_objectives: list[int] | None = field(default=None)


AUDITED_FIELDS = [
    "description",
    "responsible_contact_id",
    "due_date",
    "due_quarter",
    "agenda_item_id",
]


def _snapshot(commitment: Commitment) -> dict:
    values = audit.snapshot(commitment, AUDITED_FIELDS)
    values["due_date"] = commitment.due_date.isoformat() if commitment.due_date else None
    values["organisations"] = sorted(org.id for org in commitment.organisations)
    values["goals"] = list(commitment.goals)
    values["gcm_objectives"] = list(commitment.gcm_objectives)
    return values


def _apply(commitment: Commitment, values: CommitmentValues) -> None:
    commitment.description = values.description.strip()
    commitment.organisations = list(values.organisations)
    commitment.responsible = values.responsible
    commitment.due_date = values.due_date
    commitment.due_quarter = values.due_quarter
    commitment.agenda_item = values.agenda_item
    wanted = sorted(set(values.goals))
    if commitment.goals != wanted:
        commitment.sdgs = [CommitmentSDG(goal=goal) for goal in wanted]
    if values.gcm_objectives is not None:
        wanted = sorted(set(values.gcm_objectives))
        if commitment.gcm_objectives != wanted:
            commitment.gcm = [CommitmentGCM(objective=n) for n in wanted]


def uses_gcm(meeting: Meeting) -> bool:
    """Whether the commitments of this meeting are tagged with GCM objectives too (its
    series says so; a meeting outside a series uses the SDGs only)."""
    return meeting.series is not None and meeting.series.uses_gcm


def shows_gcm(meeting: Meeting, commitments: Iterable[Commitment]) -> bool:
    """Whether a list of the meeting's commitments needs a GCM column: the series uses
    the GCM, or some commitment was tagged while it did."""
    return uses_gcm(meeting) or any(c.gcm for c in commitments)


def create_commitment(
    meeting: Meeting, values: CommitmentValues, *, by_user: User | None
) -> Commitment:
    commitment = Commitment(
        meeting=meeting, created_by_id=by_user.id if by_user else None, status=CommitmentStatus.OPEN
    )
    _apply(commitment, values)
    db.session.add(commitment)
    db.session.flush()
    audit.record(
        "commitments.create",
        commitment,
        meeting_id=meeting.id,
        changes={k: [None, v] for k, v in _snapshot(commitment).items() if v},
        by=by_user,
    )
    with force_locale(supported(meeting.language)):  # part of the meeting's record
        note = _("Committed at %(meeting)s", meeting=meeting.full_title)
    add_update(
        commitment,
        CommitmentStatus.OPEN,
        note,
        meeting=meeting,
        by_user=by_user,
    )
    return commitment


def update_commitment(
    commitment: Commitment,
    values: CommitmentValues,
    *,
    by: User | None = None,
) -> None:
    """Edit what was committed (not the status: that goes through `add_update`)."""
    # Two tabs saving one commitment: each form is applied whole, one after the other.
    lock_row(db.session, commitment)
    before = _snapshot(commitment)
    previous_responsible = commitment.responsible_contact_id
    _apply(commitment, values)
    db.session.flush()
    if commitment.responsible_contact_id != previous_responsible:
        # A link sent to the previous responsible person must stop working.
        commitment.link_id = secrets.token_hex(16)
    changes = audit.diff(before, _snapshot(commitment))
    if changes:
        audit.record(
            "commitments.update",
            commitment,
            meeting_id=commitment.meeting_id,
            changes=changes,
            by=by,
        )


# --- loading -----------------------------------------------------------------------------


def get_commitment_by_link(link_id: str) -> Commitment | None:
    return db.session.scalar(
        sa.select(Commitment)
        .where(Commitment.link_id == link_id)
        .options(*commitment_list_options())
    )


def commitments_of_meeting(meeting_id: int) -> list[Commitment]:
    """The commitments made at a meeting, in the order they were captured (for the
    meeting page, the minutes preview and the minutes PDF)."""
    return list(
        db.session.scalars(
            sa.select(Commitment)
            .where(Commitment.meeting_id == meeting_id)
            .options(*commitment_list_options())
            .order_by(Commitment.id)
        )
    )


def organisation_choices(keep_ids: Iterable[int] = ()) -> list[Organisation]:
    keep_ids = list(keep_ids)
    condition = Organisation.active.is_(True)
    if keep_ids:
        condition = condition | Organisation.id.in_(keep_ids)
    return list(
        db.session.scalars(sa.select(Organisation).where(condition).order_by(Organisation.name))
    )


def contact_choices(keep_id: int | None = None) -> list[Contact]:
    condition = Contact.active.is_(True)
    if keep_id:
        condition = condition | (Contact.id == keep_id)
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(condition)
            .options(joinedload(Contact.organisation))
            .order_by(Contact.name)
        )
    )


def agenda_items_of(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


# --- the tracker -------------------------------------------------------------------------


@dataclass
class TrackerFilters:
    series_id: int | None = None
    meeting_id: int | None = None
    status: CommitmentStatus | None = None
    organisation_id: int | None = None
    category: Category | None = None
    sdg: int | None = None
    gcm: int | None = None
    overdue: bool = False


SORTS = {"due", "status", "organisation", "meeting", "created"}
STATUS_ORDER = {status: n for n, status in enumerate(CommitmentStatus)}


def tracker_conditions(filters: TrackerFilters) -> list:
    """WHERE clauses on Commitment alone (EXISTS/IN, no joins), so that counts and
    lists built on them never see a commitment twice."""
    conditions = []
    if filters.series_id:
        conditions.append(
            Commitment.meeting_id.in_(
                sa.select(Meeting.id).where(Meeting.series_id == filters.series_id)
            )
        )
    if filters.meeting_id:
        conditions.append(Commitment.meeting_id == filters.meeting_id)
    if filters.status:
        conditions.append(Commitment.status == filters.status)
    if filters.organisation_id:
        conditions.append(
            Commitment.id.in_(
                sa.select(commitment_organisations.c.commitment_id).where(
                    commitment_organisations.c.organisation_id == filters.organisation_id
                )
            )
        )
    if filters.category:
        conditions.append(
            Commitment.id.in_(
                sa.select(commitment_organisations.c.commitment_id)
                .join(Organisation, Organisation.id == commitment_organisations.c.organisation_id)
                .where(Organisation.category == filters.category)
            )
        )
    if filters.sdg:
        conditions.append(
            Commitment.id.in_(
                sa.select(CommitmentSDG.commitment_id).where(CommitmentSDG.goal == filters.sdg)
            )
        )
    if filters.gcm:
        conditions.append(
            Commitment.id.in_(
                sa.select(CommitmentGCM.commitment_id).where(CommitmentGCM.objective == filters.gcm)
            )
        )
    if filters.overdue:
        conditions.append(overdue_condition())
    return conditions


def _sort_columns(sort: str, descending: bool) -> list:
    def direction(column):
        return column.desc() if descending else column.asc()

    if sort == "status":
        keys = [
            direction(
                sa.case(*[(Commitment.status == status, n) for status, n in STATUS_ORDER.items()])
            )
        ]
    elif sort == "organisation":
        first_name = (
            sa.select(sa.func.min(Organisation.name))
            .join(
                commitment_organisations,
                commitment_organisations.c.organisation_id == Organisation.id,
            )
            .where(commitment_organisations.c.commitment_id == Commitment.id)
            .scalar_subquery()
        )
        keys = [direction(first_name)]
    elif sort == "meeting":
        starts = sa.select(Meeting.starts_at).where(Meeting.id == Commitment.meeting_id)
        keys = [direction(starts.scalar_subquery())]
    elif sort == "created":
        keys = [direction(Commitment.created_at)]
    else:  # due: commitments without a due date last, whichever the direction
        keys = [Commitment.due_date.is_(None).asc(), direction(Commitment.due_date)]
    return [*keys, direction(Commitment.id)]


def tracker_query(filters: TrackerFilters, sort: str = "due", descending: bool = False):
    if sort not in SORTS:
        sort = "due"
    return (
        sa.select(Commitment)
        .where(*tracker_conditions(filters))
        .options(*commitment_list_options())
        .order_by(*_sort_columns(sort, descending))
    )


def counts_by_status(filters: TrackerFilters) -> dict[CommitmentStatus, int]:
    rows = db.session.execute(
        sa.select(Commitment.status, sa.func.count(Commitment.id))
        .where(*tracker_conditions(filters))
        .group_by(Commitment.status)
    )
    counts = dict.fromkeys(CommitmentStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def counts_by_sdg(filters: TrackerFilters) -> dict[int, int]:
    return _counts_by_tag(CommitmentSDG.goal, CommitmentSDG.commitment_id, filters)


def counts_by_gcm(filters: TrackerFilters) -> dict[int, int]:
    return _counts_by_tag(CommitmentGCM.objective, CommitmentGCM.commitment_id, filters)


def _counts_by_tag(tag, commitment_id, filters: TrackerFilters) -> dict[int, int]:
    """{tag: commitments the filters keep}, for a commitments' tag table (SDG, GCM)."""
    rows = db.session.execute(
        sa.select(tag, sa.func.count(commitment_id))
        .join(Commitment, Commitment.id == commitment_id)
        .where(*tracker_conditions(filters))
        .group_by(tag)
        .order_by(tag)
    )
    return dict(rows.all())


def gcm_in_use() -> bool:
    """Whether any series uses the Global Compact for Migration, or any commitment was
    tagged with one of its objectives (the tracker then offers the GCM filter and chart)."""
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(Series.uses_gcm.is_(True))
                | sa.exists().where(CommitmentGCM.commitment_id.isnot(None))
            )
        )
    )


# --- CSV ---------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "series",
    "meeting",
    "meeting_date",
    "agenda_item",
    "organisations",
    "categories",
    "responsible",
    "responsible_email",
    "description",
    "due_date",
    "due_quarter",
    "sdgs",
    "sdg_titles",
    "gcm_objectives",
    "gcm_titles",
    "status",
    "overdue",
    "created_at",
]


def export_csv(commitments: Iterable[Commitment]) -> str:
    """The commitments as CSV (UTF-8 with BOM, for spreadsheets). SDGs and GCM objectives
    come as numbers ("10 17") and as titles in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    on = today()
    for c in commitments:
        meeting = c.meeting
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    c.id,
                    meeting.series.name if meeting.series else "",
                    meeting.title,
                    meeting.local(meeting.starts_at).date().isoformat(),
                    c.agenda_item.title if c.agenda_item else "",
                    "; ".join(org.name for org in c.organisations),
                    "; ".join(sorted({org.category.value for org in c.organisations})),
                    c.responsible.name if c.responsible else "",
                    c.responsible.email if c.responsible else "",
                    c.description,
                    c.due_date.isoformat() if c.due_date else "",
                    quarter_text(c) or "",
                    " ".join(str(goal) for goal in c.goals),
                    "; ".join(sdg_label(goal) for goal in c.goals),
                    " ".join(str(n) for n in c.gcm_objectives),
                    "; ".join(gcm_label(n) for n in c.gcm_objectives),
                    c.status.value,
                    "yes" if is_overdue(c, on) else "",
                    c.created_at.isoformat(timespec="seconds"),
                )
            ]
        )
    return "\ufeff" + out.getvalue()


# --- carry-over to the next meeting ------------------------------------------------------


def follow_up_commitments(meeting: Meeting) -> list[Commitment]:
    """Open or in-progress commitments made at earlier meetings of the meeting's series,
    plus those already reviewed at this meeting (so one closed during the meeting stays
    on its list, with its new status)."""
    if meeting.series_id is None:
        return []
    earlier = sa.select(Meeting.id).where(
        Meeting.series_id == meeting.series_id,
        Meeting.id != meeting.id,
        Meeting.starts_at < meeting.starts_at,
    )
    reviewed_here = sa.select(CommitmentUpdate.commitment_id).where(
        CommitmentUpdate.meeting_id == meeting.id
    )
    return list(
        db.session.scalars(
            sa.select(Commitment)
            .join(Meeting, Meeting.id == Commitment.meeting_id)
            .where(
                Commitment.meeting_id.in_(earlier),
                Commitment.status.in_(ACTIVE_STATUSES) | Commitment.id.in_(reviewed_here),
            )
            .options(*commitment_list_options(), selectinload(Commitment.updates))
            .order_by(Meeting.starts_at, Commitment.id)
        )
    )


def latest_review_at(commitment: Commitment, meeting: Meeting) -> CommitmentUpdate | None:
    """The latest update recorded for `commitment` at `meeting` (updates must be loaded)."""
    reviews = [update for update in commitment.updates if update.meeting_id == meeting.id]
    return reviews[-1] if reviews else None


@dataclass
class FollowUpRow:
    """One commitment on a meeting's follow-up list, with what the list shows of it."""

    commitment: Commitment
    overdue: bool
    review: CommitmentUpdate | None  # its latest update recorded at this meeting


def follow_up_rows(meeting: Meeting) -> list[FollowUpRow]:
    """The follow-up list of `meeting` (one query plus eager loads, whatever the count)."""
    return [
        FollowUpRow(commitment, is_overdue(commitment), latest_review_at(commitment, meeting))
        for commitment in follow_up_commitments(meeting)
    ]


def follow_up_item(meeting: Meeting) -> AgendaItem | None:
    return db.session.scalar(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.kind == AgendaItemKind.FOLLOW_UP)
        .order_by(AgendaItem.id)
        .limit(1)
    )


def add_follow_up_item(meeting: Meeting, *, by: User | None = None) -> tuple[AgendaItem, bool]:
    """The meeting's "Follow-up of commitments" item, added at the end of the agenda if
    missing. Returns (item, created)."""
    if meeting.series_id is None:
        raise CommitmentError(
            _("Only a meeting of a series can follow up the commitments of earlier meetings.")
        )
    existing = follow_up_item(meeting)
    if existing is not None:
        return existing, False
    last = db.session.scalar(
        sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    with force_locale(supported(meeting.language)):
        title = _("Follow-up of commitments")
    item = AgendaItem(
        meeting_id=meeting.id,
        position=(last + 1) if last is not None else 0,
        title=title,
        kind=AgendaItemKind.FOLLOW_UP,
    )
    db.session.add(item)
    db.session.flush()
    audit.record("commitments.follow_up_add", item, meeting_id=meeting.id, by=by)
    return item, True


# --- asking the responsible contact for news ---------------------------------------------


def queue_status_request(commitment: Commitment, *, by_user: User | None = None) -> OutgoingMessage:
    contact = commitment.responsible
    if contact is None:
        raise CommitmentError(_("This commitment has no responsible contact to ask."))
    message = queue_status_request_email(commitment)
    audit.record(
        "commitments.status_request",
        commitment,
        meeting_id=commitment.meeting_id,
        note=contact.email,
        user_id=by_user.id if by_user else None,
    )
    return message


def commitment_page_options(*, with_history: bool = False) -> tuple:
    """What a commitment's pages show with it (and its history of updates, if asked)."""
    options = tuple(commitment_list_options())
    if not with_history:
        return options
    return (
        *options,
        selectinload(Commitment.updates).options(
            joinedload(CommitmentUpdate.by_user),
            joinedload(CommitmentUpdate.by_contact),
            joinedload(CommitmentUpdate.meeting),
        ),
    )


STATUS_LINK = PersonalLink(
    STATUS_PURPOSE,
    _l(
        "This link is not valid. Please check that you copied the whole "
        "link from the email, or ask the secretariat for a new one."
    ),
)
