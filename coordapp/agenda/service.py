"""The agenda of a meeting: its items in order, their planned times, and the changes the
secretariat makes (each one audited, positions always 0..n-1)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from coordapp import audit
from coordapp.commitments.service import follow_up_commitments
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import Commitment, Contact, Meeting, MeetingStatus, User
from coordapp.models.agenda import AgendaItem, AgendaItemKind, AgendaItemPresenter, Attachment
from coordapp.models.document import DocumentStatus, GeneratedDocument
from coordapp.models.locking import lock_row
from coordapp.models.minutes import MinutesStatus, MinutesVersion

READ_ONLY_STATUSES = {MeetingStatus.CLOSED, MeetingStatus.CANCELLED}
# While a version of the minutes is submitted or approved, the agenda stays as it is.
MINUTES_FREEZING_THE_AGENDA = (MinutesStatus.SUBMITTED, MinutesStatus.APPROVED)
ITEM_FIELDS = ["title", "description", "kind", "duration_minutes"]


class AgendaError(DomainError):
    """A change that is refused; the message is for the user."""


class AgendaOrderError(AgendaError):
    status = 400


def read_only_reason(meeting: Meeting) -> str | None:
    """Why the agenda of `meeting` cannot be changed, or None if it can."""
    if meeting.status == MeetingStatus.CLOSED:
        return _("This meeting is closed: its agenda can no longer be changed.")
    if meeting.status == MeetingStatus.CANCELLED:
        return _("This meeting is cancelled: its agenda can no longer be changed.")
    frozen_by = db.session.scalar(
        sa.select(MinutesVersion)
        .where(
            MinutesVersion.meeting_id == meeting.id,
            MinutesVersion.status.in_(MINUTES_FREEZING_THE_AGENDA),
        )
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )
    if frozen_by is not None:
        # The chairs sign a PDF of the agenda as it stands: it must not change under them.
        return _(
            "Version %(number)s of the minutes is %(status)s: the agenda can no longer be "
            "changed, so that it stays as in the minutes the chairs sign.",
            number=frozen_by.number,
            status=frozen_by.status.label.lower(),
        )
    return None


def can_edit_agenda(user, meeting: Meeting) -> bool:
    return bool(user.is_authenticated and user.is_secretariat and read_only_reason(meeting) is None)


# --- reading ---------------------------------------------------------------------------


# Built once: every invitee's RSVP page reads the agenda.
_ITEMS_QUERY = (
    sa.select(AgendaItem)
    .where(AgendaItem.meeting_id == sa.bindparam("meeting_id"))
    .order_by(AgendaItem.position, AgendaItem.id)
    .options(
        selectinload(AgendaItem.presenters)
        .joinedload(AgendaItemPresenter.contact)
        .joinedload(Contact.organisation),
        selectinload(AgendaItem.attachments),
    )
)


def load_items(meeting_id: int) -> list[AgendaItem]:
    """The meeting's items in order, with presenters (contact, organisation) and attachments
    (without their data) loaded in a fixed number of queries."""
    return list(db.session.scalars(_ITEMS_QUERY, {"meeting_id": meeting_id}))


@dataclass(frozen=True)
class ScheduledItem:
    number: int
    item: AgendaItem
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    rows: list[ScheduledItem]
    ends_at: datetime  # when the last item is planned to end
    overrun_minutes: int  # how far past the meeting's end (0 if it fits)
    # What a "Follow-up of commitments" item reviews (loaded only when there is one).
    follow_up: list[Commitment] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(row.item.duration_minutes for row in self.rows)


def schedule(meeting: Meeting, items: Sequence[AgendaItem]) -> Agenda:
    """Planned start and end of each item: the meeting start plus the preceding durations."""
    rows = []
    moment = meeting.starts_at
    for number, item in enumerate(items, start=1):
        end = moment + timedelta(minutes=item.duration_minutes)
        rows.append(ScheduledItem(number, item, moment, end))
        moment = end
    overrun = max(0, math.ceil((moment - meeting.ends_at).total_seconds() / 60))
    return Agenda(meeting=meeting, rows=rows, ends_at=moment, overrun_minutes=overrun)


def agenda_of(meeting: Meeting) -> Agenda:
    """The scheduled items, with the commitments a follow-up item reviews: everything
    the agenda page, its print view, its PDF and the invitees' page show."""
    agenda = schedule(meeting, load_items(meeting.id))
    if any(row.item.kind is AgendaItemKind.FOLLOW_UP for row in agenda.rows):
        agenda = replace(agenda, follow_up=follow_up_commitments(meeting))
    return agenda


