"""The periodic report of a series: for a period (both days included), the meetings held,
who took part by category, and what became of the commitments made at them.

Everything is read in a fixed number of queries, however many meetings and commitments
the period holds: the meetings (1), their attendance (1, `attendance_counts_for`), the
commitments (1), their organisations (1) and one per framework of tags (SDGs…).

Commitment states are as they stand on the report's day (`as_of`): a commitment made in
the period and done since counts as done; "overdue" means open or in progress with its
due date before that day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from coordapp import audit
from coordapp.attendance.service import AttendanceCounts, attendance_counts_for
from coordapp.commitments import dates
from coordapp.commitments.dates import ACTIVE_STATUSES
from coordapp.errors import DomainError
from coordapp.extensions import db
from coordapp.gcm import gcm_label, sdg_label
from coordapp.inputs import MAX_YEAR, MIN_YEAR, csv_safe
from coordapp.models import (
    Category,
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
    Meeting,
    MeetingChair,
    MeetingStatus,
    Organisation,
    Series,
    SeriesChair,
)
from coordapp.models.commitment import commitment_organisations
from coordapp.models.document import DocumentStatus
from coordapp.models.report import ReportDocument
from coordapp.timefmt import due_date_label, local_day

# Meetings that took place; draft, scheduled and cancelled ones are not reported.
HELD_STATUSES = (MeetingStatus.HELD, MeetingStatus.CLOSED)
LAST_12_MONTHS = "last-12-months"


class ReportError(DomainError):
    """What was asked of the report cannot be done; str() says why."""

    status = 400


# --- who may read it --------------------------------------------------------------------


def can_read_report(user, series: Series) -> bool:
    """The secretariat, and the chairs of the series or of one of its meetings (1 query)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_secretariat:
        return True
    chairs_series = sa.select(SeriesChair.id).where(
        SeriesChair.series_id == series.id, SeriesChair.user_id == user.id
    )
    chairs_a_meeting = (
        sa.select(MeetingChair.id)
        .join(Meeting, Meeting.id == MeetingChair.meeting_id)
        .where(Meeting.series_id == series.id, MeetingChair.user_id == user.id)
    )
    return bool(
        db.session.scalar(sa.select(sa.exists(chairs_series) | sa.exists(chairs_a_meeting)))
    )


def can_request_pdf(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_secretariat)


def readable_series(user) -> list[Series]:
    """The series whose report `user` may read, by name (1 query)."""
    query = sa.select(Series).order_by(Series.name)
    if not user.is_secretariat:
        query = query.where(
            Series.id.in_(sa.select(SeriesChair.series_id).where(SeriesChair.user_id == user.id))
            | Series.id.in_(
                sa.select(Meeting.series_id)
                .join(MeetingChair, MeetingChair.meeting_id == Meeting.id)
                .where(MeetingChair.user_id == user.id)
            )
        )
    return list(db.session.scalars(query))


