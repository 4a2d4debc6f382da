"""The meeting day: who was there, walk-ins, live counts and the summary for the minutes.

Attendance is recorded on the invitation (`Invitation.attendance`), only while the
meeting is scheduled or held. A person who came for an organisation other than their
own has it in `Invitation.represents_organisation_id`; counts and the summary put
people under the category of the organisation they represented (their own otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import aliased, contains_eager

from coordapp import audit
from coordapp.directory import service as directory_service
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.models import (
    Attendance,
    AttendanceMode,
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    Organisation,
    User,
    utcnow,
)
from coordapp.models.locking import lock_for_writing

OPEN_STATUSES = frozenset({MeetingStatus.SCHEDULED, MeetingStatus.HELD})

# Keys of the per-state counts: the Attendance values, people not marked yet, and all;
# PRESENT_ONLINE counts those of the present who took part online (a part of "present").
UNMARKED = "unmarked"
TOTAL = "total"
PRESENT_ONLINE = "present_online"
COUNT_KEYS = [*(state.value for state in Attendance), UNMARKED, TOTAL, PRESENT_ONLINE]


@dataclass(frozen=True)
class SheetState:
    """A choice on the attendance sheet: a hybrid meeting's "present" is two choices."""

    value: str
    label: str


def sheet_states(meeting: Meeting) -> list[SheetState]:
    """The sheet's choices for `meeting`: present / absent / excused, with "present in
    person" and "present online" in a hybrid meeting."""
    states = [SheetState(state.value, state.label) for state in Attendance]
    if meeting.is_hybrid:
        states[0:1] = [
            SheetState(Attendance.PRESENT.value, str(_l("Present in person"))),
            SheetState(PRESENT_ONLINE, str(_l("Present online"))),
        ]
    return states


def sheet_value(invitation: Invitation) -> str:
    """The sheet's choice for what is recorded ("" for nothing yet)."""
    if invitation.attendance is None:
        return ""
    if (
        invitation.attendance is Attendance.PRESENT
        and invitation.present_mode is AttendanceMode.ONLINE
        and invitation.meeting.is_hybrid
    ):
        return PRESENT_ONLINE
    return invitation.attendance.value


def _present_mode(meeting: Meeting, value: str) -> AttendanceMode | None:
    """How someone marked present took part: online for an online meeting or the
    "present online" choice, in person otherwise (None for a meeting in person only)."""
    mode = meeting.mode
    if value == PRESENT_ONLINE or mode is MeetingFormat.ONLINE:
        return AttendanceMode.ONLINE
    if mode is MeetingFormat.HYBRID:
        return AttendanceMode.IN_PERSON
    return None


class AttendanceError(DomainError):
    """Something the secretariat asked for that cannot be done; str() says why."""


class AttendanceClosed(AttendanceError):
    """The meeting is not scheduled or held."""


class SheetError(AttendanceError):
    """Some rows of the sheet were wrong: {invitation id: message}. Nothing was saved."""

    status = 400

    def __init__(self, errors: dict[int, str]):
        super().__init__(_l("Some rows could not be saved: see the messages in the list."))
        self.errors = errors


class WalkInError(AttendanceError):
    """A walk-in field was wrong: `field` names the form field."""

    status = 400

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def can_record_attendance(meeting: Meeting) -> bool:
    return meeting.status in OPEN_STATUSES


def check_open(meeting: Meeting) -> None:
    if not can_record_attendance(meeting):
        raise AttendanceClosed(
            _l(
                "This meeting is %(status)s: attendance can only be recorded for a "
                "scheduled or held meeting.",
                status=meeting.status.label.lower(),
            )
        )


def _effective_organisation():
    """(own, represented) organisation aliases, for joins from Invitation via Contact."""
    return aliased(Organisation, name="own_org"), aliased(Organisation, name="rep_org")


# --- the sheet ---------------------------------------------------------------------------


def sheet_invitations(meeting_id: int) -> list[Invitation]:
    """Every live invitation with contact, organisation and represented one (one query)."""
    own, rep = _effective_organisation()
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .join(Invitation.contact)
            .join(own, Contact.organisation)
            .outerjoin(rep, Invitation.represents_organisation)
            .where(Invitation.meeting_id == meeting_id, Invitation.withdrawn_at.is_(None))
            .options(
                contains_eager(Invitation.contact).contains_eager(
                    Contact.organisation.of_type(own)
                ),
                contains_eager(Invitation.represents_organisation.of_type(rep)),
            )
            .order_by(sa.func.lower(Contact.name), Contact.id)
        )
    )


