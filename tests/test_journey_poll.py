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


def _results_grid_widths(app, live_server, browser, dates: int) -> dict:
    """A poll with `dates` dates answered by chairs (one says no), a key organisation and
    people with long names and comments; the results page at 1280 px: the widths."""
    from tests.factories import PASSWORD, make_organisation

    secretariat = make_user(Role.SECRETARIAT, email=f"sec{dates}@example.org")
    chairs = [make_user(Role.MEMBER, name=f"Chair Number {n}") for n in range(2)]
    meeting = make_meeting(
        f"Poll with {dates} dates",
        status=MeetingStatus.DRAFT,
        chairs=[(c, "Co-chair, UN Resident Coordinator") for c in chairs],
    )
    for chair, org in zip(chairs, ("UN Resident Coordinator Office", "IOM"), strict=True):
        chair.contact = make_contact(make_organisation(name=org), name=chair.name)
    poll = service.create_poll(
        meeting, message="Which date?", deadline=utcnow() + timedelta(days=7), by=secretariat
    )
    day = date.today() + timedelta(days=20)
    slots = [
        service.add_slot(poll, day=day + timedelta(days=n), start=time(10), end=time(12), by=None)
        for n in range(dates)
    ]
    key = make_organisation(name="Ministry of Labour and Social Protection")
    service.set_key_organisations(poll, [key.id], by=secretariat)
    people = service.ask_chairs(poll, by=secretariat)
    people += service.ask_people(
        poll,
        [
            make_contact(key, name="Aliaksandra Kavalenka-Shostak"),
            make_contact(make_organisation(name="National Statistical Committee"), name="Ivan"),
        ],
        by=secretariat,
    ).asked
    choices = (PollChoice.YES, PollChoice.IF_NEED_BE, PollChoice.NO)
    for n, person in enumerate(people):
        service.answer(
            person,
            {slot.id: choices[(n + i) % 3] for i, slot in enumerate(slots)},
            "Mornings suit our delegation better; we travel from Brest the evening before.",
        )
    db.session.commit()
    url = f"{live_server.url}/meetings/{meeting.id}/poll/results"
    email = secretariat.email

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(url)
        expect(page.locator("#poll-grid")).to_be_visible()
        return page.evaluate(
            """() => {
              const wrap = document.querySelector('#poll-grid').closest('.table-wrap');
              return {page: document.documentElement.scrollWidth,
                      grid: wrap.scrollWidth, box: wrap.clientWidth};
            }"""
        )
    finally:
        context.close()


@pytest.mark.parametrize("dates", [3, 5])
def test_poll_results_of_three_to_five_dates_fit_1280_px_without_sideways_scrolling(
    app, live_server, browser, dates
):
    widths = _results_grid_widths(app, live_server, browser, dates=dates)
    assert widths["page"] <= 1280, widths
    assert widths["grid"] <= widths["box"], widths


def test_poll_results_of_many_dates_scroll_inside_their_box(app, live_server, browser):
    widths = _results_grid_widths(app, live_server, browser, dates=12)
    assert widths["page"] <= 1280, widths
    assert widths["grid"] > widths["box"], widths


def test_on_a_phone_the_readers_own_time_stays_inside_the_date_box(app, live_server, browser):
    meeting = make_meeting("Sixth coordination meeting", status=MeetingStatus.DRAFT)
    poll = service.create_poll(
        meeting, message="", deadline=utcnow() + timedelta(days=7), by=make_user(Role.SECRETARIAT)
    )
    day = date.today() + timedelta(days=20)
    service.add_slot(poll, day=day, start=time(10), end=time(12), by=None)
    (person,) = service.ask_people(
        poll, [make_contact(name="Alena Shostak", language="ru")], by=None
    ).asked
    db.session.commit()
    url = f"{live_server.url}/poll/{poll_token(person)}"

    context = browser.new_context(
        locale="ru-RU", timezone_id="America/New_York", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(url)
        expect(page.locator(".your-time").first).to_contain_text("America/New_York")
        outside = page.evaluate(
            """() => [...document.querySelectorAll('fieldset.poll-slot')].map((box) => {
              const frame = box.getBoundingClientRect();
              const border = parseFloat(getComputedStyle(box).borderTopWidth);
              const legend = box.querySelector('legend').getBoundingClientRect();
              const hint = box.querySelector('.your-time').getBoundingClientRect();
              return {legendAboveBorder: legend.top < frame.top + border - 0.5,
                      hintOut: hint.bottom > frame.bottom || hint.right > frame.right};
            })"""
        )
        assert outside == [{"legendAboveBorder": False, "hintOut": False}]
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
