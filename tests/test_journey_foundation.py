"""Browser journey: a secretariat user logs in, adds an organisation and a contact,
creates a meeting in Europe/Minsk and sees it listed with the right local time."""

from datetime import date

import pytest
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.models import Contact, Meeting, Role
from tests.factories import PASSWORD, make_user

# A live server: its requests run in threads, on connections of their own.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_secretariat_sets_up_a_meeting_in_minsk(app, live_server, page):
    make_user(role=Role.SECRETARIAT, email="olga@example.org", name="Olga Secretariat")
    base = live_server.url
    year = date.today().year + 1

    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("Olga@Example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Olga Secretariat")).to_be_visible()

    page.goto(f"{base}/directory/organisations/new")
    page.get_by_label("Name").fill("National Statistical Committee")
    page.get_by_label("Acronym").fill("Belstat")
    page.get_by_label("Category").select_option(label="National government")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("National Statistical Committee").first).to_be_visible()

    page.goto(f"{base}/directory/contacts/new")
    page.get_by_label("Name").fill("Alena Shostak")
    page.get_by_label("Email").fill("a.shostak@example.org")
    page.get_by_label("Organisation *").select_option(
        label="National Statistical Committee (Belstat)"
    )
    page.get_by_role("button", name="Save").click()
    page.goto(f"{base}/directory/contacts?q=shostak")
    expect(page.get_by_role("cell", name="Alena Shostak")).to_be_visible()

    page.goto(f"{base}/meetings/new")
    page.get_by_label("Title").fill("Fourth extended meeting")
    page.get_by_label("Timezone").select_option("Europe/Minsk")
    page.get_by_label("Starts").fill(f"{year}-03-04T10:00")
    page.get_by_label("Ends").fill(f"{year}-03-04T13:30")
    page.get_by_label("Venue").fill("UN House, Minsk")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Fourth extended meeting")).to_be_visible()

    page.goto(f"{base}/")
    row = page.get_by_role("row").filter(has_text="Fourth extended meeting")
    expect(row).to_contain_text("4 Mar")
    expect(row).to_contain_text("10:00")
    expect(row).to_contain_text("(Europe/Minsk)")

    # What the browser did is what the database holds: 10:00 in Minsk is 07:00 UTC.
    db.session.expire_all()
    meeting = db.session.scalar(db.select(Meeting).filter_by(title="Fourth extended meeting"))
    assert meeting.starts_at.isoformat() == f"{year}-03-04T07:00:00+00:00"
    assert meeting.timezone == "Europe/Minsk"
    contact = db.session.scalar(db.select(Contact).filter_by(email="a.shostak@example.org"))
    assert contact.organisation.acronym == "Belstat"
