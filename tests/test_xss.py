"""Everything a user types renders inert (issue 4, quality bar).

Script and HTML payloads go into every user-typed text field (through the service layer
or the models), then every page that shows them is fetched as the person who would see
it, and each HTML response is parsed: no <script> carrying a payload, no event-handler
attribute, no <img> but a public summary's own photo, no <svg> other than the app's own
charts, no `javascript:` URL.
Plain-text fields must also be *shown*, as text: a page that dropped the field would
prove nothing. The HTML of outgoing emails (shown in the mail page's sandboxed preview)
is checked the same way.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import jinja2
import pytest

from coordapp.agenda import service as agenda_service
from coordapp.approval import service as approval_service
from coordapp.attendance import service as attendance_service
from coordapp.commitments import service as commitments_service
from coordapp.directory import service as directory_service
from coordapp.extensions import db
from coordapp.invitations import answers
from coordapp.invitations.service import invite_contacts, rsvp_token
from coordapp.mail.delivery import deliver_due_messages
from coordapp.meetings import service as meetings_service
from coordapp.minutes import service as minutes_service
from coordapp.models import (
    AttendanceMode,
    Category,
    Invitation,
    InvitationStatus,
    MeetingStatus,
    OutgoingMessage,
    Role,
)
from coordapp.models.agenda import AgendaItemKind, Attachment
from coordapp.models.commitment import CommitmentStatus
from tests.conftest import login_as
from tests.factories import (
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)

# --- payloads ----------------------------------------------------------------------------


TAGS: set[str] = set()  # every field given a payload, by its label


def payload(tag: str) -> str:
    """Every classic way out of a text node or an attribute, labelled with the field."""
    TAGS.add(tag)
    return (
        f'<script>alert("{tag}")</script>'
        f'"><img src=x onerror=alert("{tag}")>'
        f"'><svg onload=alert('{tag}')>"
        f'<a href="javascript:alert(1)">{tag}</a>'
    )


def markdown_payload(tag: str) -> str:
    """The same, plus Markdown links and autolinks to `javascript:` URLs."""
    return (
        payload(tag)
        + f"\n\n[click {tag}](javascript:alert(1)) and [again](JaVaScRiPt:alert(2))"
        + " and <javascript:alert(3)>\n\n"
        + '<svg onload=alert(4)><iframe src="javascript:alert(5)"></iframe>\n'
    )


# Short fields (VARCHAR(50)…) get a shorter payload.
SHORT = "<svg onload=alert(1)>'\""


def shown(tag: str) -> str:
    """What a page must show, as text, for a field holding `payload(tag)`."""
    return f'<script>alert("{tag}")</script>'


# --- the checker -------------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "srcset",
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
# The secretariat's preview of an email's HTML: a sandboxed frame of its own URL.
MAIL_PREVIEW_SRC = re.compile(r"^/mail/\d+/html$")
# The one picture the app shows: a public summary's photo, served by the app itself.
SUMMARY_PHOTO_SRC = re.compile(
    r"^(https?://[^/]+)?(/outcomes/[^/\s\"'<>]+/photo|/meetings/\d+/summary/photo/\d+)$"
)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self.srcdocs: list[str] = []
        self._raw_tag: str | None = None  # inside <script> or <style>
        self._raw: list[str] = []

    def _problem(self, message: str) -> None:
        self.problems.append(f"line {self.getpos()[0]}: {message}")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        shown_tag = self.get_starttag_text()
        if tag in ("script", "style"):
            self._raw_tag, self._raw = tag, []
            if (
                tag == "script"
                and attributes.get("src")
                and not (attributes["src"].startswith("/static/"))
            ):
                self._problem(f"script from elsewhere: {shown_tag}")
        if tag == "img" and not SUMMARY_PHOTO_SRC.match(attributes.get("src") or ""):
            self._problem(f"<img> (the app's only one is a summary photo): {shown_tag}")
        if tag == "svg" and "bar-chart" not in (attributes.get("class") or "").split():
            self._problem(f"<svg> that is not one of the app's charts: {shown_tag}")
        if tag in ("iframe", "frame", "object", "embed", "base", "applet"):
            if tag == "iframe" and attributes.get("sandbox") == "" and "src" not in attributes:
                self.srcdocs.append(attributes.get("srcdoc") or "")
            elif (
                tag == "iframe"
                and attributes.get("sandbox") == ""
                and MAIL_PREVIEW_SRC.match(attributes.get("src") or "")
            ):
                pass  # the email's HTML is checked at its own URL
            else:
                self._problem(f"<{tag}>: {shown_tag}")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self._problem(f"meta refresh: {shown_tag}")
        for name, value in attrs:
            value = value or ""
            if name == "value":  # what a form field shows counts as shown
                self.text.append(value)
            if name.startswith("on"):
                self._problem(f"event handler {name}= on <{tag}>: {shown_tag}")
            if name in URL_ATTRIBUTES:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squeezed.startswith(DANGEROUS_SCHEMES):
                    self._problem(f"{name}={value!r} on <{tag}>")
            if name == "style" and re.search(r"expression\(|javascript:|url\(", value, re.I):
                self._problem(f"style={value!r} on <{tag}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw_tag = None

    def handle_endtag(self, tag):
        if tag == self._raw_tag:
            body = "".join(self._raw)
            if tag == "script" and re.search(r"alert|onerror|onload", body):
                self._problem(f"<script> running a payload: {body[:120]!r}")
            self._raw_tag = None

    def handle_data(self, data):
        if self._raw_tag:
            self._raw.append(data)
        else:
            self.text.append(data)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    text: str = ""


def inspect_html(html: str) -> Findings:
    """Parse `html` (and any sandboxed srcdoc preview in it) and list what could run."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    findings = Findings(list(checker.problems), "".join(checker.text))
    for srcdoc in checker.srcdocs:
        inner = inspect_html(srcdoc)
        findings.problems += [f"in the HTML email preview: {p}" for p in inner.problems]
        findings.text += inner.text
    return findings


