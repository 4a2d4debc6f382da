"""The public summary of a meeting (issue 13): drafted from the approved minutes by the
secretariat, published at /outcomes/<slug>, listed per series and in an Atom feed;
versioned, unpublishable, and nothing unapproved or personal reaches the public."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
import pytest
import sqlalchemy as sa
from PIL import Image

from coordapp.extensions import db
from coordapp.minutes import service as minutes_service
from coordapp.models import (
    Attendance,
    AuditEvent,
    Category,
    Commitment,
    CommitmentGCM,
    CommitmentSDG,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingStatus,
    OutcomeSummary,
    OutcomeSummaryVersion,
    Role,
    SummaryStatus,
    User,
)
from coordapp.models.minutes import MinutesStatus, MinutesVersion
from coordapp.outcomes import service
from tests.concurrency import run_at_once
from tests.conftest import count_queries, login_as
from tests.factories import (
    make_approved_meeting,
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)

PARTICIPANT = "Ірына Шчарбакова"
PARTICIPANT_EMAIL = "iryna.private@example.org"
RESPONSIBLE = "Responsible Person Name"
CHAIR_NAME = "Anna Resident"
SECRET_DRAFT = "Draft sentence nobody outside may read"
UNAPPROVED = "Unapproved amendment text"


@dataclass
class World:
    secretariat: object
    chair: object
    series: object
    meeting: object


def build_world() -> World:
    secretariat = make_user(Role.SECRETARIAT, email="sec@example.org", name="Sam Secretariat")
    chair = make_user(Role.MEMBER, email="anna@example.org", name=CHAIR_NAME)
    chair_two = make_user(Role.MEMBER, email="chief@example.org", name="Mahym Chief")
    series = make_series(name="UN Country Network on Migration")
    meeting = make_approved_meeting(
        series=series,
        chairs=[(chair, "UN Resident Coordinator"), (chair_two, "IOM Chief of Mission")],
        decisions=["Set up a migration data working group"],
    )
    iom = make_organisation(name="International Organization for Migration", acronym="IOM")
    ministry = make_organisation(name="Ministry of Interior", category=Category.NATIONAL_GOVERNMENT)
    statistics = make_organisation(
        name="National Statistical Committee", category=Category.NATIONAL_GOVERNMENT
    )
    people = [
        (make_contact(iom, name=PARTICIPANT, email=PARTICIPANT_EMAIL), Attendance.PRESENT),
        (make_contact(ministry, name="Present Person Two"), Attendance.PRESENT),
        (make_contact(statistics, name="Present Person Three"), Attendance.PRESENT),
        (make_contact(statistics, name="Absent Person"), Attendance.ABSENT),
    ]
    for contact, attendance in people:
        db.session.add(
            Invitation(
                meeting_id=meeting.id,
                contact_id=contact.id,
                status=InvitationStatus.ACCEPTED,
                attendance=attendance,
            )
        )
    responsible = make_contact(statistics, name=RESPONSIBLE, email="resp@example.org")
    commitment = Commitment(
        meeting_id=meeting.id,
        description="Publish a migration data dashboard",
        responsible_contact_id=responsible.id,
    )
    commitment.organisations = [statistics]
    commitment.sdgs = [CommitmentSDG(goal=10), CommitmentSDG(goal=17)]
    commitment.gcm = [CommitmentGCM(objective=1)]
    db.session.add(commitment)
    db.session.commit()
    return World(secretariat, chair, series, meeting)


@pytest.fixture
def world(app) -> World:
    return build_world()


def start(client, meeting, **form):
    data = {"language": "en", **form}
    return client.post(f"/meetings/{meeting.id}/summary", data=data)


def summary_for(meeting) -> OutcomeSummary:
    db.session.expire_all()
    return db.session.scalar(sa.select(OutcomeSummary).filter_by(meeting_id=meeting.id))


def save(client, meeting, *, photo: bytes | None = None, photo_name="photo.jpg", **fields):
    summary = summary_for(meeting)
    data = {
        "lock_version": str(summary.lock_version),
        "title": summary.title,
        "language": summary.language,
        "body": summary.body,
        "photo_alt": summary.photo_alt or "",
        **fields,
    }
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), photo_name)
    return client.post(
        f"/meetings/{meeting.id}/summary/edit", data=data, content_type="multipart/form-data"
    )


def publish(client, meeting):
    return client.post(f"/meetings/{meeting.id}/summary/publish")


def text(response) -> str:
    return response.get_data(as_text=True)


def public_get(app, url):
    return app.test_client().get(url)


# --- when a draft may be started ----------------------------------------------------------


def test_no_summary_before_the_minutes_are_approved(app, client):
    secretariat = make_user(Role.SECRETARIAT)
    meeting = make_meeting(status=MeetingStatus.HELD)
    version = minutes_service.current_version(meeting)
    version.status = MinutesStatus.SUBMITTED
    db.session.commit()
    login_as(client, secretariat)

    page = client.get(f"/meetings/{meeting.id}/summary")
    assert page.status_code == 409
    assert "not approved yet" in text(page)
    refused = start(client, meeting)
    assert refused.status_code == 409
    assert summary_for(meeting) is None
    # The meeting page offers no "Public summary" button yet.
    assert "Public summary" not in text(client.get(f"/meetings/{meeting.id}"))


def test_the_meeting_page_leads_the_secretariat_to_the_public_summary(world, client):
    login_as(client, world.secretariat)
    page = text(client.get(f"/meetings/{world.meeting.id}"))
    assert f'href="/meetings/{world.meeting.id}/summary"' in page


# --- the pre-fill -------------------------------------------------------------------------


def test_the_draft_is_prefilled_from_the_approved_minutes_without_names(world, client):
    login_as(client, world.secretariat)
    response = start(client, world.meeting)
    assert response.status_code == 302
    summary = summary_for(world.meeting)
    body = summary.body
    assert summary.status is SummaryStatus.DRAFT and summary.slug is None
    assert summary.title == "Fourth extended meeting"
    assert "4 March 2026" in body and "Minsk" in body
    assert "Co-chaired by UN Resident Coordinator; IOM Chief of Mission." in body
    # Present people only, by category: 1 UN agency, 2 national government (not the absent).
    assert "3 participants, from 3 organisations" in body
    assert "- UN agency: 1" in body and "- National government: 2" in body
    assert "Set up a migration data working group" in body
    assert "**National Statistical Committee**" in body
    assert "Publish a migration data dashboard" in body
    assert "SDG 10 — Reduced inequalities" in body and "SDG 17 — Partnerships for the goals" in body
    for name in (CHAIR_NAME, PARTICIPANT, RESPONSIBLE, "IOM)", "Ministry of Interior"):
        assert name not in body, name
    # The draft page shows the pre-filled text, rendered.
    page = text(client.get(f"/meetings/{world.meeting.id}/summary"))
    assert "<li>National government: 2</li>" in page


def test_gcm_objectives_are_listed_where_the_series_follows_the_compact(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    # The series does not use the GCM: its objectives stay out of the summary.
    assert "Objective 1" not in summary_for(world.meeting).body
    db.session.delete(summary_for(world.meeting))
    world.series.uses_gcm = True
    db.session.commit()

    start(client, world.meeting)
    body = summary_for(world.meeting).body
    assert "SDG 10 — Reduced inequalities" in body
    assert "Objective 1: Collect and utilize accurate and disaggregated data" in body


def test_names_only_when_the_secretariat_asks(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting, name_chairs="y", name_organisations="y")
    body = summary_for(world.meeting).body
    assert f"{CHAIR_NAME} (UN Resident Coordinator)" in body
    assert "- National government: 2 (Ministry of Interior, National Statistical Committee)" in body
    assert "- UN agency: 1 (IOM)" in body
    # Participants themselves are never named.
    assert PARTICIPANT not in body and RESPONSIBLE not in body


def test_the_prefill_speaks_the_summarys_language(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting, language="ru")
    summary = summary_for(world.meeting)
    assert summary.language == "ru"
    assert "4 марта 2026\u202fг." in summary.body
    assert "ЦУР 10" in summary.body
    assert "Participation" not in summary.body


def test_a_second_start_is_refused_and_an_unknown_language_too(world, client):
    login_as(client, world.secretariat)
    assert start(client, world.meeting, language="xx").status_code == 400
    assert summary_for(world.meeting) is None
    start(client, world.meeting)
    assert start(client, world.meeting).status_code == 409


# --- publish, the public page, the list and the feed --------------------------------------


def test_publish_makes_it_public_in_the_page_list_and_feed(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    save(client, world.meeting, body="The network met in Minsk.\n\n- One\n- Two\n")
    # Before publishing nothing is public.
    assert world.meeting.title not in text(public_get(app, f"/outcomes/series/{world.series.id}"))
    assert publish(client, world.meeting).status_code == 302
    summary = summary_for(world.meeting)
    assert summary.status is SummaryStatus.PUBLISHED
    assert summary.slug == "fourth-extended-meeting-2026-03-04"

    page = public_get(app, f"/outcomes/{summary.slug}")
    assert page.status_code == 200
    html = text(page)
    assert "The network met in Minsk." in html and "<li>Two</li>" in html
    assert '<article lang="en"' in html
    assert re.search(r"Published on \d{1,2} [A-Z][a-z]+ \d{4}", html)  # "4 March 2026"
    listing = text(public_get(app, f"/outcomes/series/{world.series.id}"))
    assert f'href="/outcomes/{summary.slug}"' in listing

    feed_response = public_get(app, f"/outcomes/series/{world.series.id}/feed.atom")
    assert feed_response.mimetype == "application/atom+xml"
    # Public: feed readers and proxies may keep it a few minutes (coordapp/headers.py).
    assert feed_response.headers["Cache-Control"] == "public, max-age=300"
    feed = feedparser.parse(feed_response.get_data())
    assert feed.bozo is False, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "UN Country Network on Migration"
    assert feed.feed.id.startswith("urn:uuid:")
    # The feed's id stays when the site moves to another address (readers keep it).
    app.config["BASE_URL"] = "https://elsewhere.example.org"
    moved = feedparser.parse(
        public_get(app, f"/outcomes/series/{world.series.id}/feed.atom").get_data()
    )
    assert moved.feed.id == feed.feed.id
    (entry,) = feed.entries
    assert entry.id == f"urn:uuid:{summary.entry_uuid}"
    assert entry.link.endswith(f"/outcomes/{summary.slug}")
    assert entry.title == "Fourth extended meeting"
    assert entry.author
    assert entry.content[0].type == "text/html"
    assert "The network met in Minsk." in entry.content[0].value
    assert entry.published == entry.updated


def test_an_edit_after_publishing_is_a_new_version_with_the_same_id_and_address(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    publish(client, world.meeting)
    first = summary_for(world.meeting)
    slug, entry_id = first.slug, first.entry_uuid
    feed_url = f"/outcomes/series/{world.series.id}/feed.atom"
    before = feedparser.parse(public_get(app, feed_url).get_data()).entries[0]

    # The draft changes: the public still reads version 1.
    save(client, world.meeting, title="A new title", body=f"{SECRET_DRAFT}.")
    assert SECRET_DRAFT not in text(public_get(app, f"/outcomes/{slug}"))
    assert SECRET_DRAFT not in text(public_get(app, feed_url))
    draft_page = text(client.get(f"/meetings/{world.meeting.id}/summary"))
    assert "You changed the draft since the last publication" in draft_page

    assert publish(client, world.meeting).status_code == 302
    summary = summary_for(world.meeting)
    assert summary.slug == slug  # the address never moves
    assert [v.number for v in summary.versions] == [1, 2]
    assert SECRET_DRAFT in text(public_get(app, f"/outcomes/{slug}"))
    after = feedparser.parse(public_get(app, feed_url).get_data())
    assert after.bozo is False
    (entry,) = after.entries
    assert entry.id == before.id == f"urn:uuid:{entry_id}"
    assert entry.title == "A new title"
    assert entry.updated_parsed >= before.updated_parsed and entry.updated != before.updated
    assert entry.published == before.published

    # The history: both versions, each readable as it was.
    page = text(client.get(f"/meetings/{world.meeting.id}/summary"))
    assert "Version 1" in page and "Version 2" in page
    old = text(client.get(f"/meetings/{world.meeting.id}/summary/versions/1"))
    assert "Fourth extended meeting" in old and SECRET_DRAFT not in old
    # Publishing again without a change is refused.
    assert publish(client, world.meeting).status_code == 409


def test_unpublish_takes_it_down_with_a_clear_page(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    publish(client, world.meeting)
    slug = summary_for(world.meeting).slug
    assert client.post(f"/meetings/{world.meeting.id}/summary/unpublish").status_code == 302
    gone = public_get(app, f"/outcomes/{slug}")
    assert gone.status_code == 410
    assert "withdrawn" in text(gone)
    assert slug not in text(public_get(app, f"/outcomes/series/{world.series.id}"))
    feed = feedparser.parse(public_get(app, f"/outcomes/series/{world.series.id}/feed.atom").data)
    assert feed.bozo is False and feed.entries == []
    assert public_get(app, "/outcomes/no-such-summary").status_code == 404
    # Nothing changed: "Publish again" puts the same version back at the same address.
    page = text(client.get(f"/meetings/{world.meeting.id}/summary"))
    assert "Publish again" in page and "Publish the changes" not in page
    publish(client, world.meeting)
    assert public_get(app, f"/outcomes/{slug}").status_code == 200
    assert [v.number for v in summary_for(world.meeting).versions] == [1]


def test_every_step_is_in_the_audit_log_with_a_label(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    save(client, world.meeting, body="Edited.")
    publish(client, world.meeting)
    client.post(f"/meetings/{world.meeting.id}/summary/unpublish")
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.meeting_id == world.meeting.id, AuditEvent.action.like("outcome%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "outcomes.summary_draft",
        "outcomes.summary_edit",
        "outcomes.summary_publish",
        "outcomes.summary_unpublish",
    ]
    page = text(client.get(f"/meetings/{world.meeting.id}"))
    for label in ("Started the public summary", "Published the public summary"):
        assert label in page


def test_a_stale_save_is_refused_and_keeps_the_text(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    save(client, world.meeting, body="First save.")
    stale = client.post(
        f"/meetings/{world.meeting.id}/summary/edit",
        data={"lock_version": "1", "title": "T", "language": "en", "body": "My lost words"},
    )
    assert stale.status_code == 409
    assert "My lost words" in text(stale)
    assert summary_for(world.meeting).body == "First save."


def test_empty_title_or_body_is_refused_and_nothing_saved(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    before = summary_for(world.meeting).body
    for fields in ({"title": " "}, {"body": ""}, {"language": "de"}):
        response = save(client, world.meeting, **fields)
        assert response.status_code == 400, fields
    assert summary_for(world.meeting).body == before


# --- nothing unapproved or personal leaks --------------------------------------------------


def test_the_public_never_sees_names_emails_drafts_or_unapproved_minutes(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting, name_organisations="y")
    publish(client, world.meeting)
    slug = summary_for(world.meeting).slug
    # Then: a draft edit, and an amendment to the minutes not approved yet.
    save(client, world.meeting, body=f"{SECRET_DRAFT}.")
    approved = db.session.scalar(sa.select(MinutesVersion).filter_by(meeting_id=world.meeting.id))
    from coordapp.approval import service as approval_service

    amendment = approval_service.create_amendment(approved, "Typo", by=world.secretariat)
    db.session.flush()
    item = minutes_service.minutes_items(amendment)[0]
    minutes_service.save_item(item, UNAPPROVED, [UNAPPROVED], item.lock_version, by=None)
    db.session.commit()

    public = [
        text(public_get(app, url))
        for url in (
            f"/outcomes/{slug}",
            f"/outcomes/series/{world.series.id}",
            f"/outcomes/series/{world.series.id}/feed.atom",
        )
    ]
    for secret in (
        SECRET_DRAFT,
        UNAPPROVED,
        PARTICIPANT,
        PARTICIPANT_EMAIL,
        RESPONSIBLE,
        "resp@example.org",
        CHAIR_NAME,
        "Sam Secretariat",
        "sec@example.org",
        "Partners discussed migration data.",  # the minutes' own text is not the summary
    ):
        for html in public:
            assert secret not in html, secret


def test_drafts_and_cancelled_meetings_stay_out_of_the_public_list_and_feed(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)  # a draft, never published
    other = make_approved_meeting(series=world.series, title="Fifth meeting")
    start(client, other)
    publish(client, other)
    slug = summary_for(other).slug
    listing_url = f"/outcomes/series/{world.series.id}"
    assert "Fifth meeting" in text(public_get(app, listing_url))
    assert "Fourth extended meeting" not in text(public_get(app, listing_url))
    # A meeting cancelled after all (by any means): its summary is not public any more.
    db.session.execute(
        sa.text("UPDATE meetings SET status = 'cancelled' WHERE id = :id"), {"id": other.id}
    )
    db.session.commit()
    assert public_get(app, f"/outcomes/{slug}").status_code == 404
    assert "Fifth meeting" not in text(public_get(app, listing_url))
    feed = feedparser.parse(public_get(app, listing_url + "/feed.atom").data)
    assert feed.entries == []
    # A series that does not exist: 404, not an empty list.
    assert public_get(app, "/outcomes/series/999999").status_code == 404


def test_drafting_is_for_the_secretariat_only(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    for who in ("chair", "member"):
        other = app.test_client()
        user = world.chair if who == "chair" else make_user(Role.MEMBER)
        login_as(other, user)
        assert other.get(f"/meetings/{world.meeting.id}/summary").status_code == 403
        assert other.post(f"/meetings/{world.meeting.id}/summary/publish").status_code == 403
    anonymous = app.test_client()
    response = anonymous.get(f"/meetings/{world.meeting.id}/summary")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert summary_for(world.meeting).status is SummaryStatus.DRAFT


def test_every_form_needs_its_csrf_token(world, app):
    from coordapp import create_app
    from tests.conftest import test_config

    csrf_app = create_app(test_config(WTF_CSRF_ENABLED=True))
    csrf_client = csrf_app.test_client()
    login_as(csrf_client, world.secretariat)
    for path in ("", "/edit", "/publish", "/unpublish"):
        response = csrf_client.post(
            f"/meetings/{world.meeting.id}/summary{path}", data={"language": "en"}
        )
        assert response.status_code == 400, path
    with csrf_app.app_context():
        db.session.remove()


# --- the photo ----------------------------------------------------------------------------


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    gps = {1: "N", 2: (53.0, 54.0, 0.0), 3: "E", 4: (27.0, 33.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert b"SecretCameraMaker" in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def test_a_photo_is_stored_without_its_metadata_and_served_publicly(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    # Alt text is required with a photo.
    refused = save(client, world.meeting, photo=jpeg_with_gps())
    assert refused.status_code == 400
    assert "text alternative" in text(refused)
    assert summary_for(world.meeting).photo_id is None

    ok = save(client, world.meeting, photo=jpeg_with_gps(), photo_alt="Partners around a table")
    assert ok.status_code == 302
    summary = summary_for(world.meeting)
    stored = summary.photo.data
    assert summary.photo.content_type == "image/jpeg"
    assert b"SecretCameraMaker" not in stored and b"Exif" not in stored
    reread = Image.open(io.BytesIO(stored))
    assert reread.format == "JPEG" and reread.size == (64, 48)
    assert not reread.getexif() and not reread.getexif().get_ifd(0x8825)

    # Not public before publishing; public afterwards, with its alt text.
    assert public_get(app, f"/outcomes/{summary.slug or 'x'}/photo").status_code == 404
    publish(client, world.meeting)
    slug = summary_for(world.meeting).slug
    photo = public_get(app, f"/outcomes/{slug}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data == stored
    assert photo.headers["Cache-Control"] == "public, max-age=300"
    # The draft's photo, for the secretariat, is never kept by a cache.
    draft_photo = client.get(f"/meetings/{world.meeting.id}/summary/photo/{summary.photo_id}")
    assert draft_photo.status_code == 200
    assert draft_photo.headers["Cache-Control"] == "private, no-store"
    html = text(public_get(app, f"/outcomes/{slug}"))
    assert f'src="/outcomes/{slug}/photo" alt="Partners around a table"' in html
    feed = feedparser.parse(public_get(app, f"/outcomes/series/{world.series.id}/feed.atom").data)
    assert f"/outcomes/{slug}/photo" in feed.entries[0].content[0].value

    # Removing it: gone from the draft; the public keeps the published one until publishing.
    save(client, world.meeting, remove_photo="y", photo_alt="")
    assert summary_for(world.meeting).photo_id is None
    assert public_get(app, f"/outcomes/{slug}/photo").status_code == 200
    publish(client, world.meeting)
    assert public_get(app, f"/outcomes/{slug}/photo").status_code == 404


def test_png_keeps_its_transparency_and_loses_its_text_chunks(world, client):
    from PIL import PngImagePlugin

    image = Image.new("RGBA", (10, 10), (0, 0, 255, 100))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Private Person")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    login_as(client, world.secretariat)
    start(client, world.meeting)
    assert (
        save(
            client, world.meeting, photo=out.getvalue(), photo_name="a.png", photo_alt="Logo"
        ).status_code
        == 302
    )
    stored = summary_for(world.meeting).photo
    assert stored.content_type == "image/png"
    assert b"Private Person" not in stored.data
    assert Image.open(io.BytesIO(stored.data)).mode == "RGBA"


@pytest.mark.parametrize(
    "data, name",
    [
        (b"GIF89a" + b"\x00" * 100, "photo.jpg"),  # a GIF called .jpg
        (b"%PDF-1.4\n", "photo.png"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "photo.jpg"),
        (b"", "empty.jpg"),
    ],
)
def test_a_photo_of_the_wrong_type_is_refused(world, client, data, name):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    response = save(client, world.meeting, photo=data, photo_name=name, photo_alt="x")
    assert response.status_code == 400
    assert ("JPEG, PNG or WebP" if data else "empty") in text(response)
    assert summary_for(world.meeting).photo_id is None


def test_an_oversize_photo_is_refused_before_decoding(world, client, app):
    app.config["OUTCOME_PHOTO_MAX_BYTES"] = 2000
    big = jpeg_with_gps(size=(400, 400))
    big += b"\x00" * (2001 - len(big)) if len(big) < 2001 else b""
    login_as(client, world.secretariat)
    start(client, world.meeting)
    response = save(client, world.meeting, photo=big, photo_alt="Big")
    assert response.status_code == 413
    assert "too large" in text(response)
    assert summary_for(world.meeting).photo_id is None


def test_a_decompression_bomb_is_refused(world, client):
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # 50 Mpixel, a few kB
    login_as(client, world.secretariat)
    start(client, world.meeting)
    response = save(client, world.meeting, photo=out.getvalue(), photo_name="b.png", photo_alt="x")
    assert response.status_code == 400
    assert "too many pixels" in text(response)


# --- pages: language, layout basics, queries -----------------------------------------------


def test_public_page_chrome_in_the_readers_language_summary_in_its_own(world, client, app):
    login_as(client, world.secretariat)
    start(client, world.meeting)  # written in English
    publish(client, world.meeting)
    slug = summary_for(world.meeting).slug
    html = text(app.test_client().get(f"/outcomes/{slug}", headers={"Accept-Language": "ru"}))
    assert '<html lang="ru"' in html
    assert '<article lang="en"' in html
    assert "Published on" not in html and "Written in" not in html
    assert "Co-chaired by" in html  # the summary itself stays English
    assert "style=" not in html and "<script>" not in html


def test_the_public_list_runs_a_fixed_number_of_queries(world, client, app):
    login_as(client, world.secretariat)

    def publish_one(n):
        meeting = make_approved_meeting(
            series=world.series,
            title=f"Meeting {n}",
            starts_at=datetime(2025, 1, n, 8, 0, tzinfo=UTC),
        )
        start(client, meeting)
        publish(client, meeting)

    publish_one(1)
    anonymous = app.test_client()
    with count_queries() as few:
        assert anonymous.get(f"/outcomes/series/{world.series.id}").status_code == 200
    for n in range(2, 12):
        publish_one(n)
    with count_queries() as many:
        html = text(anonymous.get(f"/outcomes/series/{world.series.id}"))
    assert html.count('href="/outcomes/meeting-') == 11
    assert many.count == few.count
    with count_queries() as feed_queries:
        anonymous.get(f"/outcomes/series/{world.series.id}/feed.atom")
    assert feed_queries.count <= few.count


def test_the_outcomes_index_lists_every_series_newest_first_and_is_linked_from_login(
    world, client, app
):
    login_as(client, world.secretariat)
    other_series = make_series(name="Gender Theme Group")
    for n, series in ((1, world.series), (2, world.series), (3, other_series)):
        meeting = make_approved_meeting(
            series=series, title=f"Meeting {n}", starts_at=datetime(2025, 1, n, 8, 0, tzinfo=UTC)
        )
        start(client, meeting)
        publish(client, meeting)
    start(client, world.meeting)  # a draft only: not listed

    anonymous = app.test_client()
    assert 'href="/outcomes"' in text(anonymous.get("/login"))
    with count_queries() as few:
        html = text(anonymous.get("/outcomes"))
    # The series with the latest meeting first; in each, the latest meeting first.
    titles = re.findall(r'<a href="/outcomes/(meeting-\d)[^"]*"', html)
    assert titles == ["meeting-3", "meeting-2", "meeting-1"]
    assert html.index("Gender Theme Group") < html.index(world.series.name)
    assert "Fourth extended meeting" not in html
    for series in (world.series, other_series):
        feed = f"/outcomes/series/{series.id}/feed.atom"
        assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in html, (
            series.name
        )
        assert f'<a href="{feed}" type="application/atom+xml">' in html
    meeting = make_approved_meeting(series=world.series, title="Meeting 4")
    start(client, meeting)
    publish(client, meeting)
    with count_queries() as more:
        anonymous.get("/outcomes")
    assert more.count == few.count


def test_versions_are_kept_in_the_database(world, client):
    login_as(client, world.secretariat)
    start(client, world.meeting)
    publish(client, world.meeting)
    save(client, world.meeting, body="Second")
    publish(client, world.meeting)
    rows = db.session.scalars(
        sa.select(OutcomeSummaryVersion).order_by(OutcomeSummaryVersion.number)
    ).all()
    assert [r.number for r in rows] == [1, 2]
    assert "Second" in rows[1].body_html and "Second" not in rows[0].body_html
    assert service.latest_version(summary_for(world.meeting)).number == 2


def test_slug_is_unique_across_meetings_with_the_same_title_and_date(world, client):
    login_as(client, world.secretariat)
    twin = make_approved_meeting(series=world.series)
    for meeting in (world.meeting, twin):
        start(client, meeting)
        publish(client, meeting)
    slugs = {summary_for(m).slug for m in (world.meeting, twin)}
    assert slugs == {"fourth-extended-meeting-2026-03-04", "fourth-extended-meeting-2026-03-04-2"}
    assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)


# --- at the same moment --------------------------------------------------------------------


@pytest.mark.commits
def test_a_double_click_starts_one_draft_and_publishes_one_version(app):
    world = build_world()
    meeting_id, user_id = world.meeting.id, world.secretariat.id
    db.session.close()

    def starting():
        service.start_draft(
            db.session.get(Meeting, meeting_id),
            language="en",
            languages=["en", "ru", "be"],
            name_chairs=False,
            name_organisations=False,
            by=db.session.get(User, user_id),
        )

    errors = run_at_once(app, [starting, starting])
    # One draft; the second click is told there is one already (no database error).
    assert [type(e) for e in errors] == [service.SummaryError]
    assert db.session.scalar(sa.select(sa.func.count(OutcomeSummary.id))) == 1

    def publishing():
        meeting = db.session.get(Meeting, meeting_id)
        summary = service.summary_of(meeting_id)
        service.publish(summary, meeting, by=db.session.get(User, user_id))

    errors = run_at_once(app, [publishing, publishing])
    assert [type(e) for e in errors] == [service.SummaryError]
    assert "Nothing changed" in errors[0].message
    assert db.session.scalar(sa.select(sa.func.count(OutcomeSummaryVersion.id))) == 1


@pytest.mark.commits
def test_two_saves_from_the_same_form_keep_the_first_and_refuse_the_second(app):
    world = build_world()
    meeting = world.meeting
    service.start_draft(
        meeting,
        language="en",
        languages=["en"],
        name_chairs=False,
        name_organisations=False,
        by=world.secretariat,
    )
    db.session.commit()
    meeting_id, user_id = meeting.id, world.secretariat.id
    opened = service.summary_of(meeting_id).lock_version
    db.session.close()

    def saving(body):
        def job():
            service.save_draft(
                service.summary_of(meeting_id),
                title="Fourth extended meeting",
                language="en",
                body=body,
                photo_alt=None,
                photo_bytes=None,
                remove_photo=False,
                lock_version=opened,
                languages=["en"],
                max_photo_bytes=1000,
                by=db.session.get(User, user_id),
            )

        return job

    errors = run_at_once(app, [saving("First text."), saving("Second text.")])
    assert [type(e) for e in errors] == [service.SummaryConflict]
    body = service.summary_of(meeting_id).body
    assert body in ("First text.", "Second text.")
