"""The agenda builder: items, planned times in the meeting's zone, order, copying,
read-only meetings, print view, the worker-made PDF and constant query counts."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.links import rsvp_token
from coordapp.models import AuditEvent, Invitation, MeetingStatus
from coordapp.models.agenda import AgendaItem, AgendaItemKind, AgendaItemPresenter, Attachment
from coordapp.models.document import DocumentStatus, GeneratedDocument
from coordapp.models.minutes import MinutesItem, MinutesStatus, MinutesVersion
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_organisation, make_series
from tests.waiting import assert_done_waiting, assert_waits

# 10:00 in Minsk (UTC+3, no summer time) is 07:00 UTC.
TEN_IN_MINSK = datetime(2027, 3, 4, 7, 0, tzinfo=UTC)


def add_item(meeting, title, minutes=15, kind=AgendaItemKind.DISCUSSION, presenters=()):
    position = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
    )
    item = AgendaItem(
        meeting_id=meeting.id, position=position, title=title, kind=kind, duration_minutes=minutes
    )
    for index, contact in enumerate(presenters):
        item.presenters.append(AgendaItemPresenter(contact=contact, position=index))
    db.session.add(item)
    db.session.commit()
    return item


def titles_in_order(meeting_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AgendaItem.title)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position)
        )
    )


def ids_in_order(meeting_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem.id)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position)
        )
    )


def positions(meeting_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem.position)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position)
        )
    )


def row_html(page: str, item_id: int) -> str:
    match = re.search(rf'<tr id="item-{item_id}".*?</tr>', page, re.S)
    assert match, f"row of item {item_id} not on the page"
    return match.group(0)


# --- items ------------------------------------------------------------------------------


def test_secretariat_adds_edits_and_deletes_an_item(secretariat_client):
    meeting = make_meeting()
    unesco = make_organisation(name="Statistics Office", acronym="NSO")
    anna = make_contact(unesco, name="Anna Kovalenko")
    ivan = make_contact(unesco, name="Ivan Petrov")

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/agenda/new",
        data={
            "title": "Migration data dashboard",
            "kind": "presentation",
            "duration_minutes": "20",
            "presenters": [str(ivan.id), str(anna.id)],
            "description": "The **new** dashboard",
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(sa.select(AgendaItem))
    assert item.title == "Migration data dashboard"
    assert item.kind == AgendaItemKind.PRESENTATION
    assert [p.contact.name for p in item.presenters] == ["Ivan Petrov", "Anna Kovalenko"]

    page = secretariat_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    row = row_html(page, item.id)
    assert "Ivan Petrov (NSO), Anna Kovalenko (NSO)" in row
    assert "<strong>new</strong>" in row  # Markdown rendered
    assert "Presentation" in row and "20 minutes" in row

    # The edit form lists the chosen presenters first, in their order, so saving keeps it.
    form = secretariat_client.get(f"/agenda/items/{item.id}/edit").get_data(as_text=True)
    assert form.index("Ivan Petrov") < form.index("Anna Kovalenko")

    response = secretariat_client.post(
        f"/agenda/items/{item.id}/edit",
        data={
            "title": "Dashboard, revised",
            "kind": "discussion",
            "duration_minutes": "0",
            "presenters": [str(anna.id)],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(AgendaItem, item.id)
    assert (item.title, item.duration_minutes, item.kind) == (
        "Dashboard, revised",
        0,
        AgendaItemKind.DISCUSSION,
    )
    assert [p.contact_id for p in item.presenters] == [anna.id]

    assert secretariat_client.post(f"/agenda/items/{item.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0
    actions = set(
        db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.meeting_id == meeting.id))
    )
    assert {"agenda.item_create", "agenda.item_update", "agenda.item_delete"} <= actions


@pytest.mark.parametrize(
    "data, message",
    [
        ({"title": "", "kind": "discussion", "duration_minutes": "10"}, "Give the item a title."),
        (
            {"title": "Opening", "kind": "discussion", "duration_minutes": "-5"},
            "The duration must be between 0 and 1440 minutes.",
        ),
        ({"title": "Opening", "kind": "discussion", "duration_minutes": "ten"}, "Not a valid"),
        ({"title": "Opening", "kind": "party", "duration_minutes": "10"}, "Not a valid choice"),
    ],
)
def test_bad_item_is_refused_with_a_message_and_the_typed_text_kept(
    secretariat_client, data, message
):
    meeting = make_meeting()
    response = secretariat_client.post(f"/meetings/{meeting.id}/agenda/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if data["title"]:
        assert 'value="Opening"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 0


def test_user_text_is_rendered_inert(secretariat_client):
    meeting = make_meeting()
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"
    secretariat_client.post(
        f"/meetings/{meeting.id}/agenda/new",
        data={
            "title": payload,
            "kind": "discussion",
            "duration_minutes": "5",
            "description": payload,
        },
    )
    for url in (f"/meetings/{meeting.id}/agenda", f"/meetings/{meeting.id}/agenda/print"):
        page = secretariat_client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page
        assert "<img" not in page
        assert 'href="javascript:' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- times ------------------------------------------------------------------------------


def test_planned_start_times_are_shown_in_the_meeting_zone(member_client):
    meeting = make_meeting(starts_at=TEN_IN_MINSK, hours=2, timezone_name="Europe/Minsk")
    opening = add_item(meeting, "Opening", 15)
    policy = add_item(meeting, "National policy", 30)
    data = add_item(meeting, "Migration data", 10)

    page = member_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "10:00 (Europe/Minsk)" in row_html(page, opening.id)
    assert "10:15 (Europe/Minsk)" in row_html(page, policy.id)
    assert "10:45 (Europe/Minsk)" in row_html(page, data.id)
    assert "agenda-overrun" not in page


def test_a_warning_shows_when_the_agenda_runs_past_the_end(member_client):
    meeting = make_meeting(starts_at=TEN_IN_MINSK, hours=1)
    add_item(meeting, "Opening", 45)
    add_item(meeting, "Discussion", 40)

    page = member_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "The agenda runs 25 minutes past the meeting's end" in page


# --- order ------------------------------------------------------------------------------


def test_items_move_up_and_down(secretariat_client):
    meeting = make_meeting()
    a, b, c = (add_item(meeting, t) for t in "ABC")

    secretariat_client.post(f"/agenda/items/{c.id}/move", data={"direction": "up"})
    assert titles_in_order(meeting.id) == ["A", "C", "B"]
    secretariat_client.post(f"/agenda/items/{a.id}/move", data={"direction": "down"})
    assert titles_in_order(meeting.id) == ["C", "A", "B"]
    # Already first: nothing changes.
    secretariat_client.post(f"/agenda/items/{c.id}/move", data={"direction": "up"})
    assert titles_in_order(meeting.id) == ["C", "A", "B"]
    assert positions(meeting.id) == [0, 1, 2]
    bad = secretariat_client.post(f"/agenda/items/{a.id}/move", data={"direction": "sideways"})
    assert bad.status_code == 400


def test_drag_and_drop_order_is_saved(secretariat_client):
    meeting = make_meeting()
    a, b, c = (add_item(meeting, t) for t in "ABC")

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/agenda/order",
        data={"order": [str(c.id), str(a.id), str(b.id)]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200 and response.json["ok"] is True
    assert titles_in_order(meeting.id) == ["C", "A", "B"]
    assert positions(meeting.id) == [0, 1, 2]


def test_order_with_foreign_or_missing_ids_is_refused(secretariat_client):
    meeting = make_meeting()
    a, b = add_item(meeting, "A"), add_item(meeting, "B")
    other = add_item(make_meeting(), "Elsewhere")

    for order in ([b.id, other.id], [b.id], [a.id, b.id, other.id], [a.id, a.id], ["x"]):
        response = secretariat_client.post(
            f"/meetings/{meeting.id}/agenda/order",
            data={"order": [str(i) for i in order]},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 400, order
        assert response.json["ok"] is False
    assert titles_in_order(meeting.id) == ["A", "B"]


# --- copying ----------------------------------------------------------------------------


def test_copy_the_agenda_of_a_previous_meeting_of_the_series(secretariat_client):
    series = make_series()
    third = make_meeting(series=series, number=3, status=MeetingStatus.CLOSED)
    fourth = make_meeting(series=series, number=4)
    presenter = make_contact(name="Olga Ivanova")
    opening = add_item(third, "Opening remarks", 10, AgendaItemKind.OPENING, [presenter])
    db.session.add(
        Attachment(
            agenda_item=opening,
            filename="a.pdf",
            content_type="application/pdf",
            size=5,
            sha256="0" * 64,
            data=b"%PDF-",
        )
    )
    db.session.commit()
    add_item(third, "Any other business", 5, AgendaItemKind.AOB)
    add_item(fourth, "Already here", 5)
    unrelated = make_meeting(series=make_series())

    page = secretariat_client.get(f"/meetings/{fourth.id}/agenda/copy").get_data(as_text=True)
    assert third.title in page and unrelated.title not in page

    refused = secretariat_client.post(
        f"/meetings/{fourth.id}/agenda/copy", data={"source": unrelated.id}
    )
    assert refused.status_code == 400

    response = secretariat_client.post(
        f"/meetings/{fourth.id}/agenda/copy", data={"source": third.id}
    )
    assert response.status_code == 302
    assert titles_in_order(fourth.id) == ["Already here", "Opening remarks", "Any other business"]
    copied = db.session.scalar(
        sa.select(AgendaItem).where(
            AgendaItem.meeting_id == fourth.id, AgendaItem.title == "Opening remarks"
        )
    )
    assert copied.kind == AgendaItemKind.OPENING and copied.duration_minutes == 10
    assert [p.contact_id for p in copied.presenters] == [presenter.id]
    assert copied.attachments == []
    assert titles_in_order(third.id) == ["Opening remarks", "Any other business"]


# --- who may do what ----------------------------------------------------------------------


def test_member_reads_the_agenda_but_cannot_change_it(member_client):
    meeting = make_meeting()
    item = add_item(meeting, "Opening")

    page = member_client.get(f"/meetings/{meeting.id}/agenda")
    assert page.status_code == 200 and "Opening" in page.get_data(as_text=True)
    assert "Add an item" not in page.get_data(as_text=True)
    assert member_client.get(f"/meetings/{meeting.id}/agenda/new").status_code == 403
    assert member_client.post(f"/agenda/items/{item.id}/delete").status_code == 403
    assert (
        member_client.post(f"/meetings/{meeting.id}/agenda/order", data={"order": [item.id]})
    ).status_code == 403
    assert titles_in_order(meeting.id) == ["Opening"]


@pytest.mark.parametrize("status", [MeetingStatus.CLOSED, MeetingStatus.CANCELLED])
def test_agenda_of_a_closed_or_cancelled_meeting_is_read_only(secretariat_client, status):
    meeting = make_meeting(status=status)
    item = add_item(meeting, "Opening")

    page = secretariat_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "can no longer be changed" in page and "Add an item" not in page
    attempts = [
        secretariat_client.get(f"/meetings/{meeting.id}/agenda/new"),
        secretariat_client.post(
            f"/agenda/items/{item.id}/edit",
            data={"title": "Changed", "kind": "discussion", "duration_minutes": "5"},
        ),
        secretariat_client.post(f"/agenda/items/{item.id}/move", data={"direction": "down"}),
        secretariat_client.post(f"/agenda/items/{item.id}/delete"),
        secretariat_client.post(f"/meetings/{meeting.id}/agenda/order", data={"order": [item.id]}),
    ]
    for response in attempts:
        assert response.status_code == 409
        assert "can no longer be changed" in response.get_data(as_text=True)
    assert titles_in_order(meeting.id) == ["Opening"]


@pytest.mark.parametrize("minutes_status", [MinutesStatus.SUBMITTED, MinutesStatus.APPROVED])
def test_agenda_is_frozen_while_minutes_are_submitted_or_approved(
    secretariat_client, minutes_status
):
    """The chairs sign a PDF of the agenda as it stands: it cannot change under them."""
    meeting = make_meeting(status=MeetingStatus.HELD)
    opening = add_item(meeting, "Opening")
    add_item(meeting, "Migration data")
    attachment = Attachment(
        agenda_item_id=opening.id,
        filename="brief.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
        data=b"%PDF-1.4",
    )
    version = MinutesVersion(meeting_id=meeting.id, number=1, status=MinutesStatus.DRAFT)
    db.session.add_all([attachment, version])
    db.session.flush()
    db.session.add(MinutesItem(version_id=version.id, agenda_item_id=opening.id, text="Said"))
    db.session.flush()  # written while a draft: approved minutes take no new items
    version.status = minutes_status
    db.session.commit()
    before = titles_in_order(meeting.id)

    page = secretariat_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    assert "Add an item" not in page
    attempts = {
        "new": secretariat_client.get(f"/meetings/{meeting.id}/agenda/new"),
        "edit": secretariat_client.post(
            f"/agenda/items/{opening.id}/edit",
            data={"title": "Changed", "kind": "discussion", "duration_minutes": "5"},
        ),
        "move": secretariat_client.post(
            f"/agenda/items/{opening.id}/move", data={"direction": "down"}
        ),
        "delete": secretariat_client.post(f"/agenda/items/{opening.id}/delete"),
        "order": secretariat_client.post(
            f"/meetings/{meeting.id}/agenda/order",
            data={"order": list(reversed(ids_in_order(meeting.id)))},
        ),
        "upload": secretariat_client.post(
            f"/agenda/items/{opening.id}/attachments",
            data={"file": (io.BytesIO(b"%PDF-1.4 new"), "new.pdf")},
            content_type="multipart/form-data",
        ),
        "remove attachment": secretariat_client.post(f"/attachments/{attachment.id}/delete"),
    }
    for action, response in attempts.items():
        assert response.status_code == 409, action
        assert "minutes" in response.get_data(as_text=True), action
    assert titles_in_order(meeting.id) == before
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 1
    assert db.session.get(MinutesItem, version.items[0].id).text == "Said"


def test_agenda_of_a_held_meeting_with_draft_minutes_can_still_change(secretariat_client):
    meeting = make_meeting(status=MeetingStatus.HELD)
    opening = add_item(meeting, "Opening")
    db.session.add(MinutesVersion(meeting_id=meeting.id, number=1, status=MinutesStatus.DRAFT))
    db.session.commit()

    response = secretariat_client.post(
        f"/agenda/items/{opening.id}/edit",
        data={"title": "Opening remarks", "kind": "discussion", "duration_minutes": "5"},
    )
    assert response.status_code == 302
    assert titles_in_order(meeting.id) == ["Opening remarks"]


def test_the_database_refuses_a_minutes_row_for_a_missing_agenda_item(app):
    """Foreign keys are enforced on SQLite too (PRAGMA foreign_keys=ON on every
    connection): a minutes row can never point at an agenda item that does not exist."""
    meeting = make_meeting()
    version = MinutesVersion(meeting_id=meeting.id, number=1, status=MinutesStatus.DRAFT)
    db.session.add(version)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(MinutesItem(version_id=version.id, agenda_item_id=987654, text=""))
    # Deleting an agenda item takes its minutes rows with it (ON DELETE CASCADE).
    item = add_item(meeting, "Opening")
    db.session.add(MinutesItem(version_id=version.id, agenda_item_id=item.id, text="Said"))
    db.session.commit()
    db.session.execute(sa.delete(AgendaItem).where(AgendaItem.id == item.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(MinutesItem.id))) == 0


# --- print and PDF ------------------------------------------------------------------------


def test_print_view_has_the_items_and_no_navigation(member_client):
    meeting = make_meeting(starts_at=TEN_IN_MINSK, venue="UN House, Minsk")
    add_item(meeting, "Opening remarks", 15)
    add_item(meeting, "National policy", 30)

    page = member_client.get(f"/meetings/{meeting.id}/agenda/print").get_data(as_text=True)
    assert "Opening remarks" in page and "National policy" in page
    assert "10:15 (Europe/Minsk)" in page and "UN House, Minsk" in page
    assert "/static/css/agenda-print.css" in page  # with its @media print rules
    assert "Log out" not in page and 'class="site"' not in page


def test_agenda_pdf_is_made_by_the_worker_and_downloaded(secretariat_client, tmp_path):
    meeting = make_meeting(title="Fourth extended meeting", starts_at=TEN_IN_MINSK)
    ministry = make_organisation(name="Ministry of Labour", acronym="MoL")
    add_item(
        meeting, "Opening remarks", 15, presenters=[make_contact(ministry, name="Алеся Вінцук")]
    )
    add_item(meeting, "Migration data dashboard", 30)

    response = secretariat_client.post(f"/meetings/{meeting.id}/agenda/pdf")
    assert response.status_code == 303
    document = db.session.scalar(sa.select(GeneratedDocument))
    db.session.refresh(document)
    assert document.status == DocumentStatus.READY, document.error

    status_page = secretariat_client.get(response.headers["Location"])
    assert_done_waiting(status_page)
    assert f"/documents/{document.id}/download" in status_page.get_data(as_text=True)

    download = secretariat_client.get(f"/documents/{document.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    pdf = tmp_path / "agenda.pdf"
    pdf.write_bytes(download.data)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Opening remarks" in text and "Migration data dashboard" in text
    assert "Алеся Вінцук (MoL)" in text
    assert "10:15 (Europe/Minsk)" in text


def test_pending_pdf_page_waits_for_the_worker_until_ready(secretariat_client):
    meeting = make_meeting()
    document = GeneratedDocument(kind="agenda", meeting_id=meeting.id, filename="agenda.pdf")
    db.session.add(document)
    db.session.commit()

    page = secretariat_client.get(f"/documents/{document.id}")
    assert_waits(page)
    assert "being prepared" in page.get_data(as_text=True)
    assert secretariat_client.get(f"/documents/{document.id}/download").status_code == 409


def test_an_agenda_pdf_whose_worker_died_is_queued_again_once_its_lease_ran_out(
    secretariat_client, monkeypatch
):
    from coordapp.agenda import tasks

    queued = []
    monkeypatch.setattr(tasks, "render_agenda_pdf", queued.append)
    meeting = make_meeting()
    document = GeneratedDocument(kind="agenda", meeting_id=meeting.id, filename="agenda.pdf")
    db.session.add(document)
    db.session.commit()

    assert tasks.requeue_expired() == []  # just queued: its lease runs
    document.claimed_at = datetime.now(UTC) - timedelta(hours=1)  # the worker died
    db.session.commit()
    assert tasks.requeue_expired() == [document.id]
    assert tasks.requeue_expired() == []  # the lease is renewed: queued once
    assert queued == [document.id]


# --- query counts -------------------------------------------------------------------------


def fill_agenda(meeting_id: int, count: int) -> None:
    """`count` items, each with a presenter and an attachment, inserted in bulk."""
    organisation = make_organisation()
    contact = make_contact(organisation)
    start = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AgendaItem)
        .where(AgendaItem.meeting_id == meeting_id)
    )
    for n in range(start, start + count):
        item = AgendaItem(meeting_id=meeting_id, position=n, title=f"Item {n}", duration_minutes=1)
        item.presenters.append(AgendaItemPresenter(contact=contact, position=0))
        item.attachments.append(
            Attachment(
                filename=f"doc-{n}.pdf",
                content_type="application/pdf",
                size=5,
                sha256="0" * 64,
                data=b"%PDF-",
            )
        )
        db.session.add(item)
    db.session.commit()


def queries_for(client, url: str) -> int:
    db.session.expunge_all()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_agenda_page_query_count_does_not_grow_with_items(secretariat_client):
    meeting_id = make_meeting().id
    fill_agenda(meeting_id, 10)
    few = queries_for(secretariat_client, f"/meetings/{meeting_id}/agenda")
    fill_agenda(meeting_id, 490)
    many = queries_for(secretariat_client, f"/meetings/{meeting_id}/agenda")
    assert many == few
    page = secretariat_client.get(f"/meetings/{meeting_id}/agenda").get_data(as_text=True)
    assert page.count('class="number"') == 500


def test_rsvp_page_shows_the_agenda_with_constant_queries(client):
    meeting = make_meeting(starts_at=TEN_IN_MINSK)
    invitation = Invitation(meeting=meeting, contact=make_contact())
    db.session.add(invitation)
    db.session.commit()
    url = f"/rsvp/{rsvp_token(invitation)}"
    meeting_id = meeting.id

    fill_agenda(meeting_id, 10)
    few = queries_for(client, url)
    fill_agenda(meeting_id, 490)
    many = queries_for(client, url)
    assert many == few
    page = client.get(url).get_data(as_text=True)
    assert "Item 499" in page and "doc-499.pdf" in page
    assert f"{url}/attachments/" in page
    # The attachments' contents were never loaded for the page.
    with count_queries() as counter:
        client.get(url)
    assert not any("attachments.data" in s for s in counter.statements)


@pytest.mark.browser
@pytest.mark.commits  # a live server: requests run in its threads
def test_dragging_a_row_saves_the_new_order(app, live_server, page):
    from playwright.sync_api import expect

    from coordapp.models import Role
    from tests.factories import PASSWORD, make_user

    make_user(role=Role.SECRETARIAT, email="olga@example.org", name="Olga Secretariat")
    meeting = make_meeting(starts_at=TEN_IN_MINSK)
    first, _second, third = (add_item(meeting, t, 15).id for t in ("Opening", "Policy", "Data"))
    meeting_id = meeting.id
    db.session.close()

    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("olga@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/meetings/{meeting_id}/agenda")

    page.drag_and_drop(f"#item-{third} td.title", f"#item-{first} td.number")
    # The page reloads with the saved order and recomputed times.
    expect(page.locator(f"#item-{third} td.start")).to_have_text("10:00 (Europe/Minsk)")
    assert titles_in_order(meeting_id) == ["Data", "Opening", "Policy"]


def test_deleting_an_item_asks_first_and_each_item_has_one_attach_link(secretariat_client):
    meeting = make_meeting()
    first = AgendaItem(meeting_id=meeting.id, position=0, title="Opening", duration_minutes=10)
    second = AgendaItem(meeting_id=meeting.id, position=1, title="Data", duration_minutes=20)
    db.session.add_all([first, second])
    db.session.commit()

    page = secretariat_client.get(f"/meetings/{meeting.id}/agenda").get_data(as_text=True)
    # No file control and no one-click delete in the rows: a link to each step per item.
    assert 'type="file"' not in page
    assert f'action="/agenda/items/{first.id}/delete"' not in page
    for item in (first, second):
        assert page.count(f'href="/agenda/items/{item.id}/attachments"') == 1
        assert page.count(f'href="/agenda/items/{item.id}/delete"') == 1

    confirm = secretariat_client.get(f"/agenda/items/{first.id}/delete")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Delete “Opening”?" in text and f'action="/agenda/items/{first.id}/delete"' in text
    assert db.session.get(AgendaItem, first.id) is not None  # asking deletes nothing

    attach = secretariat_client.get(f"/agenda/items/{second.id}/attachments")
    assert attach.status_code == 200
    assert 'type="file"' in attach.get_data(as_text=True)

    missing = secretariat_client.post(f"/agenda/items/{second.id}/attachments", data={})
    assert missing.status_code == 400
    assert "Choose a file." in missing.get_data(as_text=True)
    assert 'type="file"' in missing.get_data(as_text=True)  # the same step, again


def test_members_cannot_reach_the_delete_or_attach_steps(member_client):
    meeting = make_meeting()
    item = AgendaItem(meeting_id=meeting.id, position=0, title="Opening", duration_minutes=10)
    db.session.add(item)
    db.session.commit()
    assert member_client.get(f"/agenda/items/{item.id}/delete").status_code == 403
    assert member_client.get(f"/agenda/items/{item.id}/attachments").status_code == 403


def test_a_chair_can_be_chosen_as_presenter_through_their_contact(secretariat_client):
    from coordapp.models import Role
    from tests.factories import make_user

    undp = make_organisation("UN Development Programme", "UNDP")
    linked = make_user(Role.MEMBER, email="rc@un.example", name="Rita Coordinator")
    rita = make_contact(undp, "Rita Coordinator", "rita.c@undp.example")
    linked.contact_id = rita.id  # linked on the Users page
    by_email = make_user(Role.MEMBER, email="ivan@iom.example", name="Ivan Agency")
    make_contact(make_organisation("IOM", "IOM"), "Ivan Agency", "IVAN@iom.example")
    nobody = make_user(Role.MEMBER, email="guest@example.org", name="Guest Chair")
    make_contact(undp, "Aaron Early", "aaron@undp.example")  # sorts before the chairs
    meeting = make_meeting(
        chairs=[(linked, "UN Resident Coordinator"), (by_email, ""), (nobody, "Co-chair")]
    )
    db.session.commit()

    form = secretariat_client.get(f"/meetings/{meeting.id}/agenda/new").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]+)</option>", form)
    presenters = [o for o in options if "(" in o]
    # The chairs first (after any chosen presenter), named with their role.
    assert presenters[:3] == [
        "Ivan Agency (IOM) — Chair",
        "Rita Coordinator (UNDP) — UN Resident Coordinator",
        "Aaron Early (UNDP)",
    ]
    assert "To choose Guest Chair as presenter, link their account" in form

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/agenda/new",
        data={
            "title": "Opening by the co-chairs",
            "kind": "opening",
            "duration_minutes": "10",
            "presenters": [str(rita.id)],
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    assert [p.contact_id for p in item.presenters] == [rita.id]
