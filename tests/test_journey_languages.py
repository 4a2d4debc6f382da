"""Browser journey (issue 10): Russian from invitation to signed PDF.

A contact whose language is Russian gets the invitation in Russian (subject MIME-encoded,
body, calendar text), opens the personal link in a browser that asks for English and
reads the page in Russian, answers, and switches to Belarusian. A meeting held in
Russian produces minutes whose PDF has Russian headings and «Страница 1 из N»; both
chairs sign it through the Russian interface, the stamps speak Russian and `pdfsig`
finds both signatures valid. One small PDF: rendering is the slow part."""

import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.invitations.invite import invite_contacts
from coordapp.mail.delivery import deliver_due_messages
from coordapp.minutes import service as minutes_service
from coordapp.models import Category, MeetingStatus, Role
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import MinutesApproval, SignatureStatus
from coordapp.signing import pdfsign
from coordapp.signing.ca import init_ca
from tests.factories import (
    PASSWORD,
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)
from tests.smtp import body_text, calendar_part

pytestmark = [pytest.mark.browser, pytest.mark.commits]

TITLE = "Четвёртое расширенное заседание"
DESCRIPTION = "Повестка: миграционные данные; обмен опытом, вопросы партнёров"
CHAIR_ONE = "Андрей Коваленко"
CHAIR_TWO = "Марта Линдквист"


@pytest.fixture
def browser_page(browser):
    """A person's own browser, asking for English (the app must still speak Russian
    where the person's language says so)."""
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


def log_in(page, base, email, name):
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")  # their setting


