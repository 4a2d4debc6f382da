"""Browser journey (issue 12): the secretariat finds a date with a poll and it becomes the
meeting and its invitations.

The secretariat creates a poll on a draft meeting with 4 candidate dates, marks a key
organisation and asks 6 people (the 2 chairs, a whole key organisation, and contacts of two
more organisations picked one by one). The poll's emails reach a real SMTP server; each
person answers through the link in their own email (one on a 360 px phone, one with the
keyboard alone). The secretariat opens the results, sees the suggested date and why,
chooses it; the invitations with a calendar REQUEST and the "date chosen" emails reach the
SMTP server, and the RSVP link of an invitation opens the RSVP page, where accepting works.
"""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.mail.delivery import deliver_due_messages
from coordapp.models import (
    Category,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    Poll,
    PollSlot,
    Role,
)
from tests.factories import (
    PASSWORD,
    make_contact,
    make_meeting,
    make_organisation,
    make_user,
)
from tests.smtp import body_text, calendar_part

pytestmark = [pytest.mark.browser, pytest.mark.commits]

TITLE = "Sixth coordination meeting"
# The meeting is in Minsk (UTC+3 all year).
DAY = date.today() + timedelta(days=30)
SLOTS = [  # (day, start, end), local to Minsk
    (DAY, "10:00", "12:00"),
    (DAY + timedelta(days=1), "10:00", "12:00"),
    (DAY + timedelta(days=2), "14:00", "16:00"),
    (DAY + timedelta(days=3), "10:00", "12:00"),
]
Y, M, N = "yes", "if_need_be", "no"
# Each person's answers to the four dates. The first date has the most "yes" but a chair
# cannot come; on the third, the key organisation cannot; the second and the fourth suit
# both chairs and the key organisation, and the second has more "yes": it is suggested.
ANSWERS = {
    "rita@example.org": (Y, Y, Y, M),  # chair
    "tomas@example.org": (N, M, Y, Y),  # chair
    "alena@undp.example.org": (Y, Y, N, Y),  # key organisation
    "maria@undp.example.org": (Y, Y, N, N),  # key organisation
    "pavel@labour.example.org": (Y, Y, Y, N),  # by keyboard alone
    "ivan@minsk.example.org": (Y, N, Y, M),  # on a phone
}
PHONE = "ivan@minsk.example.org"
KEYBOARD = "pavel@labour.example.org"


def subject(message) -> str:
    return " ".join(str(message["Subject"]).split())


def _link(message, prefix: str) -> str:
    (link,) = [w for w in body_text(message).split() if w.startswith(prefix)]
    return link


