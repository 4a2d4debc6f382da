"""Browser journey (issue 13): the chair approves the minutes; the secretariat opens
"Public summary" from the meeting page, starts the draft pre-filled from the approved
minutes, edits it and publishes it; an anonymous reader finds it in the series' public
list, reads it (also on a 360 px phone), and the series' Atom feed carries the entry.
Then the secretariat reads the series' periodic report for the year of the meeting (its
tables by SDG and by GCM objective, also at 360 px), switches to Russian, asks for the
PDF, waits on the progress page while the worker renders it, downloads it and reads the
counts back with `pdftotext`.

The series is a migration network: it follows the Global Compact for Migration, and its
commitments carry SDGs and GCM objectives. Two PDFs are rendered, each once: the minutes
(at submission, signed inside the requests: Huey runs immediately in tests) and the
report (its job run by the test, standing in for the worker, while the browser waits)."""

import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import pytest
from playwright.sync_api import expect

from coordapp.approval import service as approval_service
from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.models import (
    Attendance,
    Category,
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    CommitmentStatus,
    InvitationStatus,
    MeetingStatus,
    Role,
)
from coordapp.models.agenda import AgendaItem
from coordapp.models.invitation import Invitation
from coordapp.reports import tasks as report_tasks
from coordapp.signing.ca import init_ca
from tests.factories import (
    PASSWORD,
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.commits]

ADDED = "Partners agreed to meet again in the autumn."
PARTICIPANT = "Ірына Шчарбакова"
DASHBOARD = "Publish a migration data dashboard"

# What trips a person up on a page (the accessibility walk's checks), run at 360 px.
LAYOUT_CHECKS = (Path(__file__).parent / "layout_checks.js").read_text()


def layout_problems(page) -> dict[str, list[str]]:
    """The layout checks' findings on the page as it is, at a phone's width (sideways
    scrolling first of all); only the kinds that found something."""
    return {kind: found for kind, found in page.evaluate(LAYOUT_CHECKS, True).items() if found}


def commit_to(meeting_id, description, status, due, organisations, goals, objectives):
    commitment = Commitment(
        meeting_id=meeting_id, description=description, status=status, due_date=due
    )
    commitment.organisations = organisations
    commitment.sdgs = [CommitmentSDG(goal=goal) for goal in goals]
    commitment.gcm = [CommitmentGCM(objective=objective) for objective in objectives]
    db.session.add(commitment)


def pdftotext(path, *options: str) -> str:
    return subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def log_in(page, base, email, name):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