def presenter_label(contact: Contact) -> str:
    """ "Name (ORG)" with the organisation's acronym, or its name if it has none."""
    organisation = contact.organisation
    short = organisation.acronym or organisation.name if organisation else None
    return f"{contact.name} ({short})" if short else contact.name


@dataclass
class ChairPresenters:
    """The meeting's chairs as presenters. Presenters are directory contacts, and chairs
    are user accounts: a chair can present through the contact their account is linked to
    (User.contact, set on the Users page), or else the contact with their email."""

    roles: dict[int, str] = field(default_factory=dict)  # contact id -> "Co-chair" …
    unlinked: list[str] = field(default_factory=list)  # names of chairs with no contact


def chair_presenters(meeting: Meeting) -> ChairPresenters:
    """One query (the chairs and their users are loaded with the meeting)."""
    chairs = [chair for chair in meeting.chairs if chair.user is not None]
    linked_ids = {chair.user.contact_id for chair in chairs if chair.user.contact_id}
    emails = {chair.user.email.lower() for chair in chairs}
    contacts = (
        db.session.scalars(
            sa.select(Contact).where(
                Contact.id.in_(linked_ids) | sa.func.lower(Contact.email).in_(emails)
            )
        ).all()
        if chairs
        else []
    )
    by_id = {c.id: c for c in contacts}
    by_email = {c.email.lower(): c for c in contacts}
    result = ChairPresenters()
    for chair in chairs:
        contact = by_id.get(chair.user.contact_id) or by_email.get(chair.user.email.lower())
        if contact is None:
            result.unlinked.append(chair.user.name)
        else:
            result.roles.setdefault(contact.id, chair.role_label or _("Chair"))
    return result


def presenter_choices(
    selected_ids: Sequence[int] = (), chair_roles: dict[int, str] | None = None
) -> list[tuple[int, str]]:
    """Active contacts (plus any already presenting, and the chairs' contacts): the chosen
    ones first in their order, so that submitting the multi-select keeps the presenters'
    order, then the meeting's chairs (`chair_roles`, from `chair_presenters`), then the
    rest by name."""
    chair_roles = chair_roles or {}
    condition = Contact.active.is_(True)
    if selected_ids or chair_roles:
        condition = condition | Contact.id.in_([*selected_ids, *chair_roles])
    contacts = db.session.scalars(
        sa.select(Contact)
        .where(condition)
        .options(joinedload(Contact.organisation))
        .order_by(Contact.name, Contact.id)
    ).all()
    by_id = {c.id: c for c in contacts}
    chosen = [by_id[i] for i in selected_ids if i in by_id]
    chairs = [c for c in contacts if c.id in chair_roles and c.id not in set(selected_ids)]
    others = [c for c in contacts if c.id not in set(selected_ids) and c.id not in chair_roles]

    def label(contact: Contact) -> str:
        role = chair_roles.get(contact.id)
        return f"{presenter_label(contact)} — {role}" if role else presenter_label(contact)

    return [(c.id, label(c)) for c in chosen + chairs + others]


def other_meetings_of_series(meeting: Meeting) -> list[Meeting]:
    if meeting.series_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.series_id == meeting.series_id, Meeting.id != meeting.id)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        )
    )


# --- changing --------------------------------------------------------------------------


def _ensure_editable(meeting: Meeting) -> None:
    reason = read_only_reason(meeting)
    if reason:
        raise AgendaError(reason)


def _contacts(contact_ids: Sequence[int]) -> list[Contact]:
    if not contact_ids:
        return []
    found = {
        c.id: c for c in db.session.scalars(sa.select(Contact).where(Contact.id.in_(contact_ids)))
    }
    missing = [i for i in contact_ids if i not in found]
    if missing:
        raise AgendaError(_("A chosen presenter no longer exists."))
    return [found[i] for i in contact_ids]


