"""The periodic report of a series (issue 13): the figures, the page, the CSV, the PDF the
worker renders, who may read it, and bad input."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from coordapp import create_app
from coordapp.attendance.service import attendance_counts, attendance_counts_for
from coordapp.extensions import db
from coordapp.models import (
    Attendance,
    Category,
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
    Invitation,
    InvitationStatus,
    MeetingStatus,
    Role,
    Series,
    SeriesChair,
)
from coordapp.models.commitment import commitment_organisations
from coordapp.models.document import DocumentStatus
from coordapp.models.report import ReportDocument
from coordapp.reports import service
from coordapp.reports.service import Period
from tests.conftest import count_queries, login_as, test_config
from tests.factories import (
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)
from tests.waiting import assert_done_waiting, assert_waits

YEAR_2025 = Period(date(2025, 1, 1), date(2025, 12, 31))
AS_OF = date(2026, 1, 10)


def at_minsk(year, month, day, hour=10, minute=0) -> datetime:
    """A wall-clock time in Minsk (UTC+3 all year), as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


def commit(meeting, description, status, *, due=None, orgs=(), goals=(), gcm=()):
    commitment = Commitment(meeting=meeting, description=description, status=status, due_date=due)
    commitment.organisations = list(orgs)
    commitment.sdgs = [CommitmentSDG(goal=g) for g in goals]
    commitment.gcm = [CommitmentGCM(objective=n) for n in gcm]
    db.session.add(commitment)
    db.session.commit()
    return commitment