@dataclass
class AttendanceCounts:
    """Counts of live invitations: {category: {state: n}} with states as in COUNT_KEYS."""

    by_category: dict[Category, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    organisations_represented: int = 0


def attendance_counts(meeting_id: int) -> AttendanceCounts:
    """People per category and attendance state, and organisations present (1 query)."""
    return attendance_counts_for([meeting_id])[meeting_id]


def attendance_counts_for(meeting_ids: Iterable[int]) -> dict[int, AttendanceCounts]:
    """`attendance_counts` of many meetings in ONE query: {meeting id: counts}, with
    empty counts for a meeting without live invitations.

    Organisations present are counted per category and summed: a person counts under the
    category of the organisation they represented, so each organisation falls in exactly
    one category and the sum counts it once."""
    meeting_ids = list(dict.fromkeys(meeting_ids))
    result = {meeting_id: AttendanceCounts() for meeting_id in meeting_ids}
    if not meeting_ids:
        return result
    own, rep = _effective_organisation()
    category = sa.func.coalesce(rep.category, own.category)
    organisation = sa.func.coalesce(rep.id, own.id)
    online = sa.case((Invitation.present_mode == AttendanceMode.ONLINE, 1), else_=0)
    rows = db.session.execute(
        sa.select(
            Invitation.meeting_id,
            category,
            Invitation.attendance,
            sa.func.count(Invitation.id),
            sa.func.count(sa.distinct(organisation)),
            sa.func.sum(online),
        )
        .join(Invitation.contact)
        .join(own, Contact.organisation)
        .outerjoin(rep, Invitation.represents_organisation)
        .where(Invitation.meeting_id.in_(meeting_ids), Invitation.withdrawn_at.is_(None))
        .group_by(Invitation.meeting_id, category, Invitation.attendance)
    )
    found: dict[int, dict[Category, dict[str, int]]] = {m: {} for m in meeting_ids}
    for meeting_id, row_category, state, number, organisations, online_number in rows:
        counts = result[meeting_id]
        key = state.value if state else UNMARKED
        per_state = found[meeting_id].setdefault(row_category, dict.fromkeys(COUNT_KEYS, 0))
        for bucket in (per_state, counts.totals):
            bucket[key] += number
            bucket[TOTAL] += number
            if state is Attendance.PRESENT:
                bucket[PRESENT_ONLINE] += int(online_number or 0)
        if state is Attendance.PRESENT:
            counts.organisations_represented += organisations
    for meeting_id, counts in result.items():
        by_category = found[meeting_id]
        counts.by_category = {c: by_category[c] for c in Category if c in by_category}
    return result


def _parse_attendance(value: str) -> Attendance | None:
    if value == "":
        return None
    if value == PRESENT_ONLINE:
        return Attendance.PRESENT
    return Attendance(value)  # ValueError for anything else


def _organisations_named(names: set[str]) -> tuple[dict[str, Organisation], set[str]]:
    """Organisations by lower-cased name or acronym, and acronyms that are ambiguous."""
    if not names:
        return {}, set()
    found = db.session.scalars(
        sa.select(Organisation).where(
            sa.func.lower(Organisation.name).in_(names)
            | sa.func.lower(Organisation.acronym).in_(names)
        )
    ).all()
    by_key: dict[str, Organisation] = {}
    ambiguous: set[str] = set()
    for organisation in found:
        if organisation.acronym:
            key = organisation.acronym.lower()
            if key in by_key and by_key[key].id != organisation.id:
                ambiguous.add(key)
            by_key.setdefault(key, organisation)
    for organisation in found:  # a full name wins over someone's acronym
        by_key[organisation.name.lower()] = organisation
        ambiguous.discard(organisation.name.lower())
    return by_key, ambiguous


def _row_fields(form: Mapping[str, str]) -> dict[int, dict[str, str]]:
    """{invitation id: {"attendance": ..., "represents": ..., "was-...": ...}} from the form."""
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        for name in ("attendance", "represents", "was-attendance", "was-represents"):
            prefix = name + "-"
            if key.startswith(prefix) and key[len(prefix) :].isdigit():
                rows.setdefault(int(key[len(prefix) :]), {})[name] = form[key].strip()
    return rows


def _snapshot(invitation: Invitation) -> dict[str, Any]:
    represented = invitation.represents_organisation
    return {
        "attendance": invitation.attendance.value if invitation.attendance else None,
        "present_mode": invitation.present_mode.value if invitation.present_mode else None,
        "represents": represented.name if represented else None,
    }


def _lock_rows(invitation_ids: list[int]) -> None:
    """Lock the sheet's rows until commit (in id order, so two sheets never wait for each
    other in a circle) and read them afresh: two people marking one person at once have
    their marks applied one after the other, each whole (a mark with its mode)."""
    lock_for_writing(db.session)
    db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.id.in_(invitation_ids))
        .order_by(Invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def save_sheet(meeting: Meeting, form: Mapping[str, str], *, by: User | None) -> list[Invitation]:
    """Apply the sheet's rows (all of them, or the one a click sent); returns those changed.

    Each row may carry `attendance-<id>` ("present", "absent", "excused" or "" for not
    recorded) and `represents-<id>` (an organisation's name or acronym; empty or the
    person's own organisation means their own). A row is applied only where its value
    differs from the `was-...-<id>` value the page was drawn with, so a sheet submitted
    late does not undo what a colleague marked meanwhile on other rows. Any wrong row
    raises SheetError and nothing is saved.
    """
    check_open(meeting)
    rows = _row_fields(form)
    if not rows:
        return []
    _lock_rows(list(rows))
    invitations = {
        invitation.id: invitation
        for invitation in sheet_invitations(meeting.id)
        if invitation.id in rows
    }
    names = {fields["represents"].lower() for fields in rows.values() if fields.get("represents")}
    organisations, ambiguous = _organisations_named(names)
    errors: dict[int, str] = {}
    planned: list[tuple[Invitation, dict[str, Any]]] = []
    for invitation_id, fields in rows.items():
        invitation = invitations.get(invitation_id)
        if invitation is None:
            errors[invitation_id] = str(
                _l("This person is no longer on the invitation list: reload the page.")
            )
            continue
        wanted: dict[str, Any] = {}
        if "attendance" in fields and fields["attendance"] != fields.get("was-attendance"):
            try:
                wanted["attendance"] = _parse_attendance(fields["attendance"])
                wanted["present_mode"] = (
                    _present_mode(meeting, fields["attendance"])
                    if wanted["attendance"] is Attendance.PRESENT
                    else None
                )
            except ValueError:
                errors[invitation_id] = str(_l("Choose present, absent or excused."))
                continue
        if "represents" in fields and fields["represents"] != fields.get("was-represents"):
            typed = fields["represents"]
            own = invitation.contact.organisation
            if not typed:
                wanted["represents"] = None
            elif typed.lower() in ambiguous:
                errors[invitation_id] = str(
                    _l("Several organisations use “%(name)s”: type the full name.", name=typed)
                )
                continue
            elif typed.lower() not in organisations:
                errors[invitation_id] = str(
                    _l(
                        "“%(name)s” is not in the directory: choose an organisation from the list.",
                        name=typed,
                    )
                )
                continue
            else:
                chosen = organisations[typed.lower()]
                wanted["represents"] = None if chosen.id == own.id else chosen
        if wanted:
            planned.append((invitation, wanted))
    if errors:
        raise SheetError(errors)
    changed = []
    for invitation, wanted in planned:
        before = _snapshot(invitation)
        if "attendance" in wanted:
            invitation.attendance = wanted["attendance"]
            invitation.present_mode = wanted["present_mode"]
        if "represents" in wanted:
            invitation.represents_organisation = wanted["represents"]
            invitation.represents_organisation_id = (
                wanted["represents"].id if wanted["represents"] else None
            )
        changes = audit.diff(before, _snapshot(invitation))
        if changes:
            audit.record(
                "attendance.update",
                invitation,
                meeting_id=meeting.id,
                changes=changes,
                note=invitation.contact.name,
                user_id=by.id if by else None,
            )
            changed.append(invitation)
    return changed


# --- walk-ins ----------------------------------------------------------------------------


@dataclass
class WalkIn:
    """What the walk-in form collects. organisation_id 0 means "a new one, named here"."""

    name: str
    email: str
    position: str = ""
    organisation_id: int = 0
    new_organisation_name: str = ""
    new_organisation_category: str = ""


@dataclass
class WalkInResult:
    invitation: Invitation
    contact: Contact
    new_contact: bool
    new_invitation: bool


def _walk_in_organisation(walk_in: WalkIn) -> tuple[Organisation | None, dict[str, Any] | None]:
    """The chosen organisation, or the values of a new one to create; checks only."""
    if walk_in.organisation_id:
        organisation = db.session.get(Organisation, walk_in.organisation_id)
        if organisation is None:
            raise WalkInError("organisation_id", _l("This organisation does not exist."))
        return organisation, None
    name = walk_in.new_organisation_name.strip()
    if not name:
        return None, None
    existing = db.session.scalar(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.lower())
    )
    if existing is not None:  # typed the name of one that is in the directory already
        return existing, None
    try:
        category = Category(walk_in.new_organisation_category)
    except ValueError:
        raise WalkInError(
            "new_organisation_category", _l("Choose the category of the new organisation.")
        ) from None
    return None, {"name": name, "category": category}