def _set_presenters(item: AgendaItem, contact_ids: Sequence[int]) -> None:
    ordered = list(dict.fromkeys(contact_ids))  # no duplicates, first occurrence wins
    contacts = _contacts(ordered)
    existing = {p.contact_id: p for p in item.presenters}
    presenters = []
    for position, contact in enumerate(contacts):
        presenter = existing.get(contact.id) or AgendaItemPresenter(contact=contact)
        presenter.position = position
        presenters.append(presenter)
    item.presenters = presenters  # the ones left out are deleted (delete-orphan)


def _next_position(meeting_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting_id)
    )
    return 0 if highest is None else highest + 1


def _presenter_ids(item: AgendaItem) -> list[int]:
    return [p.contact_id if p.contact_id is not None else p.contact.id for p in item.presenters]


def create_item(
    meeting: Meeting,
    *,
    title: str,
    description: str | None,
    kind: AgendaItemKind,
    duration_minutes: int,
    presenter_ids: Sequence[int] = (),
    by: User | None = None,
) -> AgendaItem:
    _lock_order(meeting)
    _ensure_editable(meeting)
    item = AgendaItem(
        meeting_id=meeting.id,
        position=_next_position(meeting.id),
        title=title.strip(),
        description=(description or "").strip() or None,
        kind=kind,
        duration_minutes=duration_minutes,
    )
    db.session.add(item)
    _set_presenters(item, presenter_ids)
    db.session.flush()
    audit.record(
        "agenda.item_create",
        item,
        meeting_id=meeting.id,
        changes={
            **audit.snapshot(item, ITEM_FIELDS),
            "presenters": _presenter_ids(item),
        },
        by=by,
    )
    return item


def update_item(
    item: AgendaItem,
    *,
    title: str,
    description: str | None,
    kind: AgendaItemKind,
    duration_minutes: int,
    presenter_ids: Sequence[int] = (),
    by: User | None = None,
) -> None:
    _ensure_editable(item.meeting)
    # Two tabs saving one item: each form is applied whole, one after the other.
    lock_row(db.session, item)
    before = {**audit.snapshot(item, ITEM_FIELDS), "presenters": _presenter_ids(item)}
    item.title = title.strip()
    item.description = (description or "").strip() or None
    item.kind = kind
    item.duration_minutes = duration_minutes
    _set_presenters(item, presenter_ids)
    after = {**audit.snapshot(item, ITEM_FIELDS), "presenters": _presenter_ids(item)}
    changes = audit.diff(before, after)
    if changes:
        audit.record(
            "agenda.item_update",
            item,
            meeting_id=item.meeting_id,
            changes=changes,
            by=by,
        )


def delete_item(item: AgendaItem, *, by: User | None = None) -> None:
    meeting = item.meeting
    _lock_order(meeting)
    _ensure_editable(meeting)
    audit.record(
        "agenda.item_delete",
        item,
        meeting_id=meeting.id,
        changes=audit.snapshot(item, ITEM_FIELDS),
        by=by,
    )
    db.session.delete(item)
    db.session.flush()
    _renumber([i.id for i in _ordered(meeting.id)], meeting.id)


def _lock_order(meeting: Meeting) -> None:
    """Changes to the order of a meeting's agenda (adding, moving, reordering, deleting,
    copying items) go one after the other, each from the order the last one left: the
    meeting row is locked until commit (and read afresh)."""
    lock_row(db.session, meeting)


def _ordered(meeting_id: int) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
            # As committed now (after _lock_order), not as this request first read them.
            .execution_options(populate_existing=True)
        )
    )


def _renumber(ordered_ids: Sequence[int], meeting_id: int) -> None:
    items = {i.id: i for i in _ordered(meeting_id)}
    for position, item_id in enumerate(ordered_ids):
        items[item_id].position = position


def move_item(item: AgendaItem, direction: str, *, by: User | None = None) -> bool:
    """Swap the item with its neighbour ("up" or "down"); False if it is already at the end."""
    meeting = item.meeting
    _lock_order(meeting)
    _ensure_editable(meeting)
    ids = [i.id for i in _ordered(meeting.id)]
    index = ids.index(item.id)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ids):
        return False
    ids[index], ids[other] = ids[other], ids[index]
    _renumber(ids, meeting.id)
    audit.record(
        "agenda.reorder",
        meeting,
        meeting_id=meeting.id,
        changes={"order": ids},
        note=f"{item.title} {direction}",
        by=by,
    )
    return True