def attend(meeting, organisation, attendance=Attendance.PRESENT, **contact):
    invitation = Invitation(
        meeting=meeting,
        contact=make_contact(organisation, **contact),
        status=InvitationStatus.ACCEPTED,
        attendance=attendance,
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation


@pytest.fixture
def network(app):
    """A series with meetings in and around 2025, commitments and attendance."""
    series = make_series(name="Country Network on Migration")
    series.uses_gcm = True  # a migration network follows the Global Compact for Migration
    other_series = make_series(name="Another network")
    ministry = make_organisation(
        name="Ministry of Labour", acronym="MoL", category=Category.NATIONAL_GOVERNMENT
    )
    iom = make_organisation(name="IOM", category=Category.UN_AGENCY)
    undp = make_organisation(name="UNDP", category=Category.UN_AGENCY)

    march = make_meeting(
        "Third meeting", series, 3, at_minsk(2025, 3, 4), status=MeetingStatus.HELD
    )
    november = make_meeting(
        "Fourth meeting", series, 4, at_minsk(2025, 11, 18), status=MeetingStatus.CLOSED
    )
    # 1 January, half past midnight in Minsk: still 31 December in UTC, yet in 2025.
    new_year = make_meeting(
        "New Year meeting", series, 2, at_minsk(2025, 1, 1, 0, 30), status=MeetingStatus.HELD
    )
    # 31 December 2024, 23:30 in Minsk: in 2024, though close.
    old_year = make_meeting(
        "Old year meeting", series, 1, at_minsk(2024, 12, 31, 23, 30), status=MeetingStatus.HELD
    )
    cancelled = make_meeting(
        "Cancelled meeting", series, 5, at_minsk(2025, 5, 5), status=MeetingStatus.CANCELLED
    )
    scheduled = make_meeting(
        "Not held yet", series, 6, at_minsk(2025, 12, 20), status=MeetingStatus.SCHEDULED
    )
    elsewhere = make_meeting(
        "Other series", other_series, 1, at_minsk(2025, 4, 4), status=MeetingStatus.HELD
    )

    commit(march, "Publish the migration data dashboard", CommitmentStatus.OPEN,
           due=date(2025, 6, 30), orgs=[ministry, iom], goals=[10, 17], gcm=[1])  # fmt: skip
    commit(march, "Train 120 local officials", CommitmentStatus.DONE,
           due=date(2025, 9, 30), orgs=[ministry], goals=[10], gcm=[1, 18])  # fmt: skip
    commit(march, "A study on remittances", CommitmentStatus.DROPPED,
           orgs=[iom], goals=[5])  # fmt: skip
    commit(november, "One-stop centres in Grodno and Brest", CommitmentStatus.IN_PROGRESS,
           due=date(2099, 3, 31), orgs=[undp], goals=[10], gcm=[15])  # fmt: skip
    commit(new_year, "Mainstream migration in local plans", CommitmentStatus.OPEN,
           due=date(2025, 12, 31), orgs=[undp])  # fmt: skip
    for meeting in (old_year, cancelled, scheduled, elsewhere):
        commit(meeting, f"Not in the report ({meeting.title})", CommitmentStatus.OPEN,
               due=date(2025, 1, 2), orgs=[ministry], goals=[10])  # fmt: skip

    attend(march, iom, name="Anna IOM")
    attend(march, undp, name="Uladzimir UNDP")
    attend(march, undp, name="Second UNDP person")
    attend(march, ministry, name="Mikalai Ministry")
    attend(march, ministry, Attendance.ABSENT, name="Absent Person")
    attend(november, ministry, name="Ministry again")
    attend(elsewhere, iom, name="Elsewhere Person")
    return {
        "series": series,
        "march": march,
        "november": november,
        "new_year": new_year,
        "orgs": {"ministry": ministry, "iom": iom, "undp": undp},
    }


# --- the figures --------------------------------------------------------------------------


def test_report_counts_commitments_made_done_overdue_dropped_by_organisation_and_sdg(network):
    report = service.build_report(network["series"], YEAR_2025, AS_OF)

    assert [m.title for m in report.meetings] == [
        "New Year meeting",
        "Third meeting",
        "Fourth meeting",
    ]
    totals = report.totals
    assert (totals.made, totals.active, totals.done, totals.dropped, totals.overdue) == (
        5,
        3,
        1,
        1,
        2,
    )
    by_org = {row.label: row.tally for row in report.by_organisation}
    assert set(by_org) == {"Ministry of Labour (MoL)", "IOM", "UNDP"}
    assert (by_org["Ministry of Labour (MoL)"].made, by_org["Ministry of Labour (MoL)"].done) == (
        2,
        1,
    )
    assert (by_org["IOM"].made, by_org["IOM"].dropped, by_org["IOM"].overdue) == (2, 1, 1)
    assert (by_org["UNDP"].made, by_org["UNDP"].active, by_org["UNDP"].overdue) == (2, 2, 1)

    sdgs, objectives = report.breakdowns
    assert (sdgs.key, objectives.key) == ("sdg", "gcm")
    by_goal = {row.key: row.tally for row in sdgs.rows}
    assert sorted(by_goal) == [5, 10, 17]
    assert (by_goal[10].made, by_goal[10].done, by_goal[10].overdue) == (3, 1, 1)
    assert (by_goal[5].made, by_goal[5].dropped) == (1, 1)
    assert by_goal[17].made == 1
    assert sdgs.rows[1].label == "SDG 10 — Reduced inequalities"
    by_objective = {row.key: row.tally for row in objectives.rows}
    assert sorted(by_objective) == [1, 15, 18]
    one = by_objective[1]
    assert (one.made, one.active, one.done, one.dropped, one.overdue) == (2, 1, 1, 0, 1)
    assert (by_objective[15].made, by_objective[15].overdue) == (1, 0)
    assert objectives.rows[0].label.startswith("Objective 1: Collect and utilize accurate")


def test_a_series_that_does_not_follow_the_gcm_gets_no_gcm_breakdown(network):
    series = network["series"]
    series.uses_gcm = False
    db.session.commit()
    report = service.build_report(series, YEAR_2025, AS_OF)
    assert [breakdown.key for breakdown in report.breakdowns] == ["sdg"]

    # Open and overdue ones: overdue first (by due date), then the others.
    assert [row.description for row in report.follow_up] == [
        "Publish the migration data dashboard",
        "Mainstream migration in local plans",
        "One-stop centres in Grodno and Brest",
    ]
    assert [row.overdue for row in report.follow_up] == [True, True, False]


def test_overdue_is_as_of_the_report_day(network):
    early = service.build_report(network["series"], YEAR_2025, date(2025, 5, 1))
    assert early.totals.overdue == 0
    assert service.build_report(network["series"], YEAR_2025, AS_OF).totals.overdue == 2


def test_the_period_goes_by_each_meetings_own_day_both_ends_included(network):
    only_new_year = Period(date(2025, 1, 1), date(2025, 1, 1))
    report = service.build_report(network["series"], only_new_year, AS_OF)
    assert [m.title for m in report.meetings] == ["New Year meeting"]
    assert report.totals.made == 1

    last_day_of_2024 = Period(date(2024, 12, 31), date(2024, 12, 31))
    report = service.build_report(network["series"], last_day_of_2024, AS_OF)
    assert [m.title for m in report.meetings] == ["Old year meeting"]

    march_only = Period(date(2025, 3, 4), date(2025, 3, 4))
    assert service.build_report(network["series"], march_only, AS_OF).totals.made == 3


def test_participation_counts_present_people_by_category(network):
    report = service.build_report(network["series"], YEAR_2025, AS_OF)
    march = next(m for m in report.meetings if m.title == "Third meeting")
    assert march.present(Category.UN_AGENCY) == 3
    assert march.present(Category.NATIONAL_GOVERNMENT) == 1  # the absent one not counted
    assert march.present_total == 4
    assert march.counts.organisations_represented == 3
    assert report.categories == [Category.UN_AGENCY, Category.NATIONAL_GOVERNMENT]
    assert report.present_by_category == {
        Category.UN_AGENCY: 3,
        Category.NATIONAL_GOVERNMENT: 2,
    }


def test_attendance_counts_for_many_meetings_is_one_query_and_agrees_with_the_old_one(network):
    ids = [network["march"].id, network["november"].id, network["new_year"].id]
    with count_queries() as queries:
        many = attendance_counts_for(ids)
    assert queries.count == 1
    for meeting_id in ids:
        one = attendance_counts(meeting_id)
        assert many[meeting_id] == one
    assert many[network["march"].id].totals["absent"] == 1
    assert many[network["new_year"].id].totals["total"] == 0
    assert attendance_counts_for([]) == {}


@pytest.mark.parametrize(
    "args, period",
    [
        ({"year": "2025"}, Period(date(2025, 1, 1), date(2025, 12, 31))),
        ({"from": "2025-02-01", "to": "2025-02-01"}, Period(date(2025, 2, 1), date(2025, 2, 1))),
        ({}, Period(date(2024, 11, 30), date(2025, 11, 29))),
        ({"period": "last-12-months"}, Period(date(2024, 11, 30), date(2025, 11, 29))),
    ],
)
def test_periods_from_the_address(args, period):
    assert service.parse_period(args, date(2025, 11, 29)) == period


def test_last_12_months_from_29_february():
    assert service.last_12_months(date(2028, 2, 29)) == Period(date(2027, 3, 1), date(2028, 2, 29))


# --- the page -----------------------------------------------------------------------------


def test_report_page_shows_the_figures_with_an_accessible_chart_and_tables(
    network, secretariat_client
):
    series = network["series"]
    page = secretariat_client.get(f"/series/{series.id}/report?year=2025")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Third meeting" in html and "Fourth meeting" in html and "New Year meeting" in html
    assert "Old year meeting" not in html and "Cancelled meeting" not in html
    assert "Not held yet" not in html and "Other series" not in html
    assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert "People present at each meeting, by category" in html
    assert 'id="participation"' in html and 'id="by-sdg"' in html
    assert 'id="by-organisation"' in html and 'id="open-commitments"' in html
    assert "SDG 10 — Reduced inequalities" in html
    assert f'href="/series/{series.id}/report.csv?from=2025-01-01&amp;to=2025-12-31"' in html
    assert f'action="/series/{series.id}/report/pdf"' in html
    # From the series page and the tracker.
    assert f"/series/{series.id}/report" in secretariat_client.get(f"/series/{series.id}").get_data(
        as_text=True
    )
    assert "/reports" in secretariat_client.get("/commitments").get_data(as_text=True)


def _fill(series_id: int, meetings: int, commitments: int) -> None:
    """`commitments` commitments over `meetings` held meetings, each with an organisation
    and two SDGs, and a present invitee per meeting, inserted in bulk."""
    organisation = make_organisation()
    contact = make_contact(organisation)
    meeting_ids = []
    for n in range(meetings):
        meeting = make_meeting(
            series=db.session.get(Series, series_id),
            starts_at=at_minsk(2025, 1 + n % 12, 10),
            status=MeetingStatus.HELD,
        )
        meeting_ids.append(meeting.id)
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "meeting_id": m,
                "contact_id": contact.id,
                "status": InvitationStatus.ACCEPTED,
                "attendance": Attendance.PRESENT,
                "link_id": f"{m:032x}",
            }
            for m in meeting_ids
        ],
    )
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Commitment.id), 0)))
    rows = [
        {
            "id": start + n + 1,
            "meeting_id": meeting_ids[n % len(meeting_ids)],
            "description": f"Commitment {n}",
            "status": list(CommitmentStatus)[n % 4],
            "due_date": date(2025, 6, 30),
            "link_id": f"{start + n + 1:032x}",
        }
        for n in range(commitments)
    ]
    db.session.execute(sa.insert(Commitment), rows)
    db.session.execute(
        sa.insert(commitment_organisations),
        [{"commitment_id": r["id"], "organisation_id": organisation.id} for r in rows],
    )
    db.session.execute(
        sa.insert(CommitmentSDG),
        [{"commitment_id": r["id"], "goal": g} for r in rows for g in (10, 17)],
    )
    db.session.commit()


