"""Browser journey of issue 22: the secretariat asks the Ministry and two regional
committees to nominate → a focal point on a 360 px phone nominates two people, one of
them online → the nominees answer through their RSVP links (one in person, one online)
→ the one seat is taken once → attendance marks one present in person, one online → the
minutes' attendance list and the periodic report show the split.

The official letters are checked in tests/test_letters.py (one rendering per module);
here their rendering job is left queued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.links import nomination_token, rsvp_token
from coordapp.models import (
    Category,
    Invitation,
    InvitationStatus,
    NominationRequest,
    Role,
    utcnow,
)
from coordapp.nominations import tasks
from tests.factories import (
    PASSWORD,
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.commits]

TITLE = "Fourth extended meeting"


def _phone(browser):
    context = browser.new_context(
        locale="en-GB", timezone_id="Europe/Minsk", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_nominations_to_the_split_in_the_report(app, live_server, browser, page, monkeypatch):
    monkeypatch.setattr(tasks, "render_nomination_letters", lambda ids: None)
    base = live_server.url
    make_user(Role.SECRETARIAT, email="olga@example.org", name="Olga Secretariat")
    chair = make_user(name="Rita Coordinator")
    starts_at = utcnow().replace(microsecond=0, second=0) + timedelta(days=12)
    meeting = make_meeting(
        TITLE,
        series=make_series("Country Network on Migration"),
        number=4,
        starts_at=starts_at,
        venue="UN House, Minsk",
        online_url="https://meet.example.org/cnm4",
        capacity=1,
        rsvp_deadline=starts_at - timedelta(days=2),
        chairs=[(chair, "Co-chair")],
    )
    ministry = make_organisation(
        "Ministry of Internal Affairs", "MVD", Category.NATIONAL_GOVERNMENT
    )
    make_contact(ministry, "Maria Ministry", "focal@mvd.example", focal_point=True)
    grodno = make_organisation(
        "Grodno Regional Executive Committee", None, Category.LOCAL_GOVERNMENT
    )
    make_contact(grodno, "Gleb Grodno", "focal@grodno.example", focal_point=True)
    make_organisation(
        "Brest Regional Executive Committee",
        None,
        Category.LOCAL_GOVERNMENT,
        general_email="info@brest.example",
    )
    meeting_id, series_id, year = meeting.id, meeting.series_id, starts_at.year

    # --- the secretariat asks three organisations ----------------------------------------
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/meetings/{meeting_id}")
    page.get_by_role("link", name="Ask organisations to nominate").click()
    organisations = page.get_by_role("group", name="Organisations to nominate")
    organisations.get_by_label("Ministry of Internal Affairs (MVD)").check()
    page.get_by_role("group", name="Whole categories").get_by_label("Local government").check()
    page.get_by_role("button", name="Ask to nominate").click()
    expect(page.get_by_role("heading", name="Nomination requests")).to_be_visible()
    table = page.locator("#nominations")
    for name in ("Ministry of Internal Affairs", "Grodno", "Brest"):
        expect(table).to_contain_text(name)

    db.session.expire_all()
    grodno_request = db.session.scalar(
        db.select(NominationRequest).where(NominationRequest.organisation_id == grodno.id)
    )
    nomination_url = f"{base}/nominate/{nomination_token(grodno_request)}"

    # --- Grodno's focal point, on a phone, nominates two people -------------------------
    context, phone = _phone(browser)
    try:
        phone.goto(nomination_url)
        expect(phone.locator("#places-left")).to_contain_text("2 places left of 2.")
        _no_sideways_scroll(phone)
        for name, email, mode in (
            ("Pavel Inperson", "pavel@grodno.example", "In person"),
            ("Olga Online", "olga@grodno.example", "Online"),
        ):
            form = phone.locator("#nominate form").first
            form.get_by_label("Name").fill(name)
            form.get_by_label("Email").fill(email)
            form.get_by_label("Position (optional)").fill("Head of Department")
            form.get_by_role("group", name="How will they take part?").get_by_label(mode).check()
            form.get_by_role("button", name="Nominate", exact=True).click()
            expect(phone.locator("#confirmation")).to_be_visible()
        expect(phone.locator("#places-left")).to_contain_text("0 places left of 2.")
        expect(phone.locator("#nominees")).to_contain_text("Olga Online")
        _no_sideways_scroll(phone)
    finally:
        context.close()

    # --- the nominees answer through their own links ------------------------------------
    db.session.expire_all()
    nominees = {
        i.contact.email: i
        for i in db.session.scalars(
            db.select(Invitation).where(Invitation.nomination_id == grodno_request.id)
        )
    }
    for email, mode in (("pavel@grodno.example", "In person"), ("olga@grodno.example", "Online")):
        context, phone = _phone(browser)
        try:
            phone.goto(f"{base}/rsvp/{rsvp_token(nominees[email])}")
            assert "meet.example.org" not in phone.content()  # not before accepting
            answer = phone.locator("#answer")
            answer.get_by_label("Yes, I will attend").check()
            answer.get_by_role("group", name="How will you take part?").get_by_label(mode).check()
            answer.get_by_role("button", name="Send my answer").click()
            expect(phone.locator("#current-answer")).to_contain_text("You accepted")
            expect(phone.locator("#online-link")).to_be_visible()
            _no_sideways_scroll(phone)
        finally:
            context.close()
    # One seat (capacity 1): taken by the one in person; the online one took none.
    db.session.expire_all()
    statuses = {email: db.session.get(Invitation, i.id).status for email, i in nominees.items()}
    assert set(statuses.values()) == {InvitationStatus.ACCEPTED}

    # --- the invitations page, by organisation: one button reminds the silent ones ------
    page.goto(f"{base}/meetings/{meeting_id}/invitations")
    groups = page.locator("#by-organisation")
    grodno_row = groups.locator(f'tr[data-organisation="{grodno.id}"]')
    expect(grodno_row.locator('[data-count="nominated"]')).to_have_text("2")
    expect(grodno_row.locator('[data-count="accepted"]')).to_have_text("2")
    expect(groups.locator(f'tr[data-organisation="{ministry.id}"]')).to_contain_text(
        "No nomination yet"
    )
    page.get_by_role("button", name="Remind the 2 focal points who have nominated no one").click()
    expect(page.get_by_text("Reminders were queued for 2 focal points.")).to_be_visible()
    expect(page.locator("#remind-focal-points")).to_have_count(1)  # still silent: still offered

    # --- on the day: present in person, present online ------------------------------------
    page.goto(f"{base}/meetings/{meeting_id}/attendance")
    page.locator(
        f'input[name="attendance-{nominees["pavel@grodno.example"].id}"][value="present"]'
    ).check()
    page.locator(
        f'input[name="attendance-{nominees["olga@grodno.example"].id}"][value="present_online"]'
    ).check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator('#attendance-counts li[data-state="present_online"]')).to_contain_text("1")
    page.get_by_role("button", name="Mark the meeting as held").click()

    # --- the minutes' attendance list and the report show the split ----------------------
    page.goto(f"{base}/meetings/{meeting_id}/minutes")  # the minutes' first version
    page.goto(f"{base}/meetings/{meeting_id}/minutes/preview")
    expect(page.locator(".minutes-split")).to_contain_text("In person: 1; online: 1.")
    expect(page.locator(".minutes-attendance")).to_contain_text("Olga Online")
    page.goto(f"{base}/series/{series_id}/report?year={year}")
    expect(page.locator("#participation-format")).to_contain_text(
        "1 in person, 1 online, of whom 1 from local government"
    )
