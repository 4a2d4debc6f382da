"""Russian and Belarusian wherever a person reads.

The walk renders every GET page, for every role and for the personal-link pages, in ru
and in be over the demo network, and fails when English text of the catalogue shows
through. The other tests check who gets which language and how dates read in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask_babel import force_locale

from coordapp.demo import SERIES_NAME, seed_demo_data
from coordapp.extensions import db
from coordapp.links import poll_token, rsvp_token
from coordapp.models import (
    Commitment,
    Invitation,
    Meeting,
    Poll,
    Role,
    Series,
    User,
)
from coordapp.models.agenda import AgendaItem
from coordapp.models.commitment import CommitmentUpdate
from coordapp.models.document import DocumentStatus
from coordapp.models.minutes import MinutesVersion
from coordapp.models.report import ReportDocument
from coordapp.timefmt import local_datetime, local_time
from tests.conftest import login_as
from tests.factories import make_contact, make_meeting, make_organisation, make_user
from tests.test_access import build_url

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["ru", "be"]
ROLES = ["anonymous", "member", "chair", "secretariat", "admin"]


# --- what counts as English chrome -------------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%[sd]|\{\w*\}")
# Counts ("%(num)d minutes") are numbers; other placeholders may be any text.
NUMERIC = re.compile(r"%\((num|count|n|total|number|minutes|pages?|quarter|year)\)|%d|d$")
NUMBER = r"[\d\s\u00a0\u202f]+"
# Around a message in a page: labels end in ":", counts follow, lists use separators.
TRIM = " \t\n:·—–-()[]«»\"'.,;!?*→←&"


def _catalogue(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def _normal(text: str) -> str:
    return " ".join(text.split()).strip(TRIM)


@dataclass
class EnglishMessage:
    text: str
    pattern: re.Pattern | None  # for messages with placeholders
    label: bool = False  # "Due:": leaks when a node starts with it


def english_messages() -> list[EnglishMessage]:
    """The English msgids a Russian or Belarusian page must not show: not those that
    read the same in ru or be ("PDF", "CSV", "ID"), nor those shorter than 3 letters."""
    translated = [_catalogue(language) for language in LANGUAGES]
    messages = []
    for message in _catalogue("en"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        same = set()
        for catalogue in translated:
            other = catalogue.get(message.id, context=message.context)
            strings = other.string if isinstance(other.string, (list, tuple)) else [other.string]
            same.update(_normal(s) for s in strings)
        for msgid in ids:
            text = _normal(msgid)
            letters = re.sub(r"[^A-Za-z]", "", PLACEHOLDER.sub("", text))
            if len(letters) < 3 or text in same or "<" in text:
                continue
            pattern = None
            if PLACEHOLDER.search(text):
                literal = PLACEHOLDER.split(text)
                holes = [NUMBER if NUMERIC.search(h) else ".+?" for h in PLACEHOLDER.findall(text)]
                pattern = re.compile(
                    "".join(
                        re.escape(part) + hole
                        for part, hole in zip(literal, holes + [""], strict=True)
                    )
                )
            messages.append(EnglishMessage(text, pattern, msgid.strip().endswith(":")))
    return messages


class VisibleText(HTMLParser):
    """Text nodes and the attributes people read, without scripts, styles and the
    elements marked as another language (the language menu's "English")."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
    READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[bool] = []  # per open element: is its text skipped?
        self.texts: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        other_language = attrs.get("lang") not in (None, self.language) and tag != "html"
        skip = self.skipping or tag in ("script", "style") or other_language
        if not skip:
            for name in self.READ_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(data)


def leaks(
    html: str, language: str, messages: list[EnglishMessage], content: frozenset[str] = frozenset()
) -> set[str]:
    """The English messages in `html`'s visible text, except what people typed (`content`)."""
    parser = VisibleText(language)
    parser.feed(html)
    found = set()
    for raw in parser.texts:
        text = _normal(raw)
        if not re.search(r"[A-Za-z]{3}", text) or text in content:
            continue
        for message in messages:
            if message.pattern is not None:
                if message.pattern.fullmatch(text):
                    found.add(message.text)
            elif text == message.text or (message.label and text.startswith(message.text + ": ")):
                found.add(message.text)
    return found


def test_leak_check_finds_english_and_spares_names_and_other_languages():
    messages = english_messages()
    page = (
        '<html lang="ru"><body><h1>Meetings</h1><p>Starts: чт, 4 мар. 2027 г.</p>'
        '<p>Now: 10:00 – 12:00</p><span lang="en">English</span>'
        "<p>Andrei Kavalenka</p><p>PDF</p><button title='Log out'>x</button></body></html>"
    )
    english = {"Meetings", "Starts", "Starts: %(when)s", "Now: %(when)s", "Log out"}
    assert leaks(page, "ru", messages) == english
    assert leaks(page.replace("Meetings", "Заседания"), "ru", messages) == english - {"Meetings"}


# --- one world: the demo network, a plain member, the personal links ----------------------


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, int]
    more_ids: list[dict[str, int]]  # further objects walked as the secretariat
    link_pages: list[tuple[str, object]]  # (URL, the contact whose language it speaks)
    content: frozenset[str]  # what people typed (the demo's titles are in English)