def test_russian_from_invitation_to_signed_minutes(
    app, live_server, browser_page, smtp_server, tmp_path, monkeypatch
):
    base = live_server.url
    app.config["BASE_URL"] = base
    init_ca()
    db.session.commit()
    secretariat = make_user(Role.SECRETARIAT, email="sam@example.org", name="Сэм Секретарь")
    chair_one = make_user(Role.MEMBER, email="rc@example.org", name=CHAIR_ONE)
    chair_two = make_user(Role.MEMBER, email="iom@example.org", name=CHAIR_TWO)
    for user in (secretariat, chair_one, chair_two):
        user.language = "ru"
    db.session.commit()
    series = make_series(name="Сеть ООН по вопросам миграции")
    statistics = make_organisation(
        "Национальный статистический комитет", category=Category.NATIONAL_GOVERNMENT
    )
    alena = make_contact(statistics, "Алена Шостак", "a.shostak@example.org", language="ru")

    # --- the invitation, written in Russian by the worker ---------------------------------
    day = date.today() + timedelta(days=40)
    upcoming = make_meeting(
        TITLE,
        series=series,
        number=5,
        starts_at=datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC),
        description=DESCRIPTION,
        language="ru",
        chairs=[(chair_one, "Сопредседатель")],
    )
    invite_contacts(upcoming, [alena], by=secretariat)
    db.session.commit()
    assert deliver_due_messages()["sent"] == 1
    mail = smtp_server.to("a.shostak@example.org")[0]
    raw = smtp_server.handler.raw[0].decode("ascii")  # 7-bit headers: encoded words
    subject_line = next(line for line in raw.splitlines() if line.startswith("Subject:"))
    assert "=?utf-8?" in subject_line.lower()
    subject = " ".join(str(mail["Subject"]).split())
    assert subject.startswith(f"Приглашение: Сеть ООН по вопросам миграции — {TITLE}, ")
    assert subject.endswith("10:00 (Минск)")
    text = body_text(mail)
    assert "Уважаемый(ая) Алена Шостак!" in text
    assert "Dear" not in text and "Starts:" not in text
    ics = calendar_part(mail).get_content()
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    description = str(event["DESCRIPTION"])
    assert DESCRIPTION in description  # escaped on the way out, the same on the way in
    assert "Ваше приглашение и ответ на него:" in description
    link = next(word for word in text.split() if word.startswith(f"{base}/rsvp/"))

    # --- Alena's page speaks Russian, though her browser asks for English ---------------
    guest = browser_page()
    guest.goto(link)
    expect(guest.locator("html")).to_have_attribute("lang", "ru")
    expect(guest.get_by_role("heading", name=TITLE)).to_be_visible()
    guest.get_by_label("Да, приму участие").check()
    guest.get_by_role("button", name="Отправить ответ").click()
    expect(guest.locator("#confirmation")).to_contain_text("Ваш ответ сохранён")
    guest.get_by_role("link", name="Беларуская").click()
    expect(guest.locator("html")).to_have_attribute("lang", "be")
    expect(guest.get_by_label("Так, прыму ўдзел")).to_be_checked()
    guest.goto(link)  # remembered for this link
    expect(guest.locator("html")).to_have_attribute("lang", "be")

    # --- a meeting held in Russian: one agenda item of minutes ---------------------------
    held = make_meeting(
        "Третье заседание",
        series=series,
        number=3,
        status=MeetingStatus.HELD,
        starts_at=datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
        language="ru",
        chairs=[(chair_one, "Сопредседатель"), (chair_two, "Сопредседатель")],
    )
    item = AgendaItem(
        meeting_id=held.id,
        position=0,
        title="Миграционные данные",
        kind=AgendaItemKind.DISCUSSION,
        duration_minutes=30,
    )
    db.session.add(item)
    db.session.commit()
    version = minutes_service.current_version(held)
    db.session.commit()
    (minutes_item,) = minutes_service.minutes_items(version)
    minutes_service.save_item(
        minutes_item, "Партнёры обсудили панель миграционных данных.", [], 1, by=None
    )
    db.session.commit()

    stamps = []
    sign = pdfsign.outside_event_loop

    def remember_stamp(fn, *args, **kwargs):
        stamps.append(kwargs.get("appearance_text_params"))
        return sign(fn, *args, **kwargs)

    monkeypatch.setattr(pdfsign, "outside_event_loop", remember_stamp)

    office = browser_page()
    log_in(office, base, "sam@example.org", "Сэм Секретарь")
    office.goto(f"{base}/meetings/{held.id}")
    office.locator("#minutes").get_by_role("button", name="Направить на утверждение").click()
    expect(office.get_by_role("heading", name="Протокол, версия 1")).to_be_visible()

    for email, name in (("rc@example.org", CHAIR_ONE), ("iom@example.org", CHAIR_TWO)):
        chair = browser_page()
        log_in(chair, base, email, name)
        chair.goto(f"{base}/meetings/{held.id}")
        chair.get_by_role("link", name="Рассмотреть и утвердить протокол").click()
        chair.get_by_role("button", name="Утвердить и подписать").click()
        expect(chair.get_by_text("Подписано", exact=False).first).to_be_visible()

    db.session.expire_all()
    approvals = db.session.query(MinutesApproval).filter_by(version_id=version.id).all()
    assert [a.status for a in approvals] == [SignatureStatus.SIGNED] * 2
    assert [s["heading"] for s in stamps] == ["Подписано электронной подписью"] * 2
    assert all(s["when"].endswith("(Минск)") and "2026" in s["when"] for s in stamps), stamps

    with chair.expect_download() as download_info:
        chair.get_by_role("link", name="Скачать подписанный PDF").click()
    pdf_path = tmp_path / "minutes.pdf"
    download_info.value.save_as(pdf_path)

    pdfsig = subprocess.run(["pdfsig", str(pdf_path)], capture_output=True, text=True, timeout=60)
    assert pdfsig.stdout.count("Signature Validation: Signature is Valid.") == 2, pdfsig.stdout
    assert CHAIR_ONE in pdfsig.stdout and CHAIR_TWO in pdfsig.stdout
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "Протокол" in pdf_text and "Третье заседание" in pdf_text, pdf_text
    assert "Утверждение председателями" in pdf_text
    assert "Страница 1 из " in pdf_text
    assert "Page 1 of" not in pdf_text and "Minutes" not in pdf_text
