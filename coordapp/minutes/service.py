"""The rules of writing minutes.

A meeting's minutes are versioned (`MinutesVersion`); only a draft version can be
edited, a submitted, approved or superseded one is frozen. Each agenda item has its
own `MinutesItem` so that two people can write about different items at once.

Saving uses an optimistic version check: the form carries the `lock_version` it was
based on, and the save is an `UPDATE ... WHERE lock_version = :expected`, so of two
saves based on the same state exactly one wins, on every database. The loser gets a
`ConflictError` with what the winner saved; nothing is overwritten silently and the
loser's text stays in their form.

History: every successful save writes one `MinutesRevision` holding the content it
replaced (and that content's `lock_version`), stamped with who replaced it and when.
`revisions(item)` turns those rows back into "state N, written by X at T".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from coordapp import richtext
from coordapp.attendance.service import attendance_summary
from coordapp.commitments.service import commitments_of_meeting, shows_gcm
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import (
    Contact,
    Meeting,
    MeetingChair,
    User,
    utcnow,
)
from coordapp.models.agenda import AgendaItem, AgendaItemPresenter
from coordapp.models.commitment import Commitment
from coordapp.models.locking import lock_for_writing
from coordapp.models.minutes import MinutesItem, MinutesRevision, MinutesStatus, MinutesVersion

MAX_DECISION_LENGTH = 500
MAX_DECISIONS = 100
MAX_TEXT_LENGTH = 100_000
MEETING_FIELDS = ("opening_summary", "closing_summary", "next_meeting_date", "next_meeting_note")
EDITABLE_STATUSES = frozenset({MinutesStatus.DRAFT})
FINAL_STATUSES = frozenset({MinutesStatus.APPROVED, MinutesStatus.SUPERSEDED})


class MinutesError(DomainError):
    """A save the rules do not allow; `message` is shown to the user."""


class MinutesFrozen(MinutesError):
    """The version is submitted, approved or superseded: its content no longer changes."""


class InvalidMinutes(MinutesError):
    """What was typed breaks a rule (e.g. a decision longer than 500 characters)."""


@dataclass
class SavedContent:
    """What is saved now, and who saved it when: shown to the loser of a conflict."""

    content: dict
    lock_version: int
    saved_at: datetime | None
    saved_by: User | None


class ConflictError(MinutesError):
    """Someone else saved since the form was loaded. `current` is what they saved."""

    def __init__(self, current: SavedContent) -> None:
        super().__init__(_("Someone else saved this in the meantime."))
        self.current = current


# --- versions and access ------------------------------------------------------------------


def is_editable(version: MinutesVersion) -> bool:
    """Only a draft changes; submitted, approved and superseded versions are frozen."""
    return version.status in EDITABLE_STATUSES


def can_edit_minutes(user, version: MinutesVersion) -> bool:
    return bool(user.is_authenticated and user.is_secretariat and is_editable(version))


def can_read_drafts(user, meeting: Meeting) -> bool:
    """Minutes before approval (draft or submitted) are for the secretariat, who writes
    them, and the meeting's chairs, who approve them; not for every member."""
    if not user.is_authenticated:
        return False
    if user.is_secretariat:
        return True
    return (
        db.session.scalar(
            sa.select(MeetingChair.id).where(
                MeetingChair.meeting_id == meeting.id, MeetingChair.user_id == user.id
            )
        )
        is not None
    )


def preview_version(meeting: Meeting, user) -> MinutesVersion | None:
    """The version `user` may read in the preview: the latest one for the secretariat and
    the chairs, the latest approved (or superseded) one for everyone else. Only reads."""
    query = sa.select(MinutesVersion).where(MinutesVersion.meeting_id == meeting.id)
    if not can_read_drafts(user, meeting):
        query = query.where(MinutesVersion.status.in_(FINAL_STATUSES))
    return db.session.scalar(query.order_by(MinutesVersion.number.desc()).limit(1))


def _check_editable(version: MinutesVersion) -> None:
    if not is_editable(version):
        raise MinutesFrozen(
            _(
                "This version of the minutes is no longer a draft (%(status)s): "
                "it can no longer be edited.",
                status=version.status.label,
            )
        )


def latest_version(meeting: Meeting) -> MinutesVersion | None:
    return db.session.scalar(
        sa.select(MinutesVersion)
        .where(MinutesVersion.meeting_id == meeting.id)
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )


def current_version(meeting: Meeting, by: User | None = None) -> MinutesVersion:
    """The latest version of the meeting's minutes, created as draft version 1 on first
    use. A draft also gets a `MinutesItem` for every agenda item added since (in a
    fixed number of queries, whatever the number of items).

    Flushes, does not commit. Two first visits at the same moment both try to create
    version 1; the loser's insert violates a unique constraint, so it rolls back (there
    is nothing else in its transaction at that point) and reads the winner's rows.
    """
    for attempt in range(3):
        try:
            version = latest_version(meeting)
            if version is None:
                version = MinutesVersion(
                    meeting_id=meeting.id,
                    number=1,
                    status=MinutesStatus.DRAFT,
                    created_by_id=by.id if by else None,
                )
                db.session.add(version)
                db.session.flush()
            if is_editable(version):
                _add_missing_items(version)
            return version
        except IntegrityError:
            if attempt == 2:
                raise
            db.session.rollback()
    raise AssertionError("unreachable")


def _add_missing_items(version: MinutesVersion) -> None:
    missing = db.session.scalars(
        sa.select(AgendaItem.id).where(
            AgendaItem.meeting_id == version.meeting_id,
            ~sa.exists().where(
                MinutesItem.version_id == version.id,
                MinutesItem.agenda_item_id == AgendaItem.id,
            ),
        )
    ).all()
    if missing:
        now = utcnow()
        # One executemany statement, however many items are missing.
        db.session.execute(
            sa.insert(MinutesItem),
            [
                {
                    "version_id": version.id,
                    "agenda_item_id": agenda_item_id,
                    "text": "",
                    "decisions": [],
                    "lock_version": 1,
                    "updated_at": now,
                }
                for agenda_item_id in missing
            ],
        )


def get_item(item_id: int) -> MinutesItem | None:
    return db.session.scalar(
        sa.select(MinutesItem)
        .where(MinutesItem.id == item_id)
        .options(
            joinedload(MinutesItem.version).joinedload(MinutesVersion.meeting),
            joinedload(MinutesItem.agenda_item),
        )
    )


