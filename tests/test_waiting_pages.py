"""Pages that wait for the worker (issue 21): in Chromium, the page looks again by itself
without reloading (static/js/waiting.js), keeps a live status, and when the answer is
there shows it and moves the focus to it; axe finds nothing, waiting or done. A browser
without script gets the <noscript> refresh instead.

The worker's part is played by the test: it creates the waiting row, then finishes it
(committed: the live server answers on connections of its own)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from coordapp.extensions import db
from coordapp.models import PdfCheck, PdfCheckStatus, Role, utcnow
from coordapp.models.document import DocumentStatus, GeneratedDocument
from tests.factories import PASSWORD, make_meeting, make_user
from tests.test_accessibility import AXE, AXE_RUN, WCAG_21_AA

pytestmark = [pytest.mark.browser, pytest.mark.commits]


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _count_loads(page) -> list[str]:
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    return loads


def _axe(page) -> list[dict]:
    return page.evaluate(AXE_RUN, WCAG_21_AA)


def _pending_agenda_pdf() -> tuple[int, int]:
    meeting = make_meeting(title="Waiting meeting")
    document = GeneratedDocument(kind="agenda", meeting_id=meeting.id, filename="agenda.pdf")
    db.session.add(document)
    db.session.commit()
    return meeting.id, document.id


def test_the_agenda_pdf_page_waits_without_reloading_and_focuses_the_download(
    app, live_server, page
):
    make_user(Role.SECRETARIAT, email="sec-wait@example.org")
    _meeting_id, document_id = _pending_agenda_pdf()
    page.context.add_init_script(AXE)
    _log_in(page, live_server.url, "sec-wait@example.org")

    page.goto(f"{live_server.url}/documents/{document_id}")
    loads = _count_loads(page)
    status = page.locator("[data-waiting-status]")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("being prepared")
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert _axe(page) == []
    time.sleep(4)  # more than one poll (every 3 s) while still pending
    assert loads == []  # polled, never reloaded
    expect(page.locator("[data-waiting]")).to_have_count(1)

    document = db.session.get(GeneratedDocument, document_id)
    document.status = DocumentStatus.READY
    document.data, document.size, document.finished_at = b"%PDF-1.7", 8, utcnow()
    db.session.commit()

    download = page.get_by_role("link", name="Download agenda.pdf")
    expect(download).to_be_visible(timeout=10_000)
    assert loads == []  # the result came in without a reload
    expect(page.locator("[data-waiting]")).to_have_count(0)
    focused = page.evaluate("document.activeElement.hasAttribute('data-waiting-result')")
    assert focused, page.evaluate("document.activeElement.outerHTML")
    expect(page.locator(":focus")).to_contain_text("Ready since")
    assert _axe(page) == []


def test_the_verify_page_waits_and_focuses_the_answer(app, live_server, page):
    check = PdfCheck(token="waiting-token-" + "x" * 20, pdf=b"%PDF-1.7", filename="m.pdf")
    db.session.add(check)
    db.session.commit()
    page.context.add_init_script(AXE)

    page.goto(f"{live_server.url}/verify/{check.token}")
    loads = _count_loads(page)
    expect(page.locator("[data-waiting-status]")).to_contain_text("Checking m.pdf")
    assert _axe(page) == []

    check = db.session.get(PdfCheck, check.id)
    check.status = PdfCheckStatus.FAILED
    check.finished_at = utcnow()
    db.session.commit()

    answer = page.locator("#verify-error")
    expect(answer).to_be_visible(timeout=10_000)
    expect(answer).to_be_focused()
    assert loads == []
    assert _axe(page) == []


def test_without_script_the_waiting_page_refreshes_itself(app, live_server, browser):
    make_user(Role.SECRETARIAT, email="sec-noscript@example.org")
    _meeting_id, document_id = _pending_agenda_pdf()
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        _log_in(page, live_server.url, "sec-noscript@example.org")
        page.goto(f"{live_server.url}/documents/{document_id}")
        loads = _count_loads(page)
        deadline = time.monotonic() + 10
        while not loads and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert loads, "a browser without script was not sent back to the page"
    finally:
        context.close()
