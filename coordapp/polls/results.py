"""What a scheduling poll's answers add up to, for the secretariat (and the chairs): the
grid of people × slots, counts per slot and per category, the slots where a chair or a key
organisation said no, a suggested best slot with its reason, and the grid as CSV.

    poll_results(poll) -> Results        # 5 queries, whatever the number of people
    results_csv(results) -> str

The suggestion orders the slots by, in turn:
    1. every chair available (yes or if need be),
    2. the most key organisations available (one of its people said yes or if need be),
    3. the most "yes",
    4. the fewest "no",
and, all else equal, the earliest slot.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext

from coordapp.extensions import db
from coordapp.inputs import csv_safe
from coordapp.models import (
    Category,
    Organisation,
    Poll,
    PollAnswer,
    PollChoice,
    PollKeyOrganisation,
    PollRespondent,
    PollSlot,
)
from coordapp.models.poll import people_asked
from coordapp.timefmt import time_range

AVAILABLE = (PollChoice.YES, PollChoice.IF_NEED_BE)

# The row of the counts by category that the chairs (users, not contacts) count under.
CHAIRS_GROUP = "chairs"
CHAIRS_LABEL = _l("Chairs")


@dataclass
class Counts:
    yes: int = 0
    if_need_be: int = 0
    no: int = 0
    no_answer: int = 0

    def add(self, choice: PollChoice | None) -> None:
        if choice is PollChoice.YES:
            self.yes += 1
        elif choice is PollChoice.IF_NEED_BE:
            self.if_need_be += 1
        elif choice is PollChoice.NO:
            self.no += 1
        else:
            self.no_answer += 1


@dataclass
class Person:
    """One row of the grid."""

    respondent_id: int
    name: str
    organisation: str | None  # display name; None for a chair (a user)
    organisation_id: int | None
    category: Category | None
    is_chair: bool
    is_key: bool  # their organisation is key for this meeting
    comment: str | None
    answered_at: datetime | None
    answers: dict[int, PollChoice] = field(default_factory=dict)  # slot id -> choice

    @property
    def group(self) -> str:
        return CHAIRS_GROUP if self.is_chair else self.category.value


@dataclass
class SlotResult:
    slot: PollSlot
    counts: Counts
    chairs_total: int
    chairs_available: int
    chairs_unanswered: int  # chairs with no answer for this slot yet
    key_total: int
    key_available: int
    chairs_said_no: list[str]  # names
    key_said_no: list[str]  # "name (organisation)"

    @property
    def every_chair_available(self) -> bool:
        return self.chairs_available == self.chairs_total

    @property
    def rank(self) -> tuple:
        """Bigger is better (the earliest slot wins a full tie: see suggest)."""
        return (
            self.every_chair_available,
            self.key_available,
            self.counts.yes,
            -self.counts.no,
        )


# The criteria in the order they decide, as `rank` lists them.
CRITERIA = (
    _l("every chair can come"),
    _l("more key organisations can come"),
    _l("more people said yes"),
    _l("fewer people said no"),
)


@dataclass
class Suggestion:
    slot: PollSlot
    result: SlotResult
    runner_up: SlotResult | None
    decided_by: int | None  # index in CRITERIA; None: tied on all (the earliest wins)


@dataclass
class Group:
    """A row of the counts by category."""

    key: str
    label: str
    people: int
    counts: dict[int, Counts]  # slot id -> counts


@dataclass
class Results:
    poll: Poll
    slots: list[PollSlot]
    people: list[Person]
    per_slot: dict[int, SlotResult]
    groups: list[Group]
    suggestion: Suggestion | None
    answered: int

    @property
    def timezone(self) -> str:
        return self.poll.meeting.timezone


def _people(poll: Poll, key_ids: set[int]) -> list[Person]:
    respondents = db.session.scalars(people_asked(poll.id))
    people = []
    for r in respondents:
        # A chair is asked through their account: its directory entry names the organisation.
        contact = r.contact or (r.user.contact if r.user else None)
        organisation: Organisation | None = contact.organisation if contact else None
        people.append(
            Person(
                respondent_id=r.id,
                name=r.name,
                organisation=organisation.display_name if organisation else None,
                organisation_id=organisation.id if organisation else None,
                category=organisation.category if organisation else None,
                is_chair=r.is_chair,
                is_key=organisation is not None and organisation.id in key_ids,
                comment=r.comment,
                answered_at=r.answered_at,
            )
        )
    # Chairs first, then by organisation and name.
    people.sort(key=lambda p: (not p.is_chair, (p.organisation or "").lower(), p.name.lower()))
    return people


def poll_results(poll: Poll) -> Results:
    """Everything the results page shows, in a fixed number of queries."""
    slots = list(
        db.session.scalars(
            sa.select(PollSlot)
            .where(PollSlot.poll_id == poll.id)
            .order_by(PollSlot.starts_at, PollSlot.ends_at, PollSlot.id)
        )
    )
    key_ids = set(
        db.session.scalars(
            sa.select(PollKeyOrganisation.organisation_id).where(
                PollKeyOrganisation.poll_id == poll.id
            )
        )
    )
    people = _people(poll, key_ids)
    by_id = {p.respondent_id: p for p in people}
    rows = db.session.execute(
        sa.select(PollAnswer.respondent_id, PollAnswer.slot_id, PollAnswer.choice)
        .join(PollRespondent, PollRespondent.id == PollAnswer.respondent_id)
        .where(PollRespondent.poll_id == poll.id)
    )
    for respondent_id, slot_id, choice in rows:
        if respondent_id in by_id:
            by_id[respondent_id].answers[slot_id] = choice

    chairs = [p for p in people if p.is_chair]
    key_people = [p for p in people if p.is_key and not p.is_chair]
    key_orgs = {p.organisation_id for p in key_people}
    per_slot: dict[int, SlotResult] = {}
    for slot in slots:
        counts = Counts()
        for person in people:
            counts.add(person.answers.get(slot.id))
        per_slot[slot.id] = SlotResult(
            slot=slot,
            counts=counts,
            chairs_total=len(chairs),
            chairs_available=sum(1 for p in chairs if p.answers.get(slot.id) in AVAILABLE),
            chairs_unanswered=sum(1 for p in chairs if p.answers.get(slot.id) is None),
            key_total=len(key_orgs),
            key_available=len(
                {p.organisation_id for p in key_people if p.answers.get(slot.id) in AVAILABLE}
            ),
            chairs_said_no=[p.name for p in chairs if p.answers.get(slot.id) is PollChoice.NO],
            key_said_no=[
                f"{p.name} ({p.organisation})"
                for p in key_people
                if p.answers.get(slot.id) is PollChoice.NO
            ],
        )

    groups: dict[str, Group] = {}
    order = [CHAIRS_GROUP] + [c.value for c in Category]
    for person in people:
        group = groups.get(person.group)
        if group is None:
            label = CHAIRS_LABEL if person.is_chair else person.category.label
            group = groups[person.group] = Group(
                key=person.group,
                label=str(label),
                people=0,
                counts={slot.id: Counts() for slot in slots},
            )
        group.people += 1
        for slot in slots:
            group.counts[slot.id].add(person.answers.get(slot.id))

    answered = sum(1 for p in people if p.answered_at is not None)
    return Results(
        poll=poll,
        slots=slots,
        people=people,
        per_slot=per_slot,
        groups=sorted(groups.values(), key=lambda g: order.index(g.key)),
        suggestion=suggest(list(per_slot.values())) if answered else None,
        answered=answered,
    )


def suggest(results: list[SlotResult]) -> Suggestion | None:
    """The best slot by the criteria (see the module's docstring), or None without slots."""
    if not results:
        return None
    ordered = sorted(results, key=lambda r: (tuple(-int(v) for v in r.rank), r.slot.starts_at))
    best = ordered[0]
    runner_up = ordered[1] if len(ordered) > 1 else None
    decided_by = None
    if runner_up is not None:
        for index, (a, b) in enumerate(zip(best.rank, runner_up.rank, strict=True)):
            if a != b:
                decided_by = index
                break
    return Suggestion(slot=best.slot, result=best, runner_up=runner_up, decided_by=decided_by)


def slot_label(slot: PollSlot, tz_name: str, *, zone: bool = True) -> str:
    """e.g. "Thu 4 Mar 2027, 10:00–12:00 (Europe/Minsk)", in the language being spoken."""
    return time_range(slot.starts_at, slot.ends_at, tz_name, zone=zone)


def reason_lines(suggestion: Suggestion, tz_name: str) -> list[str]:
    """Why this slot is suggested, in words (the page and the tests use them)."""
    r = suggestion.result
    lines = []
    if r.chairs_total == 0:
        lines.append(_("No chair was asked."))
    elif r.every_chair_available and r.chairs_total == 1:
        lines.append(_("The chair can come (yes or if need be)."))
    elif r.every_chair_available:
        lines.append(
            ngettext(
                "All %(num)s chair can come (yes or if need be).",
                "All %(num)s chairs can come (yes or if need be).",
                r.chairs_total,
            )
        )
    elif r.chairs_available + r.chairs_unanswered == r.chairs_total:
        # Nobody said no: some have not answered yet.
        lines.append(
            ngettext(
                "%(num)s of %(total)s chairs has answered.",
                "%(num)s of %(total)s chairs have answered.",
                r.chairs_total - r.chairs_unanswered,
                total=r.chairs_total,
            )
        )
    else:
        lines.append(
            _(
                "Only %(available)s of %(total)s chairs can come: no slot suits every chair.",
                available=r.chairs_available,
                total=r.chairs_total,
            )
        )
    if r.key_total:
        lines.append(
            _(
                "%(available)s of %(total)s key organisations can come.",
                available=r.key_available,
                total=r.key_total,
            )
        )
    lines.append(
        _(
            "%(yes)s yes, %(maybe)s if need be, %(no)s no, %(none)s no answer.",
            yes=r.counts.yes,
            maybe=r.counts.if_need_be,
            no=r.counts.no,
            none=r.counts.no_answer,
        )
    )
    if suggestion.runner_up is not None:
        other = slot_label(suggestion.runner_up.slot, tz_name, zone=False)
        if suggestion.decided_by is None:
            lines.append(
                _(
                    "It ties with %(other)s on every count: the earlier slot is suggested.",
                    other=other,
                )
            )
        else:
            lines.append(
                _(
                    "Ahead of the next best, %(other)s, because %(criterion)s.",
                    other=other,
                    criterion=CRITERIA[suggestion.decided_by],
                )
            )
    return lines


# --- CSV -----------------------------------------------------------------------------------

# As the invitations' CSV (invitations/service.py): a cell starting with one of these


def choice_text(choice: PollChoice | None) -> str:
    return choice.label if choice is not None else ""


def role_text(person: Person) -> str:
    roles = []
    if person.is_chair:
        roles.append(_("Chair"))
    if person.is_key:
        roles.append(_("Key organisation"))
    return ", ".join(roles)


def results_csv(results: Results) -> str:
    """The grid: one row per person, one column per slot (in the meeting's timezone), then
    the counts per slot. Cells that a spreadsheet would run as a formula are defused."""
    tz = results.timezone
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    header = [
        str(lazy_pgettext("person", "Name")),
        _("Organisation"),
        _("Category"),
        _("Role"),
        *(slot_label(slot, tz) for slot in results.slots),
        _("Comment"),
    ]
    writer.writerow([csv_safe(value) for value in header])
    for person in results.people:
        category = str(CHAIRS_LABEL) if person.is_chair else person.category.label
        row = [
            person.name,
            person.organisation or "",
            category,
            role_text(person),
            *(choice_text(person.answers.get(slot.id)) for slot in results.slots),
            person.comment or "",
        ]
        writer.writerow([csv_safe(value) for value in row])
    for label, attribute in (
        (_("Yes"), "yes"),
        (_("If need be"), "if_need_be"),
        (_("No"), "no"),
        (_("No answer"), "no_answer"),
    ):
        counts = [
            str(getattr(results.per_slot[slot.id].counts, attribute)) for slot in results.slots
        ]
        writer.writerow([csv_safe(label), "", "", "", *counts, ""])
    return out.getvalue()