def assert_inert(html: str, *, showing: tuple[str, ...] = (), where: str = "") -> None:
    findings = inspect_html(html)
    missing = [tag for tag in showing if shown(tag) not in findings.text]
    assert not findings.problems and not missing, (
        f"{where}: {len(findings.problems)} problem(s): {findings.problems[:10]}; "
        f"fields not shown as text: {missing}"
    )


# --- the checker itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        f"<p>{payload('x')}</p>",
        '<a href=" JavaScript:alert(1)">x</a>',
        '<div onclick="alert(1)">x</div>',
        "<svg><circle onload=alert(1)></svg>",
        '<iframe sandbox="" srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>',
        '<script src="https://evil.example/x.js"></script>',
        "<textarea></textarea><script>alert(1)</script>",
    ],
)
def test_the_checker_catches_live_markup(html):
    assert inspect_html(html).problems


def test_the_checker_accepts_escaped_payloads_and_the_apps_own_markup():
    from markupsafe import escape

    html = (
        f"<p>{escape(payload('x'))}</p>"
        '<svg class="bar-chart" role="img"><title>By status</title></svg>'
        '<input data-select-on-focus value="https://example.org/rsvp/abc">'
        '<iframe sandbox="" src="/mail/12/html"></iframe>'
        '<script src="/static/js/agenda-reorder.js" defer></script>'
        '<iframe sandbox="" srcdoc="&lt;p&gt;Hello&lt;/p&gt;"></iframe>'
    )
    findings = inspect_html(html)
    assert findings.problems == []
    assert shown("x") in findings.text


def test_the_checker_fails_a_template_that_marks_user_input_safe(app, client):
    """A meeting page whose template used `|safe` on the title is caught (the template is
    overridden in this app's Jinja environment only; the file on disk is untouched)."""
    loader = app.jinja_env.loader
    source = loader.get_source(app.jinja_env, "meetings/show.html")[0]
    broken = source.replace("<h1>{{ meeting.title }}", "<h1>{{ meeting.title | safe }}", 1)
    assert broken != source
    app.jinja_env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"meetings/show.html": broken}), loader]
    )
    app.jinja_env.cache.clear()
    secretariat = make_user(role=Role.SECRETARIAT, email="sec@example.org")
    meeting = make_meeting(title=payload("meeting-title"))
    login_as(client, secretariat)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    with pytest.raises(AssertionError, match="problem"):
        assert_inert(html, showing=("meeting-title",), where="broken page")
    # The same page with the real template passes.
    app.jinja_env.loader = loader
    app.jinja_env.cache.clear()
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert_inert(html, showing=("meeting-title",), where="real page")


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    secretariat: object
    chair: object
    meeting: object
    cancelled: object
    later: object
    series: object
    organisation: object
    contact: object
    item: object
    attachment: object
    minutes_item: object
    version: object
    commitment: object
    invitation: object
    delegated: object
    substitute: object
    walk_in: object
    cancelled_invitation: object
    pending_import: object


