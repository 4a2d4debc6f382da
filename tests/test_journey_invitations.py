"""Browser journey (issue 3): the secretariat invites three contacts through the
invitation page; one invitee reads the email that reached a real SMTP server, opens
the personal link in a fresh browser (no account), accepts with a dietary need, and
the secretariat sees the answer, the need and the updated counts."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.mail.delivery import deliver_due_messages
from coordapp.models import Category, Invitation, InvitationStatus, Role
from tests.factories import (
    PASSWORD,
    make_contact,
    make_meeting,
    make_organisation,
    make_user,
)
from tests.smtp import body_text, calendar_part

# A live server: its requests run in threads, on connections of their own.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

TITLE = "Fourth extended meeting"


def subject(message) -> str:
    """The subject as a mail client shows it. A long subject is folded right after
    "Subject:", and Python's parser then keeps the fold's leading space."""
    return " ".join(str(message["Subject"]).split())


def test_invitee_accepts_through_the_emailed_link(app, live_server, page, browser, smtp_server):
    base = live_server.url
    # Links in emails are built from BASE_URL: point it at the server the browser uses.
    app.config["BASE_URL"] = base

    make_user(role=Role.SECRETARIAT, email="olga@example.org", name="Olga Secretariat")
    chair = make_user(email="rc@example.org", name="Rita Coordinator")
    iom = make_organisation("International Organization for Migration", "IOM")
    city = make_organisation("Minsk City Executive Committee", category=Category.LOCAL_GOVERNMENT)
    alena = make_contact(iom, "Alena Shostak", "a.shostak@example.org")
    make_contact(iom, "Pavel Lis", "p.lis@example.org")
    make_contact(city, "Ivan Zhuk", "i.zhuk@example.org")
    make_contact(city, "Not Invited", "nobody@example.org")

    # 10:00 in Minsk (UTC+3, no DST) is 07:00 UTC.
    day = date.today() + timedelta(days=40)
    starts_at = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
    meeting = make_meeting(
        TITLE,
        starts_at=starts_at,
        timezone_name="Europe/Minsk",
        venue="UN House, Minsk",
        rsvp_deadline=starts_at - timedelta(days=10),
        chairs=[(chair, "Co-chair")],
    )

    # --- the secretariat invites three contacts, picked in the UI -----------------------
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Olga Secretariat")).to_be_visible()

    page.goto(f"{base}/meetings/{meeting.id}")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    page.get_by_role("link", name="Invite contacts").click()
    expect(page.get_by_role("heading", name=f"Invite to {TITLE}")).to_be_visible()
    # A searchable checklist: each search narrows the list, the ticked ones stay shown.
    contacts = page.get_by_role("group", name="Contacts", exact=True)
    search = contacts.get_by_label("Search the list")
    for choice in [
        "Alena Shostak — International Organization for Migration (IOM)",
        "Pavel Lis — International Organization for Migration (IOM)",
        "Ivan Zhuk — Minsk City Executive Committee",
    ]:
        search.fill(choice.split(" — ")[0])
        contacts.get_by_label(choice).check()
    expect(
        contacts.get_by_label("Alena Shostak — International Organization for Migration (IOM)")
    ).to_be_checked()
    expect(contacts.get_by_text("Chosen: 3")).to_be_visible()
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_text("3 contacts invited.")).to_be_visible()
    expect(page.get_by_role("heading", name="Invitations")).to_be_visible()
    counts = page.locator("#counts")
    expect(counts.locator("li[data-status=pending] strong")).to_have_text("3")
    expect(counts.locator("li[data-status=accepted] strong")).to_have_text("0")
    expect(page.locator("#invitations tbody tr")).to_have_count(3)
    expect(page.get_by_role("cell", name="Not Invited")).to_have_count(0)

    # --- the outbox goes to the SMTP server; Alena reads her invitation -----------------
    summary = deliver_due_messages()
    assert summary["sent"] == 3, summary
    inbox = smtp_server.to("a.shostak@example.org")
    assert len(inbox) == 1
    invitation_mail = inbox[0]
    assert subject(invitation_mail).startswith(f"Invitation: {TITLE}, ")
    assert subject(invitation_mail).endswith(f"{day.year}, 10:00 (Europe/Minsk)")
    ics = calendar_part(invitation_mail)
    assert ics is not None
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method").upper() == "REQUEST"
    text = body_text(invitation_mail)
    links = [w for w in text.split() if w.startswith(f"{base}/rsvp/")]
    assert len(links) == 1, text
    personal_link = links[0]

    # --- Alena opens her link in her own browser: no login ------------------------------
    guest_context = browser.new_context(locale="en-GB", timezone_id="UTC")
    try:
        guest = guest_context.new_page()
        guest.set_default_timeout(15_000)
        guest.goto(personal_link)
        expect(guest.get_by_role("heading", name=TITLE)).to_be_visible()
        expect(guest.get_by_text("Personal invitation for Alena Shostak")).to_be_visible()
        details = guest.locator("#meeting")
        starts = re.compile(rf"Starts\s*\w+ {day.day} \w+ {day.year}, 10:00 \(Europe/Minsk\)")
        expect(details).to_contain_text(starts)
        expect(details).to_contain_text("UN House, Minsk")
        expect(details).to_contain_text("Rita Coordinator — Co-chair")
        expect(guest.locator("#current-answer")).to_have_text("You have not answered yet.")
        expect(guest.get_by_role("link", name="Olga Secretariat")).to_have_count(0)

        guest.get_by_label("Yes, I will attend").check()
        guest.get_by_label("Accessibility or dietary needs").fill("Vegetarian, no nuts")
        guest.get_by_role("button", name="Send my answer").click()
        confirmation = guest.locator("#confirmation")
        expect(confirmation).to_contain_text("Your answer has been recorded")
        expect(confirmation).to_contain_text("You accepted: you will attend.")
        expect(confirmation).to_contain_text("Needs: Vegetarian, no nuts")
        expect(confirmation).to_contain_text(
            "A confirmation has been sent to a.shostak@example.org"
        )
        expect(guest.locator("#current-answer")).to_have_text("You accepted: you will attend.")
    finally:
        guest_context.close()

    # --- the secretariat sees the answer, the need and the counts -----------------------
    page.goto(f"{base}/meetings/{meeting.id}/invitations")
    row = page.locator("#invitations tbody tr").filter(has_text="Alena Shostak")
    expect(row).to_contain_text("Accepted")
    expect(row).to_contain_text("Vegetarian, no nuts")
    for other in ("Pavel Lis", "Ivan Zhuk"):
        expect(page.locator("#invitations tbody tr").filter(has_text=other)).to_contain_text(
            "No answer yet"
        )
    counts = page.locator("#counts")
    expect(counts.locator("li[data-status=accepted] strong")).to_have_text("1")
    expect(counts.locator("li[data-status=pending] strong")).to_have_text("2")
    expect(counts).to_contain_text("All invited: 3")

    db.session.expire_all()
    invitation = db.session.scalar(db.select(Invitation).filter_by(contact_id=alena.id))
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.needs == "Vegetarian, no nuts"
    assert invitation.responded_at is not None
    assert invitation.response_recorded_by_id is None  # she answered herself

    # --- the confirmation email reaches the SMTP server ---------------------------------
    summary = deliver_due_messages()
    assert summary["sent"] == 1, summary
    inbox = smtp_server.to("a.shostak@example.org")
    assert len(inbox) == 2
    confirmation_mail = inbox[1]
    assert subject(confirmation_mail) == f"Your answer: Accepted — {TITLE}"
    confirmation_text = body_text(confirmation_mail)
    assert "You accepted: you will attend." in confirmation_text
    assert "Vegetarian, no nuts" in confirmation_text
    assert personal_link in confirmation_text
    assert len(smtp_server.messages) == 4  # three invitations, one confirmation
