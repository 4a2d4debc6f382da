"""The Inbox passes axe-core (WCAG 2.1 AA) at 1280 and 360 px, in each of its tabs, with
messages in them, for the secretariat and for a chair (read-only). The site-wide walk
(tests/test_accessibility.py) opens its first tab too; this one fills every tab."""

from __future__ import annotations

import pytest

from coordapp.extensions import db
from coordapp.models import InboundKind, InboundMessage, Invitation, Role, utcnow
from tests.factories import PASSWORD, make_contact, make_meeting, make_user
from tests.test_accessibility import AXE, AXE_RUN, WCAG_21_AA, WIDTHS


def _fill_every_tab():
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Chair Person")
    secretariat = make_user(Role.SECRETARIAT, email="sec@example.org", name="Sam Secretariat")
    meeting = make_meeting(title="Fourth extended meeting", chairs=[(chair, "Co-chair")])
    rows = []
    for n, (kind, folder, matched, done) in enumerate(
        [
            (InboundKind.PLAIN, "Processed", True, False),
            (InboundKind.COUNTER, "Processed", True, False),
            (InboundKind.REPLY, "Needs attention", True, False),
            (InboundKind.PLAIN, "Needs attention", False, False),
            (InboundKind.AUTO_REPLY, "Processed", True, True),
        ]
    ):
        invitation = None
        if matched:
            contact = make_contact(email=f"person{n}@example.org", name=f"Person {n}")
            invitation = Invitation(meeting=meeting, contact=contact)
            db.session.add(invitation)
            db.session.flush()
        rows.append(
            InboundMessage(
                mailbox="INBOX",
                uidvalidity=1,
                uid=n + 1,
                kind=kind,
                folder=folder,
                reason="calendar reply names another attendee" if folder != "Processed" else None,
                from_address=f"person{n}@example.org",
                from_name=f"Person {n}",
                subject="Re: Invitation: Fourth extended meeting",
                text="I will attend with a colleague from the ministry.\nBest regards",
                attachments=[{"name": "programme.pdf", "type": "application/pdf", "size": 10}],
                invitation_id=invitation.id if invitation else None,
                meeting_id=meeting.id if invitation else None,
                handled_at=utcnow() if done else None,
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    return secretariat, chair


def _axe(page, url: str) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        response = page.goto(url)
        assert response.status == 200 and "/inbox" in page.url, url
        assert page.locator("table.inbox tbody tr").count() >= 1, url
        for violation in page.evaluate(AXE_RUN, WCAG_21_AA):
            problems.append(f"{url} @{width}px: {violation['id']} {violation['nodes']}")
    return problems


@pytest.mark.browser
@pytest.mark.commits
def test_the_inbox_passes_axe_in_every_tab(app, live_server, browser):
    secretariat, chair = _fill_every_tab()
    problems = []
    for user, tabs in (
        (secretariat, ("open", "unmatched", "attention", "done")),
        (chair, ("open",)),
    ):
        context = browser.new_context(locale="en-GB", timezone_id="UTC", bypass_csp=True)
        context.add_init_script(AXE)
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{user.email} could not log in"
        for tab in tabs:
            problems += _axe(page, f"{live_server.url}/inbox?tab={tab}")
        context.close()
    assert not problems, "\n".join(problems)
