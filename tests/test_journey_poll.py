"""Browser journey: a person asked in a scheduling poll opens their personal link on a
360 px phone in another timezone, answers every date with the keyboard alone, and sees
the dates on their own clock too (static/js/polls-times.js)."""

from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.links import poll_token
from coordapp.models import MeetingStatus, PollAnswer, PollChoice, PollVisibility, Role, utcnow
from coordapp.polls import service
from tests.factories import make_contact, make_meeting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def _focused_name(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name || ''")


def test_a_person_answers_on_a_phone_with_the_keyboard_alone(app, live_server, browser):
    meeting = make_meeting("Fifth coordination meeting", status=MeetingStatus.DRAFT)
    poll = service.create_poll(
        meeting,
        message="Which date suits you?",
        deadline=utcnow() + timedelta(days=7),
        visibility=PollVisibility.COUNTS,
        by=make_user(Role.SECRETARIAT),
    )
    day = date.today() + timedelta(days=20)
    first = service.add_slot(poll, day=day, start=time(10), end=time(12), by=None)
    second = service.add_slot(poll, day=day, start=time(15), end=time(17), by=None)
    (person,) = service.ask_people(poll, [make_contact(name="Alena Shostak")], by=None).asked
    db.session.commit()
    url = f"{live_server.url}/poll/{poll_token(person)}"
    person_id, first_id, second_id = person.id, first.id, second.id

    context = browser.new_context(
        locale="en-GB",
        timezone_id="America/New_York",
        viewport={"width": 360, "height": 740},
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        page.goto(url)
        # The meeting is in Minsk, the reader in New York: their own time is added beside
        # each date.
        expect(page.locator(".your-time").first).to_contain_text("America/New_York")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # Keyboard alone: Tab to the first date's radios, arrow to "If need be"; Tab to
        # the second date's, Space picks "Yes"; then the comment and the button.
        for _ in range(60):
            if _focused_name(page) == f"slot-{first_id}":
                break
            page.keyboard.press("Tab")
        assert _focused_name(page) == f"slot-{first_id}"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
        assert _focused_name(page) == f"slot-{second_id}"
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        assert _focused_name(page) == "comment"
        page.keyboard.type("Mornings are easier for me.")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#confirmation")).to_contain_text("your answers have been recorded")
        expect(page.locator(f"#slot-{first_id}-if_need_be")).to_be_checked()
        expect(page.locator(f"#slot-{second_id}-yes")).to_be_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
    assert not refused, refused

    db.session.expire_all()
    saved = dict(
        db.session.execute(
            db.select(PollAnswer.slot_id, PollAnswer.choice).where(
                PollAnswer.respondent_id == person_id
            )
        ).all()
    )
    assert saved == {first_id: PollChoice.IF_NEED_BE, second_id: PollChoice.YES}
