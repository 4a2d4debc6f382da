"""Accessibility and phone layout, page by page (issue 11, "Checks that keep it fixed").

One realistic world (the demo network, plus a signed and an amended version of the
minutes, an attachment, a queued email, a CSV import waiting for its preview) is served
once for the module. Every GET page of the URL map is opened in Debian's Chromium by each
role that may open it (anonymous, member, chair, secretariat, admin; the anonymous
pages include the personal RSVP and commitment status pages) at 1280 px and at 360 px,
and checked for:

- axe-core (vendored in tests/vendor/axe-core) at WCAG 2.1 A and AA: no violation;
- at 360 px, no sideways scrolling of the page; only a table region that the keyboard
  can reach (`.table-wrap` with tabindex="0", role="region" and a label) may scroll;
- a radio button on the same line as its label, a status pill on one line, the
  required-field mark beside its label and explained once per form, and on a phone
  radio buttons that are 44 px tall targets.

The walk runs once (the pages do not depend on the database), in the SQLite pass:
the `sqlite_only` marker deselects it in the PostgreSQL pass (tests/conftest.py).
Screenshots of the main pages at both widths land in tests/screenshots/ (git-ignored),
to be looked at by a person.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image as PILImage
from werkzeug.routing import Rule

from coordapp import create_app
from coordapp.access import ADMIN, LOGGED_IN, PUBLIC, SECRETARIAT, access_level_of
from coordapp.approval import service as approval_service
from coordapp.commitments.notifications import status_token
from coordapp.demo import DEMO_PASSWORD, seed_demo_data
from coordapp.directory import service as directory_service
from coordapp.extensions import db
from coordapp.invitations import service as invitation_service
from coordapp.links import nomination_token, poll_token, rsvp_token
from coordapp.minutes import service as minutes_service
from coordapp.models import (
    AgendaItem,
    Attachment,
    Commitment,
    Invitation,
    InvitationStatus,
    Meeting,
    MinutesStatus,
    MinutesVersion,
    Role,
    User,
)
from coordapp.models.approval import MinutesDocument
from coordapp.models.document import DocumentStatus, GeneratedDocument
from coordapp.models.report import ReportDocument
from coordapp.polls import service as poll_service
from coordapp.verify import checks as verify_checks
from tests.conftest import _empty_all_tables, test_config

pytestmark = [pytest.mark.browser, pytest.mark.commits, pytest.mark.sqlite_only]

HERE = Path(__file__).parent
AXE = (HERE / "vendor" / "axe-core" / "axe.min.js").read_text()
SCREENSHOTS = HERE / "screenshots"
WIDTHS = (1280, 360)
PHONE = 360
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ["anonymous", "member", "chair", "secretariat", "admin"]
LEVELS = {
    "anonymous": {PUBLIC},
    "member": {LOGGED_IN},
    "chair": {LOGGED_IN},
    "secretariat": {LOGGED_IN, SECRETARIAT},
    "admin": {LOGGED_IN, SECRETARIAT, ADMIN},
}
LOGINS = {
    "member": "member@demo.coordapp.org",
    "chair": "rc@demo.coordapp.org",
    "secretariat": "secretariat@demo.coordapp.org",
    "admin": "admin@demo.coordapp.org",
}
# GET routes that answer with a file, not a page. A new route that is neither a page
# nor listed here makes the walk fail, so that nothing is left out unnoticed.
NOT_PAGES = {
    "static",
    "health.healthz",
    "health.readyz",
    "monitoring.metrics",
    "health.favicon",
    "agenda.download",
    "agenda.document_download",
    "agenda.rsvp_download",
    "calendar.series_feed",
    "calendar.meeting_ics",
    "commitments.export_csv",
    "directory.export_contacts",
    "invitations.export",
    "poll_results.export",
    "minutes_pdf.download",
    "minutes_pdf.rsvp_download",
    "reports.export_csv",
    "reports.download",
    "rsvp.calendar",
    "nominations.letter",
    # The email itself, shown in a frame on the message page: its markup is the email's.
    "mail.message_html",
    "outcomes.photo",
    "outcomes.draft_photo",
    "outcomes.feed",
}
# Pages only some people may open, though their route's level lets more in.
ONLY_FOR = {
    "approval.version": {"chair", "secretariat", "admin"},
    # A poll's results: the secretariat and the chairs of that meeting.
    "poll_results.show": {"chair", "secretariat", "admin"},
    "minutes_pdf.sign_with_certificate": {"chair"},
    # The person who uploaded a file sees its preview (each has their own below).
    "directory.import_preview": {"secretariat", "admin"},
    # The report of a series: the secretariat and its chairs.
    "reports.show": {"chair", "secretariat", "admin"},
    "reports.document": {"chair", "secretariat", "admin"},
    # The Inbox: the secretariat, and chairs (read-only, their meetings' mail).
    "inbound.index": {"chair", "secretariat", "admin"},
}
# The pages photographed for a person to look at, as seen by these people.
PHOTOGRAPHED = {"anonymous", "chair", "secretariat"}
MAIN_PAGES = {
    "meetings.index",
    "meetings.show",
    "agenda.index",
    "invitations.index",
    "attendance.index",
    "minutes.index",
    "approval.version",
    "commitments.tracker",
    "commitments.status_form",
    "directory.contacts",
    "rsvp.show",
    "verify.index",
    "mail.outbox",
    "outcomes.show",
    "outcomes.draft",
    "inbound.index",
}


@dataclass
class World:
    url: str
    app: object
    ids: dict[str, list]  # argument name -> values to walk (several where states differ)
    per_role: dict[str, dict[str, list]] = field(default_factory=dict)


def _build_world() -> dict[str, list]:
    """The demo network, taken further: the held meeting's minutes signed by both chairs,
    then amended and submitted again (approved by one chair, not yet signed)."""
    seed_demo_data()
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    secretariat = users[LOGINS["secretariat"]]
    chair_one, chair_two = users[LOGINS["chair"]], users["iom.com@demo.coordapp.org"]
    member = User(email=LOGINS["member"], name="Mira Member", role=Role.MEMBER)
    member.set_password(DEMO_PASSWORD)
    db.session.add(member)

    meetings = {m.number: m for m in db.session.scalars(sa.select(Meeting))}
    held, scheduled = meetings[3], meetings[4]

    # Minutes: version 1 approved and signed by both chairs.
    first = minutes_service.current_version(held, by=secretariat)
    approval_service.submit_for_approval(first, by=secretariat)
    db.session.commit()
    approval_service.request_rendering(first.id)
    for chair in (chair_one, chair_two):
        approval = approval_service.approve(db.session.get(MinutesVersion, first.id), chair)
        db.session.commit()
        approval_service.request_signature(approval.id)
    first = db.session.get(MinutesVersion, first.id)
    db.session.refresh(first)
    assert first.status is MinutesStatus.APPROVED, first.status
    # Version 2 amends it: submitted, rendered, approved by the first chair who is yet
    # to sign it with their own certificate.
    second = approval_service.create_amendment(first, "A name was misspelt.", by=secretariat)
    db.session.commit()
    minutes_service.current_version(held, by=secretariat)  # gives each item its place
    approval_service.submit_for_approval(second, by=secretariat)
    db.session.commit()
    approval_service.request_rendering(second.id)
    pending = approval_service.approve(db.session.get(MinutesVersion, second.id), chair_one)
    db.session.commit()

    items = list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == scheduled.id)
            .order_by(AgendaItem.position)
        )
    )
    data = b"%PDF-1.4\n% policy concept\n"
    attachment = Attachment(
        agenda_item=items[1],
        filename="Concept of Migration Policy 2024-2028.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256="0" * 64,
        data=data,
    )
    db.session.add(attachment)
    document = GeneratedDocument(
        kind="agenda",
        meeting_id=scheduled.id,
        status=DocumentStatus.READY,
        filename="agenda.pdf",
        data=data,
        size=len(data),
    )
    db.session.add(document)
    report = ReportDocument(
        series_id=held.series_id,
        period_start=held.starts_at.date() - timedelta(days=30),
        period_end=held.starts_at.date() + timedelta(days=30),
        status=DocumentStatus.READY,
        filename="report.pdf",
        data=data,
        size=len(data),
        finished_at=held.starts_at,
    )
    db.session.add(report)

    invitations = list(
        db.session.scalars(
            sa.select(Invitation)
            .where(Invitation.meeting_id == scheduled.id)
            .order_by(Invitation.id)
        )
    )
    pending_answer = next(i for i in invitations if i.status is InvitationStatus.PENDING)
    accepted = next(i for i in invitations if i.status is InvitationStatus.ACCEPTED)
    message = invitation_service.resend_invitation(pending_answer, by=secretariat)
    held_invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.meeting_id == held.id).limit(1)
    )
    # Nominations: the scheduled meeting asks an organisation, which nominates one person;
    # its focal point's page while open, and another organisation's after the deadline.
    nomination, late = _nominations(scheduled, secretariat)
    csv = (
        "name,email,organisation,category\n"
        "New Person,new.person@example.org,International Organization for Migration,un_agency\n"
    )
    imports = {
        role: directory_service.store_pending_import(users[LOGINS[role]], "contacts.csv", csv)
        for role in ("secretariat", "admin")
    }
    commitment = db.session.scalar(sa.select(Commitment).limit(1))
    # /verify: the report on the signed minutes, and a check the worker has yet to make.
    signed = db.session.scalar(
        sa.select(MinutesDocument).where(MinutesDocument.version_id == first.id)
    )
    checked = verify_checks.start_check(signed.pdf, "minutes.pdf")
    waiting = verify_checks.start_check(b"%PDF-1.4\n", "waiting.pdf")
    db.session.commit()
    verify_checks.run_check(checked.id)
    db.session.commit()

    # Mail that came back (the Inbox, the meeting page's section): a person's reply, a
    # proposed time, an out-of-office note, and a message that matches nothing.
    from coordapp.models import InboundKind, InboundMessage

    for uid, (kind, invitation, text) in enumerate(
        [
            (
                InboundKind.PLAIN,
                pending_answer,
                "I will attend with a colleague from the ministry.",
            ),
            (InboundKind.COUNTER, pending_answer, None),
            (InboundKind.AUTO_REPLY, accepted, "I am out of the office until Monday."),
            (InboundKind.PLAIN, None, "Please remove me from your list."),
        ],
        start=1,
    ):
        db.session.add(
            InboundMessage(
                mailbox="INBOX",
                uidvalidity=1,
                uid=uid,
                kind=kind,
                folder="Processed" if invitation else "Needs attention",
                reason=None if invitation else "matches no invitation",
                from_address=invitation.contact.email if invitation else "someone@example.net",
                from_name=invitation.contact.name if invitation else None,
                subject="Re: Invitation",
                text=text,
                attachments=[{"name": "programme.pdf", "type": "application/pdf", "size": 1000}],
                proposed_start=scheduled.starts_at + timedelta(days=1) if text is None else None,
                proposed_end=scheduled.ends_at + timedelta(days=1) if text is None else None,
                invitation_id=invitation.id if invitation else None,
                meeting_id=scheduled.id if invitation else None,
            )
        )
    db.session.commit()

    # The held meeting's public summary, with a photo, published twice.
    from coordapp.outcomes import service as outcomes_service

    summary = outcomes_service.start_draft(
        held,
        language="en",
        languages=["en", "ru", "be"],
        name_chairs=False,
        name_organisations=True,
        by=secretariat,
    )
    photo = io.BytesIO()
    PILImage.new("RGB", (1200, 800), (40, 90, 160)).save(photo, "JPEG")
    outcomes_service.save_draft(
        summary,
        title=summary.title,
        language="en",
        body=summary.body,
        photo_alt="Partners of the network around the meeting table",
        photo_bytes=photo.getvalue(),
        remove_photo=False,
        lock_version=summary.lock_version,
        languages=["en", "ru", "be"],
        max_photo_bytes=5 * 1024 * 1024,
        by=secretariat,
    )
    outcomes_service.publish(summary, held, by=secretariat)
    db.session.commit()

    minutes_item = second.items[1]
    poll_meeting = _poll_with_answers(secretariat, chair_one, chair_two)
    polls = _build_polls(scheduled, secretariat, chair_one)
    return {
        # A draft meeting whose scheduling poll has answers (the results page).
        "poll_results.show:meeting_id": [poll_meeting.id],
        "meeting_id": [held.id, scheduled.id],
        "scheduled_meeting": [scheduled.id],
        # Only a meeting still to come takes new agenda items and invitations.
        "agenda.new:meeting_id": [scheduled.id],
        "agenda.copy:meeting_id": [scheduled.id],
        "invitations.new:meeting_id": [scheduled.id],
        "series_id": [held.series_id],
        "version_id": [first.id, second.id],
        "approval_id": [pending.id],
        "attachment_id": [attachment.id],
        "document_id": [document.id],
        "report_id": [report.id],
        "message_id": [message.id],
        "invitation_id": [pending_answer.id],
        "commitment_id": [commitment.id],
        "contact_id": [pending_answer.contact_id],
        "org_id": [pending_answer.contact.organisation_id],
        "user_id": [member.id],
        "agenda.edit:item_id": [items[1].id],
        "minutes.item_history:item_id": [minutes_item.id],
        "rsvp.show:token": [
            rsvp_token(pending_answer),
            rsvp_token(accepted),
            rsvp_token(held_invitation),
        ],
        "commitments.status_form:token": [status_token(commitment)],
        "verify.result:token": [checked.token, waiting.token],
        "agenda.attach:item_id": [items[1].id],
        # Minutes exist for the meeting held; the one to come has none yet (404).
        "minutes.preview:meeting_id": [held.id],
        "agenda.confirm_delete:item_id": [items[1].id],
        "import_id": {role: [pending.id] for role, pending in imports.items()},
        # Only the meeting with approved minutes has a public summary.
        "outcomes.draft:meeting_id": [held.id],
        "outcomes.version:meeting_id": [held.id],
        "number": [1],
        "slug": [summary.slug],
        # Scheduling polls: one open (names and answers shown), one past its deadline
        # (read-only); the person's answer page is reached through their link.
        "polls.new:meeting_id": [polls["no_poll"]],
        "polls.show:meeting_id": [polls["open"], polls["closed"]],
        "polls.ask:meeting_id": [polls["open"]],
        "polls.edit_slot:slot_id": [polls["slot"]],
        "poll_answer.show:token": polls["tokens"],
        "nominations.page:token": [nomination_token(nomination), nomination_token(late)],
    }


def _nominations(meeting: Meeting, secretariat):
    from datetime import UTC, datetime, timedelta

    from coordapp.models import AttendanceMode, Category, Contact, Organisation
    from coordapp.nominations import service as nominations_service

    organisations = [
        Organisation(name=f"Regional Executive Committee {n}", category=Category.LOCAL_GOVERNMENT)
        for n in (1, 2)
    ]
    # Asked and silent, reachable at its general address: the invitations page, grouped
    # by organisation, offers the reminder to focal points.
    silent = Organisation(
        name="Regional Executive Committee 3",
        category=Category.LOCAL_GOVERNMENT,
        general_email="info@region3.example.org",
    )
    db.session.add_all([*organisations, silent])
    db.session.flush()
    db.session.add(
        Contact(
            name="Focal Point",
            email="focal.point@region1.example.org",
            organisation_id=organisations[0].id,
            focal_point=True,
        )
    )
    db.session.flush()
    open_one, late = nominations_service.ask_to_nominate(
        meeting, organisations, by=secretariat
    ).asked
    nominations_service.ask_to_nominate(meeting, [silent], by=secretariat)
    nominations_service.nominate(
        open_one,
        nominations_service.Nominee(
            name="Nominated Person",
            email="nominee@region1.example.org",
            mode=AttendanceMode.IN_PERSON if meeting.is_hybrid else None,
        ),
    )
    late.deadline = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    return open_one, late


def _poll_with_answers(secretariat, *chairs) -> Meeting:
    """A draft meeting with a scheduling poll of three dates: both chairs, a key
    organisation and others answered (one no from a chair), one has not."""
    from datetime import UTC, date, datetime, time, timedelta

    from coordapp.models import Contact, MeetingChair, MeetingStatus
    from coordapp.polls import service as poll_service

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)
    meeting = Meeting(
        title="Planning meeting (date to be found)",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Minsk",
        status=MeetingStatus.DRAFT,
    )
    for position, chair in enumerate(chairs):
        meeting.chairs.append(MeetingChair(user=chair, position=position, role_label="Co-chair"))
    db.session.add(meeting)
    db.session.flush()
    poll = poll_service.create_poll(
        meeting, message=None, deadline=start - timedelta(days=30), by=secretariat
    )
    day = date.today() + timedelta(days=40)
    slots = [
        poll_service.add_slot(
            poll, day=day + timedelta(days=n), start=time(10), end=time(13), by=secretariat
        )
        for n in range(3)
    ]
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id).limit(5)))
    poll_service.set_key_organisations(poll, [contacts[0].organisation_id], by=secretariat)
    asked = poll_service.ask_people(poll, contacts, by=secretariat).asked
    asked += poll_service.ask_chairs(poll, by=secretariat)
    db.session.commit()
    patterns = ["yes no if_need_be", "no yes yes", "yes yes no", "if_need_be no yes"]
    for n, respondent in enumerate(asked[1:]):
        choices = patterns[n % len(patterns)].split()
        poll_service.answer(
            respondent,
            {slot.id: choice for slot, choice in zip(slots, choices, strict=True)},
            "Only in the morning" if n == 0 else None,
        )
    db.session.commit()
    return meeting


def _build_polls(scheduled: Meeting, secretariat: User, chair: User) -> dict:
    from datetime import date, time, timedelta

    from coordapp.models import Contact, MeetingStatus, PollChoice, PollVisibility, utcnow

    def draft(title: str) -> Meeting:
        meeting = Meeting(
            title=title,
            kind=scheduled.kind,
            starts_at=scheduled.starts_at + timedelta(days=60),
            ends_at=scheduled.ends_at + timedelta(days=60),
            timezone=scheduled.timezone,
            status=MeetingStatus.DRAFT,
        )
        db.session.add(meeting)
        db.session.flush()
        return meeting

    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id).limit(4)))
    day = date.today() + timedelta(days=40)
    found = {"no_poll": draft("Meeting with no date yet").id, "tokens": []}
    for key, visibility in (("open", PollVisibility.NAMES), ("closed", PollVisibility.COUNTS)):
        meeting = draft(f"Meeting to find a date for ({key})")
        poll = poll_service.create_poll(
            meeting,
            message="Which of these dates suit you?",
            deadline=utcnow() + timedelta(days=7),
            visibility=visibility,
            reminder_days_before=2,
            by=secretariat,
        )
        slots = [
            poll_service.add_slot(poll, day=day, start=time(h), end=time(h + 2), by=secretariat)
            for h in (9, 14)
        ]
        asked = poll_service.ask_people(poll, contacts, by=secretariat).asked
        for person, choice in zip(asked[:3], PollChoice, strict=False):
            poll_service.answer(person, {slots[0].id: choice, slots[1].id: "yes"}, "Fine")
        key_orgs = {c.organisation_id for c in contacts[:1]}
        poll_service.set_key_organisations(poll, key_orgs, by=secretariat)
        db.session.commit()
        found[key] = meeting.id
        found.setdefault("slot", slots[0].id)
        found["tokens"].append(poll_token(asked[0]))
        if key == "closed":
            poll.deadline = utcnow() - timedelta(minutes=1)
            db.session.commit()
    return found


@pytest.fixture(scope="module")
def world(_schema):
    app = create_app(test_config())
    with app.app_context():
        ids = _build_world()
        db.session.remove()
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield World(url=f"http://127.0.0.1:{server.server_port}", app=app, ids=ids)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


def _values(world: World, rule: Rule, arg: str, role: str) -> list:
    for key in (f"{rule.endpoint}:{arg}", arg):
        if key in world.ids:
            values = world.ids[key]
            return values[role] if isinstance(values, dict) else values
    raise AssertionError(f"the walk has no sample value for {arg} in {rule.rule}")


def pages_for(world: World, role: str) -> list[tuple[str, str]]:
    """(endpoint, path) of every page this role may open, with the sample objects."""
    pages = []
    for rule in sorted(world.app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if access_level_of(world.app, rule.endpoint) not in LEVELS[role]:
            continue
        if role not in ONLY_FOR.get(rule.endpoint, {role}):
            continue
        combos = [{}]
        for arg in sorted(rule.arguments):
            combos = [
                {**combo, arg: value}
                for combo in combos
                for value in _values(world, rule, arg, role)
            ]
        for combo in combos:
            _, path = rule.build(combo, append_unknown=False)
            pages.append((rule.endpoint, path))
    return pages


# --- what is checked on each page ----------------------------------------------------------

LAYOUT_CHECKS = (HERE / "layout_checks.js").read_text()

TRUNCATED_NAMES = """
[...document.querySelectorAll('#attendance input[type=text]')]
  .filter((input) => input.scrollWidth > input.clientWidth + 1).map((input) => input.value)