def build_world(app) -> World:
    TAGS.clear()
    secretariat = make_user(role=Role.SECRETARIAT, email="sec@example.org", name="Sam Secretariat")
    chair = make_user(role=Role.MEMBER, email="chair@example.org", name=payload("user-name"))

    organisation = make_organisation(
        name=payload("org-name"), acronym=SHORT, category=Category.CIVIL_SOCIETY
    )
    plain_org = make_organisation(
        name="Ministry of Labour", acronym="MoL", category=Category.NATIONAL_GOVERNMENT
    )
    contact = make_contact(
        organisation,
        name=payload("contact-name"),
        email="xss@example.org",
        position=payload("contact-position"),
    )
    colleague = make_contact(plain_org, name="Pavel Zhuk", email="pavel@example.org")
    series = make_series(name=payload("series-name"), description=payload("series-description"))

    starts = datetime(datetime.now(UTC).year + 1, 3, 4, 7, 0, tzinfo=UTC)
    earlier = make_meeting(
        title="Earlier meeting",
        series=series,
        number=1,
        starts_at=starts.replace(month=1),
        status=MeetingStatus.HELD,
    )
    meeting = make_meeting(
        title=payload("meeting-title"),
        series=series,
        number=2,
        starts_at=starts,
        description=payload("meeting-description"),
        venue=payload("meeting-venue"),
        online_url='https://example.org/join?a="><script>alert("online-url")</script>',
        chairs=[(chair, payload("chair-role"))],
    )
    later = make_meeting(
        title="Later meeting", series=series, number=3, starts_at=starts.replace(month=6)
    )
    cancelled = make_meeting(
        title=payload("cancelled-title"), series=series, number=4, starts_at=starts.replace(month=9)
    )

    with app.test_request_context():
        # Invitations, answers, a substitute, a walk-in.
        invite_contacts(meeting, [contact, colleague], by=secretariat)
        invitation, delegated = (
            db.session.scalar(
                db.select(Invitation).filter_by(meeting_id=meeting.id, contact_id=c.id)
            )
            for c in (contact, colleague)
        )
        answers.record_answer(
            invitation,
            InvitationStatus.ACCEPTED,
            needs=payload("invitation-needs"),
            comment=payload("invitation-comment"),
            mode=AttendanceMode.ONLINE,  # a hybrid meeting: the online link is shown too
        )
        substitute = answers.delegate_to_substitute(
            delegated,
            name=payload("substitute-name"),
            email="sub@example.org",
            position=payload("substitute-position"),
        )
        invite_contacts(cancelled, [contact], by=secretariat)
        cancelled_invitation = db.session.scalar(
            db.select(Invitation).filter_by(meeting_id=cancelled.id)
        )
        meetings_service.change_status(cancelled, MeetingStatus.CANCELLED, payload("cancel-reason"))
        walk_in = attendance_service.add_walk_in(
            meeting,
            attendance_service.WalkIn(
                name=payload("walk-in-name"),
                email="walkin@example.org",
                position=payload("walk-in-position"),
                new_organisation_name=payload("walk-in-organisation"),
                new_organisation_category=Category.ACADEMIA.value,
            ),
            by=secretariat,
        ).invitation
        db.session.commit()

        # The agenda: an item with a presenter and two attachments (one named by the
        # uploader, sanitised by the upload check; one stored as is, to test the pages).
        item = agenda_service.create_item(
            meeting,
            title=payload("item-title"),
            description=markdown_payload("item-desc"),
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=30,
            presenter_ids=[contact.id],
        )
        attachment = Attachment(
            agenda_item=item,
            filename=payload("attachment-name") + ".pdf",
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            data=b"%PDF-1.4\n",
        )
        db.session.add(attachment)
        agenda_service.add_attachment(
            item,
            filename=payload("uploaded-name") + ".pdf",
            content_type="application/pdf",
            data=b"%PDF-1.4\n%%EOF\n",
            user_id=secretariat.id,
        )
        db.session.commit()

        # Minutes: item text and decisions, meeting-level fields (with revisions).
        version = minutes_service.current_version(meeting, by=secretariat)
        db.session.commit()
        minutes_item = minutes_service.minutes_items(version)[0]
        minutes_service.save_item(
            minutes_item,
            markdown_payload("minutes-text"),
            [payload("decision-1"), payload("decision-2")],
            minutes_item.lock_version,
            secretariat,
        )
        minutes_service.save_meeting_fields(
            version,
            markdown_payload("opening"),
            markdown_payload("closing"),
            starts.date().replace(month=12),
            payload("next-meeting-note"),
            version.lock_version,
            secretariat,
        )
        db.session.commit()

        # Commitments, a status update with a note, a status request email.
        commitment = commitments_service.create_commitment(
            meeting,
            commitments_service.CommitmentValues(
                description=payload("commitment-description"),
                organisations=[organisation],
                responsible=contact,
                due_date=None,
                due_quarter=None,
                goals=[10, 17],
                agenda_item=item,
            ),
            by_user=secretariat,
        )
        commitments_service.add_update(
            commitment,
            CommitmentStatus.IN_PROGRESS,
            payload("status-note"),
            meeting=meeting,
            by_user=secretariat,
        )
        commitments_service.queue_status_request(commitment, by_user=secretariat)
        commitments_service.add_follow_up_item(later)
        db.session.commit()

        # The meeting is held; the minutes go to the chair, who returns them.
        meetings_service.change_status(meeting, MeetingStatus.HELD)
        db.session.commit()
        approval_service.submit_for_approval(version, secretariat)
        db.session.commit()
        approval_service.return_version(version, chair, payload("return-comment"))
        db.session.commit()

        # A directory import waiting for confirmation.
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["name", "email", "organisation", "category", "position"])
        writer.writerow(
            [
                payload("import-name"),
                "new@example.org",
                payload("import-org"),
                "civil_society",
                "Analyst",
            ]
        )
        writer.writerow([payload("import-bad"), "not-an-email", "X", "nonsense", ""])
        pending_import = directory_service.store_pending_import(
            secretariat, payload("import-file") + ".csv", rows.getvalue()
        )
        db.session.commit()
    assert earlier.id

    # Every queued email is written (the worker composes some just before sending).
    deliver_due_messages()
    db.session.expire_all()
    return World(
        secretariat=secretariat,
        chair=chair,
        meeting=meeting,
        cancelled=cancelled,
        later=later,
        series=series,
        organisation=organisation,
        contact=contact,
        item=item,
        attachment=attachment,
        minutes_item=minutes_item,
        version=version,
        commitment=commitment,
        invitation=invitation,
        delegated=delegated,
        substitute=substitute,
        walk_in=walk_in,
        cancelled_invitation=cancelled_invitation,
        pending_import=pending_import,
    )