def reorder(meeting: Meeting, ordered_ids: Sequence[int], *, by: User | None = None) -> None:
    """Put the items in the given order; the ids must be exactly this meeting's items."""
    _lock_order(meeting)
    _ensure_editable(meeting)
    current = [i.id for i in _ordered(meeting.id)]
    if len(ordered_ids) != len(current) or set(ordered_ids) != set(current):
        raise AgendaOrderError(
            _("The new order does not match this meeting's agenda. Please reload the page.")
        )
    if list(ordered_ids) == current:
        return
    _renumber(ordered_ids, meeting.id)
    audit.record(
        "agenda.reorder",
        meeting,
        meeting_id=meeting.id,
        changes={"order": [current, list(ordered_ids)]},
        by=by,
    )


def copy_agenda(meeting: Meeting, source: Meeting, *, by: User | None = None) -> int:
    """Append copies of `source`'s items (not their attachments); returns how many."""
    _lock_order(meeting)
    _ensure_editable(meeting)
    if (
        source.id == meeting.id
        or source.series_id is None
        or (source.series_id != meeting.series_id)
    ):
        raise AgendaError(_("Choose another meeting of the same series."))
    position = _next_position(meeting.id)
    copied = 0
    for original in load_items(source.id):
        copy = AgendaItem(
            meeting_id=meeting.id,
            position=position,
            title=original.title,
            description=original.description,
            kind=original.kind,
            duration_minutes=original.duration_minutes,
        )
        for presenter in original.presenters:
            copy.presenters.append(
                AgendaItemPresenter(contact_id=presenter.contact_id, position=presenter.position)
            )
        db.session.add(copy)
        position += 1
        copied += 1
    db.session.flush()
    audit.record(
        "agenda.copy",
        meeting,
        meeting_id=meeting.id,
        changes={"from_meeting": source.id, "items": copied},
        by=by,
    )
    return copied


def add_attachment(
    item: AgendaItem, *, filename: str, content_type: str, data: bytes, user_id: int | None
) -> Attachment:
    _ensure_editable(item.meeting)
    attachment = Attachment(
        agenda_item=item,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by_id=user_id,
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record(
        "agenda.attachment_add",
        attachment,
        meeting_id=item.meeting_id,
        changes={
            "filename": filename,
            "size": len(data),
            "sha256": attachment.sha256,
            "agenda_item": item.id,
        },
        user_id=user_id,
    )
    return attachment


def delete_attachment(attachment: Attachment, *, by: User | None = None) -> None:
    item = attachment.agenda_item
    _ensure_editable(item.meeting)
    audit.record(
        "agenda.attachment_delete",
        attachment,
        meeting_id=item.meeting_id,
        changes={
            "filename": attachment.filename,
            "sha256": attachment.sha256,
            "agenda_item": item.id,
        },
        by=by,
    )
    db.session.delete(attachment)


# --- the agenda PDF ----------------------------------------------------------------------


def request_agenda_pdf(meeting: Meeting, user_id: int | None) -> GeneratedDocument:
    """A pending document row; the caller commits, then enqueues the worker task."""
    number = f"-{meeting.number}" if meeting.number else ""
    document = GeneratedDocument(
        kind="agenda",
        meeting_id=meeting.id,
        language=meeting.language,
        status=DocumentStatus.PENDING,
        filename=f"agenda-meeting{number}-{meeting.id}.pdf",
        created_by_id=user_id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record("agenda.pdf_request", document, meeting_id=meeting.id, user_id=user_id)
    return document


def latest_agenda_pdf(meeting_id: int) -> GeneratedDocument | None:
    return db.session.scalar(
        sa.select(GeneratedDocument)
        .where(GeneratedDocument.meeting_id == meeting_id, GeneratedDocument.kind == "agenda")
        .order_by(GeneratedDocument.created_at.desc(), GeneratedDocument.id.desc())
        .limit(1)
    )
