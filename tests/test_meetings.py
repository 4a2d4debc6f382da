"""Meetings: creating and editing in local time, numbering, chairs, status, audit, lists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from coordapp.extensions import db
from coordapp.meetings import service
from coordapp.models import AuditEvent, Meeting, MeetingChair, MeetingStatus, SeriesChair, User
from tests.conftest import count_queries
from tests.factories import make_meeting, make_series, make_user


def meeting_form(**overrides) -> dict:
    data = {
        "title": "Fourth extended meeting",
        "series_id": "0",
        "number": "",
        "kind": "extended",
        "description": "",
        "timezone": "Europe/Minsk",
        "starts_at": "2027-03-04T10:00",
        "ends_at": "2027-03-04T13:00",
        "venue": "UN House, Minsk",
        "online_url": "",
        "rsvp_deadline": "",
        "capacity": "",
        "language": "en",
    }
    data.update(overrides)
    return data


def chair_rows(*rows: tuple[int, str]) -> dict:
    data = {}
    for i, (user_id, label) in enumerate(rows):
        data[f"chairs-{i}-user_id"] = str(user_id)
        data[f"chairs-{i}-role_label"] = label
    return data


def only_meeting() -> Meeting:
    return db.session.scalars(sa.select(Meeting)).one()


def test_meeting_in_minsk_is_stored_in_utc_and_shown_in_local_time(secretariat_client):
    response = secretariat_client.post("/meetings/new", data=meeting_form())
    assert response.status_code == 302

    meeting = only_meeting()
    assert meeting.starts_at == datetime(2027, 3, 4, 7, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
    assert meeting.status is MeetingStatus.DRAFT

    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Thu 4 Mar 2027, 10:00 (Europe/Minsk)" in page
    assert "13:00 (Europe/Minsk)" in page


def test_edit_form_shows_the_local_time_back(secretariat_client):
    meeting = make_meeting(
        starts_at=datetime(2027, 3, 4, 7, 0, tzinfo=UTC), timezone_name="Europe/Minsk"
    )
    page = secretariat_client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="2027-03-04T10:00"' in page


def test_end_before_start_is_refused_and_typed_values_kept(secretariat_client):
    response = secretariat_client.post(
        "/meetings/new",
        data=meeting_form(title="Typed title", ends_at="2027-03-04T09:00", venue="Typed venue"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The meeting must end after it starts." in page
    assert 'value="Typed title"' in page
    assert 'value="Typed venue"' in page
    assert 'value="2027-03-04T09:00"' in page
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_rsvp_deadline_after_start_is_refused(secretariat_client):
    response = secretariat_client.post(
        "/meetings/new", data=meeting_form(rsvp_deadline="2027-03-04T11:00")
    )
    assert response.status_code == 400
    assert "The reply deadline must be before the start." in response.get_data(as_text=True)


def test_rsvp_deadline_is_stored_in_utc(secretariat_client):
    secretariat_client.post("/meetings/new", data=meeting_form(rsvp_deadline="2027-03-01T18:00"))
    assert only_meeting().rsvp_deadline == datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


def test_time_skipped_by_daylight_saving_is_refused(secretariat_client):
    # In Paris the clocks jump from 02:00 to 03:00 on 28 March 2027.
    response = secretariat_client.post(
        "/meetings/new",
        data=meeting_form(
            timezone="Europe/Paris", starts_at="2027-03-28T02:30", ends_at="2027-03-28T05:00"
        ),
    )
    assert response.status_code == 400
    assert "This time does not exist in Europe/Paris" in response.get_data(as_text=True)


def test_online_link_must_be_a_web_address(secretariat_client):
    response = secretariat_client.post(
        "/meetings/new", data=meeting_form(online_url="javascript:alert(1)")
    )
    assert response.status_code == 400
    assert "starting with https://" in response.get_data(as_text=True)

    response = secretariat_client.post(
        "/meetings/new", data=meeting_form(venue="", online_url="https://meet.example.org/x")
    )
    assert response.status_code == 302
    assert only_meeting().online_url == "https://meet.example.org/x"


def test_capacity_must_be_positive(secretariat_client):
    response = secretariat_client.post("/meetings/new", data=meeting_form(capacity="0"))
    assert response.status_code == 400
    assert "Enter a number of 1 or more." in response.get_data(as_text=True)


def test_next_number_in_series_is_suggested(secretariat_client):
    series = make_series(name="Country Network on Migration")
    make_meeting(series=series, number=3, timezone_name="Asia/Tbilisi")

    assert service.next_number_in_series(series) == 4
    page = secretariat_client.get(f"/meetings/new?series_id={series.id}").get_data(as_text=True)
    assert 'name="number" type="number" value="4"' in page
    assert '<option selected value="Asia/Tbilisi">' in page


def test_blank_number_becomes_the_next_in_series(secretariat_client):
    series = make_series()
    make_meeting(series=series, number=3)
    response = secretariat_client.post(
        "/meetings/new", data=meeting_form(series_id=str(series.id), number="")
    )
    assert response.status_code == 302
    newest = db.session.scalar(sa.select(Meeting).order_by(Meeting.id.desc()).limit(1))
    assert newest.number == 4


def test_first_meeting_of_a_series_is_number_one(app):
    assert service.next_number_in_series(make_series()) == 1


def test_duplicate_number_in_series_is_refused(secretariat_client):
    series = make_series()
    make_meeting(series=series, number=4)
    response = secretariat_client.post(
        "/meetings/new", data=meeting_form(series_id=str(series.id), number="4")
    )
    assert response.status_code == 400
    assert "This series already has a meeting with this number." in response.get_data(as_text=True)


def test_editing_a_meeting_keeps_its_own_number(secretariat_client):
    series = make_series()
    meeting = make_meeting(series=series, number=4, title="Old title")
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/edit",
        data=meeting_form(series_id=str(series.id), number="4", title="New title"),
    )
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert (meeting.title, meeting.number) == ("New title", 4)


def test_chairs_keep_their_order(secretariat_client):
    rc = make_user(name="Rita Resident")
    head = make_user(name="Henrik Head")
    data = meeting_form(
        **chair_rows(
            (head.id, "Co-chair, head of agency"),
            (0, ""),
            (rc.id, "Co-chair, UN Resident Coordinator"),
        )
    )
    assert secretariat_client.post("/meetings/new", data=data).status_code == 302

    meeting = only_meeting()
    assert [(c.user.name, c.role_label) for c in meeting.chairs] == [
        ("Henrik Head", "Co-chair, head of agency"),
        ("Rita Resident", "Co-chair, UN Resident Coordinator"),
    ]
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert page.index("Henrik Head") < page.index("Rita Resident")

    # Reordering on edit is kept too.
    data = meeting_form(**chair_rows((rc.id, "Co-chair, UN RC"), (head.id, "Co-chair")))
    assert secretariat_client.post(f"/meetings/{meeting.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert [c.user.name for c in only_meeting().chairs] == ["Rita Resident", "Henrik Head"]


def test_same_person_cannot_chair_twice(secretariat_client):
    rc = make_user(name="Rita Resident")
    data = meeting_form(**chair_rows((rc.id, "Co-chair"), (rc.id, "Co-chair again")))
    response = secretariat_client.post("/meetings/new", data=data)
    assert response.status_code == 400
    assert "This person is already a chair." in response.get_data(as_text=True)


def test_series_default_chairs_are_copied_when_none_given(secretariat_client):
    rc = make_user(name="Rita Resident")
    head = make_user(name="Henrik Head")
    series = make_series()
    series.default_chairs = [
        SeriesChair(user=rc, role_label="Co-chair, UN Resident Coordinator", position=0),
        SeriesChair(user=head, role_label="Co-chair, IOM", position=1),
    ]
    db.session.commit()

    response = secretariat_client.post("/meetings/new", data=meeting_form(series_id=series.id))
    assert response.status_code == 302
    assert [(c.user.name, c.role_label) for c in only_meeting().chairs] == [
        ("Rita Resident", "Co-chair, UN Resident Coordinator"),
        ("Henrik Head", "Co-chair, IOM"),
    ]


def test_member_can_view_but_not_change_meetings(member_client):
    meeting = make_meeting(title="Visible meeting")
    assert "Visible meeting" in member_client.get("/").get_data(as_text=True)
    page = member_client.get(f"/meetings/{meeting.id}")
    assert page.status_code == 200
    assert "Audit log" not in page.get_data(as_text=True)
    assert "/edit" not in page.get_data(as_text=True)

    assert member_client.get(f"/meetings/{meeting.id}/edit").status_code == 403
    response = member_client.post(f"/meetings/{meeting.id}/edit", data=meeting_form())
    assert response.status_code == 403
    assert member_client.get("/meetings/new").status_code == 403
    assert (
        member_client.post(f"/meetings/{meeting.id}/status", data={"status": "held"}).status_code
        == 403
    )
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.SCHEDULED


def test_anonymous_visitor_is_sent_to_login(client):
    meeting = make_meeting()
    response = client.get(f"/meetings/{meeting.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_may_edit_meetings(admin_client):
    meeting = make_meeting()
    assert admin_client.get(f"/meetings/{meeting.id}/edit").status_code == 200


def test_missing_meeting_is_404(member_client):
    assert member_client.get("/meetings/999999").status_code == 404


def test_status_moves_through_its_life_cycle(secretariat_client):
    meeting = make_meeting(status=MeetingStatus.DRAFT)
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Mark as scheduled" in page
    assert "Mark as held" not in page

    for status in ("scheduled", "held", "closed"):
        response = secretariat_client.post(
            f"/meetings/{meeting.id}/status", data={"status": status}
        )
        assert response.status_code == 302
        db.session.refresh(meeting)
        assert meeting.status.value == status


def test_illegal_status_change_is_refused(secretariat_client):
    meeting = make_meeting(status=MeetingStatus.DRAFT)
    response = secretariat_client.post(f"/meetings/{meeting.id}/status", data={"status": "closed"})
    assert response.status_code == 409
    assert "cannot become closed" in response.get_data(as_text=True)
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.DRAFT

    response = secretariat_client.post(f"/meetings/{meeting.id}/status", data={"status": "bogus"})
    assert response.status_code == 400


def test_cancelling_needs_a_reason_which_is_then_shown(secretariat_client):
    meeting = make_meeting(status=MeetingStatus.SCHEDULED)
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/status", data={"status": "cancelled", "reason": "  "}
    )
    assert response.status_code == 400
    assert "a reason is required" in response.get_data(as_text=True)
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.SCHEDULED

    response = secretariat_client.post(
        f"/meetings/{meeting.id}/status",
        data={"status": "cancelled", "reason": "The venue is closed for repairs."},
    )
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.CANCELLED
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "This meeting is cancelled." in page
    assert "The venue is closed for repairs." in page

    # A cancelled meeting cannot come back.
    response = secretariat_client.post(f"/meetings/{meeting.id}/status", data={"status": "draft"})
    assert response.status_code == 409


def test_audit_log_lists_changes_with_before_and_after(secretariat_client):
    secretariat_client.post("/meetings/new", data=meeting_form(title="First title"))
    meeting = only_meeting()
    secretariat_client.post(
        f"/meetings/{meeting.id}/edit",
        data=meeting_form(title="Second title", starts_at="2027-03-04T11:00"),
    )
    secretariat_client.post(f"/meetings/{meeting.id}/status", data={"status": "scheduled"})

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.meeting_id == meeting.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "meetings.create",
        "meetings.update",
        "meetings.status_change",
    ]
    assert events[1].changes["title"] == ["First title", "Second title"]
    assert "ends_at" not in events[1].changes
    assert all(e.user_id == secretariat_client.user.id for e in events)

    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    audit = page[page.index('id="audit"') :]
    assert "Sam Secretariat" in audit
    assert "First title" in audit and "Second title" in audit
    assert "Thu 4 Mar 2027, 10:00 (Europe/Minsk)" in audit
    assert "Thu 4 Mar 2027, 11:00 (Europe/Minsk)" in audit
    assert "Draft" in audit and "Scheduled" in audit


def test_upcoming_and_past_meetings_are_listed_apart(member_client):
    now = datetime.now(UTC).replace(microsecond=0)
    make_meeting(title="Soon", starts_at=now + timedelta(days=2))
    make_meeting(title="Later", starts_at=now + timedelta(days=20))
    make_meeting(title="Last month", starts_at=now - timedelta(days=30))
    make_meeting(title="Last week", starts_at=now - timedelta(days=7))

    upcoming = member_client.get("/").get_data(as_text=True)
    assert "Last week" not in upcoming and "Last month" not in upcoming
    assert upcoming.index("Soon") < upcoming.index("Later")

    past = member_client.get("/meetings/past").get_data(as_text=True)
    assert "Soon" not in past and "Later" not in past
    assert past.index("Last week") < past.index("Last month")


def test_meeting_list_shows_series_number_local_time_and_status(member_client):
    series = make_series(name="Country Network on Migration")
    make_meeting(
        title="Fourth extended meeting",
        series=series,
        number=4,
        starts_at=datetime(2099, 3, 4, 7, 0, tzinfo=UTC),
        timezone_name="Europe/Minsk",
        venue="UN House",
    )
    page = member_client.get("/").get_data(as_text=True)
    assert "Country Network on Migration · No. 4" in page
    assert "Wed 4 Mar 2099, 10:00 (Europe/Minsk)" in page
    assert "UN House" in page
    assert "badge-scheduled" in page


def test_meeting_list_is_paginated(app, member_client):
    app.config["PER_PAGE"] = 5
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for i in range(12):
        make_meeting(title=f"Meeting number {i:02d}", starts_at=start + timedelta(days=i))

    first = member_client.get("/").get_data(as_text=True)
    assert "Meeting number 00" in first and "Meeting number 05" not in first
    assert "Page 1 of 3" in first
    third = member_client.get("/?page=3").get_data(as_text=True)
    assert "Meeting number 10" in third and "Meeting number 11" in third
    assert "Meeting number 09" not in third


def _quick_users(count: int) -> list[int]:
    """Users without a real password hash (hashing hundreds would be slow)."""
    users = [
        User(email=f"bulk{uuid.uuid4().hex}@example.org", name=f"Bulk user {i}", password_hash="x")
        for i in range(count)
    ]
    db.session.add_all(users)
    db.session.commit()
    return [u.id for u in users]


def _seed_meetings(count: int) -> None:
    """`count` upcoming meetings, each with a chair of its own."""
    series = make_series()
    start = datetime.now(UTC) + timedelta(days=1)
    for i, user_id in enumerate(_quick_users(count)):
        meeting = Meeting(
            title=f"Bulk {i}",
            series=series,
            number=i + 1,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i + 1),
            timezone="Europe/Minsk",
            status=MeetingStatus.SCHEDULED,
        )
        meeting.chairs.append(MeetingChair(user_id=user_id, role_label="Chair"))
        db.session.add(meeting)
    db.session.commit()


def _count_page_queries(client, url: str) -> int:
    # Start from an empty session, as a fresh request in production would.
    db.session.expunge_all()
    g.pop("_login_user", None)
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return queries.count


@pytest.mark.parametrize("url", ["/", "/?page=2"])
def test_meeting_list_query_count_does_not_grow_with_meetings(app, member_client, url):
    app.config["PER_PAGE"] = 50 if url == "/" else 5
    _seed_meetings(10)
    with_ten = _count_page_queries(member_client, url)
    _seed_meetings(490)
    with_five_hundred = _count_page_queries(member_client, url)
    assert with_ten == with_five_hundred


def test_audit_log_query_count_does_not_grow_with_events(secretariat_client):
    meeting_id = make_meeting().id

    def add_events(count: int) -> None:
        for i, user_id in enumerate(_quick_users(count)):
            db.session.add(
                AuditEvent(
                    action="meetings.update",
                    object_type="Meeting",
                    object_id=meeting_id,
                    meeting_id=meeting_id,
                    user_id=user_id,
                    changes={"title": [f"t{i}", f"t{i + 1}"]},
                )
            )
        db.session.commit()

    add_events(10)
    with_ten = _count_page_queries(secretariat_client, f"/meetings/{meeting_id}")
    add_events(190)
    with_two_hundred = _count_page_queries(secretariat_client, f"/meetings/{meeting_id}")
    assert with_ten == with_two_hundred


# --- the meeting page as an overview ------------------------------------------------------


def test_cancelling_is_apart_from_the_details_and_asks_first(secretariat_client):
    meeting = make_meeting(status=MeetingStatus.SCHEDULED)
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)

    # No cancel form on the overview: a link, after every other section, to a page that
    # asks for the reason before the button that cancels.
    assert 'name="reason"' not in page
    assert page.index('id="cancel"') > page.index('id="commitments"')
    assert f'href="/meetings/{meeting.id}/cancel"' in page

    confirm = secretariat_client.get(f"/meetings/{meeting.id}/cancel")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert 'name="reason"' in text and 'value="cancelled"' in text
    assert "It cannot be undone." in text
    db.session.refresh(meeting)
    assert meeting.status is MeetingStatus.SCHEDULED  # looking is not cancelling

    missing = secretariat_client.post(
        f"/meetings/{meeting.id}/status", data={"status": "cancelled", "reason": ""}
    )
    assert missing.status_code == 400
    assert 'name="reason"' in missing.get_data(as_text=True)  # the same step, again


def test_move_back_to_draft_is_not_styled_as_the_main_action(secretariat_client):
    meeting = make_meeting(status=MeetingStatus.SCHEDULED)
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert '<button type="submit" class="secondary">Move back to draft</button>' in page
    assert '<button type="submit">Mark as held</button>' in page


def test_the_meeting_language_is_shown_by_name(secretariat_client):
    meeting = make_meeting(language="ru")
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert '<dd><span lang="ru">Русский</span></dd>' in page  # in its own name


def test_the_meeting_page_shows_the_latest_audit_entries_and_links_the_full_log(
    secretariat_client,
):
    meeting = make_meeting(title="Busy meeting")
    for n in range(14):
        db.session.add(
            AuditEvent(
                action="meetings.update",
                object_type="meeting",
                object_id=meeting.id,
                meeting_id=meeting.id,
                note=f"change number {n:02d}",
                at=datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            )
        )
    db.session.commit()

    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    audit = page[page.index('id="audit"') :]
    assert "change number 13" in audit and "change number 04" in audit
    assert "change number 03" not in audit
    assert f'href="/meetings/{meeting.id}/audit"' in audit

    full = secretariat_client.get(f"/meetings/{meeting.id}/audit").get_data(as_text=True)
    assert all(f"change number {n:02d}" in full for n in range(14))


def test_members_do_not_see_the_audit_log_page(member_client):
    meeting = make_meeting()
    assert member_client.get(f"/meetings/{meeting.id}/audit").status_code == 403
    assert member_client.get(f"/meetings/{meeting.id}/cancel").status_code == 403
