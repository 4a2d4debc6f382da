"""Browser journey (issue 5): the secretariat submits the minutes; chair 1 approves and
signs; chair 2 returns them with a comment; the secretariat reads the comment, corrects an
item and submits again; both chairs approve; a chair downloads the signed PDF, poppler's
`pdfsig` finds both signatures valid, and the public /verify page calls the file authentic.

The PDF is rendered at each submission (twice) and signed four times, inside the requests
(Huey runs immediately in tests)."""

import subprocess
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.models import Category, MeetingStatus, Role
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import MinutesApproval, SignatureStatus
from coordapp.models.commitment import Commitment, CommitmentSDG, CommitmentStatus
from coordapp.models.minutes import MinutesStatus, MinutesVersion
from coordapp.signing.ca import init_ca
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

CHAIR_ONE = "Anna Resident"
CHAIR_TWO = "Аляксандр Лукашэвіч"
COMMENT = "Please name the statistics office in the data item."
SUBMITTED = "Version 1 of the minutes is submitted for approval"
CORRECTED = "The National Statistical Committee presented the migration data dashboard."


def log_in(page, base, email, name):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


@pytest.fixture
def new_page(browser):
    """Another person's browser (own cookies); closed after the test, even on failure."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="en-GB", timezone_id="UTC", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def open_version_from_meeting_page(page, base, meeting_id):
    page.goto(f"{base}/meetings/{meeting_id}")
    page.get_by_role("link", name="Review and approve the minutes").click()
    expect(page.get_by_role("heading", name="Minutes, version 1")).to_be_visible()


def approve_and_sign(page):
    page.get_by_role("button", name="Approve and sign").click()
    expect(page.get_by_text("Thank you: you approved the minutes.")).to_be_visible()
    expect(page.get_by_text("Signed at")).to_be_visible()


def test_chairs_approve_returned_and_corrected_minutes_and_the_pdf_verifies(
    app, live_server, page, new_page, tmp_path
):
    # --- set-up: CA, a held meeting with two chairs, agenda with minutes, a commitment --
    init_ca()
    db.session.commit()
    make_user(Role.SECRETARIAT, email="sam@example.org", name="Sam Secretariat")
    chair_one = make_user(Role.MEMBER, email="anna@example.org", name=CHAIR_ONE)
    chair_two = make_user(Role.MEMBER, email="alex@example.org", name=CHAIR_TWO)
    series = make_series(name="UN Country Network on Migration")
    meeting = make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        status=MeetingStatus.HELD,
        starts_at=datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
        chairs=[(chair_one, "UN Resident Coordinator"), (chair_two, "Head of IOM office")],
    )
    meeting_id = meeting.id
    agenda = [
        AgendaItem(
            meeting_id=meeting_id,
            position=n,
            title=title,
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=30,
        )
        for n, title in enumerate(["Opening remarks", "Migration data"])
    ]
    db.session.add_all(agenda)
    db.session.commit()
    version = minutes_service.current_version(meeting)
    db.session.commit()
    version_id = version.id
    items = {item.agenda_item.title: item for item in minutes_service.minutes_items(version)}
    for title, text in [
        ("Opening remarks", "The co-chairs welcomed the partners."),
        ("Migration data", "Partners discussed a migration data dashboard."),
    ]:
        item = items[title]
        minutes_service.save_item(item, text, [], item.lock_version, by=None)
    db.session.commit()
    statistics = make_organisation(
        name="National Statistical Committee", category=Category.NATIONAL_GOVERNMENT
    )
    responsible = make_contact(statistics, name="Ірына Шчарбакова", email="iryna@example.org")
    commitment = Commitment(
        meeting_id=meeting_id,
        agenda_item_id=agenda[1].id,
        description="Publish a migration data dashboard",
        responsible_contact_id=responsible.id,
        due_date=date(2026, 6, 30),
        status=CommitmentStatus.OPEN,
    )
    commitment.organisations = [statistics]
    commitment.sdgs = [CommitmentSDG(goal=17)]
    db.session.add(commitment)
    db.session.commit()

    base = live_server.url
    page.set_default_timeout(30_000)
    secretariat = page
    anna = new_page()
    alex = new_page()

    # --- the secretariat submits the minutes from the meeting page ----------------------
    log_in(secretariat, base, "sam@example.org", "Sam Secretariat")
    secretariat.goto(f"{base}/meetings/{meeting_id}")
    minutes = secretariat.locator("#minutes")
    minutes.get_by_role("button", name="Submit for approval").click()
    expect(secretariat.get_by_text(SUBMITTED)).to_be_visible()
    expect(secretariat.get_by_role("heading", name="Minutes, version 1")).to_be_visible()

    # --- chair 1 approves and signs ----------------------------------------------------
    log_in(anna, base, "anna@example.org", CHAIR_ONE)
    open_version_from_meeting_page(anna, base, meeting_id)
    expect(anna.get_by_text("Partners discussed a migration data dashboard.")).to_be_visible()
    approve_and_sign(anna)

    # --- chair 2 returns it with a comment ---------------------------------------------
    log_in(alex, base, "alex@example.org", CHAIR_TWO)
    open_version_from_meeting_page(alex, base, meeting_id)
    alex.get_by_text("Return with a comment").first.click()  # opens the <details>
    alex.get_by_label("Comment for the secretariat").fill(COMMENT)
    alex.locator("#return-form").get_by_role("button", name="Return with a comment").click()
    expect(alex.get_by_text("You returned the minutes to the secretariat")).to_be_visible()

    db.session.expire_all()
    assert db.session.get(MinutesVersion, version_id).status is MinutesStatus.DRAFT
    assert db.session.query(MinutesApproval).filter_by(version_id=version_id).count() == 0

    # --- the secretariat reads the comment, corrects the item and resubmits -------------
    secretariat.goto(f"{base}/meetings/{meeting_id}")
    returns = secretariat.locator(".approval-returns")
    expect(returns).to_contain_text(f"{CHAIR_TWO} returned this version")
    expect(returns).to_contain_text(COMMENT)
    secretariat.get_by_role("link", name="Write the minutes").click()
    data_item = secretariat.locator(".minutes-item").filter(
        has=secretariat.get_by_role("heading", name="2. Migration data")
    )
    data_item.get_by_label("Minutes").fill(CORRECTED)
    data_item.get_by_role("button", name="Save this item").click()
    expect(secretariat.get_by_text("Saved the minutes of “Migration data”.")).to_be_visible()
    secretariat.goto(f"{base}/meetings/{meeting_id}")
    secretariat.locator("#minutes").get_by_role("button", name="Submit for approval").click()
    expect(secretariat.get_by_text(SUBMITTED)).to_be_visible()

    # --- both chairs approve: chair 2 first, then chair 1 --------------------------------
    open_version_from_meeting_page(alex, base, meeting_id)
    expect(alex.get_by_text(CORRECTED)).to_be_visible()
    approve_and_sign(alex)
    open_version_from_meeting_page(anna, base, meeting_id)
    approve_and_sign(anna)
    expect(anna.get_by_text("Approved by every chair on")).to_be_visible()

    db.session.expire_all()
    version = db.session.get(MinutesVersion, version_id)
    assert version.status is MinutesStatus.APPROVED
    assert version.meeting.status is MeetingStatus.CLOSED
    approvals = db.session.query(MinutesApproval).filter_by(version_id=version_id).all()
    assert [a.status for a in approvals] == [SignatureStatus.SIGNED] * 2

    # --- a chair downloads the signed PDF ------------------------------------------------
    with anna.expect_download() as download_info:
        anna.get_by_role("link", name="Download the signed PDF").click()
    download = download_info.value
    assert download.suggested_filename == "un-country-network-on-migration-04-minutes-v1.pdf"
    pdf_path = tmp_path / download.suggested_filename
    download.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    pdfsig = subprocess.run(["pdfsig", str(pdf_path)], capture_output=True, text=True, timeout=60)
    assert pdfsig.stdout.count("Signature Validation: Signature is Valid.") == 2, pdfsig.stdout
    assert CHAIR_ONE in pdfsig.stdout and CHAIR_TWO in pdfsig.stdout, pdfsig.stdout

    # --- anyone can check the file on the public page (a fresh, anonymous browser) ----
    visitor = new_page()
    visitor.goto(f"{base}/verify")
    visitor.get_by_label("Minutes PDF").set_input_files(str(pdf_path))
    visitor.get_by_role("button", name="Check the file").click()
    expect(visitor.locator("#verdict")).to_contain_text("Authentic and unchanged")
    which = visitor.locator("section").filter(
        has=visitor.get_by_role("heading", name="Which minutes")
    )
    expect(which).to_contain_text("UN Country Network on Migration")
    expect(which).to_contain_text("Fourth extended meeting")
    expect(which).to_contain_text("Version 1")
    expect(which).to_contain_text("Signed by all 2 chairs.")
    signatures = visitor.locator("tr.signature")
    expect(signatures).to_have_count(2)
    expect(visitor.locator("table")).to_contain_text(CHAIR_ONE)
    expect(visitor.locator("table")).to_contain_text(CHAIR_TWO)