# --- the period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def args(self) -> dict[str, str]:
        """The period as URL arguments (the page, the CSV, the PDF form)."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @property
    def label(self) -> str:
        return _(
            "%(start)s to %(end)s",
            start=local_day(self.start),
            end=local_day(self.end),
        )


def last_12_months(today: date) -> Period:
    """The twelve months up to and including `today`."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return Period(start + timedelta(days=1), today)


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def _year(text: str) -> int:
    try:
        year = int(text.strip())
    except ValueError:
        raise ReportError(_l("The year must be a number, such as 2027.")) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ReportError(
            _l("Choose a year between %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR)
        )
    return year


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(
            _l("Write the dates of the period as YYYY-MM-DD, such as 2027-01-31.")
        ) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ReportError(
            _l("Choose dates between the years %(min)s and %(max)s.", min=MIN_YEAR, max=MAX_YEAR)
        )
    return day


def parse_period(args: Mapping[str, str], today: date) -> Period:
    """The period the arguments ask for: `from` and `to` (ISO dates, both days included),
    or `year` (a calendar year), or `period=last-12-months`; the last 12 months when none
    is given. ReportError (400) with a message for anything else."""
    start_text, end_text = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if start_text or end_text:
        if not (start_text and end_text):
            raise ReportError(_l("Give both the first and the last day of the period."))
        start, end = _day(start_text), _day(end_text)
        if start > end:
            raise ReportError(_l("The period must start on or before the day it ends."))
        return Period(start, end)
    if args.get("year"):
        return calendar_year(_year(args["year"]))
    preset = args.get("period")
    if preset and preset != LAST_12_MONTHS:
        raise ReportError(_l("Unknown period: choose a year or the last 12 months."))
    return last_12_months(today)


def year_choices(today: date) -> list[int]:
    """The calendar years offered as presets: this one and the four before."""
    return [today.year - n for n in range(5)]


# --- the figures --------------------------------------------------------------------------


@dataclass
class Tally:
    """What became of some commitments."""

    made: int = 0
    active: int = 0  # open or in progress
    done: int = 0
    dropped: int = 0
    overdue: int = 0  # among the active ones

    def add(self, status: CommitmentStatus, overdue: bool) -> None:
        self.made += 1
        if status is CommitmentStatus.DONE:
            self.done += 1
        elif status is CommitmentStatus.DROPPED:
            self.dropped += 1
        else:
            self.active += 1
            self.overdue += int(overdue)


@dataclass
class TagRow:
    key: int
    label: str
    tally: Tally


@dataclass(frozen=True)
class Framework:
    """A set of tags commitments carry (SDGs, GCM objectives…): where they are stored
    (a table of (commitment id, tag) rows) and how a tag is named."""

    key: str
    title: object  # lazy string: "Commitments by SDG"
    column: object  # lazy string: the table's first header, "Goal"
    commitment_id: sa.ColumnElement
    tag: sa.ColumnElement
    label: Callable[[int], str]
    used_by: Callable[[Series], bool] = lambda series: True


# The frameworks a report breaks commitments down by, in this order: SDGs always, the
# Global Compact for Migration's objectives where the series follows it.
FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "sdg",
        _l("Commitments by SDG"),
        _l("Goal"),
        CommitmentSDG.commitment_id,
        CommitmentSDG.goal,
        sdg_label,
    ),
    Framework(
        "gcm",
        _l("Commitments by GCM objective"),
        _l("Objective"),
        CommitmentGCM.commitment_id,
        CommitmentGCM.objective,
        gcm_label,
        used_by=lambda series: series.uses_gcm,
    ),
)


@dataclass
class Breakdown:
    framework: Framework
    rows: list[TagRow]

    @property
    def key(self) -> str:
        return self.framework.key

    @property
    def title(self) -> str:
        return str(self.framework.title)

    @property
    def column(self) -> str:
        return str(self.framework.column)


@dataclass
class MeetingRow:
    id: int
    number: int | None
    title: str
    starts_at: datetime
    timezone: str
    status: MeetingStatus
    counts: AttendanceCounts

    def present(self, category: Category) -> int:
        return self.counts.by_category.get(category, {}).get("present", 0)

    @property
    def present_total(self) -> int:
        return self.counts.totals.get("present", 0)

    def online(self, category: Category) -> int:
        return self.counts.by_category.get(category, {}).get("present_online", 0)

    @property
    def online_total(self) -> int:
        """Of the people present, those who took part online."""
        return self.counts.totals.get("present_online", 0)

    @property
    def local_day(self) -> date:
        return self.starts_at.astimezone(ZoneInfo(self.timezone)).date()


@dataclass
class CommitmentRow:
    id: int
    description: str
    status: CommitmentStatus
    due_date: date | None
    due_quarter: int | None
    overdue: bool
    meeting: MeetingRow
    organisations: list[str] = field(default_factory=list)

    @property
    def due_label(self) -> str:
        return due_date_label(self.due_date, self.due_quarter)


@dataclass
class Report:
    series: Series
    period: Period
    as_of: date
    meetings: list[MeetingRow]
    categories: list[Category]  # the categories someone was present for, in enum order
    totals: Tally
    by_organisation: list[TagRow]
    breakdowns: list[Breakdown]
    follow_up: list[CommitmentRow]  # open or in progress: overdue first, then by due date

    @property
    def present_by_category(self) -> dict[Category, int]:
        return {c: sum(m.present(c) for m in self.meetings) for c in self.categories}

    @property
    def present_total(self) -> int:
        return sum(m.present_total for m in self.meetings)

    @property
    def online_total(self) -> int:
        return sum(m.online_total for m in self.meetings)

    @property
    def online_by_category(self) -> dict[Category, int]:
        """People present online per category, for the categories with any."""
        found = {c: sum(m.online(c) for m in self.meetings) for c in self.categories}
        return {c: n for c, n in found.items() if n}