def add_walk_in(meeting: Meeting, walk_in: WalkIn, *, by: User | None) -> WalkInResult:
    """Someone at the door: mark them present, creating what is missing. No email is sent.

    A contact with that email (any case) is reused, with their directory entry left as
    it is; if they came for another organisation than theirs, that becomes the
    organisation they represent. Already invited: that invitation is marked present
    (and restored if it had been withdrawn). Otherwise a new invitation is created,
    accepted, present and flagged as a walk-in.
    """
    check_open(meeting)
    email = Contact.normalise_email(walk_in.email)
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == email))
    organisation, new_organisation = _walk_in_organisation(walk_in)
    if contact is None and organisation is None and new_organisation is None:
        raise WalkInError(
            "organisation_id", _l("Choose the organisation, or type the name of a new one.")
        )
    if new_organisation is not None:
        organisation = directory_service.create_organisation(**new_organisation)
    new_contact = contact is None
    if contact is None:
        contact = directory_service.create_contact(
            name=walk_in.name.strip(),
            email=email,
            position=walk_in.position.strip() or None,
            organisation_id=organisation.id,
            language=meeting.language,
        )
    represents = (
        organisation
        if not new_contact
        and organisation is not None
        and organisation.id != contact.organisation_id
        else None
    )
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.contact_id == contact.id
        )
    )
    new_invitation = invitation is None
    if invitation is None:
        now = utcnow()
        invitation = Invitation(
            meeting_id=meeting.id,
            contact_id=contact.id,
            walk_in=True,
            status=InvitationStatus.ACCEPTED,
            attendance=Attendance.PRESENT,
            present_mode=_present_mode(meeting, Attendance.PRESENT.value),
            invited_at=now,
            invited_by_id=by.id if by else None,
            responded_at=now,
            response_recorded_by_id=by.id if by else None,
            represents_organisation_id=represents.id if represents else None,
        )
        db.session.add(invitation)
        db.session.flush()
        changes: dict[str, Any] = {
            "attendance": [None, Attendance.PRESENT.value],
            "walk_in": [False, True],
        }
        if represents:
            changes["represents"] = [None, represents.name]
    else:
        before = _snapshot(invitation)
        before["withdrawn"] = invitation.is_withdrawn
        invitation.withdrawn_at = None
        invitation.attendance = Attendance.PRESENT
        invitation.present_mode = _present_mode(meeting, Attendance.PRESENT.value)
        if represents:
            invitation.represents_organisation = represents
            invitation.represents_organisation_id = represents.id
        after = _snapshot(invitation)
        after["withdrawn"] = False
        changes = audit.diff(before, after)
    audit.record(
        "attendance.walk_in",
        invitation,
        meeting_id=meeting.id,
        changes=changes,
        note=contact.name,
        user_id=by.id if by else None,
    )
    return WalkInResult(
        invitation=invitation,
        contact=contact,
        new_contact=new_contact,
        new_invitation=new_invitation,
    )


