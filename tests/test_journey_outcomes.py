"""Browser journey (issue 13): the chair approves the minutes; the secretariat opens
"Public summary" from the meeting page, starts the draft pre-filled from the approved
minutes, edits it and publishes it; an anonymous reader finds it in the series' public
list, reads it (also on a 360 px phone), and the series' Atom feed carries the entry.

One PDF is rendered (at submission) and signed once, inside the requests (Huey runs
immediately in tests)."""

from datetime import UTC, datetime

import feedparser
import pytest
from playwright.sync_api import expect

from coordapp.approval import service as approval_service
from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.models import Attendance, Category, InvitationStatus, MeetingStatus, Role
from coordapp.models.agenda import AgendaItem
from coordapp.models.invitation import Invitation
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


def test_approve_draft_publish_and_an_anonymous_reader_finds_it(app, live_server, page, new_page):
    # --- set-up: a held meeting, its minutes submitted for approval (rendered once) --------
    init_ca()
    db.session.commit()
    secretariat = make_user(Role.SECRETARIAT, email="sam@example.org", name="Sam Secretariat")
    chair = make_user(Role.MEMBER, email="anna@example.org", name="Anna Resident")
    series = make_series(name="UN Country Network on Migration")
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
    expect(reader.locator("main")).not_to_contain_text(PARTICIPANT)
    assert reader.evaluate("document.documentElement.scrollWidth") <= 360
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