def test_report_page_queries_do_not_grow_with_commitments(secretariat_client):
    small, large = make_series(name="Small"), make_series(name="Large")
    _fill(small.id, 2, 10)
    _fill(large.id, 12, 1000)

    def queries_for(series_id: int) -> int:
        with count_queries() as counter:
            response = secretariat_client.get(f"/series/{series_id}/report?year=2025")
        assert response.status_code == 200
        return counter.count

    few = queries_for(small.id)
    many = queries_for(large.id)
    assert few == many, (few, many)
    assert "Commitment 997" in secretariat_client.get(
        f"/series/{large.id}/report?year=2025"
    ).get_data(as_text=True)


# --- CSV ----------------------------------------------------------------------------------


def test_csv_has_every_section_and_defuses_formulas(network, secretariat_client):
    hostile = make_organisation(name='=HYPERLINK("http://evil")', category=Category.OTHER)
    commit(network["march"], "@SUM(1+1) partners commit", CommitmentStatus.OPEN,
           orgs=[hostile], goals=[17])  # fmt: skip
    series = network["series"]
    response = secretariat_client.get(f"/series/{series.id}/report.csv?year=2025")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'@SUM(1+1) partners commit" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    titles = {row[0] for row in rows if len(row) == 1}
    assert {
        "Meetings held and people present by category",
        "Commitments",
        "Commitments by organisation",
        "Commitments by SDG",
        "Commitments by GCM objective",
        "Open and overdue commitments",
    } <= titles
    goal_10 = next(row for row in rows if row and row[0] == "SDG 10 — Reduced inequalities")
    assert goal_10[1] == "3"  # made
    objective_1 = next(row for row in rows if row and row[0].startswith("Objective 1: "))
    assert objective_1[1:6] == ["2", "1", "1", "0", "1"]


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2025-12-31&to=2025-01-01", "must start on or before"),
        ("year=abc", "must be a number"),
        ("year=99999", "between 1900 and 2999"),
        ("year=-5", "between 1900 and 2999"),
        ("from=0001-01-01&to=2025-01-01", "between the years 1900 and 2999"),
        ("from=2025-13-01&to=2025-12-31", "YYYY-MM-DD"),
        ("from=yesterday&to=today", "YYYY-MM-DD"),
        ("from=2025-01-01", "both the first and the last day"),
        ("period=forever", "Unknown period"),
    ],
)
def test_bad_periods_get_a_clear_message_and_400(network, secretariat_client, query, message):
    series = network["series"]
    page = secretariat_client.get(f"/series/{series.id}/report?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html and 'role="alert"' in html
    assert 'id="period-form"' in html  # the form again, to correct
    csv_response = secretariat_client.get(f"/series/{series.id}/report.csv?{query}")
    assert csv_response.status_code == 400 and message in csv_response.get_data(as_text=True)
    form = dict(pair.split("=") for pair in query.split("&"))
    post = secretariat_client.post(f"/series/{series.id}/report/pdf", data=form)
    assert post.status_code == 400 and message in post.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportDocument)) == 0