# --- the summary for the minutes and the PDF ----------------------------------------------


def _organisation_dict(name: str | None, acronym: str | None, category: Category | None):
    if name is None:
        return None
    return {"name": name, "acronym": acronym, "category": category}


def attendance_summary(meeting: Meeting) -> dict[str, Any]:
    """Who was present, by category, and who sent apologies — in one query.

    Returns::

        {
          "present": [                      # one group per category with someone present,
            {                               # in Category enum order
              "category": Category,
              "label": str,                 # the category's translated name
              "people": [person, ...],      # by organisation name, then person name
            },
          ],
          "present_count": int,             # people present
          "present_online_count": int,      # of whom online (each group has its own too)
          "hybrid": bool,                   # the meeting had people in person and online
          "organisations_count": int,       # distinct organisations they represented
          "apologies": [person, ...],       # by organisation name, then person name;
                                            # each person also has "reason": "declined" or
                                            # "excused" and "reason_label": str
          "absent": [person, ...],          # marked absent (without apologies), same order
        }

    where a person is::

        {
          "invitation_id": int, "contact_id": int,
          "name": str, "position": str | None, "walk_in": bool, "online": bool,
          "organisation": {"name": str, "acronym": str | None, "category": Category},
          "represents": same shape, or None when they spoke for their own organisation,
        }

    A present person is grouped (and sorted) under the organisation they represented,
    their own otherwise. Apologies are live invitations marked excused, or declined and
    not marked present; the absent are the others marked absent (minutes list all three).
    Withdrawn invitations are left out. Plain values only: safe to
    use after the session is gone (e.g. in the PDF worker).
    """
    own, rep = _effective_organisation()
    rows = db.session.execute(
        sa.select(
            Invitation.id,
            Invitation.status,
            Invitation.attendance,
            Invitation.walk_in,
            Contact.id,
            Contact.name,
            Contact.position,
            own.name,
            own.acronym,
            own.category,
            rep.name,
            rep.acronym,
            rep.category,
            Invitation.present_mode,
        )
        .join(Invitation.contact)
        .join(own, Contact.organisation)
        .outerjoin(rep, Invitation.represents_organisation)
        .where(
            Invitation.meeting_id == meeting.id,
            Invitation.withdrawn_at.is_(None),
            Invitation.attendance.is_not(None) | (Invitation.status == InvitationStatus.DECLINED),
        )
    ).all()
    category_order = {category: n for n, category in enumerate(Category)}
    present: list[dict[str, Any]] = []
    apologies: list[dict[str, Any]] = []
    absent: list[dict[str, Any]] = []
    for row in rows:
        person = {
            "invitation_id": row[0],
            "contact_id": row[4],
            "name": row[5],
            "position": row[6],
            "walk_in": bool(row[3]),
            "organisation": _organisation_dict(row[7], row[8], row[9]),
            "represents": _organisation_dict(row[10], row[11], row[12]),
            "online": row[13] is AttendanceMode.ONLINE,
        }
        status, attendance = row[1], row[2]
        if attendance is Attendance.PRESENT:
            present.append(person)
        elif attendance is Attendance.EXCUSED:
            apologies.append({**person, "reason": "excused", "reason_label": str(_l("Excused"))})
        elif status is InvitationStatus.DECLINED:
            apologies.append(
                {
                    **person,
                    "reason": "declined",
                    "reason_label": str(lazy_pgettext("apologies", "Declined")),
                }
            )
        elif attendance is Attendance.ABSENT:
            absent.append(person)

    def spoke_for(person: dict[str, Any]) -> dict[str, Any]:
        return person["represents"] or person["organisation"]

    present.sort(
        key=lambda p: (
            category_order[spoke_for(p)["category"]],
            spoke_for(p)["name"].casefold(),
            p["name"].casefold(),
            p["invitation_id"],
        )
    )
    groups: list[dict[str, Any]] = []
    for person in present:
        category = spoke_for(person)["category"]
        if not groups or groups[-1]["category"] is not category:
            groups.append(
                {"category": category, "label": category.label, "people": [], "online_count": 0}
            )
        groups[-1]["people"].append(person)
        groups[-1]["online_count"] += person["online"]

    def by_organisation(person: dict[str, Any]) -> tuple:
        return (
            person["organisation"]["name"].casefold(),
            person["name"].casefold(),
            person["invitation_id"],
        )

    return {
        "present": groups,
        "present_count": len(present),
        "present_online_count": sum(person["online"] for person in present),
        "hybrid": meeting.is_hybrid,
        "organisations_count": len({spoke_for(p)["name"] for p in present}),
        "apologies": sorted(apologies, key=by_organisation),
        "absent": sorted(absent, key=by_organisation),
    }


def mark_held(meeting: Meeting, *, by: User | None) -> None:
    """The secretariat says the meeting took place (from the attendance sheet): the
    minutes can then be submitted. Raises AttendanceError if its status does not allow."""
    current = meeting.status
    try:
        changes = meeting.move_to(MeetingStatus.HELD)
    except ValueError:
        raise AttendanceError(
            _l(
                "A meeting that is %(current)s cannot be marked as held.",
                current=current.label.lower(),
            )
        ) from None
    audit.record("meetings.status_change", meeting, meeting_id=meeting.id, changes=changes, by=by)
