"""Writing the minutes: items, decisions, conflicts, history, frozen versions, preview."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.minutes import service
from coordapp.models import (
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    MeetingChair,
    MeetingStatus,
    Role,
    User,
)
from coordapp.models.agenda import AgendaItem, AgendaItemKind, AgendaItemPresenter
from coordapp.models.commitment import Commitment, CommitmentSDG, CommitmentStatus
from coordapp.models.invitation import Attendance
from coordapp.models.minutes import MinutesItem, MinutesRevision, MinutesStatus, MinutesVersion
from tests.conftest import count_queries, login_as
from tests.factories import make_contact, make_meeting, make_organisation, make_series, make_user


def add_agenda(meeting, titles, start=0):
    items = [
        AgendaItem(
            meeting_id=meeting.id,
            position=start + n,
            title=title,
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=15,
        )
        for n, title in enumerate(titles)
    ]
    db.session.add_all(items)
    db.session.commit()
    return items


def minutes_items(meeting) -> list[MinutesItem]:
    return list(
        db.session.scalars(
            sa.select(MinutesItem)
            .join(MinutesVersion)
            .join(MinutesItem.agenda_item)
            .where(MinutesVersion.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def item_for(meeting, title) -> MinutesItem:
    return next(item for item in minutes_items(meeting) if item.agenda_item.title == title)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def open_editor(client, meeting):
    response = client.get(f"/meetings/{meeting.id}/minutes")
    assert response.status_code == 200
    return response


def save(client, item_id, text, decisions="", lock_version=1):
    return client.post(
        f"/minutes/items/{item_id}",
        data={"text": text, "decisions": decisions, "lock_version": str(lock_version)},
    )


@pytest.fixture
def meeting(app):
    return make_meeting(title="Fourth extended meeting", timezone_name="Europe/Minsk")


# --- the editor --------------------------------------------------------------------------


def test_first_visit_creates_version_one_with_an_item_per_agenda_item(secretariat_client, meeting):
    add_agenda(meeting, ["Opening remarks", "National migration policy", "Migration data"])

    response = open_editor(secretariat_client, meeting)

    versions = db.session.scalars(
        sa.select(MinutesVersion).where(MinutesVersion.meeting_id == meeting.id)
    ).all()
    assert [(v.number, v.status) for v in versions] == [(1, MinutesStatus.DRAFT)]
    assert [i.agenda_item.title for i in minutes_items(meeting)] == [
        "Opening remarks",
        "National migration policy",
        "Migration data",
    ]
    page = text_of(response)
    assert page.index("Opening remarks") < page.index("National migration policy")
    # Planned times in the meeting's zone, with the zone named.
    assert "(Europe/Minsk)" in page

    # An agenda item added later gets its minutes item on the next visit; nothing doubles.
    add_agenda(meeting, ["Any other business"], start=3)
    open_editor(secretariat_client, meeting)
    open_editor(secretariat_client, meeting)
    assert len(minutes_items(meeting)) == 4
    assert db.session.scalar(sa.select(sa.func.count(MinutesVersion.id))) == 1


def test_secretariat_saves_minutes_text_and_decisions(secretariat_client, meeting):
    add_agenda(meeting, ["Migration data"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Migration data")

    response = save(
        secretariat_client,
        item.id,
        "The statistics office presented **new** figures.",
        "  The network endorses the dashboard.  \n\n\nA working group is created.\n",
    )

    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(MinutesItem, item.id)
    assert item.text == "The statistics office presented **new** figures."
    assert item.decisions == ["The network endorses the dashboard.", "A working group is created."]
    assert item.lock_version == 2
    page = text_of(secretariat_client.get(response.headers["Location"]))
    assert "<strong>new</strong>" in page
    assert "Saved the minutes of" in page
    # The next save is based on the new state.
    assert 'name="lock_version" value="2"' in page


def test_a_decision_longer_than_500_characters_is_refused_and_nothing_is_lost(
    secretariat_client, meeting
):
    add_agenda(meeting, ["Migration data"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Migration data")

    response = save(secretariat_client, item.id, "My careful notes", "ok\n" + "x" * 501)

    assert response.status_code == 400
    page = text_of(response)
    assert "Decision 2 is 501 characters long" in page
    assert "My careful notes" in page  # still in the form
    db.session.expire_all()
    assert db.session.get(MinutesItem, item.id).text == ""


def test_markdown_is_rendered_safely_in_the_preview(secretariat_client, meeting):
    add_agenda(meeting, ["Discussion"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Discussion")
    save(
        secretariat_client,
        item.id,
        "Partners **agreed**.\n\n<script>alert(1)</script>\n\n"
        '[click](javascript:alert(2)) <img src=x onerror="alert(3)">',
        "<b>Adopt</b> the plan",
    )

    page = text_of(secretariat_client.get(f"/meetings/{meeting.id}/minutes/preview"))

    assert "<strong>agreed</strong>" in page
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<img" not in page and "&lt;img" in page
    assert "<b>Adopt</b>" not in page
    assert "&lt;b&gt;Adopt&lt;/b&gt; the plan" in page


# --- two people, one item ----------------------------------------------------------------


def test_second_save_on_the_same_state_is_told_of_the_conflict_and_loses_nothing(
    app, secretariat_client, meeting
):
    add_agenda(meeting, ["Migration data"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Migration data")
    olga = make_user(Role.SECRETARIAT, email="olga@example.org", name="Olga Ivanova")
    other = app.test_client()
    login_as(other, olga)

    first = save(other, item.id, "Olga's summary of the data session", "Publish by Q2")
    assert first.status_code == 302
    second = save(secretariat_client, item.id, "Sam's own notes, typed at the same time")

    assert second.status_code == 409
    page = text_of(second)
    assert "Not saved: someone else saved this after you opened the page." in page
    assert "Olga Ivanova saved it on" in page and "(Europe/Minsk)" in page
    # Sam's text is still in his form, Olga's version is shown read-only beside it.
    assert re.search(r'<textarea name="text"[^>]*>\s*Sam&#39;s own notes', page)
    assert re.search(r"<textarea[^>]*readonly[^>]*>\s*Olga&#39;s summary", page)
    assert "Publish by Q2" in page
    # Saving again from the conflict form is based on Olga's state, not the stale one.
    assert 'name="lock_version" value="2"' in page

    db.session.expire_all()
    item = db.session.get(MinutesItem, item.id)
    assert item.text == "Olga's summary of the data session"
    assert item.lock_version == 2
    revisions = db.session.scalars(
        sa.select(MinutesRevision).where(MinutesRevision.minutes_item_id == item.id)
    ).all()
    assert [(r.lock_version, r.content["text"], r.edited_by_id) for r in revisions] == [
        (1, "", olga.id)
    ]

    # Sam re-saves deliberately, having seen Olga's version: that works.
    third = save(secretariat_client, item.id, "Merged notes", lock_version=2)
    assert third.status_code == 302
    db.session.expire_all()
    assert db.session.get(MinutesItem, item.id).text == "Merged notes"


@pytest.mark.commits  # a second connection sees only committed rows
def test_a_save_based_on_a_stale_read_loses_to_the_conditional_update(app, meeting):
    """Between reading the item and writing it, another process saves: the UPDATE ...
    WHERE lock_version = :expected finds nothing and the save is refused."""
    sam = make_user(Role.SECRETARIAT, name="Sam")
    add_agenda(meeting, ["Migration data"])
    version = service.current_version(meeting)
    db.session.commit()
    item = item_for(meeting, "Migration data")
    assert item.lock_version == 1  # what this session has read

    with db.engine.begin() as other:  # another process saves meanwhile
        other.execute(
            sa.update(MinutesItem)
            .where(MinutesItem.id == item.id)
            .values(text="saved elsewhere", lock_version=2)
        )

    with pytest.raises(service.ConflictError) as raised:
        service.save_item(item, "mine", [], 1, sam)
    assert raised.value.current.content["text"] == "saved elsewhere"
    assert raised.value.current.lock_version == 2
    db.session.rollback()
    assert db.session.get(MinutesItem, item.id).text == "saved elsewhere"
    assert version.id is not None


@pytest.mark.commits  # threads, each on its own connection
def test_two_concurrent_saves_of_the_same_state_have_exactly_one_winner(app, meeting):
    add_agenda(meeting, ["Migration data"])
    service.current_version(meeting)
    db.session.commit()
    item_id = item_for(meeting, "Migration data").id
    users = [make_user(Role.SECRETARIAT, name=f"Writer {n}").id for n in range(2)]
    db.session.close()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(user_id: int, text: str) -> None:
        with app.app_context():
            try:
                item = service.get_item(item_id)
                user = db.session.get(User, user_id)
                barrier.wait(timeout=10)
                service.save_item(item, text, [], 1, user)
                db.session.commit()
                outcomes.append("saved")
            except service.ConflictError:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(users[n], f"text {n}")) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["conflict", "saved"]
    item = db.session.get(MinutesItem, item_id)
    assert item.lock_version == 2
    assert item.text in {"text 0", "text 1"}
    revisions = db.session.scalar(
        sa.select(sa.func.count(MinutesRevision.id)).where(
            MinutesRevision.minutes_item_id == item_id
        )
    )
    assert revisions == 1


def test_revision_history_lists_every_edit_with_who_wrote_it(app, secretariat_client, meeting):
    add_agenda(meeting, ["Migration data"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Migration data")
    olga = make_user(Role.SECRETARIAT, name="Olga Ivanova")
    other = app.test_client()
    login_as(other, olga)

    assert save(secretariat_client, item.id, "First draft by Sam", "Decision A").status_code == 302
    assert save(other, item.id, "Second draft by Olga", lock_version=2).status_code == 302

    response = secretariat_client.get(f"/minutes/items/{item.id}/history")

    assert response.status_code == 200
    page = text_of(response)
    page = page[page.index('<ol class="revisions"') :]
    olga_at, sam_at = page.index("Second draft by Olga"), page.index("First draft by Sam")
    assert olga_at < sam_at  # newest first
    assert page.index("Olga Ivanova") < olga_at < page.index("Sam Secretariat") < sam_at
    assert "Decision A" in page
    assert "(Europe/Minsk)" in page


# --- frozen versions ---------------------------------------------------------------------


def test_a_submitted_version_refuses_every_save(secretariat_client, meeting):
    add_agenda(meeting, ["Migration data"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Migration data")
    version = db.session.get(MinutesVersion, item.version_id)
    version.status = MinutesStatus.SUBMITTED
    db.session.commit()

    response = save(secretariat_client, item.id, "A late change I do not want to lose")

    assert response.status_code == 409
    page = text_of(response)
    assert "no longer a draft" in page
    assert "A late change I do not want to lose" in page  # shown so it can be copied
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/minutes/meeting-fields",
        data={"opening_summary": "Late opening", "lock_version": "1", "version_id": version.id},
    )
    assert response.status_code == 409
    assert "Late opening" in text_of(response)
    db.session.expire_all()
    assert db.session.get(MinutesItem, item.id).text == ""
    assert db.session.get(MinutesVersion, version.id).opening_summary is None
    assert db.session.scalar(sa.select(sa.func.count(MinutesRevision.id))) == 0
    # The editor shows the frozen version read-only: no save buttons.
    page = text_of(open_editor(secretariat_client, meeting))
    assert "Save this item" not in page


def test_the_database_itself_refuses_to_change_approved_minutes(app, meeting):
    """The test schema comes from the migrations, so their triggers guard every test: SQL
    that goes around the service layer cannot rewrite approved minutes either."""
    add_agenda(meeting, ["Migration data"])
    version = service.current_version(meeting)
    db.session.commit()
    item = item_for(meeting, "Migration data")
    item.text = "What was said"
    version.opening_summary = "Signed opening"
    db.session.commit()
    version.status = MinutesStatus.APPROVED
    db.session.commit()
    ids = {"item": item.id, "version": version.id}

    for statement in (
        "UPDATE minutes_versions SET opening_summary = 'Rewritten' WHERE id = :version",
        "UPDATE minutes_versions SET status = 'draft' WHERE id = :version",
        "DELETE FROM minutes_versions WHERE id = :version",
        "UPDATE minutes_items SET text = 'Rewritten' WHERE id = :item",
        "DELETE FROM minutes_items WHERE id = :item",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="approved minutes never change"):
            with db.session.begin_nested():
                db.session.execute(sa.text(statement), ids)

    db.session.expire_all()
    assert db.session.get(MinutesVersion, ids["version"]).opening_summary == "Signed opening"
    assert db.session.get(MinutesItem, ids["item"]).text == "What was said"


# --- meeting-level fields ----------------------------------------------------------------


def test_meeting_level_fields_are_saved_and_checked_like_items(app, secretariat_client, meeting):
    page = text_of(open_editor(secretariat_client, meeting))
    version = db.session.scalar(sa.select(MinutesVersion))
    assert "The agenda is empty" in page

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/minutes/meeting-fields",
        data={
            "opening_summary": "The co-chairs *welcomed* the participants.",
            "closing_summary": "Closed at noon.",
            "next_meeting_date": "2027-06-10",
            "next_meeting_note": "To be confirmed",
            "lock_version": "1",
            "version_id": str(version.id),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    version = db.session.get(MinutesVersion, version.id)
    assert version.opening_summary == "The co-chairs *welcomed* the participants."
    assert version.next_meeting_date == date(2027, 6, 10)
    assert version.lock_version == 2

    stale = secretariat_client.post(
        f"/meetings/{meeting.id}/minutes/meeting-fields",
        data={
            "opening_summary": "My stale opening",
            "lock_version": "1",
            "version_id": str(version.id),
        },
    )
    assert stale.status_code == 409
    page = text_of(stale)
    assert "My stale opening" in page and "Sam Secretariat saved it on" in page
    assert "The co-chairs *welcomed* the participants." in page  # theirs, read-only

    bad_date = secretariat_client.post(
        f"/meetings/{meeting.id}/minutes/meeting-fields",
        data={
            "opening_summary": "Kept",
            "next_meeting_date": "10/06/27",
            "lock_version": "2",
            "version_id": str(version.id),
        },
    )
    assert bad_date.status_code == 400
    assert "Kept" in text_of(bad_date)

    history = text_of(secretariat_client.get(f"/meetings/{meeting.id}/minutes/history"))
    assert "<em>welcomed</em>" in history and "Sam Secretariat" in history


# --- preview and access ------------------------------------------------------------------


def build_meeting_content(meeting, *, items=3, commitments=2, invitations=4, tag=""):
    """Agenda with minutes and decisions, attendance and commitments, in bulk."""
    un = make_organisation(name=f"IOM{tag}", acronym="IOM", category=Category.UN_AGENCY)
    ministry = make_organisation(
        name=f"Ministry of Labour{tag}", category=Category.NATIONAL_GOVERNMENT
    )
    presenter = make_contact(un, name="Presenter Person")
    agenda = add_agenda(meeting, [f"Agenda item {n}" for n in range(items)])
    db.session.add(AgendaItemPresenter(agenda_item_id=agenda[0].id, contact_id=presenter.id))
    version = service.current_version(meeting)
    db.session.flush()
    for item in minutes_items(meeting):
        item.text = f"Minutes of **{item.agenda_item.title}**"
        item.decisions = [f"Decision on {item.agenda_item.title}"]
    contacts = []
    for n in range(invitations):
        contacts.append(
            Contact(
                name=f"Person {n:04d}",
                email=f"person{n}{tag}@example.org",
                organisation=un if n % 2 else ministry,
            )
        )
    db.session.add_all(contacts)
    db.session.flush()
    for n, contact in enumerate(contacts):
        if n % 4 == 0:
            status, attendance = InvitationStatus.DECLINED, None
        elif n % 4 == 1:
            status, attendance = InvitationStatus.ACCEPTED, Attendance.EXCUSED
        else:
            status, attendance = InvitationStatus.ACCEPTED, Attendance.PRESENT
        db.session.add(
            Invitation(
                meeting_id=meeting.id, contact_id=contact.id, status=status, attendance=attendance
            )
        )
    for n in range(commitments):
        commitment = Commitment(
            meeting_id=meeting.id,
            agenda_item_id=agenda[0].id,
            description=f"Commitment {n}: publish a migration data dashboard",
            responsible_contact_id=presenter.id,
            due_date=date(2027, 6, 30),
            due_quarter=2 if n % 2 == 0 else None,
            status=CommitmentStatus.OPEN,
        )
        commitment.organisations = [un, ministry] if n % 2 == 0 else [ministry]
        commitment.sdgs = [CommitmentSDG(goal=10), CommitmentSDG(goal=17)]
        db.session.add(commitment)
    db.session.commit()
    return version


def test_preview_shows_details_attendance_decisions_and_commitments(app, member_client):
    chair_one = make_user(name="Anna Resident")
    chair_two = make_user(name="Boris Agency")
    series = make_series(name="Country Network on Migration")
    meeting = make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        venue="UN House, Minsk",
        chairs=[(chair_one, "UN Resident Coordinator"), (chair_two, "Head of IOM")],
    )
    build_meeting_content(meeting, items=2, commitments=2, invitations=4)
    login_as(member_client, chair_one)  # draft minutes: a chair of the meeting reads them

    response = member_client.get(f"/meetings/{meeting.id}/minutes/preview")

    assert response.status_code == 200
    page = text_of(response)
    assert "Country Network on Migration" in page and "Meeting no. 4" in page
    assert "UN House, Minsk" in page and "(Europe/Minsk)" in page
    assert 'Anna Resident</span>, <span class="minutes-chair-role">UN Resident Coordinator' in page
    # Attendance by category, apologies with their reason.
    person = r"<ul[^>]*>\s*<li>\s*<span class=\"minutes-person\">"
    assert re.search(r"<h4>UN agency \(1\)</h4>\s*" + person + "Person 0003", page)
    assert re.search(r"<h4>National government \(1\)</h4>\s*" + person + "Person 0002", page)
    apologies = page[page.index("Apologies") :]
    assert "Person 0000" in apologies and "Declined" in apologies
    assert "Person 0001" in apologies and "Excused" in apologies
    # Items in order, with minutes and decisions.
    assert page.index("Minutes of <strong>Agenda item 0</strong>") < page.index(
        "Minutes of <strong>Agenda item 1</strong>"
    )
    assert "Decision on Agenda item 1" in page
    assert "Presenter Person (IOM)" in page
    # Commitments table.
    assert "Commitment 0: publish a migration data dashboard" in page
    assert "Q2 2027" in page and "30 Jun 2027" in page
    assert "SDG 10: Reduced inequalities" in page and "SDG 17: Partnerships for the goals" in page
    assert "IOM (IOM); Ministry of Labour" in page
    assert "Open" in page
    # No editing from the chair's preview.
    assert "Edit the minutes" not in page


def test_member_cannot_edit_the_minutes(app, secretariat_client, meeting):
    add_agenda(meeting, ["Migration data"])
    open_editor(secretariat_client, meeting)
    item = item_for(meeting, "Migration data")
    login_as(secretariat_client, make_user(Role.MEMBER, email="plain@example.org"))
    member_client = secretariat_client

    assert member_client.get(f"/meetings/{meeting.id}/minutes").status_code == 403
    assert save(member_client, item.id, "not mine to write").status_code == 403
    assert member_client.get(f"/minutes/items/{item.id}/history").status_code == 403
    db.session.expire_all()
    assert db.session.get(MinutesItem, item.id).text == ""


def _versions_and_items(meeting) -> tuple[int, int]:
    versions = db.session.scalar(
        sa.select(sa.func.count(MinutesVersion.id)).where(MinutesVersion.meeting_id == meeting.id)
    )
    return versions, len(minutes_items(meeting))


def test_the_preview_never_writes_even_on_a_closed_meeting(app, client, meeting):
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Cleo Chair")
    member = make_user(Role.MEMBER, email="plain@example.org")
    secretariat = make_user(Role.SECRETARIAT, email="sec@example.org")
    db.session.add(MeetingChair(meeting_id=meeting.id, user_id=chair.id, role_label="Chair"))
    add_agenda(meeting, ["Opening", "Migration data"])
    meeting.status = MeetingStatus.CLOSED
    db.session.commit()

    # Nobody has written these minutes: a preview creates no version, whoever asks.
    for user in (member, chair, secretariat):
        login_as(client, user)
        assert client.get(f"/meetings/{meeting.id}/minutes/preview").status_code in (403, 404)
        assert _versions_and_items(meeting) == (0, 0)

    # A draft lacking an item for a newer agenda item: the preview adds none.
    version = MinutesVersion(meeting_id=meeting.id, number=1, status=MinutesStatus.DRAFT)
    db.session.add(version)
    db.session.flush()
    first = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.title == "Opening"))
    db.session.add(MinutesItem(version_id=version.id, agenda_item_id=first.id, text="Hello"))
    db.session.commit()
    for user in (chair, secretariat):
        login_as(client, user)
        response = client.get(f"/meetings/{meeting.id}/minutes/preview")
        assert response.status_code == 200
        assert "Hello" in text_of(response)
        assert _versions_and_items(meeting) == (1, 1)


def test_draft_minutes_are_for_the_secretariat_and_chairs_approved_ones_for_every_member(
    app, client, meeting
):
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Cleo Chair")
    member = make_user(Role.MEMBER, email="plain@example.org")
    secretariat = make_user(Role.SECRETARIAT, email="sec@example.org")
    db.session.add(MeetingChair(meeting_id=meeting.id, user_id=chair.id, role_label="Chair"))
    (agenda_item,) = add_agenda(meeting, ["Migration data"])
    version = MinutesVersion(meeting_id=meeting.id, number=1, status=MinutesStatus.DRAFT)
    db.session.add(version)
    db.session.flush()
    db.session.add(
        MinutesItem(version_id=version.id, agenda_item_id=agenda_item.id, text="Draft words")
    )
    db.session.commit()
    url = f"/meetings/{meeting.id}/minutes/preview"

    def preview_as(user):
        login_as(client, user)
        return client.get(url)

    assert preview_as(member).status_code == 403
    for user in (chair, secretariat):
        response = preview_as(user)
        assert response.status_code == 200 and "Draft words" in text_of(response)
    # The meeting page offers the preview only to those who may read it.
    login_as(client, member)
    assert url not in text_of(client.get(f"/meetings/{meeting.id}"))
    login_as(client, chair)
    assert url in text_of(client.get(f"/meetings/{meeting.id}"))

    # Approved minutes are for every member: the member reads the approved version, not
    # the draft amendment that follows it.
    version.status = MinutesStatus.APPROVED
    db.session.flush()
    amendment = MinutesVersion(
        meeting_id=meeting.id, number=2, status=MinutesStatus.DRAFT, amends_id=version.id
    )
    db.session.add(amendment)
    db.session.flush()
    db.session.add(
        MinutesItem(version_id=amendment.id, agenda_item_id=agenda_item.id, text="Amended words")
    )
    db.session.commit()
    page = text_of(preview_as(member))
    assert "Draft words" in page and "Amended words" not in page
    assert "Amended words" in text_of(preview_as(chair))


def test_unknown_meeting_and_item_are_404(secretariat_client):
    assert secretariat_client.get("/meetings/999/minutes").status_code == 404
    assert secretariat_client.get("/meetings/999/minutes/preview").status_code == 404
    assert save(secretariat_client, 999, "x").status_code == 404


# --- query counts ------------------------------------------------------------------------


def _queries_for(client, url) -> int:
    client.get(url)  # first visit creates the version and items
    db.session.expire_all()
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count


@pytest.mark.parametrize("page", ["minutes", "minutes/preview"])
def test_minutes_pages_do_a_fixed_number_of_queries(app, secretariat_client, page):
    small = make_meeting(title="Small")
    build_meeting_content(small, items=10, commitments=10, invitations=10)
    large = make_meeting(title="Large")
    build_meeting_content(large, items=500, commitments=500, invitations=500, tag="-large")

    small_count = _queries_for(secretariat_client, f"/meetings/{small.id}/{page}")
    large_count = _queries_for(secretariat_client, f"/meetings/{large.id}/{page}")

    assert small_count == large_count
    assert small_count <= 15