def test_unknown_series_and_report_are_404(secretariat_client):
    assert secretariat_client.get("/series/999999/report").status_code == 404
    assert secretariat_client.get("/reports/999999").status_code == 404
    assert secretariat_client.get("/reports/999999/download").status_code == 404


# --- who may read it ----------------------------------------------------------------------


def test_chairs_read_the_report_members_may_not_and_only_the_secretariat_asks_for_pdfs(
    network, client
):
    series = network["series"]
    meeting_chair = make_user(Role.MEMBER, email="meeting-chair@example.org")
    series_chair = make_user(Role.MEMBER, email="series-chair@example.org")
    stranger = make_user(Role.MEMBER, email="stranger@example.org")
    from coordapp.models import MeetingChair

    network["march"].chairs.append(MeetingChair(user=meeting_chair, role_label="Co-chair"))
    db.session.add(SeriesChair(series=series, user=series_chair, role_label="Chair"))
    document = ReportDocument(
        series_id=series.id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        status=DocumentStatus.READY,
        filename="report.pdf",
        data=b"%PDF-1.7 test",
        size=13,
    )
    db.session.add(document)
    db.session.commit()
    reading = [
        f"/series/{series.id}/report",
        f"/series/{series.id}/report.csv",
        f"/reports/{document.id}",
        f"/reports/{document.id}/download",
    ]

    for user in (meeting_chair, series_chair):
        login_as(client, user)
        for url in reading:
            assert client.get(url).status_code == 200, (user.email, url)
        assert series.name in client.get("/reports").get_data(as_text=True)
        assert (
            client.post(f"/series/{series.id}/report/pdf", data={"year": "2025"}).status_code == 403
        )
        assert 'id="pdf-form"' not in client.get(f"/series/{series.id}/report").get_data(
            as_text=True
        )

    login_as(client, stranger)
    for url in reading:
        assert client.get(url).status_code == 403, url
    assert series.name not in client.get("/reports").get_data(as_text=True)

    anonymous = client.application.test_client()
    for url in reading:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_asking_for_a_pdf_needs_the_csrf_token(network, app):
    from types import SimpleNamespace

    user = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="csrf-sec@example.org").id)
    series_id = network["series"].id
    db.session.close()
    csrf_app = create_app(test_config(WTF_CSRF_ENABLED=True))
    try:
        client = csrf_app.test_client()
        login_as(client, user)
        response = client.post(f"/series/{series_id}/report/pdf", data={"year": "2025"})
        assert response.status_code == 400
        page = client.get(f"/series/{series_id}/report?year=2025").get_data(as_text=True)
        assert 'name="csrf_token"' in page
    finally:
        with csrf_app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- XSS ----------------------------------------------------------------------------------