"""

AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + n.html.slice(0, 120)),
    count: v.nodes.length,
  }));
}
"""


@dataclass
class Findings:
    """What the walk found, by kind: lists of 'role width path: problem'."""

    pages: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    endpoints: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def _log_in(context, base: str, role: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", LOGINS[role])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")  # not the language menu in the header
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{role} could not log in"
    page.close()


def _new_context(world: World, browser, role: str):
    """A browser of this person's, logged in; axe-core goes into every page it opens
    (bypass_csp lets it past the Content-Security-Policy, in tests only)."""
    context = browser.new_context(
        locale="en-GB", timezone_id="UTC", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.add_init_script(AXE)
    if role != "anonymous":
        _log_in(context, world.url, role)
    return context


def _walk(world: World, browser, role: str, findings: Findings) -> None:
    context = _new_context(world, browser, role)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        shots: dict[str, int] = defaultdict(int)
        for endpoint, path in pages_for(world, role):
            findings.pages[role].append(path)
            findings.endpoints[role].add(endpoint)
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            t0 = time.perf_counter()
            response = page.goto(world.url + path)
            findings.seconds["goto"] += time.perf_counter() - t0
            where = f"{role} {path}"
            if response.status != 200:
                findings.problems["status"].append(f"{where}: answered {response.status}")
            if "text/html" not in response.headers.get("content-type", ""):
                findings.problems["status"].append(f"{where}: not a page (add it to NOT_PAGES)")
                continue
            shots[endpoint] += 1
            for width in WIDTHS:
                if width != WIDTHS[0]:
                    page.set_viewport_size({"width": width, "height": 800})
                t0 = time.perf_counter()
                violations = page.evaluate(AXE_RUN, WCAG_21_AA)
                findings.seconds["axe"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                layout = page.evaluate(LAYOUT_CHECKS, width == PHONE)
                findings.seconds["layout"] += time.perf_counter() - t0
                for violation in violations:
                    findings.problems["axe"].append(
                        f"{where} @{width}px: {violation['id']} ({violation['impact']}, "
                        f"{violation['count']}×) {violation['help']}: "
                        + " | ".join(violation["nodes"])
                    )
                for kind, texts in layout.items():
                    findings.problems[kind].extend(f"{where} @{width}px: {t}" for t in texts)
                if endpoint in MAIN_PAGES and role in PHOTOGRAPHED:
                    name = f"{role}-{endpoint}-{shots[endpoint]}"
                    t0 = time.perf_counter()
                    page.screenshot(path=SCREENSHOTS / f"{name}@{width}.png", full_page=True)
                    findings.seconds["shot"] += time.perf_counter() - t0
    finally:
        context.close()


@pytest.fixture(scope="module")
def findings(world, browser) -> Findings:
    """Walk every page once for every role; the tests below read what was found."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    found = Findings()
    t0 = time.perf_counter()
    for role in ROLES:
        _walk(world, browser, role, found)
    (SCREENSHOTS / "findings.json").write_text(
        json.dumps(
            {
                "pages": found.pages,
                "problems": found.problems,
                "seconds": {**found.seconds, "walk": time.perf_counter() - t0},
            },
            indent=1,
        )
    )
    return found


def _report(problems: list[str]) -> str:
    return f"{len(problems)} found:\n" + "\n".join(problems)


def test_the_walk_opens_every_page_for_every_role(findings):
    assert len(findings.pages["anonymous"]) >= 5
    assert len(findings.pages["secretariat"]) >= 40
    assert findings.endpoints["admin"] > findings.endpoints["secretariat"]
    assert findings.endpoints["secretariat"] > findings.endpoints["member"]
    assert findings.endpoints["chair"] > findings.endpoints["member"]
    assert not findings.problems["status"], _report(findings.problems["status"])


def test_the_walk_sees_the_invitations_page_grouped_by_organisation(world, browser, findings):
    """The walk's invitations page (checked above at both widths) is the one with the
    groups and the reminder button, not an empty one."""
    context = _new_context(world, browser, "secretariat")
    try:
        page = context.new_page()
        page.goto(f"{world.url}/meetings/{world.ids['scheduled_meeting'][0]}/invitations")
        groups = page.locator("#by-organisation")
        assert groups.locator("[data-none-yet]").count() >= 1
        assert "Regional Executive Committee 1" in groups.inner_text()
        assert page.locator("#remind-focal-points").is_visible()
    finally:
        context.close()


def test_axe_finds_no_wcag_2_1_aa_violation_at_either_width(findings):
    assert not findings.problems["axe"], _report(findings.problems["axe"])


def test_no_page_scrolls_sideways_on_a_phone(findings):
    assert not findings.problems["sideways"], _report(findings.problems["sideways"])


def test_radio_buttons_sit_beside_their_labels(findings):
    assert not findings.problems["radio_label"], _report(findings.problems["radio_label"])


def test_status_pills_stay_on_one_line(findings):
    assert not findings.problems["pill"], _report(findings.problems["pill"])


def test_the_required_mark_sits_beside_its_label_and_is_explained(findings):
    assert not findings.problems["required"], _report(findings.problems["required"])


def test_radio_buttons_are_44px_targets_on_a_phone(findings):
    assert not findings.problems["target"], _report(findings.problems["target"])


def test_attendance_radios_keep_their_labels_and_names_show_whole_at_any_desktop_width(
    world, browser
):
    """Issue 11, defect 3: at some widths "Excused" sat at the end of one line and its
    radio button... the other way round, so an excused person looked absent; and the
    "Representing" box cut organisation names off."""
    context = _new_context(world, browser, "secretariat")
    try:
        page = context.new_page()
        page.goto(f"{world.url}/meetings/{world.ids['scheduled_meeting'][0]}/attendance")
        apart, cut = {}, {}
        for width in range(1024, 1441, 24):
            page.set_viewport_size({"width": width, "height": 900})
            if problems := page.evaluate(LAYOUT_CHECKS, False)["radio_label"]:
                apart[width] = problems[:2]
            if names := page.evaluate(TRUNCATED_NAMES):
                cut[width] = names
        assert not apart, f"radio buttons apart from their labels: {apart}"
        assert not cut, f"names cut off in the Representing boxes: {cut}"
    finally:
        context.close()