@pytest.fixture
def new_page(browser):
    contexts = []

    def open_page(**options):
        context = browser.new_context(locale="en-GB", timezone_id="UTC", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_approve_draft_publish_an_anonymous_reader_finds_it_and_the_report_pdf_counts_it(
    app, live_server, page, new_page, monkeypatch, tmp_path
):
    # --- set-up: a migration network's held meeting and its commitments, tagged with SDGs
    # and GCM objectives; its minutes submitted for approval (rendered once) ---------------
    init_ca()
    db.session.commit()
    secretariat = make_user(Role.SECRETARIAT, email="sam@example.org", name="Sam Secretariat")
    chair = make_user(Role.MEMBER, email="anna@example.org", name="Anna Resident")
    series = make_series(name="UN Country Network on Migration")
    series.uses_gcm = True
    meeting = make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        venue="Minsk",
        status=MeetingStatus.HELD,
        starts_at=datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
        chairs=[(chair, "UN Resident Coordinator")],
    )
    meeting_id, series_id = meeting.id, series.id
    db.session.add(AgendaItem(meeting_id=meeting_id, position=0, title="Migration data"))
    iom = make_organisation(name="International Organization for Migration", acronym="IOM")
    ministry = make_organisation(name="Ministry of Interior", category=Category.NATIONAL_GOVERNMENT)
    for contact in (make_contact(iom, name=PARTICIPANT), make_contact(ministry)):
        db.session.add(
            Invitation(
                meeting_id=meeting_id,
                contact_id=contact.id,
                status=InvitationStatus.ACCEPTED,
                attendance=Attendance.PRESENT,
            )
        )
    # Made at the meeting (4 March 2026); "overdue" is as of today, long after 31 March.
    march_end, later = date(2026, 3, 31), date(2099, 12, 31)
    commit_to(meeting_id, DASHBOARD, CommitmentStatus.OPEN, march_end,
              [ministry, iom], [10, 17], [1])  # fmt: skip
    commit_to(meeting_id, "Train 120 border officials", CommitmentStatus.DONE, march_end,
              [ministry], [10], [1, 11])  # fmt: skip
    commit_to(meeting_id, "A study on remittance costs", CommitmentStatus.DROPPED, None,
              [iom], [10], [20])  # fmt: skip
    commit_to(meeting_id, "One-stop centres for migrants", CommitmentStatus.IN_PROGRESS, later,
              [iom], [10], [15])  # fmt: skip
    db.session.commit()
    version = minutes_service.current_version(meeting)
    item = minutes_service.minutes_items(version)[0]
    minutes_service.save_item(
        item, "Partners discussed data.", ["Set up a data working group"], 1, by=None
    )
    db.session.commit()
    approval_service.submit_for_approval(version, secretariat)
    db.session.commit()
    approval_service.request_rendering(version.id)

    base = live_server.url
    app.config["BASE_URL"] = base  # the feed's links are absolute
    page.set_default_timeout(30_000)

    # --- the chair approves -------------------------------------------------------------
    anna = new_page()
    log_in(anna, base, "anna@example.org", "Anna Resident")
    anna.goto(f"{base}/meetings/{meeting_id}")
    anna.get_by_role("link", name="Review and approve the minutes").click()
    anna.get_by_role("button", name="Approve and sign").click()
    expect(anna.get_by_text("Approved by every chair on")).to_be_visible()

    # --- the secretariat drafts, edits and publishes ---------------------------------------
    log_in(page, base, "sam@example.org", "Sam Secretariat")
    page.goto(f"{base}/meetings/{meeting_id}")
    page.locator("#minutes").get_by_role("link", name="Public summary").click()
    expect(page.get_by_role("heading", name="Public summary")).to_be_visible()
    page.get_by_label("Language of the summary").select_option("en")
    page.get_by_label("Name the organisations that took part").check()
    page.get_by_role("button", name="Start the draft").click()
    expect(page.get_by_text("The draft is ready")).to_be_visible()
    body = page.get_by_role("textbox", name="Summary", exact=True)
    expect(body).to_contain_text("On 4 March 2026, the meeting")
    expect(body).to_contain_text("Set up a data working group")
    expect(body).to_contain_text("UN agency: 1 (IOM)")
    expect(body).to_contain_text(
        f"{DASHBOARD} (SDG 10 — Reduced inequalities; SDG 17 — Partnerships for the goals; "
        "Objective 1: Collect and utilize accurate"
    )
    body.fill(body.input_value() + "\n" + ADDED + "\n")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_text("Saved the draft of the public summary.")).to_be_visible()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Published version 1 of the public summary.")).to_be_visible()
    public_link = page.get_by_role("link", name="/outcomes/fourth-extended-meeting-2026-03-04")
    expect(public_link).to_be_visible()

    # --- an anonymous reader, on a phone ------------------------------------------------
    reader = new_page(viewport={"width": 360, "height": 740})
    reader.goto(f"{base}/outcomes/series/{series_id}")
    expect(reader.get_by_role("heading", name="Meeting summaries")).to_be_visible()
    reader.get_by_role("link", name="Fourth extended meeting").click()
    expect(reader.get_by_role("heading", name="Fourth extended meeting")).to_be_visible()
    expect(reader.get_by_text(ADDED)).to_be_visible()
    expect(reader.get_by_text("Set up a data working group")).to_be_visible()
    expect(reader.locator("main")).to_contain_text("Objective 11: Manage borders")
    expect(reader.locator("main")).not_to_contain_text(PARTICIPANT)
    assert layout_problems(reader) == {}
    assert reader.url.endswith("/outcomes/fourth-extended-meeting-2026-03-04")

    # --- the feed the network's website pulls --------------------------------------------
    response = reader.request.get(f"{base}/outcomes/series/{series_id}/feed.atom")
    assert response.ok
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.body())
    assert feed.bozo is False
    (entry,) = feed.entries
    assert entry.title == "Fourth extended meeting"
    assert entry.link == reader.url
    assert ADDED in entry.content[0].value
    assert PARTICIPANT not in entry.content[0].value

    # --- the secretariat's periodic report for the year of the meeting ---------------------
    page.goto(f"{base}/series/{series_id}")
    page.get_by_role("link", name="Periodic report").click()
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-12-31")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("Period: 1 Jan 2026 to 31 Dec 2026")).to_be_visible()
    expect(page.locator("#participation")).to_contain_text("Fourth extended meeting")
    # (made, open or in progress, done, dropped, overdue) beside each goal and objective.
    expected = {
        "#by-sdg": {
            "SDG 10 — Reduced inequalities": ["4", "2", "1", "1", "1"],
            "SDG 17 — Partnerships for the goals": ["1", "1", "0", "0", "1"],
        },
        "#by-gcm": {
            "Objective 1: Collect": ["2", "1", "1", "0", "1"],
            "Objective 11: Manage borders": ["1", "0", "1", "0", "0"],
            "Objective 15: Provide access": ["1", "1", "0", "0", "0"],
            "Objective 20: Promote faster": ["1", "0", "0", "1", "0"],
        },
    }
    for table, rows in expected.items():
        expect(page.locator(f"{table} tbody tr")).to_have_count(len(rows))
        for label, counts in rows.items():
            row = page.locator(f"{table} tbody tr", has_text=label)
            expect(row.locator("td")).to_have_text(counts)
    page.set_viewport_size({"width": 360, "height": 740})
    assert layout_problems(page) == {}
    page.set_viewport_size({"width": 1280, "height": 720})

    # --- in Russian, the PDF: the worker renders it while the progress page waits ---------
    queued: list[int] = []
    monkeypatch.setattr(report_tasks, "render_report_pdf", queued.append)
    page.get_by_role("button", name="Русский").click()
    expect(
        page.get_by_role("heading", name="Отчёт: UN Country Network on Migration")
    ).to_be_visible()
    page.get_by_role("button", name="Подготовить PDF этого отчёта").click()
    expect(page.get_by_role("status")).to_contain_text("PDF отчёта готовится")
    (report_id,) = queued
    monkeypatch.undo()
    assert report_tasks.render_report_pdf(report_id)() == "ready"  # the worker's job
    download_link = page.get_by_role("link", name=re.compile("^Скачать report-"))
    expect(download_link).to_be_visible()  # the page refreshed itself
    with page.expect_download() as download_info:
        download_link.click()
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert download_info.value.suggested_filename == (
        f"report-{series_id}-2026-01-01-2026-12-31.pdf"
    )

    text = pdftotext(pdf, "-layout")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for start, counts in [
        ("ЦУР 10 — Уменьшение", "4 2 1 1 1"),
        ("ЦУР 17 —", "1 1 0 0 1"),
        # A GCM objective's long title wraps: its counts end its first line.
        ("Цель 1: Сбор и использование", "2 1 1 0 1"),
        ("Цель 11:", "1 0 1 0 0"),
        ("Цель 15:", "1 1 0 0 0"),
        ("Цель 20:", "1 0 0 1 0"),
    ]:
        assert any(line.startswith(start) and line.endswith(f" {counts}") for line in lines), (
            start,
            text,
        )
    assert "Принято" in text and "Просрочено" in text  # Russian headings
    assert "Made" not in text and "Objective" not in text
    flowing = " ".join(pdftotext(pdf).split())
    assert "UN Country Network on Migration" in flowing
    assert DASHBOARD in flowing