def held_meetings(series: Series, period: Period) -> list[Meeting]:
    """Meetings of the series held in the period, by the day on their own clock (1 query).

    The query takes a day more on each side in UTC (no timezone is more than 14 hours
    from it); each meeting's local day then decides."""
    low = datetime.combine(period.start - timedelta(days=1), time.min).replace(tzinfo=UTC)
    high = datetime.combine(period.end + timedelta(days=2), time.min).replace(tzinfo=UTC)
    meetings = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.series_id == series.id,
            Meeting.status.in_(HELD_STATUSES),
            Meeting.starts_at >= low,
            Meeting.starts_at < high,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    return [
        m for m in meetings if period.start <= m.starts_at.astimezone(m.tz).date() <= period.end
    ]


def build_report(series: Series, period: Period, as_of: date) -> Report:
    """The whole report: 4 queries (meetings, attendance, commitments, organisations)
    and one per framework, however many meetings and commitments."""
    meetings = held_meetings(series, period)
    counts = attendance_counts_for([m.id for m in meetings])
    meeting_rows = {
        m.id: MeetingRow(m.id, m.number, m.title, m.starts_at, m.timezone, m.status, counts[m.id])
        for m in meetings
    }
    present_categories = {
        c for row in meeting_rows.values() for c in row.counts.by_category if row.present(c)
    }
    categories = [c for c in Category if c in present_categories]

    meeting_ids = list(meeting_rows)
    commitments: dict[int, CommitmentRow] = {}
    if meeting_ids:
        made_here = sa.select(Commitment.id).where(Commitment.meeting_id.in_(meeting_ids))
        rows = db.session.execute(
            sa.select(
                Commitment.id,
                Commitment.meeting_id,
                Commitment.description,
                Commitment.status,
                Commitment.due_date,
                Commitment.due_quarter,
            )
            .where(Commitment.meeting_id.in_(meeting_ids))
            .order_by(Commitment.id)
        )
        for cid, meeting_id, description, status, due, quarter in rows:
            commitments[cid] = CommitmentRow(
                cid,
                description,
                status,
                due,
                quarter,
                dates.overdue(due, status, as_of),
                meeting_rows[meeting_id],
            )
        organisations = db.session.execute(
            sa.select(
                commitment_organisations.c.commitment_id,
                Organisation.id,
                Organisation.name,
                Organisation.acronym,
            )
            .join(Organisation, Organisation.id == commitment_organisations.c.organisation_id)
            .where(commitment_organisations.c.commitment_id.in_(made_here))
            .order_by(Organisation.name, Organisation.id)
        ).all()
        tags = {
            framework.key: db.session.execute(
                sa.select(framework.commitment_id, framework.tag).where(
                    framework.commitment_id.in_(made_here)
                )
            ).all()
            for framework in _frameworks_of(series)
        }
    else:
        organisations, tags = [], {f.key: [] for f in _frameworks_of(series)}

    totals = Tally()
    for row in commitments.values():
        totals.add(row.status, row.overdue)

    by_organisation: dict[int, TagRow] = {}
    for cid, org_id, name, acronym in organisations:
        display = f"{name} ({acronym})" if acronym else name
        commitments[cid].organisations.append(display)
        tag_row = by_organisation.setdefault(org_id, TagRow(org_id, display, Tally()))
        tag_row.tally.add(commitments[cid].status, commitments[cid].overdue)

    breakdowns = []
    for framework in _frameworks_of(series):
        per_tag: dict[int, Tally] = {}
        for cid, tag in tags[framework.key]:
            per_tag.setdefault(tag, Tally()).add(commitments[cid].status, commitments[cid].overdue)
        breakdowns.append(
            Breakdown(
                framework,
                [TagRow(tag, framework.label(tag), per_tag[tag]) for tag in sorted(per_tag)],
            )
        )

    follow_up = sorted(
        (row for row in commitments.values() if row.status in ACTIVE_STATUSES),
        key=lambda row: (not row.overdue, row.due_date is None, row.due_date or as_of, row.id),
    )
    return Report(
        series=series,
        period=period,
        as_of=as_of,
        meetings=list(meeting_rows.values()),
        categories=categories,
        totals=totals,
        by_organisation=sorted(
            by_organisation.values(), key=lambda r: (-r.tally.made, r.label.casefold())
        ),
        breakdowns=breakdowns,
        follow_up=follow_up,
    )


def _frameworks_of(series: Series) -> list[Framework]:
    return [framework for framework in FRAMEWORKS if framework.used_by(series)]


# --- CSV ----------------------------------------------------------------------------------


