"""Capturing commitments at a meeting, their status history, and the follow-up of
earlier commitments at the next meeting of the series."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from coordapp.commitments import service
from coordapp.extensions import db
from coordapp.models import AuditEvent, Category, Role
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.commitment import Commitment, CommitmentStatus, CommitmentUpdate
from tests.conftest import count_queries, login_as
from tests.factories import (
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)


def _form(organisations, description="Publish a migration data dashboard", **extra) -> dict:
    data = {
        "organisation_ids": [str(org.id) for org in organisations],
        "description": description,
        "responsible_contact_id": "0",
        "agenda_item_id": "0",
    }
    data.update(extra)
    return data


def _only_commitment() -> Commitment:
    return db.session.scalars(sa.select(Commitment)).one()


def add_commitment(
    meeting,
    organisations,
    *,
    status=CommitmentStatus.OPEN,
    goals=(),
    due_date=None,
    responsible=None,
    description="A commitment",
):
    values = service.CommitmentValues(
        description=description,
        organisations=list(organisations),
        responsible=responsible,
        due_date=due_date,
        due_quarter=None,
        goals=list(goals),
        agenda_item=None,
    )
    commitment = service.create_commitment(meeting, values, by_user=None)
    if status is not CommitmentStatus.OPEN:
        service.add_update(commitment, status, "moved on")
    db.session.commit()
    return commitment


# --- capture -----------------------------------------------------------------------------


def test_secretariat_captures_a_commitment_with_a_due_date_and_sdgs(secretariat_client):
    meeting = make_meeting(title="Fourth extended meeting")
    statistics = make_organisation(
        "National Statistics Office", category=Category.NATIONAL_GOVERNMENT
    )
    iom = make_organisation("International Organization for Migration", acronym="IOM")
    person = make_contact(statistics, name="Alena Kovalenko")

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/commitments",
        data=_form(
            [statistics, iom],
            due_date="2027-05-15",
            goals=["10", "17"],
            responsible_contact_id=str(person.id),
        ),
    )

    assert response.status_code == 303
    commitment = _only_commitment()
    assert {org.name for org in commitment.organisations} == {statistics.name, iom.name}
    assert commitment.responsible.name == "Alena Kovalenko"
    assert commitment.due_date == date(2027, 5, 15)
    assert commitment.due_quarter is None
    assert commitment.goals == [10, 17]
    assert commitment.status is CommitmentStatus.OPEN
    [first] = commitment.updates
    assert first.status is CommitmentStatus.OPEN
    assert first.note == "Committed at Fourth extended meeting"
    assert first.meeting_id == meeting.id
    assert first.by_user_id == secretariat_client.user.id
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "commitments.create", AuditEvent.object_id == commitment.id)
        )
        == 1
    )

    page = secretariat_client.get(f"/meetings/{meeting.id}/commitments").get_data(as_text=True)
    assert "Publish a migration data dashboard" in page
    assert "15 May 2027" in page
    assert "SDG 10" in page and "SDG 17" in page


def test_a_quarter_is_stored_as_its_last_day(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/commitments", data=_form([org], due_quarter="Q2 2027")
    )

    assert response.status_code == 303
    commitment = _only_commitment()
    assert commitment.due_quarter == 2
    assert commitment.due_date == date(2027, 6, 30)
    page = secretariat_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert "Q2 2027" in page


def test_an_invalid_quarter_is_refused_with_a_message_and_nothing_saved(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()

    for text in ("Q5 2027", "2nd quarter 2027", "q2 2027", "Q2 27", "Q2  2027"):
        response = secretariat_client.post(
            f"/meetings/{meeting.id}/commitments",
            data=_form([org], description="Keep what I typed", due_quarter=text),
        )
        assert response.status_code == 400, text
        page = response.get_data(as_text=True)
        assert "Write the quarter as Q1, Q2, Q3 or Q4 followed by the year" in page
        assert "Keep what I typed" in page
    assert db.session.scalar(sa.select(sa.func.count(Commitment.id))) == 0


def test_a_date_and_a_quarter_together_are_refused(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/commitments",
        data=_form([org], due_date="2027-05-15", due_quarter="Q2 2027"),
    )

    assert response.status_code == 400
    assert "either a due date or a quarter" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Commitment.id))) == 0


def test_an_organisation_and_a_description_are_required(secretariat_client):
    meeting = make_meeting()

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/commitments",
        data={"description": "", "responsible_contact_id": "0", "agenda_item_id": "0"},
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose at least one committing organisation." in page
    assert "Describe what was committed." in page


def test_an_unknown_sdg_is_refused(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/commitments", data=_form([org], goals=["18"])
    )

    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Commitment.id))) == 0


def test_editing_changes_the_fields_and_sdgs_and_is_audited(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()
    commitment = add_commitment(meeting, [org], goals=[10])

    response = secretariat_client.post(
        f"/commitments/{commitment.id}/edit",
        data=_form([org], description="Changed", due_quarter="Q4 2026", goals=["5", "17"]),
    )

    assert response.status_code == 303
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.description == "Changed"
    assert commitment.goals == [5, 17]
    assert commitment.due_date == date(2026, 12, 31)
    assert commitment.status is CommitmentStatus.OPEN
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "commitments.update")
    ).one()
    assert event.changes["goals"] == [[10], [5, 17]]


def test_a_commitment_can_be_captured_at_an_agenda_item(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()
    item = AgendaItem(meeting_id=meeting.id, title="Discussion on migration data", position=0)
    db.session.add(item)
    db.session.commit()

    form_page = secretariat_client.get(
        f"/meetings/{meeting.id}/commitments?agenda_item={item.id}"
    ).get_data(as_text=True)
    assert "1. Discussion on migration data" in form_page

    secretariat_client.post(
        f"/meetings/{meeting.id}/commitments", data=_form([org], agenda_item_id=str(item.id))
    )

    assert _only_commitment().agenda_item_id == item.id


# --- status history ----------------------------------------------------------------------


def test_status_is_always_the_latest_update(secretariat_client):
    meeting = make_meeting()
    commitment = add_commitment(meeting, [make_organisation()])

    for status, note in [
        ("in_progress", "Draft dashboard ready"),
        ("done", "Published"),
        ("in_progress", "Reopened: data missing"),
    ]:
        response = secretariat_client.post(
            f"/commitments/{commitment.id}/updates", data={"status": status, "note": note}
        )
        assert response.status_code == 303
        db.session.expire_all()
        commitment = db.session.get(Commitment, commitment.id)
        assert commitment.status.value == status
        assert commitment.updates[-1].status.value == status

    assert [u.status.value for u in commitment.updates] == [
        "open",
        "in_progress",
        "done",
        "in_progress",
    ]
    page = secretariat_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert page.index("Reopened: data missing") < page.index("Draft dashboard ready")
    assert "(Europe/Minsk)" in page  # dated in the meeting's zone, zone named


def test_an_unknown_status_is_refused(secretariat_client):
    commitment = add_commitment(make_meeting(), [make_organisation()])

    response = secretariat_client.post(
        f"/commitments/{commitment.id}/updates", data={"status": "finished", "note": "?"}
    )

    assert response.status_code == 400
    db.session.expire_all()
    assert len(db.session.get(Commitment, commitment.id).updates) == 1


def test_user_text_is_escaped(secretariat_client):
    meeting = make_meeting()
    org = make_organisation()
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    secretariat_client.post(
        f"/meetings/{meeting.id}/commitments", data=_form([org], description=payload)
    )
    commitment = _only_commitment()
    secretariat_client.post(
        f"/commitments/{commitment.id}/updates", data={"status": "in_progress", "note": payload}
    )

    for url in (
        f"/commitments/{commitment.id}",
        f"/meetings/{meeting.id}/commitments",
        "/commitments",
    ):
        page = secretariat_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;" in page, url


# --- access ------------------------------------------------------------------------------


def test_members_see_but_do_not_edit(member_client):
    meeting = make_meeting()
    commitment = add_commitment(meeting, [make_organisation()], description="Visible")

    assert member_client.get("/commitments").status_code == 200
    page = member_client.get(f"/commitments/{commitment.id}")
    assert page.status_code == 200
    assert "Visible" in page.get_data(as_text=True)
    assert "Record a status update" not in page.get_data(as_text=True)

    assert member_client.get(f"/meetings/{meeting.id}/commitments").status_code == 403
    assert (
        member_client.post(
            f"/meetings/{meeting.id}/commitments", data=_form([make_organisation()])
        ).status_code
        == 403
    )
    assert (
        member_client.post(
            f"/commitments/{commitment.id}/updates", data={"status": "done"}
        ).status_code
        == 403
    )
    assert (
        member_client.post(
            f"/commitments/{commitment.id}/edit", data=_form([make_organisation()])
        ).status_code
        == 403
    )
    assert member_client.post(f"/commitments/{commitment.id}/status-request").status_code == 403
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).status is CommitmentStatus.OPEN


def test_meeting_commitments_page_query_count_is_constant(secretariat_client):
    meeting = make_meeting()
    orgs = [make_organisation() for _ in range(3)]
    contact = make_contact(orgs[0])

    def add(n):
        for i in range(n):
            db.session.add(
                Commitment(
                    meeting=meeting,
                    description=f"Commitment {i}",
                    organisations=orgs[:2],
                    responsible=contact,
                    status=CommitmentStatus.OPEN,
                    due_date=date(2020, 1, 1) + timedelta(days=i),
                    sdgs=[],
                    updates=[CommitmentUpdate(status=CommitmentStatus.OPEN)],
                )
            )
        db.session.commit()

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as counter:
            response = secretariat_client.get(f"/meetings/{meeting.id}/commitments")
        assert response.status_code == 200
        return counter.count

    add(10)
    few = queries()
    add(490)
    assert queries() == few


# --- follow-up at the next meeting -------------------------------------------------------


def _series_with_two_meetings():
    series = make_series(name="Country Network on Migration")
    from datetime import UTC, datetime

    first = make_meeting(
        title="Third meeting",
        series=series,
        number=3,
        starts_at=datetime(2026, 3, 1, 8, tzinfo=UTC),
    )
    second = make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        starts_at=datetime(2026, 9, 1, 8, tzinfo=UTC),
    )
    return series, first, second


def test_follow_up_item_is_added_once_at_the_end_of_the_agenda(secretariat_client):
    _series, _first, meeting = _series_with_two_meetings()
    db.session.add(
        AgendaItem(meeting_id=meeting.id, title="Opening", position=0, kind=AgendaItemKind.OPENING)
    )
    db.session.add(AgendaItem(meeting_id=meeting.id, title="Discussion", position=1))
    db.session.commit()

    for _ in range(2):
        response = secretariat_client.post(f"/meetings/{meeting.id}/commitments/follow-up")
        assert response.status_code == 303

    items = db.session.scalars(
        sa.select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
    ).all()
    assert [(i.title, i.kind) for i in items] == [
        ("Opening", AgendaItemKind.OPENING),
        ("Discussion", AgendaItemKind.DISCUSSION),
        ("Follow-up of commitments", AgendaItemKind.FOLLOW_UP),
    ]


def test_follow_up_item_needs_a_series(secretariat_client):
    meeting = make_meeting()

    response = secretariat_client.post(f"/meetings/{meeting.id}/commitments/follow-up")

    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(AgendaItem.id))) == 0


def test_follow_up_lists_only_earlier_active_commitments_of_the_series(secretariat_client):
    series, first, meeting = _series_with_two_meetings()
    org = make_organisation()
    add_commitment(first, [org], description="Open from before")
    add_commitment(
        first, [org], description="In progress from before", status=CommitmentStatus.IN_PROGRESS
    )
    add_commitment(first, [org], description="Done before", status=CommitmentStatus.DONE)
    add_commitment(first, [org], description="Dropped before", status=CommitmentStatus.DROPPED)
    add_commitment(meeting, [org], description="Made at this meeting")
    add_commitment(
        make_meeting(title="Other series meeting", series=make_series(), starts_at=first.starts_at),
        [org],
        description="Other series",
    )
    from datetime import UTC, datetime

    later = make_meeting(
        title="Fifth meeting",
        series=series,
        number=5,
        starts_at=datetime(2027, 3, 1, 8, tzinfo=UTC),
    )
    add_commitment(later, [org], description="Made later")

    page = secretariat_client.get(f"/meetings/{meeting.id}/follow-up").get_data(as_text=True)

    assert "Open from before" in page and "In progress from before" in page
    for absent in (
        "Done before",
        "Dropped before",
        "Made at this meeting",
        "Other series",
        "Made later",
    ):
        assert absent not in page, absent


def test_a_follow_up_update_is_recorded_against_this_meeting(secretariat_client):
    _series, first, meeting = _series_with_two_meetings()
    commitment = add_commitment(first, [make_organisation()], description="Dashboard")

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/follow-up/{commitment.id}",
        data={f"c{commitment.id}-status": "done", f"c{commitment.id}-note": "Online since May"},
    )

    assert response.status_code == 303
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.status is CommitmentStatus.DONE
    latest = commitment.updates[-1]
    assert latest.meeting_id == meeting.id
    assert latest.note == "Online since May"
    assert latest.by_user_id == secretariat_client.user.id
    # Closed during this meeting, it stays on this meeting's list with its new status...
    page = secretariat_client.get(f"/meetings/{meeting.id}/follow-up").get_data(as_text=True)
    assert "Dashboard" in page and "Online since May" in page
    # ...but is not carried over any further.
    from datetime import UTC, datetime

    fifth = make_meeting(
        series=first.series, number=5, starts_at=datetime(2027, 3, 1, 8, tzinfo=UTC)
    )
    assert service.follow_up_commitments(fifth) == []


def test_a_follow_up_update_is_refused_for_a_commitment_of_another_meeting(secretariat_client):
    _series, first, meeting = _series_with_two_meetings()
    made_here = add_commitment(meeting, [make_organisation()])
    elsewhere = add_commitment(make_meeting(starts_at=first.starts_at), [make_organisation()])

    for commitment in (made_here, elsewhere):
        response = secretariat_client.post(
            f"/meetings/{meeting.id}/follow-up/{commitment.id}",
            data={f"c{commitment.id}-status": "done"},
        )
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Commitment, made_here.id).status is CommitmentStatus.OPEN


def test_an_invalid_follow_up_update_shows_the_error_and_keeps_the_note(secretariat_client):
    _series, first, meeting = _series_with_two_meetings()
    commitment = add_commitment(first, [make_organisation()])

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/follow-up/{commitment.id}",
        data={f"c{commitment.id}-status": "bogus", f"c{commitment.id}-note": "My long note"},
    )

    assert response.status_code == 400
    assert "My long note" in response.get_data(as_text=True)


def test_follow_up_page_query_count_is_constant(app, client):
    secretariat = make_user(Role.SECRETARIAT)
    login_as(client, secretariat)
    _series, first, meeting = _series_with_two_meetings()
    org = make_organisation()

    def add(n):
        for i in range(n):
            db.session.add(
                Commitment(
                    meeting=first,
                    description=f"C{i}",
                    organisations=[org],
                    status=CommitmentStatus.OPEN,
                    sdgs=[],
                    updates=[CommitmentUpdate(status=CommitmentStatus.OPEN)],
                )
            )
        db.session.commit()

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as counter:
            assert client.get(f"/meetings/{meeting.id}/follow-up").status_code == 200
        return counter.count

    add(10)
    few = queries()
    add(190)
    assert queries() == few


def test_the_follow_up_agenda_item_lists_the_open_commitments(secretariat_client):
    """Carry-over: the next meeting's "Follow-up of commitments" item shows every open or
    in-progress commitment of the series on the agenda, in print and to invitees."""
    from coordapp.invitations.service import invite_contacts, rsvp_token

    _series, first, second = _series_with_two_meetings()
    statistics = make_organisation(name="National Statistical Committee", acronym="Belstat")
    add_commitment(first, [statistics], description="Publish a migration data dashboard")
    add_commitment(
        first, [statistics], description="An old finished task", status=CommitmentStatus.DONE
    )
    service.add_follow_up_item(second)
    invitation = invite_contacts(second, [make_contact(statistics)], by=None).invited[0]
    db.session.commit()

    pages = [
        secretariat_client.get(f"/meetings/{second.id}/agenda"),
        secretariat_client.get(f"/meetings/{second.id}/agenda/print"),
        secretariat_client.application.test_client().get(f"/rsvp/{rsvp_token(invitation)}"),
    ]
    for response in pages:
        text = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Follow-up of commitments" in text
        assert "Publish a migration data dashboard" in text
        assert "An old finished task" not in text