def _focused_name(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name || ''")


def _answer_with_the_keyboard(page, slot_ids, choices) -> None:
    """Tab to each date's radio group; Space picks "Yes", arrows move to the others."""
    for _ in range(60):
        if _focused_name(page) == f"slot-{slot_ids[0]}":
            break
        page.keyboard.press("Tab")
    for slot_id, choice in zip(slot_ids, choices, strict=True):
        assert _focused_name(page) == f"slot-{slot_id}"
        if choice == Y:
            page.keyboard.press("Space")
        else:
            page.keyboard.press("ArrowRight")  # moves to "If need be" and picks it
            if choice == N:
                page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
    assert _focused_name(page) == "comment"
    page.keyboard.type("Any day but Thursday.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")


def test_a_poll_finds_the_date_and_turns_into_the_invitations(
    app, live_server, page, browser, smtp_server
):
    base = live_server.url
    app.config["BASE_URL"] = base  # links in emails point at the server the browser uses

    make_user(Role.SECRETARIAT, email="olga@example.org", name="Olga Secretariat")
    rita = make_user(email="rita@example.org", name="Rita Coordinator")
    tomas = make_user(email="tomas@example.org", name="Tomas Minister")
    undp = make_organisation("United Nations Development Programme", "UNDP")
    labour = make_organisation(
        "Ministry of Labour", category=Category.NATIONAL_GOVERNMENT, acronym="MoL"
    )
    city = make_organisation("Minsk City Executive Committee", category=Category.LOCAL_GOVERNMENT)
    make_contact(undp, "Alena Shostak", "alena@undp.example.org")
    make_contact(undp, "Maria Kovalenko", "maria@undp.example.org")
    make_contact(labour, "Pavel Lis", "pavel@labour.example.org")
    make_contact(labour, "Not Asked", "nobody@labour.example.org")
    make_contact(city, "Ivan Zhuk", "ivan@minsk.example.org")
    meeting = make_meeting(
        TITLE,
        status=MeetingStatus.DRAFT,
        timezone_name="Europe/Minsk",
        venue="UN House, Minsk",
        chairs=[(rita, "Co-chair"), (tomas, "Co-chair")],
    )
    meeting_id = meeting.id

    # --- the secretariat creates the poll from the draft meeting's page -----------------
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Olga Secretariat")).to_be_visible()

    page.goto(f"{base}/meetings/{meeting_id}")
    page.get_by_role("link", name="Find a date with a poll").click()
    expect(page.get_by_role("heading", name=f"Find a date for {TITLE}")).to_be_visible()
    page.get_by_label("Message to the people asked").fill("Which of these dates suit you?")
    page.get_by_label("Answers by").fill(f"{DAY - timedelta(days=10)}T18:00")
    expect(page.get_by_label("Ask the meeting's chairs")).to_be_checked()
    page.get_by_role("button", name="Create the poll").click()
    expect(page.get_by_text("The poll was created.")).to_be_visible()

    # --- four candidate dates -----------------------------------------------------------
    slots = page.locator("#slots")
    for n, (day, start, end) in enumerate(SLOTS, start=1):
        slots.locator("#day").fill(day.isoformat())
        slots.locator("#start").fill(start)
        slots.locator("#end").fill(end)
        slots.get_by_role("button", name="Add the date").click()
        expect(page.get_by_text("The date was added to the poll.")).to_be_visible()
        expect(slots.locator("tbody tr")).to_have_count(n)
        if n == 1:  # the chairs' email waited for a date to ask about
            waited = page.get_by_text("The poll's email is on its way to the 2 people asked.")
            expect(waited).to_be_visible()

    # --- the key organisation -----------------------------------------------------------
    key = page.locator("#key-organisations")
    key.get_by_label("United Nations Development Programme (UNDP)").check()
    key.get_by_role("button", name="Save the key organisations").click()
    expect(page.get_by_text("The key organisations were saved.")).to_be_visible()

    # --- whom to ask: the chairs were asked with the poll; a whole organisation and two
    # contacts picked one by one ---------------------------------------------------------
    people = page.locator("#people")
    expect(people.locator("tbody tr")).to_have_count(2)
    people.get_by_role("link", name="Ask people").click()
    expect(page.get_by_role("heading", name=f"Ask people: {TITLE}")).to_be_visible()
    page.get_by_role("group", name="Everyone at these organisations").get_by_label(
        "United Nations Development Programme (UNDP)"
    ).check()
    contacts = page.get_by_role("group", name="Contacts", exact=True)
    contacts.get_by_label("Pavel Lis — Ministry of Labour (MoL)").check()
    contacts.get_by_label("Ivan Zhuk — Minsk City Executive Committee").check()
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_text("4 people asked; the poll's email is on its way.")).to_be_visible()
    people = page.locator("#people")
    expect(people.locator("tbody tr")).to_have_count(6)
    expect(people.get_by_text("Not Asked")).to_have_count(0)
    expect(page.locator("#poll-summary")).to_contain_text("0 of 6 people")

    # --- the poll's emails reach the SMTP server; each person answers from theirs -------
    summary = deliver_due_messages()
    assert summary["sent"] == 6, summary
    assert sorted(a for _, rcpts in smtp_server.handler.envelopes for a in rcpts) == sorted(ANSWERS)
    slot_ids = list(
        db.session.scalars(
            sa.select(PollSlot.id)
            .join(PollSlot.poll)
            .where(Poll.meeting_id == meeting_id)
            .order_by(PollSlot.starts_at)
        )
    )
    assert len(slot_ids) == 4

    desk = browser.new_context(locale="en-GB", timezone_id="Europe/Minsk")
    phone = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/Minsk",
        viewport={"width": 360, "height": 740},
        has_touch=True,
        is_mobile=True,
    )
    try:
        guest = desk.new_page()
        guest.set_default_timeout(15_000)
        on_phone = phone.new_page()
        on_phone.set_default_timeout(15_000)
        for address, choices in ANSWERS.items():
            (mail,) = smtp_server.to(address)
            assert subject(mail) == f"Which date suits you? {TITLE}"
            assert "Which of these dates suit you?" in body_text(mail)
            tab = on_phone if address == PHONE else guest
            tab.goto(_link(mail, f"{base}/poll/"))
            expect(tab.get_by_role("heading", name=TITLE)).to_be_visible()
            expect(tab.locator("fieldset.poll-slot")).to_have_count(4)
            if address == KEYBOARD:
                _answer_with_the_keyboard(tab, slot_ids, choices)
            else:
                for slot_id, choice in zip(slot_ids, choices, strict=True):
                    tab.locator(f"#slot-{slot_id}-{choice}").check()
                tab.get_by_role("button", name="Send my answers").click()
            expect(tab.locator("#confirmation")).to_contain_text("your answers have been recorded")
            for slot_id, choice in zip(slot_ids, choices, strict=True):
                expect(tab.locator(f"#slot-{slot_id}-{choice}")).to_be_checked()
            if tab is on_phone:
                assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        desk.close()
        phone.close()

    # --- the secretariat opens the results and sees the suggestion and why --------------
    page.reload()
    expect(page.locator("#poll-summary")).to_contain_text("6 of 6 people")
    page.locator("#poll-summary").get_by_role("link", name="Results").click()
    expect(page.get_by_role("heading", name="Poll results")).to_be_visible()
    grid = page.locator("#poll-grid")
    expect(grid.locator("tbody tr")).to_have_count(6)
    expect(grid.locator("tbody [data-role=chair]")).to_have_count(2)
    expect(grid.locator("tbody [data-role=key]")).to_have_count(2)
    first, second, third, fourth = (grid.locator(f"th[data-slot='{i}']") for i in slot_ids)
    expect(first.locator("[data-warning=chair]")).to_be_visible()
    expect(third.locator("[data-warning=key]")).to_be_visible()
    expect(second).to_contain_text("Suggested")
    for other in (first, third, fourth):
        expect(other).not_to_contain_text("Suggested")
    suggestion = page.locator("#suggestion")
    day_two = SLOTS[1][0]
    expect(suggestion).to_contain_text(f"{day_two.day} ")
    expect(suggestion).to_contain_text("10:00 – 12:00 (Europe/Minsk)")
    expect(suggestion).to_contain_text("All 2 chairs can come (yes or if need be).")
    expect(suggestion).to_contain_text("1 of 1 key organisations can come.")
    expect(suggestion).to_contain_text("4 yes, 1 if need be, 1 no, 0 no answer.")
    expect(suggestion).to_contain_text("Ahead of the next best")

    # --- the secretariat chooses the suggested date -------------------------------------
    choose = page.locator("#choose")
    expect(choose.locator(f"input[name=slot_id][value='{slot_ids[1]}']")).to_be_checked()
    choose.get_by_role("button", name="Choose this date and send the invitations").click()
    expect(page.get_by_text("The date is chosen:")).to_be_visible()
    expect(
        page.get_by_text("4 invitations sent. 6 people asked are told the date.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()

    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.local(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == f"{day_two} 10:00"
    assert meeting.local(meeting.ends_at).strftime("%H:%M") == "12:00"

    # --- invitations with the calendar REQUEST, and "date chosen" to everyone asked -----
    summary = deliver_due_messages()
    assert summary["sent"] == 10, summary
    for address in ANSWERS:
        told = [m for m in smtp_server.to(address) if subject(m).startswith("Date chosen: ")]
        assert len(told) == 1, address
        assert subject(told[0]).startswith(f"Date chosen: {TITLE}, ")
        assert subject(told[0]).endswith(f"{day_two.year}, 10:00 (Europe/Minsk)")
    invitations = {}
    for address in ANSWERS:
        invited = [m for m in smtp_server.to(address) if subject(m).startswith("Invitation: ")]
        if address in ("rita@example.org", "tomas@example.org"):
            assert invited == [], "the chairs are the meeting's own: no invitation"
            continue
        assert len(invited) == 1, address
        invitations[address] = invited[0]
        assert subject(invited[0]).endswith(f"{day_two.year}, 10:00 (Europe/Minsk)")
        ics = calendar_part(invited[0])
        assert ics is not None
        assert ics.get_content_type() == "text/calendar"
        assert ics.get_param("method").upper() == "REQUEST"
        calendar = ics.get_content()
        assert "METHOD:REQUEST" in calendar
        assert f"DTSTART;TZID=Europe/Minsk:{day_two:%Y%m%d}T100000" in calendar
        assert f"DTEND;TZID=Europe/Minsk:{day_two:%Y%m%d}T120000" in calendar
    assert len(smtp_server.messages) == 16  # 6 poll emails, 6 "date chosen", 4 invitations

    # --- Maria follows her invitation's RSVP link and accepts -----------------------------
    rsvp_link = _link(invitations["maria@undp.example.org"], f"{base}/rsvp/")
    guest_context = browser.new_context(locale="en-GB", timezone_id="UTC")
    try:
        guest = guest_context.new_page()
        guest.set_default_timeout(15_000)
        guest.goto(rsvp_link)
        expect(guest.get_by_role("heading", name=TITLE)).to_be_visible()
        expect(guest.get_by_text("Personal invitation for Maria Kovalenko")).to_be_visible()
        starts = re.compile(rf"Starts\s*\w+ {day_two.day} \w+ {day_two.year}, 10:00")
        expect(guest.locator("#meeting")).to_contain_text(starts)
        guest.get_by_label("Yes, I will attend").check()
        guest.get_by_role("button", name="Send my answer").click()
        expect(guest.locator("#confirmation")).to_contain_text("You accepted: you will attend.")
    finally:
        guest_context.close()

    db.session.expire_all()
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.meeting_id == meeting_id,
            Invitation.contact.has(email="maria@undp.example.org"),
        )
    )
    assert invitation.status == InvitationStatus.ACCEPTED