def _demo_world() -> World:
    seed_demo_data()
    series = db.session.scalar(sa.select(Series).filter_by(name=SERIES_NAME))
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.number)
    ).all()
    version = db.session.scalar(sa.select(MinutesVersion).limit(1))
    fourth = next(m for m in meetings if m.number == 4)
    held = db.session.get(Meeting, version.meeting_id)
    commitment = db.session.scalar(
        sa.select(Commitment)
        .where(Commitment.meeting_id == held.id, Commitment.responsible_contact_id.is_not(None))
        .limit(1)
    )
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.meeting_id == fourth.id).limit(1)
    )
    chair = fourth.chairs[0].user
    users = {
        "member": make_user(Role.MEMBER, email="lang-member@example.org", name="Mo Member"),
        "chair": chair,
        "secretariat": db.session.scalar(
            sa.select(User).filter_by(email="secretariat@demo.coordapp.org")
        ),
        "admin": db.session.scalar(sa.select(User).filter_by(email="admin@demo.coordapp.org")),
    }
    base = {"series": series.id, "user": users["member"].id, "version": version.id}
    org = invitation.contact.organisation
    ids = {
        **base,
        "meeting": fourth.id,
        "contact": invitation.contact.id,
        "organisation": org.id,
        "org": org.id,
        "invitation": invitation.id,
        "commitment": commitment.id,
    }
    report = ReportDocument(
        series_id=series.id,
        period_start=held.starts_at.date(),
        period_end=held.starts_at.date(),
        status=DocumentStatus.READY,
        filename="report.pdf",
        data=b"%PDF-1.7",
        size=8,
        finished_at=held.starts_at,
    )
    db.session.add(report)
    db.session.flush()
    ids["report"] = report.id
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.meeting_id == held.id).limit(1))
    more = [{**base, "meeting": held.id, "commitment": commitment.id}]
    if item is not None:
        more[0]["item"] = item.id
    # A draft meeting with a scheduling poll that has answers (its results page).
    more.append({**base, "meeting": _poll_meeting(users["secretariat"], chair).id})
    from coordapp.commitments.notifications import status_token

    link_pages = [
        (f"/rsvp/{rsvp_token(invitation)}", invitation.contact),
        (f"/commitments/status/{status_token(commitment)}", commitment.responsible),
    ]
    # A draft meeting with a scheduling poll: its pages, and the answer page of a person
    # asked (open, with the others' names and answers shown).
    poll_ids, respondent = _poll_world(fourth, users["secretariat"])
    more.append({**base, **poll_ids})
    link_pages.append((f"/poll/{poll_token(respondent)}", respondent.contact))
    typed = [
        AgendaItem.title,
        Meeting.title,
        CommitmentUpdate.note,
        Commitment.description,
        Poll.message,
    ]
    content = frozenset(
        _normal(text) for column in typed for text in db.session.scalars(sa.select(column)) if text
    )
    return World(users=users, ids=ids, more_ids=more, link_pages=link_pages, content=content)