def minutes_items(version: MinutesVersion, *, with_presenters: bool = False) -> list[MinutesItem]:
    """The version's items in agenda order, each with its agenda item loaded (and the
    presenters with their organisations, for the document), in one query."""
    agenda_item = contains_eager(MinutesItem.agenda_item)
    if with_presenters:
        # Joined, not select-in: one statement whatever the number of items.
        agenda_item = agenda_item.joinedload(AgendaItem.presenters).options(
            joinedload(AgendaItemPresenter.contact).joinedload(Contact.organisation)
        )
    query = (
        sa.select(MinutesItem)
        .join(MinutesItem.agenda_item)
        .where(MinutesItem.version_id == version.id)
        .options(agenda_item)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    return list(db.session.scalars(query).unique())


def planned_starts(meeting: Meeting, agenda_items: list[AgendaItem]) -> dict[int, datetime]:
    """When each item is planned to start: the meeting start plus the durations before it."""
    starts, moment = {}, meeting.starts_at
    for agenda_item in agenda_items:
        starts[agenda_item.id] = moment
        moment = moment + timedelta(minutes=agenda_item.duration_minutes or 0)
    return starts


# --- input rules --------------------------------------------------------------------------


def clean_decisions(decisions: str | list[str] | None) -> list[str]:
    """Decisions as a list of short statements: one per line, blanks dropped, each at
    most 500 characters."""
    if decisions is None:
        return []
    lines = decisions.splitlines() if isinstance(decisions, str) else list(decisions)
    cleaned = [" ".join(str(line).split()) for line in lines]
    cleaned = [line for line in cleaned if line]
    for number, line in enumerate(cleaned, start=1):
        if len(line) > MAX_DECISION_LENGTH:
            raise InvalidMinutes(
                _(
                    "Decision %(number)s is %(length)s characters long; each decision "
                    "can have at most %(max)s.",
                    number=number,
                    length=len(line),
                    max=MAX_DECISION_LENGTH,
                )
            )
    if len(cleaned) > MAX_DECISIONS:
        raise InvalidMinutes(_("At most %(max)s decisions per agenda item.", max=MAX_DECISIONS))
    return cleaned


def _check_text(text: str | None, limit: int = MAX_TEXT_LENGTH) -> str:
    text = (text or "").replace("\r\n", "\n")
    if len(text) > limit:
        raise InvalidMinutes(_("The text is too long (at most %(max)s characters).", max=limit))
    return text


# --- saving an item -----------------------------------------------------------------------


def _share_version(version: MinutesVersion) -> None:
    """Lock the version row FOR SHARE until commit and read it afresh: a submission (an
    UPDATE of that row) then waits for this save to commit, so the chairs get what it
    saved, or this save waits for the submission and finds the version frozen. Saves of
    other items share the lock and go on in parallel. (SQLite: the database's write lock.)"""
    lock_for_writing(db.session)
    db.session.scalars(
        sa.select(MinutesVersion)
        .where(MinutesVersion.id == version.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one()


def item_content(item: MinutesItem) -> dict:
    """The item's saved state; a revision keeps it, HTML included (history shows it)."""
    return {
        "text": item.text or "",
        "text_html": item.text_html or "",
        "decisions": list(item.decisions or []),
    }


def _saved_item(item: MinutesItem) -> SavedContent:
    return SavedContent(
        content=item_content(item),
        lock_version=item.lock_version,
        saved_at=item.updated_at,
        saved_by=db.session.get(User, item.updated_by_id) if item.updated_by_id else None,
    )


def save_item(
    item: MinutesItem,
    text: str | None,
    decisions: str | list[str] | None,
    expected_lock_version: int,
    by: User | None,
) -> MinutesItem:
    """Save the minutes of one agenda item if nobody else saved it since the form was
    loaded (`expected_lock_version`); otherwise raise `ConflictError` with their content.
    Raises `MinutesFrozen` unless the version is a draft. Does not commit."""
    _share_version(item.version)
    _check_editable(item.version)
    text = _check_text(text)
    decisions = clean_decisions(decisions)
    if item.lock_version != expected_lock_version:
        raise ConflictError(_saved_item(item))

    previous = item_content(item)
    now = utcnow()
    result = db.session.execute(
        sa.update(MinutesItem)
        .where(
            MinutesItem.id == item.id,
            MinutesItem.lock_version == expected_lock_version,
            # Re-checked in the same statement: a submit in between freezes the version.
            sa.exists().where(
                MinutesVersion.id == MinutesItem.version_id,
                MinutesVersion.status.in_(EDITABLE_STATUSES),
            ),
        )
        .values(
            richtext.with_html(
                MinutesItem,
                {
                    "text": text,
                    "decisions": decisions,
                    "lock_version": expected_lock_version + 1,
                    "updated_at": now,
                    "updated_by_id": by.id if by else None,
                },
            )
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # Someone saved (or submitted) between our read and our write.
        db.session.refresh(item.version)
        _check_editable(item.version)
        db.session.refresh(item)
        raise ConflictError(_saved_item(item))
    db.session.add(
        MinutesRevision(
            version_id=item.version_id,
            minutes_item_id=item.id,
            content=previous,
            lock_version=expected_lock_version,
            edited_at=now,
            edited_by_id=by.id if by else None,
        )
    )
    db.session.flush()
    db.session.refresh(item)
    return item


# --- saving the meeting-level fields ------------------------------------------------------


def meeting_fields(version: MinutesVersion) -> dict:
    return {
        "opening_summary": version.opening_summary or "",
        "opening_summary_html": version.opening_summary_html or "",
        "closing_summary": version.closing_summary or "",
        "closing_summary_html": version.closing_summary_html or "",
        "next_meeting_date": (
            version.next_meeting_date.isoformat() if version.next_meeting_date else None
        ),
        "next_meeting_note": version.next_meeting_note or "",
    }


def _latest_meeting_revision(version: MinutesVersion) -> MinutesRevision | None:
    return db.session.scalar(
        sa.select(MinutesRevision)
        .where(
            MinutesRevision.version_id == version.id,
            MinutesRevision.minutes_item_id.is_(None),
        )
        .options(joinedload(MinutesRevision.edited_by))
        .order_by(MinutesRevision.lock_version.desc(), MinutesRevision.id.desc())
        .limit(1)
    )


def _saved_meeting_fields(version: MinutesVersion) -> SavedContent:
    # The latest revision row was written by the save that produced the current state.
    latest = _latest_meeting_revision(version)
    return SavedContent(
        content=meeting_fields(version),
        lock_version=version.lock_version,
        saved_at=latest.edited_at if latest else None,
        saved_by=latest.edited_by if latest else None,
    )


def save_meeting_fields(
    version: MinutesVersion,
    opening_summary: str | None,
    closing_summary: str | None,
    next_meeting_date: date | None,
    next_meeting_note: str | None,
    expected_lock_version: int,
    by: User | None,
) -> MinutesVersion:
    """Save the opening and closing summaries and the next meeting's date and note, with
    the same optimistic check as `save_item`. Does not commit."""
    _check_editable(version)
    values = {
        "opening_summary": _check_text(opening_summary),
        "closing_summary": _check_text(closing_summary),
        "next_meeting_date": next_meeting_date,
        "next_meeting_note": " ".join((next_meeting_note or "").split()),
    }
    if len(values["next_meeting_note"]) > 500:
        raise InvalidMinutes(_("The note on the next meeting can have at most 500 characters."))
    if version.lock_version != expected_lock_version:
        raise ConflictError(_saved_meeting_fields(version))

    previous = meeting_fields(version)
    now = utcnow()
    result = db.session.execute(
        sa.update(MinutesVersion)
        .where(
            MinutesVersion.id == version.id,
            MinutesVersion.lock_version == expected_lock_version,
            # Re-checked in the same statement: a submit in between freezes the version.
            MinutesVersion.status.in_(EDITABLE_STATUSES),
        )
        .values(
            richtext.with_html(
                MinutesVersion, {"lock_version": expected_lock_version + 1, **values}
            )
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(version)
        _check_editable(version)
        raise ConflictError(_saved_meeting_fields(version))
    db.session.add(
        MinutesRevision(
            version_id=version.id,
            minutes_item_id=None,
            content=previous,
            lock_version=expected_lock_version,
            edited_at=now,
            edited_by_id=by.id if by else None,
        )
    )
    db.session.flush()
    db.session.refresh(version)
    return version


# --- history ------------------------------------------------------------------------------


@dataclass
class Revision:
    """One state of a text: its number (lock_version), content, who wrote it and when.
    State 1 is the empty start; nobody wrote it."""

    number: int
    content: dict
    saved_by: User | None
    saved_at: datetime | None
    is_current: bool = False


def _states(rows: list[MinutesRevision], current: dict, current_number: int) -> list[Revision]:
    # Row N holds state N and says who replaced it (writing state N+1) and when.
    contents = {row.lock_version: row.content for row in rows}
    contents[current_number] = current
    authors = {row.lock_version + 1: (row.edited_by, row.edited_at) for row in rows}
    states = []
    for number in sorted(contents, reverse=True):
        saved_by, saved_at = authors.get(number, (None, None))
        states.append(
            Revision(
                number=number,
                content=contents[number],
                saved_by=saved_by,
                saved_at=saved_at,
                is_current=number == current_number,
            )
        )
    return states


def revisions(item: MinutesItem) -> list[Revision]:
    """Every state of the item's minutes, newest first, with who saved it and when."""
    rows = db.session.scalars(
        sa.select(MinutesRevision)
        .where(MinutesRevision.minutes_item_id == item.id)
        .options(joinedload(MinutesRevision.edited_by))
        .order_by(MinutesRevision.lock_version)
    ).all()
    return _states(list(rows), item_content(item), item.lock_version)


def meeting_fields_revisions(version: MinutesVersion) -> list[Revision]:
    rows = db.session.scalars(
        sa.select(MinutesRevision)
        .where(
            MinutesRevision.version_id == version.id,
            MinutesRevision.minutes_item_id.is_(None),
        )
        .options(joinedload(MinutesRevision.edited_by))
        .order_by(MinutesRevision.lock_version)
    ).all()
    return _states(list(rows), meeting_fields(version), version.lock_version)


# --- the document (preview now, PDF later) ------------------------------------------------


def attendance_for_minutes(meeting: Meeting) -> dict:
    """Present participants grouped by category, and apologies (declined or excused):
    the attendance colleague's `attendance_summary`, one query, plain values."""
    return attendance_summary(meeting)


def commitments_for_minutes(meeting: Meeting) -> list[Commitment]:
    """The commitments made at the meeting, in agenda order, with everything the table
    shows loaded (organisations, responsible contact, SDGs)."""
    commitments = commitments_of_meeting(meeting.id)
    positions = {}
    for commitment in commitments:
        agenda_item = commitment.agenda_item
        positions[commitment.id] = (
            agenda_item is None,
            agenda_item.position if agenda_item else 0,
            commitment.id,
        )
    return sorted(commitments, key=lambda c: positions[c.id])


def document_context(meeting: Meeting, version: MinutesVersion) -> dict:
    """Everything `templates/minutes/_document.html` needs, in a fixed number of queries:
    meeting (with series and chairs loaded), version, items, attendance, commitments.
    The preview page and the PDF both render from this."""
    items = minutes_items(version, with_presenters=True)
    commitments = commitments_for_minutes(meeting)
    return {
        "meeting": meeting,
        "version": version,
        "items": items,
        "planned": planned_starts(meeting, [item.agenda_item for item in items]),
        "attendance": attendance_for_minutes(meeting),
        "commitments": commitments,
        "show_gcm": shows_gcm(meeting, commitments),
    }
