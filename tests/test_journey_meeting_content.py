"""Browser journey (issue 4): the secretariat builds a five-item agenda with a presenter and
an attachment, reorders it, takes attendance, writes minutes with a decision and captures
two commitments on different SDGs; then finds those commitments in the tracker (filtered
by SDG) and in the "Follow-up of commitments" item of the next meeting of the series."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coordapp.commitments import service as commitments_service
from coordapp.extensions import db
from coordapp.invitations.service import invite_contacts
from coordapp.models import Category, MeetingStatus, Role
from coordapp.models.agenda import AgendaItem
from coordapp.models.commitment import Commitment, CommitmentStatus
from coordapp.models.invitation import Attendance, Invitation
from tests.factories import (
    PASSWORD,
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)

# A live server: its requests run in threads, on connections of their own.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

# A minimal, valid one-page PDF (the upload check reads the content, not the name).
MINIMAL_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n"
    b"%%EOF\n"
)


def _setting(year: int):
    """A series with an earlier (held) meeting, the current one and a later one; four
    contacts invited to the current meeting; an open and a done commitment from before."""
    series = make_series(name="Country Network on Migration")
    undp = make_organisation(name="United Nations Development Programme", acronym="UNDP")
    labour = make_organisation(
        name="Ministry of Labour and Social Protection",
        acronym="MLSP",
        category=Category.NATIONAL_GOVERNMENT,
    )
    belstat = make_organisation(
        name="National Statistical Committee",
        acronym="Belstat",
        category=Category.NATIONAL_GOVERNMENT,
    )
    city = make_organisation(
        name="Minsk City Executive Committee", category=Category.LOCAL_GOVERNMENT
    )
    anna = make_contact(undp, name="Anna Kovalenko", email="anna@example.org")
    pavel = make_contact(
        labour, name="Pavel Zhuk", email="pavel@example.org", position="Deputy Minister"
    )
    alena = make_contact(belstat, name="Alena Shostak", email="alena@example.org")
    ivan = make_contact(city, name="Ivan Lis", email="ivan@example.org")

    earlier = make_meeting(
        title="Third extended meeting",
        series=series,
        number=3,
        starts_at=datetime(year, 1, 15, 7, 0, tzinfo=UTC),
        status=MeetingStatus.HELD,
    )
    current = make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        starts_at=datetime(year, 3, 4, 7, 0, tzinfo=UTC),
        hours=2,  # 10:00–12:00 in Minsk
        venue="UN House, Minsk",
    )
    later = make_meeting(
        title="Fifth extended meeting",
        series=series,
        number=5,
        starts_at=datetime(year, 6, 10, 7, 0, tzinfo=UTC),
    )
    invite_contacts(current, [anna, pavel, alena, ivan], by=None, send=False)

    def earlier_commitment(description, goals):
        return commitments_service.create_commitment(
            earlier,
            commitments_service.CommitmentValues(
                description=description,
                organisations=[city],
                responsible=ivan,
                due_date=None,
                due_quarter=None,
                goals=goals,
                agenda_item=None,
            ),
            by_user=None,
        )

    earlier_commitment("Open a migrant resource centre in Minsk", [11])
    done = earlier_commitment("Translate the city services guide", [16])
    commitments_service.add_update(done, CommitmentStatus.DONE, "Published", meeting=earlier)
    db.session.commit()
    return current, later


def _agenda_rows(page):
    return page.locator("#agenda-items tr")


def test_secretariat_runs_the_content_of_a_meeting(app, live_server, page, tmp_path):
    make_user(role=Role.SECRETARIAT, email="olga@example.org", name="Olga Secretariat")
    year = date.today().year + 1
    current, later = _setting(year)
    base = live_server.url

    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Olga Secretariat")).to_be_visible()

    # --- the agenda: five items, one with a presenter --------------------------------
    page.goto(f"{base}/meetings/{current.id}")
    page.get_by_role("link", name="Open the agenda").click()
    expect(page.get_by_role("heading", name="Agenda", exact=True)).to_be_visible()
    expect(page.locator("#agenda-empty")).to_have_text("The agenda has no items yet.")

    items = [  # title, kind, minutes, presenter
        ("Opening remarks", "Opening", "10", None),
        (
            "Presentation of the national migration policy",
            "Presentation",
            "30",
            "Pavel Zhuk (MLSP)",
        ),
        ("Any other business", "Any other business", "10", None),
        ("Discussion on migration data", "Discussion", "45", None),
        ("Closing", "Closing", "5", None),
    ]
    for title, kind, minutes, presenter in items:
        page.get_by_role("link", name="Add an item").click()
        expect(page.get_by_role("heading", name="New agenda item")).to_be_visible()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Kind").select_option(label=kind)
        page.get_by_label("Planned duration (minutes)").fill(minutes)
        if presenter:
            page.get_by_label("Presenters").select_option(label=presenter)
        page.get_by_role("button", name="Save").click()
        expect(_agenda_rows(page).filter(has_text=title)).to_be_visible()
    expect(_agenda_rows(page)).to_have_count(5)

    presentation = _agenda_rows(page).filter(has_text="Presentation of the national")
    expect(presentation.locator("td.presenters")).to_have_text("Pavel Zhuk (MLSP)")
    expect(presentation.locator("td.kind")).to_have_text("Presentation")

    # --- an attachment on the presentation: a real PDF ------------------------------------
    pdf_path = tmp_path / "National migration policy.pdf"
    pdf_path.write_bytes(MINIMAL_PDF)
    presentation.get_by_role("link", name="Attach a file").click()
    page.get_by_label("Attachment").set_input_files(str(pdf_path))
    page.get_by_role("button", name="Upload").click()
    presentation = _agenda_rows(page).filter(has_text="Presentation of the national")
    attachment_link = presentation.locator("ul.attachments a")
    expect(attachment_link).to_have_text("National migration policy.pdf")
    with page.expect_download() as download_info:
        attachment_link.click()
    download = download_info.value
    assert download.suggested_filename == "National migration policy.pdf"
    assert Path(download.path()).read_bytes() == MINIMAL_PDF

    # --- reorder: the discussion moves up, before "Any other business" ------------------
    page.get_by_role("button", name="Move “Discussion on migration data” up").click()
    expect(_agenda_rows(page).nth(2)).to_contain_text("Discussion on migration data")
    expect(_agenda_rows(page).nth(3)).to_contain_text("Any other business")
    # Planned start times follow from 10:00 in Minsk and the durations, in the new order.
    expected = [
        ("1", "10:00", "Opening remarks"),
        ("2", "10:10", "Presentation of the national migration policy"),
        ("3", "10:40", "Discussion on migration data"),
        ("4", "11:25", "Any other business"),
        ("5", "11:35", "Closing"),
    ]
    for index, (number, start, title) in enumerate(expected):
        row = _agenda_rows(page).nth(index)
        expect(row.locator("td.number")).to_have_text(number)
        expect(row.locator("td.start")).to_have_text(f"{start} (Europe/Minsk)")
        expect(row.locator("td.title strong")).to_have_text(title)
    expect(page.get_by_text("Times are in Europe/Minsk.")).to_be_visible()
    expect(page.locator("#agenda-overrun")).to_have_count(0)  # 100 minutes fit in 2 hours

    # The order survives a reload (it is the stored order, not a client-side effect).
    page.reload()
    expect(_agenda_rows(page).nth(2)).to_contain_text("Discussion on migration data")

    # --- attendance -----------------------------------------------------------------------
    page.goto(f"{base}/meetings/{current.id}")
    page.get_by_role("link", name="Take attendance").click()
    expect(page.get_by_role("heading", name="Attendance", exact=True)).to_be_visible()
    expect(page.locator("#attendance tbody tr")).to_have_count(4)

    def mark(name, state):
        page.get_by_role("radiogroup", name=f"Attendance of {name}").get_by_label(state).check()

    # Each click is saved at once and the counts refresh (attendance.js).
    mark("Anna Kovalenko", "Present")
    expect(page.locator("#attendance-counts li[data-state='present'] strong")).to_have_text("1")
    mark("Pavel Zhuk", "Present")
    expect(page.locator("#attendance-counts li[data-state='present'] strong")).to_have_text("2")
    mark("Alena Shostak", "Excused")
    expect(page.locator("#attendance-counts li[data-state='excused'] strong")).to_have_text("1")
    expect(page.locator("#attendance-counts li[data-state='unmarked'] strong")).to_have_text("1")
    national = page.locator("#counts-by-category tr[data-category='national_government']")
    expect(national.locator("td[data-state='present']")).to_have_text("1")
    expect(national.locator("td[data-state='excused']")).to_have_text("1")

    # What the page shows after a reload is what was stored.
    page.reload()
    anna_group = page.get_by_role("radiogroup", name="Attendance of Anna Kovalenko")
    expect(anna_group.get_by_label("Present")).to_be_checked()
    alena_group = page.get_by_role("radiogroup", name="Attendance of Alena Shostak")
    expect(alena_group.get_by_label("Excused")).to_be_checked()
    ivan_group = page.get_by_role("radiogroup", name="Attendance of Ivan Lis")
    expect(ivan_group.get_by_label("Not recorded")).to_be_checked()

    # --- minutes of the discussion, with a decision --------------------------------------
    page.goto(f"{base}/meetings/{current.id}")
    page.get_by_role("link", name="Write the minutes").click()
    expect(page.get_by_role("heading", name="Minutes")).to_be_visible()
    discussion = page.locator("section.minutes-item").filter(
        has=page.get_by_role("heading", name="3. Discussion on migration data")
    )
    discussion.get_by_label("Minutes").fill(
        "Belstat presented the **new migration survey**.\n\n"
        "- gaps in local data\n- sharing of administrative records"
    )
    discussion.get_by_label("Decisions").fill(
        "A working group on migration data is set up, led by Belstat."
    )
    discussion.get_by_role("button", name="Save this item").click()
    discussion = page.locator("section.minutes-item").filter(
        has=page.get_by_role("heading", name="3. Discussion on migration data")
    )
    rendered = discussion.locator(".minutes-rendered")
    expect(rendered.locator("p strong").first).to_have_text("new migration survey")
    expect(rendered.locator("ul li")).to_have_text(
        ["gaps in local data", "sharing of administrative records"]
    )
    expect(rendered.locator("ol.decisions li")).to_have_text(
        "A working group on migration data is set up, led by Belstat."
    )

    # The preview shows the decision under its item and the attendance.
    page.get_by_role("link", name="Preview the minutes").click()
    expect(
        page.get_by_text("A working group on migration data is set up, led by Belstat.")
    ).to_be_visible()
    expect(page.get_by_text("Anna Kovalenko").first).to_be_visible()

    # --- two commitments, on SDG 10 and SDG 17 -----------------------------------------
    commitments = [
        (
            "Mainstream migration in local development plans",
            "Minsk City Executive Committee",
            "Ivan Lis (Minsk City Executive Committee)",
            "4. Any other business",
            "Q4",
            "SDG 10 — Reduced inequalities",
        ),
        (
            "Publish a migration data dashboard",
            "National Statistical Committee (Belstat)",
            "Alena Shostak (National Statistical Committee (Belstat))",
            "3. Discussion on migration data",
            "Q2",
            "SDG 17 — Partnerships for the goals",
        ),
    ]
    page.goto(f"{base}/meetings/{current.id}")
    page.get_by_role("link", name="Capture commitments").click()
    expect(page.get_by_role("heading", name="Commitments made at this meeting")).to_be_visible()
    expect(page.get_by_text("No commitment has been captured at this meeting yet.")).to_be_visible()
    for description, organisation, responsible, item, quarter, goal in commitments:
        page.get_by_label("Committing organisation(s)").select_option(label=organisation)
        page.get_by_label("Description").fill(description)
        page.get_by_label("Responsible contact (optional)").select_option(label=responsible)
        page.get_by_label("Agenda item (optional)").select_option(label=item)
        page.get_by_label("…or due in a quarter").fill(f"{quarter} {year + 1}")
        page.get_by_label(goal).check()
        page.get_by_role("button", name="Save commitment").click()
        expect(page.get_by_text("Commitment saved.")).to_be_visible()
        expect(
            page.locator("table.commitments tbody tr").filter(has_text=description)
        ).to_be_visible()

    table_rows = page.locator("table.commitments tbody tr")
    expect(table_rows).to_have_count(2)
    plans = table_rows.filter(has_text="Mainstream migration in local development plans")
    expect(plans).to_contain_text("Minsk City Executive Committee")
    expect(plans).to_contain_text("Ivan Lis")
    expect(plans).to_contain_text("Agenda item: Any other business")
    expect(plans).to_contain_text("SDG 10")
    expect(plans).to_contain_text("Open")
    dashboard = table_rows.filter(has_text="Publish a migration data dashboard")
    expect(dashboard).to_contain_text("Belstat")
    expect(dashboard).to_contain_text("Agenda item: Discussion on migration data")
    expect(dashboard).to_contain_text("SDG 17")

    # --- the tracker, filtered by SDG -------------------------------------------------
    page.goto(f"{base}/meetings/{current.id}")
    page.get_by_role("link", name="All commitments").click()
    expect(page.get_by_role("heading", name="Commitments", exact=True)).to_be_visible()
    tracker_rows = page.locator("table.commitments tbody tr")
    expect(tracker_rows).to_have_count(4)  # ours and the two from the third meeting

    page.get_by_label("SDG", exact=True).select_option(label="SDG 10 — Reduced inequalities")
    page.get_by_role("button", name="Filter").click()
    expect(tracker_rows).to_have_count(1)
    expect(tracker_rows.first).to_contain_text("Mainstream migration in local development plans")
    expect(tracker_rows.first).to_contain_text("Fourth extended meeting")
    expect(page.get_by_text("1 commitment", exact=True)).to_be_visible()

    page.get_by_label("SDG", exact=True).select_option(label="SDG 17 — Partnerships for the goals")
    page.get_by_role("button", name="Filter").click()
    expect(tracker_rows).to_have_count(1)
    expect(tracker_rows.first).to_contain_text("Publish a migration data dashboard")
    expect(tracker_rows.first).to_contain_text("Alena Shostak")

    # --- the next meeting: the follow-up item carries them over ---------------------------
    page.goto(f"{base}/meetings/{later.id}")
    page.get_by_role("link", name="Capture commitments").click()
    expect(page.get_by_role("heading", name="Commitments made at this meeting")).to_be_visible()
    page.get_by_role("button", name="Add a “Follow-up of commitments” agenda item").click()
    expect(page.get_by_role("heading", name="Follow-up of commitments")).to_be_visible()
    expect(
        page.get_by_text("The item “Follow-up of commitments” was added at the end of the agenda.")
    ).to_be_visible()
    follow_up = page.locator("ol.follow-up > li")
    expect(follow_up).to_have_count(3)  # the done one from the third meeting is not there
    for description, *_rest in commitments:
        entry = follow_up.filter(has_text=description)
        expect(entry).to_contain_text("Made at Fourth extended meeting")
        expect(entry).to_contain_text("Current status: Open")
    expect(follow_up.filter(has_text="Open a migrant resource centre in Minsk")).to_contain_text(
        "Made at Third extended meeting"
    )
    expect(follow_up.filter(has_text="Translate the city services guide")).to_have_count(0)

    # A status reviewed at the next meeting is recorded against it.
    dashboard_entry = follow_up.filter(has_text="Publish a migration data dashboard")
    dashboard_entry.get_by_label("Status").select_option(label="In progress")
    dashboard_entry.get_by_label("Note").fill("Prototype shown to partners")
    dashboard_entry.get_by_role("button", name="Record update").click()
    expect(page.get_by_text("Status update recorded.")).to_be_visible()
    dashboard_entry = page.locator("ol.follow-up > li").filter(
        has_text="Publish a migration data dashboard"
    )
    expect(dashboard_entry).to_contain_text("Current status: In progress")
    expect(dashboard_entry).to_contain_text("Reviewed at this meeting: In progress")
    expect(dashboard_entry).to_contain_text("Prototype shown to partners")

    # The next meeting's agenda now ends with the follow-up item.
    page.goto(f"{base}/meetings/{later.id}/agenda")
    expect(_agenda_rows(page)).to_have_count(1)
    expect(_agenda_rows(page).first.locator("td.title strong")).to_have_text(
        "Follow-up of commitments"
    )
    expect(_agenda_rows(page).first.locator("td.kind")).to_have_text("Follow-up of commitments")

    # --- what the browser did is what the database holds ---------------------------------
    db.session.expire_all()
    titles = db.session.scalars(
        db.select(AgendaItem.title)
        .where(AgendaItem.meeting_id == current.id)
        .order_by(AgendaItem.position)
    ).all()
    assert titles == [title for _n, _s, title in expected]
    presentation_item = db.session.scalar(
        db.select(AgendaItem).filter_by(meeting_id=current.id, position=1)
    )
    assert [p.contact.name for p in presentation_item.presenters] == ["Pavel Zhuk"]
    assert [(a.filename, a.content_type) for a in presentation_item.attachments] == [
        ("National migration policy.pdf", "application/pdf")
    ]
    attendance = {
        invitation.contact.name: invitation.attendance
        for invitation in db.session.scalars(db.select(Invitation).filter_by(meeting_id=current.id))
    }
    assert attendance == {
        "Anna Kovalenko": Attendance.PRESENT,
        "Pavel Zhuk": Attendance.PRESENT,
        "Alena Shostak": Attendance.EXCUSED,
        "Ivan Lis": None,
    }
    made_here = {
        c.description: c
        for c in db.session.scalars(db.select(Commitment).filter_by(meeting_id=current.id))
    }
    assert made_here["Mainstream migration in local development plans"].goals == [10]
    assert made_here["Mainstream migration in local development plans"].due_date == date(
        year + 1, 12, 31
    )
    dashboard_commitment = made_here["Publish a migration data dashboard"]
    assert dashboard_commitment.goals == [17]
    assert dashboard_commitment.status == CommitmentStatus.IN_PROGRESS
    assert dashboard_commitment.updates[-1].meeting_id == later.id