def _poll_meeting(secretariat: User, chair: User) -> Meeting:
    from datetime import date, time, timedelta

    from coordapp.models import Contact, MeetingStatus
    from coordapp.polls import service as poll_service

    meeting = make_meeting(
        title="Date to be found", status=MeetingStatus.DRAFT, chairs=[(chair, "Co-chair")]
    )
    poll = poll_service.create_poll(
        meeting,
        message=None,
        deadline=datetime.now(UTC) + timedelta(days=10),
        by=secretariat,
    )
    day = date.today() + timedelta(days=30)
    slots = [
        poll_service.add_slot(
            poll, day=day + timedelta(days=n), start=time(10), end=time(12), by=secretariat
        )
        for n in range(2)
    ]
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id).limit(3)))
    poll_service.set_key_organisations(poll, [contacts[0].organisation_id], by=secretariat)
    asked = poll_service.ask_people(poll, contacts, by=secretariat).asked
    asked += poll_service.ask_chairs(poll, by=secretariat)
    db.session.flush()
    for n, respondent in enumerate(asked):
        poll_service.answer(
            respondent, {slots[0].id: "yes", slots[1].id: "no" if n % 2 else "if_need_be"}, None
        )
    db.session.flush()
    return meeting


def _poll_world(like: Meeting, secretariat: User):
    from datetime import date, time, timedelta

    from coordapp.models import Contact, MeetingStatus, PollChoice, PollVisibility, utcnow
    from coordapp.polls import service as poll_service

    draft = Meeting(
        title="Регіональная сустрэча",
        kind=like.kind,
        starts_at=like.starts_at + timedelta(days=90),
        ends_at=like.ends_at + timedelta(days=90),
        timezone=like.timezone,
        status=MeetingStatus.DRAFT,
    )
    db.session.add(draft)
    poll = poll_service.create_poll(
        draft,
        message="Дата?",
        deadline=utcnow() + timedelta(days=7),
        visibility=PollVisibility.NAMES,
        reminder_days_before=2,
        by=secretariat,
    )
    day = date.today() + timedelta(days=40)
    slots = [
        poll_service.add_slot(poll, day=day, start=time(h), end=time(h + 2), by=None)
        for h in (9, 14)
    ]
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id).limit(3)))
    asked = poll_service.ask_people(poll, contacts, by=None).asked
    for person, choice in zip(asked, PollChoice, strict=False):
        poll_service.answer(person, {slots[0].id: choice, slots[1].id: "yes"}, None)
    db.session.flush()
    return {"meeting": draft.id, "slot": slots[0].id}, asked[0]


def _html_pages(app, ids: dict[str, int]):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or ()):
            continue
        if "token" in rule.arguments:
            continue  # the personal-link pages are walked with real tokens
        yield rule.endpoint, build_url(rule, ids)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_chrome_on_any_page_in(language, app):
    world = _demo_world()
    messages = english_messages()
    # Members and chairs chose the language in their settings; the secretariat and the
    # admin have no setting, so their browser's Accept-Language decides.
    world.users["member"].language = language
    world.users["chair"].language = language
    for contact in {id(c): c for _url, c in world.link_pages}.values():
        contact.language = language
    db.session.flush()

    found: dict[str, set[str]] = {}
    pages = 0

    def visit(client, url, where):
        nonlocal pages
        response = client.get(url, headers={"Accept-Language": f"{language},en;q=0.5"})
        assert response.status_code < 500, f"{where} {url}: {response.status_code}"
        if response.status_code in (301, 302, 303) or not response.content_type.startswith(
            "text/html"
        ):
            return
        pages += 1
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}"' in html, f"{where} {url} is not in {language}"
        for text in leaks(html, language, messages, world.content):
            found.setdefault(text, set()).add(f"{where} {url}")

    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login_as(client, world.users[role])
        walks = [world.ids] + (world.more_ids if role == "secretariat" else [])
        for ids in walks:
            for endpoint, url in _html_pages(app, ids):
                visit(client, url, f"{role} {endpoint}")
    for url, _contact in world.link_pages:
        # The invitee's browser asks for English: the contact's language wins.
        response = app.test_client().get(url, headers={"Accept-Language": "en"})
        assert f'<html lang="{language}"' in response.get_data(as_text=True), url
        visit(app.test_client(), url, "invitee")
    visit(app.test_client(), "/verify", "anonymous")

    assert pages > 60
    report = "\n".join(f"{text!r}: {sorted(where)[:3]}" for text, where in sorted(found.items()))
    assert not found, f"English text on {language} pages:\n{report}"