def _tally_headers() -> list[str]:
    return [_("Made"), _("Open or in progress"), _("Done"), _("Dropped"), _("Overdue")]


def _tally_cells(tally: Tally) -> list[int]:
    return [tally.made, tally.active, tally.done, tally.dropped, tally.overdue]


def export_csv(report: Report) -> str:
    """The report as CSV (UTF-8 with BOM, for spreadsheets): one section after another,
    each with a title row and its own header row, in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def section(title: str, headers: list[str], rows: Iterable[list]) -> None:
        writer.writerow([csv_safe(title)])
        writer.writerow([csv_safe(h) for h in headers])
        for row in rows:
            writer.writerow([csv_safe(cell) for cell in row])
        writer.writerow([])

    writer.writerow([csv_safe(report.series.name), csv_safe(report.period.label)])
    writer.writerow(
        [
            _("Period"),
            report.period.start.isoformat(),
            report.period.end.isoformat(),
            _("Status as of"),
            report.as_of.isoformat(),
        ]
    )
    writer.writerow([])
    section(
        _("Meetings held and people present by category"),
        [_("No."), _("Meeting"), _("Date")]
        + [c.label for c in report.categories]
        + [_("People present"), _("Of whom online"), _("Organisations present")],
        (
            [m.number or "", m.title, m.local_day.isoformat()]
            + [m.present(c) for c in report.categories]
            + [m.present_total, m.online_total, m.counts.organisations_represented]
            for m in report.meetings
        ),
    )
    section(_("Commitments"), _tally_headers(), [_tally_cells(report.totals)])
    section(
        _("Commitments by organisation"),
        [_("Organisation")] + _tally_headers(),
        ([row.label] + _tally_cells(row.tally) for row in report.by_organisation),
    )
    for breakdown in report.breakdowns:
        section(
            breakdown.title,
            [breakdown.column] + _tally_headers(),
            ([row.label] + _tally_cells(row.tally) for row in breakdown.rows),
        )
    section(
        _("Open and overdue commitments"),
        [_("Commitment"), _("Organisation(s)"), _("Meeting"), _("Due"), _("Status"), _("Overdue")],
        (
            [
                row.description,
                "; ".join(row.organisations),
                row.meeting.title,
                row.due_date.isoformat() if row.due_date else "",
                row.status.label,
                _("yes") if row.overdue else "",
            ]
            for row in report.follow_up
        ),
    )
    return "\ufeff" + out.getvalue()


# --- the PDF ------------------------------------------------------------------------------


def pending_pdf(series: Series, period: Period, language: str) -> ReportDocument | None:
    """The PDF of this report being rendered now, if any."""
    return db.session.scalar(
        sa.select(ReportDocument).where(
            ReportDocument.series_id == series.id,
            ReportDocument.period_start == period.start,
            ReportDocument.period_end == period.end,
            ReportDocument.language == language,
            ReportDocument.status == DocumentStatus.PENDING,
        )
    )


def request_pdf(
    series: Series, period: Period, language: str, *, by
) -> tuple[ReportDocument, bool]:
    """A pending PDF of the report, in `language`, and whether it is new: a request for a
    report that is being rendered (same series, period and language) joins that
    rendering instead of queuing another (a unique index keeps it so when two arrive at
    once). The caller commits, then, if it is new, enqueues `tasks.render_report_pdf`."""
    joined = pending_pdf(series, period, language)
    if joined is not None:
        return joined, False
    document = ReportDocument(
        series_id=series.id,
        period_start=period.start,
        period_end=period.end,
        language=language,
        status=DocumentStatus.PENDING,
        filename=f"report-{series.id}-{period.start.isoformat()}-{period.end.isoformat()}.pdf",
        created_by_id=by.id if by is not None else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(document)
    except IntegrityError:  # the same request, a moment earlier: join it
        joined = pending_pdf(series, period, language)
        if joined is None:  # ...which has finished meanwhile: ask again
            return request_pdf(series, period, language, by=by)
        return joined, False
    audit.record(
        "reports.pdf_request",
        document,
        by=by,
        changes={"series_id": series.id, **period.args},
    )
    return document, True


def recent_pdfs(series: Series, limit: int = 5) -> list[ReportDocument]:
    """The latest PDFs of the series' report, newest first (1 query)."""
    return list(
        db.session.scalars(
            sa.select(ReportDocument)
            .where(ReportDocument.series_id == series.id)
            .order_by(ReportDocument.created_at.desc(), ReportDocument.id.desc())
            .limit(limit)
        )
    )