SCRIPT = "<script>alert('org')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


def test_organisation_names_and_commitment_text_are_escaped_in_the_page_and_the_pdf_html(
    network, secretariat_client
):
    from coordapp.reports.tasks import report_pdf_html

    hostile = make_organisation(name=SCRIPT, category=Category.CIVIL_SOCIETY)
    commit(network["march"], IMAGE, CommitmentStatus.OPEN, due=date(2025, 4, 1), orgs=[hostile])
    attend(network["march"], hostile, name="Hostile Person")
    series = network["series"]
    html = secretariat_client.get(f"/series/{series.id}/report?year=2025").get_data(as_text=True)
    document = ReportDocument(
        series_id=series.id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        language="en",
        filename="r.pdf",
    )
    db.session.add(document)
    db.session.commit()
    pdf_html = report_pdf_html(document)
    for markup in (html, pdf_html):
        assert SCRIPT not in markup and IMAGE not in markup
        assert "&lt;script&gt;alert(" in markup
        assert "&lt;img src=x onerror=" in markup


# --- the PDF ------------------------------------------------------------------------------


def test_report_pdf_is_rendered_by_the_worker_in_the_askers_language_and_downloaded(
    network, secretariat_client, tmp_path
):
    """ONE render: Belarusian asked for through the browser, checked with pdftotext."""
    hostile = make_organisation(name="Міністэрства ўнутраных спраў", category=Category.OTHER)
    commit(network["march"], "Ўзгадніць дадзеныя аб міграцыі", CommitmentStatus.OPEN,
           orgs=[hostile], goals=[17])  # fmt: skip
    series = network["series"]
    response = secretariat_client.post(
        f"/series/{series.id}/report/pdf",
        data={"from": "2025-01-01", "to": "2025-12-31"},
        headers={"Accept-Language": "be"},
    )
    assert response.status_code == 303
    document = db.session.scalar(sa.select(ReportDocument))
    db.session.refresh(document)
    assert document.status is DocumentStatus.READY, document.error
    assert document.language == "be"
    assert (document.period_start, document.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert response.headers["Location"].endswith(f"/reports/{document.id}")

    status_page = secretariat_client.get(response.headers["Location"])
    assert_done_waiting(status_page)
    assert f"/reports/{document.id}/download" in status_page.get_data(as_text=True)
    listed = secretariat_client.get(f"/series/{series.id}/report?year=2025")
    assert f"/reports/{document.id}" in listed.get_data(as_text=True)

    download = secretariat_client.get(f"/reports/{document.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(download.data)

    def pdftotext(*options: str) -> str:
        return subprocess.run(
            ["pdftotext", *options, "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    text = pdftotext("-layout")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # (made, open or in progress, done, dropped, overdue) beside the goal's name.
    assert any(line.startswith("МУР 10 —") and " 3 2 1 0 1" in line for line in lines), text
    assert any(line.startswith("МУР 17 —") and " 2 2 0 0 1" in line for line in lines), text
    # GCM objective 1 (its long title wraps): made 2, open 1, done 1, dropped 0, overdue 1.
    assert any(line.startswith("Мэта 1:") and line.endswith(" 2 1 1 0 1") for line in lines), text
    flowing = " ".join(pdftotext().split())  # table cells' text in reading order
    assert "Міністэрства ўнутраных спраў" in flowing
    assert "Ўзгадніць дадзеныя аб міграцыі" in flowing
    assert "Country Network on Migration" in flowing
    assert "Справаздача за перыяд з 1 студзеня 2025 г. па 31 снежня 2025 г." in flowing
    assert "Made" not in text  # Belarusian headings, not English


def test_no_table_row_of_the_report_pdf_is_cut_by_a_page_break(network):
    """A row cut by a page break left its counts at the foot of one page and its goal's
    name at the head of the next (the label wraps, the counts do not). Laid out on a small
    page, so that the tables cross many page breaks; no PDF is written."""
    from coordapp.pdf.render import _layout, _walk
    from coordapp.reports.tasks import report_pdf_html

    organisations = [
        make_organisation(name=f"Regional office number {n} of a long-named agency")
        for n in range(12)
    ]
    for n, organisation in enumerate(organisations):
        commit(network["march"], f"Commitment {n}", CommitmentStatus.OPEN,
               orgs=[organisation], goals=[1 + n % 17], gcm=[1 + n % 23])  # fmt: skip
    document = ReportDocument(
        series_id=network["series"].id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        language="ru",
        filename="r.pdf",
    )
    db.session.add(document)
    db.session.commit()
    html = report_pdf_html(document).replace(
        "</head>", "<style>@page { size: A6 portrait; }</style></head>", 1
    )

    pages_of_row: dict[int, set[int]] = {}
    rows = {}
    layout = _layout(html)
    for number, page in enumerate(layout.pages, start=1):
        for box in _walk(page._page_box):
            if box.element_tag != "tr" or box.element is None:
                continue
            if any(cell.get("scope") == "col" for cell in box.element):
                continue  # the header row, repeated on every page the table spans
            pages_of_row.setdefault(id(box.element), set()).add(number)
            rows[id(box.element)] = box.element
    assert len(layout.pages) > 5  # the tables do cross page breaks
    cut = {
        " ".join("".join(rows[key].itertext()).split())[:60]: sorted(pages)
        for key, pages in pages_of_row.items()
        if len(pages) > 1
    }
    assert cut == {}


def test_pending_report_pdf_page_waits_for_the_worker_and_download_waits(
    network, secretariat_client
):
    document = ReportDocument(
        series_id=network["series"].id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        filename="report.pdf",
    )
    db.session.add(document)
    db.session.commit()

    page = secretariat_client.get(f"/reports/{document.id}")
    assert_waits(page)
    assert "being prepared" in page.get_data(as_text=True)
    assert secretariat_client.get(f"/reports/{document.id}/download").status_code == 409

    document.status = DocumentStatus.FAILED
    document.error = "RuntimeError: boom"
    db.session.commit()
    page = secretariat_client.get(f"/reports/{document.id}")
    assert_done_waiting(page)
    assert "could not be generated" in page.get_data(as_text=True)


def test_a_report_pdf_whose_worker_died_is_queued_again_once_its_lease_ran_out(
    network, monkeypatch
):
    from coordapp.reports import tasks

    queued = []
    monkeypatch.setattr(tasks, "render_report_pdf", queued.append)
    document = ReportDocument(
        series_id=network["series"].id,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        filename="report.pdf",
    )
    db.session.add(document)
    db.session.commit()

    assert tasks.requeue_expired() == []
    document.claimed_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    assert tasks.requeue_expired() == [document.id]
    assert tasks.requeue_expired() == []
    assert queued == [document.id]


def test_asking_again_for_a_report_being_rendered_joins_that_rendering(
    network, secretariat_client, monkeypatch
):
    """Many clicks on "PDF" for one report make one rendering, not one queued job each;
    another period is a rendering of its own (another language too: next test)."""
    from coordapp.reports import tasks

    queued = []
    monkeypatch.setattr(tasks, "render_report_pdf", queued.append)
    series_id = network["series"].id

    def ask(year: str) -> str:
        response = secretariat_client.post(f"/series/{series_id}/report/pdf", data={"year": year})
        assert response.status_code == 303
        return response.headers["Location"]

    first = ask("2025")
    assert [ask("2025") for _ in range(5)] == [first] * 5
    assert len(queued) == 1
    assert ask("2024") != first
    assert len(queued) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportDocument)) == 2

    # Once that rendering is over, asking again makes a fresh one.
    document = db.session.get(ReportDocument, queued[0])
    document.status = DocumentStatus.READY
    db.session.commit()
    assert ask("2025") != first
    assert len(queued) == 3


def test_the_database_keeps_one_pending_rendering_per_report_and_language(network):
    def pending(language: str) -> ReportDocument:
        return ReportDocument(
            series_id=network["series"].id,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            language=language,
            filename="report.pdf",
        )

    db.session.add_all([pending("en"), pending("ru")])
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(pending("en"))
    document, new = service.request_pdf(
        network["series"], Period(date(2025, 1, 1), date(2025, 12, 31)), "ru", by=None
    )
    assert not new and document.language == "ru"