# --- who speaks which language -----------------------------------------------------------


def test_user_setting_beats_the_browser_and_the_header_menu_saves_it(app, member_client):
    page = member_client.get("/", headers={"Accept-Language": "be"})
    assert '<html lang="be"' in page.get_data(as_text=True)

    response = member_client.post(
        "/account/language", data={"language": "ru"}, headers={"Accept-Language": "be"}
    )
    assert response.status_code == 302
    page = member_client.get("/", headers={"Accept-Language": "be"}).get_data(as_text=True)
    assert '<html lang="ru"' in page and "Заседания" in page

    response = member_client.post(
        "/language", data={"language": "be", "next": "/series"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/series")
    assert db.session.get(User, member_client.user.id).language == "be"
    page = member_client.get("/account/language").get_data(as_text=True)
    assert '<html lang="be"' in page and "Мова інтэрфейсу" in page

    member_client.post("/account/language", data={"language": ""})
    assert db.session.get(User, member_client.user.id).language is None
    page = member_client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in page


def test_visitor_without_account_picks_a_language_from_the_header(app, client):
    page = client.get("/verify").get_data(as_text=True)
    assert '<html lang="en"' in page and 'value="ru"' in page and "Русский" in page
    client.post("/language", data={"language": "ru", "next": "/verify"})
    assert '<html lang="ru"' in client.get("/verify").get_data(as_text=True)
    # Not a language the app speaks: nothing changes.
    client.post("/language", data={"language": "de", "next": "/verify"})
    assert '<html lang="ru"' in client.get("/verify").get_data(as_text=True)


def test_the_language_a_visitor_chose_survives_logging_in_and_out(app, client):
    from tests.factories import PASSWORD

    make_user(Role.MEMBER, email="visitor@example.org", name="Vera Visitor")
    client.post("/language", data={"language": "be", "next": "/login"})
    response = client.post(
        "/login",
        data={"email": "visitor@example.org", "password": PASSWORD},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert '<html lang="be"' in response.get_data(as_text=True)
    after = client.post("/logout", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert '<html lang="be"' in after.get_data(as_text=True)


def test_default_language_comes_from_the_environment(monkeypatch, tmp_path):
    from coordapp.config import from_environment

    assert from_environment(str(tmp_path))["BABEL_DEFAULT_LOCALE"] == "en"
    monkeypatch.setenv("DEFAULT_LANGUAGE", "be")
    config = from_environment(str(tmp_path))
    assert config["BABEL_DEFAULT_LOCALE"] == "be"
    assert config["LANGUAGES"] == ["en", "ru", "be"]
    monkeypatch.setenv("DEFAULT_LANGUAGE", "de")
    with pytest.raises(RuntimeError, match="DEFAULT_LANGUAGE"):
        from_environment(str(tmp_path))


def test_rsvp_page_speaks_the_contact_language_and_remembers_a_switch_per_link(app, client):
    contact = make_contact(make_organisation(), language="be")
    other_contact = make_contact(make_organisation(), language="be")
    meeting = make_meeting()
    invitation = Invitation(meeting=meeting, contact=contact)
    other = Invitation(meeting=meeting, contact=other_contact)
    db.session.add_all([invitation, other])
    db.session.flush()
    url, other_url = f"/rsvp/{rsvp_token(invitation)}", f"/rsvp/{rsvp_token(other)}"

    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="be"' in page
    assert 'href="?lang=ru"' in page  # the visible switch

    page = client.get(url + "?lang=ru").get_data(as_text=True)
    assert '<html lang="ru"' in page
    # Remembered for this link (also after answering), not for another one.
    assert '<html lang="ru"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"status": "accepted"})
    assert response.status_code == 303
    assert '<html lang="ru"' in client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="be"' in client.get(other_url).get_data(as_text=True)
    # The session keeps a digest of the link, never the link itself.
    with client.session_transaction() as session:
        assert rsvp_token(invitation) not in repr(dict(session))


def test_commitment_status_page_speaks_the_responsible_contact_language(app, client):
    from coordapp.commitments.notifications import status_token

    world = _demo_world()
    commitment = db.session.get(Commitment, world.ids["commitment"])
    commitment.responsible.language = "ru"
    db.session.flush()
    url = f"/commitments/status/{status_token(commitment)}"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru"' in page and "Обновить" in page or "Статус" in page
    page = client.get(url + "?lang=be").get_data(as_text=True)
    assert '<html lang="be"' in page


def test_meeting_page_names_the_language(app, secretariat_client):
    meeting = make_meeting(language="ru")
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Русский" in page


# --- dates, times and quarters in the reader's language ----------------------------------


G = "\u202fг."  # CLDR's narrow no-break space before «г.»

# Every way the app writes a date or a time, in each language: a meeting on Sunday
# 20 December 2026, 10:00-14:00 in Minsk (and one ending the next day), a due date of
# 6 January 2027, the second quarter of 2027, a signature stamp.
DATE_FORMATS = {
    "en": {
        "datetime": "Sun 20 Dec 2026, 10:00 (Europe/Minsk)",
        "datetime without zone": "Sun 20 Dec 2026, 10:00",
        "time": "10:00 (Europe/Minsk)",
        "range": "Sun 20 Dec 2026, 10:00 – 14:00 (Europe/Minsk)",
        "range over two days": "Sun 20 Dec 2026, 10:00 – Mon 21 Dec 2026, 14:00 (Europe/Minsk)",
        "day": "6 Jan 2027",
        "day, month in full": "6 January 2027",
        "due date": "6 Jan 2027",
        "due quarter": "Q2 2027",
        "signature stamp": "2026-12-20 10:00 Europe/Minsk",
        "zone": "Europe/Minsk",
    },
    "ru": {
        "datetime": f"вс, 20 дек. 2026{G}, 10:00 (Минск)",
        "datetime without zone": f"вс, 20 дек. 2026{G}, 10:00",
        "time": "10:00 (Минск)",
        "range": f"вс, 20 дек. 2026{G}, 10:00 – 14:00 (Минск)",
        "range over two days": f"вс, 20 дек. 2026{G}, 10:00 – пн, 21 дек. 2026{G}, 14:00 (Минск)",
        "day": f"6 янв. 2027{G}",
        "day, month in full": f"6 января 2027{G}",
        "due date": f"6 янв. 2027{G}",
        "due quarter": "2 кв. 2027 г.",
        "signature stamp": f"20 дек. 2026{G}, 10:00 (Минск)",
        "zone": "Минск",
    },
    "be": {
        "datetime": f"нд, 20 снежня 2026{G}, 10:00 (Мінск)",
        "datetime without zone": f"нд, 20 снежня 2026{G}, 10:00",
        "time": "10:00 (Мінск)",
        "range": f"нд, 20 снежня 2026{G}, 10:00 – 14:00 (Мінск)",
        "range over two days": (
            f"нд, 20 снежня 2026{G}, 10:00 – пн, 21 снежня 2026{G}, 14:00 (Мінск)"
        ),
        "day": f"6 студзеня 2027{G}",
        "day, month in full": f"6 студзеня 2027{G}",
        "due date": f"6 студзеня 2027{G}",
        "due quarter": "2 кв. 2027 г.",
        "signature stamp": f"20 снежня 2026{G}, 10:00 (Мінск)",
        "zone": "Мінск",
    },
}


@pytest.mark.parametrize("language", sorted(DATE_FORMATS))
def test_every_date_format_in_each_language(app, language):
    from datetime import date
    from zoneinfo import ZoneInfo

    from coordapp.i18n import zone_name
    from coordapp.signing.pdfsign import _format_time
    from coordapp.timefmt import due_date_label, local_day, time_range

    zone = "Europe/Minsk"
    start = datetime(2026, 12, 20, 7, 0, tzinfo=UTC)
    end = datetime(2026, 12, 20, 11, 0, tzinfo=UTC)
    next_day = datetime(2026, 12, 21, 11, 0, tzinfo=UTC)
    with app.test_request_context(), force_locale(language):
        written = {
            "datetime": local_datetime(start, zone),
            "datetime without zone": local_datetime(start, zone, zone=False),
            "time": local_time(start, zone),
            "range": time_range(start, end, zone),
            "range over two days": time_range(start, next_day, zone),
            "day": local_day(date(2027, 1, 6)),
            "day, month in full": local_day(date(2027, 1, 6), full_month=True),
            "due date": due_date_label(date(2027, 1, 6)),
            "due quarter": due_date_label(date(2027, 6, 30), 2),
            "signature stamp": _format_time(start.astimezone(ZoneInfo(zone))),
            "zone": zone_name(zone),
        }
    assert written == DATE_FORMATS[language]


def test_status_request_email_gives_the_due_quarter_in_the_contact_language(app):
    from coordapp.commitments.notifications import queue_status_request_email
    from coordapp.mail.writers import write

    world = _demo_world()
    commitment = db.session.get(Commitment, world.ids["commitment"])
    commitment.responsible.language = "ru"
    commitment.due_quarter, commitment.due_date = 2, datetime(2027, 6, 30).date()
    row = queue_status_request_email(commitment)
    email = write(row)
    assert "Срок: 2 кв. 2027 г." in email.text
    assert "2027-06-30" not in email.text and "Q2" not in email.text


def test_a_user_and_their_own_make_user_helper_have_no_language_by_default(app):
    assert make_user(Role.MEMBER, email="nolang@example.org").language is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_summary_pages_speak_the_readers_language_and_keep_the_summarys(language, app):
    """The public summary's chrome follows the reader; the summary, written in English,
    keeps its language (marked with lang="en", so it is not English chrome)."""
    from coordapp.outcomes import service as outcomes_service
    from tests.factories import make_approved_meeting, make_series

    secretariat = make_user(Role.SECRETARIAT, email="lang-sec@example.org", name="Sam")
    secretariat.language = language
    chair = make_user(Role.MEMBER, email="lang-chair@example.org", name="Anna Resident")
    series = make_series(name="UN Country Network on Migration")
    meeting = make_approved_meeting(series=series, chairs=[(chair, "UN Resident Coordinator")])
    summary = outcomes_service.start_draft(
        meeting,
        language="en",
        languages=["en", "ru", "be"],
        name_chairs=False,
        name_organisations=False,
        by=secretariat,
    )
    outcomes_service.publish(summary, meeting, by=secretariat)
    db.session.commit()
    messages = english_messages()
    content = frozenset({_normal(meeting.title), _normal(series.name)})

    found: dict[str, set[str]] = {}
    pages = {
        "anonymous": [
            f"/outcomes/{summary.slug}",
            f"/outcomes/series/{series.id}",
            "/outcomes/no-such-summary",
        ],
        "secretariat": [
            f"/meetings/{meeting.id}/summary",
            f"/meetings/{meeting.id}/summary/versions/1",
        ],
    }
    for role, urls in pages.items():
        client = app.test_client()
        if role == "secretariat":
            login_as(client, secretariat)
        for url in urls:
            response = client.get(url, headers={"Accept-Language": f"{language},en;q=0.5"})
            assert response.status_code in (200, 404), url
            html = response.get_data(as_text=True)
            assert f'<html lang="{language}"' in html, url
            for text in leaks(html, language, messages, content):
                found.setdefault(text, set()).add(url)
    assert not found, f"English text on {language} pages: {found}"

    # The summary's own text is marked as English and stays so.
    html = (
        app.test_client()
        .get(f"/outcomes/{summary.slug}", headers={"Accept-Language": language})
        .get_data(as_text=True)
    )
    assert '<article lang="en"' in html
    assert "Chaired by UN Resident Coordinator." in html