# --- the pages ---------------------------------------------------------------------------


def test_user_input_renders_inert_on_every_page(app, client):
    w = build_world(app)
    m, c = w.meeting.id, w.commitment.id
    meeting_fields = ("meeting-title", "meeting-description", "meeting-venue")
    people = ("contact-name", "substitute-name", "walk-in-name")
    failures: list[str] = []
    seen: list[str] = []  # the text of every page checked

    def check(url: str, *, showing: tuple[str, ...] = ()) -> None:
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{url}: HTTP {response.status_code}")
            return
        if not response.mimetype == "text/html":
            failures.append(f"{url}: {response.mimetype}, expected text/html")
            return
        html = response.get_data(as_text=True)
        seen.append(inspect_html(html).text)
        try:
            assert_inert(html, showing=showing, where=url)
        except AssertionError as error:
            failures.append(str(error))

    # --- as the secretariat ---------------------------------------------------------------
    login_as(client, w.secretariat)
    pages = {
        "/": ("meeting-title",),
        "/meetings/past": (),
        "/series": ("series-name",),
        f"/series/{w.series.id}": ("series-name", "series-description", "meeting-title"),
        f"/series/{w.series.id}/edit": ("series-description",),
        "/directory/organisations": ("org-name",),
        f"/directory/organisations/{w.organisation.id}": ("org-name", "contact-name"),
        f"/directory/organisations/{w.organisation.id}/edit": (),
        "/directory/contacts": ("contact-name", "contact-position", "org-name"),
        "/directory/contacts?q=xss": ("contact-name",),
        f"/directory/contacts/{w.contact.id}/edit": ("contact-position",),
        f"/directory/contacts/import/{w.pending_import.id}": ("import-name", "import-bad"),
        f"/meetings/{m}": (*meeting_fields, "chair-role", "user-name", "return-comment"),
        f"/meetings/{m}/edit": ("meeting-description",),
        f"/meetings/{w.cancelled.id}": ("cancelled-title", "cancel-reason"),
        f"/meetings/{m}/invitations": (*people, "invitation-needs", "invitation-comment"),
        f"/meetings/{m}/invitations?status=accepted": ("contact-name", "invitation-needs"),
        f"/meetings/{m}/invitations/new": ("org-name",),
        f"/invitations/{w.invitation.id}": (
            "contact-name",
            "invitation-needs",
            "invitation-comment",
        ),
        f"/invitations/{w.delegated.id}": ("substitute-name",),
        f"/invitations/{w.substitute.id}": ("substitute-name",),
        f"/meetings/{m}/agenda": ("item-title", "attachment-name", "contact-name"),
        f"/meetings/{m}/agenda/print": (
            "meeting-title",
            "item-title",
            "attachment-name",
            "contact-name",
            "meeting-venue",
        ),
        f"/agenda/items/{w.item.id}/edit": ("item-title", "item-desc"),
        f"/meetings/{w.later.id}/agenda/copy": ("meeting-title",),
        f"/meetings/{m}/attendance": (*people, "walk-in-position", "org-name"),
        f"/meetings/{m}/minutes": (
            "minutes-text",
            "decision-1",
            "decision-2",
            "opening",
            "closing",
            "next-meeting-note",
            "item-title",
        ),
        f"/meetings/{m}/minutes/preview": (
            "minutes-text",
            "decision-1",
            "opening",
            "closing",
            "next-meeting-note",
            "item-title",
            "contact-name",
            "commitment-description",
        ),
        f"/meetings/{m}/minutes/history": ("opening", "next-meeting-note"),
        f"/minutes/items/{w.minutes_item.id}/history": ("minutes-text", "decision-1"),
        f"/minutes/versions/{w.version.id}": ("return-comment", "meeting-title"),
        f"/meetings/{m}/commitments": ("commitment-description", "org-name", "item-title"),
        "/commitments": ("commitment-description", "org-name", "contact-name"),
        "/commitments?sdg=10": ("commitment-description",),
        f"/commitments?meeting={m}": ("commitment-description",),
        f"/commitments/{c}": ("commitment-description", "status-note", "org-name"),
        f"/commitments/{c}/edit": ("commitment-description",),
        f"/meetings/{w.later.id}/follow-up": ("commitment-description", "org-name"),
        f"/meetings/{w.later.id}/commitments": (),
        "/mail": ("meeting-title",),
        f"/series/{w.series.id}/report?year={w.meeting.starts_at.year}": (
            "series-name",
            "meeting-title",
            "commitment-description",
            "org-name",
        ),
        "/reports": ("series-name",),
    }
    for url, showing in pages.items():
        check(url, showing=showing)

    messages = db.session.scalars(db.select(OutgoingMessage).order_by(OutgoingMessage.id)).all()
    assert {message.kind.value for message in messages} >= {"invitation", "cancellation"}
    assert any(message.html_body for message in messages)
    # Long typed names and titles are cut to fit the subject column (PostgreSQL refused
    # the "minutes returned" email before: a 500 for the chair).
    assert max(len(message.subject or "") for message in messages) <= 500
    for message in messages:
        check(f"/mail/{message.id}")
        if message.html_body:
            check(f"/mail/{message.id}/html")

    # CSV exports are data for a spreadsheet, never HTML.
    for url in (
        f"/meetings/{m}/invitations.csv",
        "/commitments.csv",
        "/directory/contacts/export.csv",
        f"/series/{w.series.id}/report.csv?year={w.meeting.starts_at.year}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv", url
        assert "attachment" in response.headers.get("Content-Disposition", ""), url
    assert "invitation-needs" in client.get(f"/meetings/{m}/invitations.csv").get_data(as_text=True)

    # An attachment is downloaded, not shown; its name cannot break the header.
    response = client.get(f"/attachments/{w.attachment.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "\n" not in disposition and "<script" not in disposition.split("filename*=")[0]

    # --- as the chair ------------------------------------------------------------------------
    login_as(client, w.chair)
    for url, showing in {
        f"/minutes/versions/{w.version.id}": ("return-comment", "minutes-text"),
        f"/meetings/{m}": ("meeting-title", "return-comment"),
        f"/meetings/{m}/minutes/preview": ("minutes-text", "decision-2"),
        f"/meetings/{m}/follow-up": (),
        f"/meetings/{w.later.id}/follow-up": ("commitment-description",),
    }.items():
        check(url, showing=showing)

    # --- without an account: the personal links ---------------------------------------------
    with client.session_transaction() as session:
        session.clear()
    for invitation, showing in [
        (
            w.invitation,
            (
                "meeting-title",
                "contact-name",
                "invitation-needs",
                "invitation-comment",
                "item-title",
                "attachment-name",
                "meeting-venue",
                "chair-role",
            ),
        ),
        (w.delegated, ("substitute-name",)),
        (w.substitute, ("substitute-name", "meeting-title")),
        (w.walk_in, ("walk-in-name",)),
        (w.cancelled_invitation, ("cancelled-title", "cancel-reason")),
    ]:
        check(f"/rsvp/{rsvp_token(invitation)}", showing=showing)
    check(
        f"/commitments/status/{commitments_service.status_token(w.commitment)}",
        showing=("commitment-description", "status-note"),
    )

    assert not failures, "\n".join(failures)
    # Every field given a payload was shown, as text, on at least one page checked.
    everything = "\n".join(seen)
    assert SHORT in everything
    assert sorted(tag for tag in TAGS if shown(tag) not in everything) == []


# --- the public summary of a meeting (issue 13) -------------------------------------------


def test_public_summary_fields_render_inert_on_every_page_and_in_the_feed(app, client):
    """Payloads in what the pre-fill copies (meeting, chairs, organisations, decisions,
    commitments, series) and in what the secretariat types (title, Markdown body, photo
    text alternative): the draft, the version, the public page, the list and the feed."""
    import io as _io
    from xml.etree import ElementTree

    from PIL import Image

    from coordapp.models import Attendance, Commitment, CommitmentSDG
    from tests.factories import make_approved_meeting

    TAGS.clear()
    secretariat = make_user(role=Role.SECRETARIAT, email="sec@example.org", name="Sam")
    chair = make_user(role=Role.MEMBER, email="chair@example.org", name=payload("chair-name"))
    series = make_series(name=payload("series-name")[:300])
    meeting = make_approved_meeting(
        series=series,
        title=payload("meeting-title")[:300],
        venue=payload("meeting-venue")[:500],
        chairs=[(chair, payload("chair-role")[:200])],
        decisions=[payload("decision")[:500]],
    )
    organisation = make_organisation(name=payload("org-name"), acronym=None)
    contact = make_contact(organisation)
    db.session.add(
        Invitation(
            meeting_id=meeting.id,
            contact_id=contact.id,
            status=InvitationStatus.ACCEPTED,
            attendance=Attendance.PRESENT,
        )
    )
    commitment = Commitment(meeting_id=meeting.id, description=payload("commitment"))
    commitment.organisations = [organisation]
    commitment.sdgs = [CommitmentSDG(goal=10)]
    db.session.add(commitment)
    db.session.commit()

    login_as(client, secretariat)
    m = meeting.id
    assert (
        client.post(
            f"/meetings/{m}/summary",
            data={"language": "en", "name_chairs": "y", "name_organisations": "y"},
        ).status_code
        == 302
    )
    picture = _io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, "PNG")
    from coordapp.models import OutcomeSummary

    summary = db.session.scalar(db.select(OutcomeSummary).filter_by(meeting_id=m))
    prefilled = summary.body
    response = client.post(
        f"/meetings/{m}/summary/edit",
        data={
            "lock_version": str(summary.lock_version),
            "title": payload("summary-title")[:300],
            "language": "en",
            "body": prefilled + "\n\n" + markdown_payload("summary-body"),
            "photo_alt": payload("photo-alt")[:300],
            "photo": (_io.BytesIO(picture.getvalue()), "p.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert client.post(f"/meetings/{m}/summary/publish").status_code == 302
    db.session.expire_all()
    slug = db.session.scalar(db.select(OutcomeSummary.slug).filter_by(meeting_id=m))

    typed = ("summary-title", "summary-body")
    prefilled_tags = ("meeting-title", "meeting-venue", "chair-role", "chair-name", "decision")
    pages = {
        f"/meetings/{m}/summary": (*typed, "commitment", "org-name"),
        f"/meetings/{m}/summary/versions/1": (*typed, *prefilled_tags),
    }
    for url, showing in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), showing=showing, where=url)

    anonymous = app.test_client()
    for url, showing in {
        f"/outcomes/{slug}": (*typed, *prefilled_tags, "commitment", "org-name"),
        f"/outcomes/series/{series.id}": ("summary-title", "series-name"),
    }.items():
        response = anonymous.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert_inert(html, showing=showing, where=url)
        # The alt text is an attribute: escaped, never markup.
        if url.startswith("/outcomes/") and "series" not in url:
            assert 'alt="&lt;script&gt;alert(&#34;photo-alt&#34;)' in html

    # The feed: well-formed XML whose titles are text and whose content, once unescaped
    # as Atom says, is inert HTML.
    feed = anonymous.get(f"/outcomes/series/{series.id}/feed.atom").get_data(as_text=True)
    root = ElementTree.fromstring(feed)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.find("a:title", ns).text == payload("series-name")[:300]
    entry = root.find("a:entry", ns)
    assert entry.find("a:title", ns).text == payload("summary-title")[:300]
    content = entry.find("a:content", ns)
    assert content.get("type") == "html"
    assert_inert(content.text, showing=("summary-body", "commitment"), where="feed content")


# --- the scheduling poll's results --------------------------------------------------------


def test_poll_results_render_names_comments_and_organisations_inert(app, client):
    """People's names, organisation names (a key one), chairs' names and comments go into
    the results grid, the suggestion's reason, the CSV and the "date chosen" email."""
    from datetime import date, time, timedelta

    from coordapp.polls import service as poll_service
    from coordapp.polls.choose import choose_slot

    TAGS.clear()
    secretariat = make_user(role=Role.SECRETARIAT)
    chair = make_user(role=Role.MEMBER, name=payload("poll-chair"))
    meeting = make_meeting(
        title=payload("poll-meeting"), status=MeetingStatus.DRAFT, chairs=[(chair, "Chair")]
    )
    poll = poll_service.create_poll(
        meeting, message="x", deadline=datetime.now(UTC) + timedelta(days=5), by=secretariat
    )
    day = date.today() + timedelta(days=15)
    slots = [
        poll_service.add_slot(
            poll, day=day + timedelta(days=n), start=time(9), end=time(11), by=None
        )
        for n in range(2)
    ]
    organisation = make_organisation(name=payload("poll-org"), category=Category.CIVIL_SOCIETY)
    contact = make_contact(organisation, name=payload("poll-person"))
    poll_service.set_key_organisations(poll, [organisation.id], by=secretariat)
    respondent = poll_service.ask_people(poll, [contact], by=secretariat).asked[0]
    chair_respondent = poll_service.ask_chairs(poll, by=secretariat)[0]
    db.session.commit()
    poll_service.answer(
        respondent, {slots[0].id: "no", slots[1].id: "yes"}, payload("poll-comment")
    )
    poll_service.answer(chair_respondent, {slots[0].id: "yes", slots[1].id: "no"}, None)
    db.session.commit()

    login_as(client, secretariat)
    url = f"/meetings/{meeting.id}/poll/results"
    response = client.get(url)
    assert response.status_code == 200
    assert_inert(
        response.get_data(as_text=True),
        showing=("poll-chair", "poll-person", "poll-org", "poll-comment", "poll-meeting"),
        where=url,
    )
    exported = client.get(url + ".csv")
    assert exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    cells = [
        cell for row in csv.reader(io.StringIO(exported.get_data(as_text=True))) for cell in row
    ]
    assert payload("poll-comment") in cells  # data for a spreadsheet, kept as typed

    choose_slot(poll, slots[1].id, by=secretariat)
    db.session.commit()
    deliver_due_messages()
    db.session.expire_all()
    told = db.session.scalars(
        db.select(OutgoingMessage).where(OutgoingMessage.writer == "poll_result")
    ).all()
    assert told
    for message in told:
        assert message.html_body
        assert_inert(message.html_body, showing=("poll-meeting",), where=message.to_email)


def test_poll_fields_render_inert_on_the_poll_pages_and_emails(app, client):
    """The scheduling poll: the meeting's title, the poll's message, the names of the
    people and organisations asked and a person's comment, on every poll page and email."""
    from datetime import date, time, timedelta

    from coordapp.links import poll_token
    from coordapp.models import PollChoice, PollVisibility
    from coordapp.polls import service as poll_service
    from coordapp.polls.notifications import queue_poll_invitations

    TAGS.clear()
    secretariat = make_user(role=Role.SECRETARIAT, email="sec@example.org")
    chair = make_user(role=Role.MEMBER, email="chair@example.org", name=payload("chair-name"))
    organisation = make_organisation(name=payload("org-name"), acronym=SHORT)
    asker = make_contact(organisation, name=payload("contact-name"), email="a@example.org")
    other = make_contact(organisation, name=payload("other-name"), email="b@example.org")
    meeting = make_meeting(
        title=payload("meeting-title"), status=MeetingStatus.DRAFT, chairs=[(chair, SHORT)]
    )
    poll = poll_service.create_poll(
        meeting,
        message=payload("poll-message"),
        deadline=datetime.now(UTC) + timedelta(days=5),
        visibility=PollVisibility.NAMES,
        by=secretariat,
    )
    slot = poll_service.add_slot(
        poll, day=date.today() + timedelta(days=20), start=time(10), end=time(12), by=None
    )
    poll_service.ask_chairs(poll, by=None)
    first, second = poll_service.ask_people(poll, [asker, other], by=None).asked
    poll_service.answer(first, {slot.id: PollChoice.YES}, payload("poll-comment"))
    poll_service.answer(second, {slot.id: PollChoice.NO}, None)
    poll_service.set_key_organisations(poll, [organisation.id], by=None)
    queue_poll_invitations(poll.respondents)
    db.session.commit()
    deliver_due_messages()

    failures: list[str] = []
    seen: list[str] = []

    def check(url: str, showing: tuple[str, ...]) -> None:
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{url}: HTTP {response.status_code}")
            return
        html = response.get_data(as_text=True)
        seen.append(inspect_html(html).text)
        try:
            assert_inert(html, showing=showing, where=url)
        except AssertionError as error:
            failures.append(str(error))

    login_as(client, secretariat)
    m = meeting.id
    check(f"/meetings/{m}", ("meeting-title",))
    check(f"/meetings/{m}/poll", ("meeting-title", "poll-message", "contact-name", "org-name"))
    check(f"/meetings/{m}/poll/ask", ("meeting-title", "contact-name", "org-name"))
    check(f"/poll-slots/{slot.id}/edit", ("meeting-title",))
    for message in db.session.scalars(db.select(OutgoingMessage)):
        check(f"/mail/{message.id}", ())
        check(f"/mail/{message.id}/html", ("poll-message",))
    with client.session_transaction() as session:
        session.clear()
    check(f"/poll/{poll_token(first)}", ("meeting-title", "poll-message", "poll-comment"))
    check(f"/poll/{poll_token(second)}", ("contact-name", "chair-name"))

    assert not failures, "\n".join(failures)
    everything = "\n".join(seen)
    assert sorted(tag for tag in TAGS if shown(tag) not in everything) == []
