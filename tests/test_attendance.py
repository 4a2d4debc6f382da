"""The meeting day: attendance sheet, counts, walk-ins, marking the meeting held."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from coordapp.attendance.service import attendance_counts, attendance_summary
from coordapp.extensions import db
from coordapp.models import (
    Attendance,
    AuditEvent,
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    MeetingStatus,
    Organisation,
    OutgoingMessage,
    Role,
    utcnow,
)
from tests.conftest import count_queries
from tests.factories import PASSWORD, make_contact, make_meeting, make_organisation, make_user


def invite(meeting, contact, status=InvitationStatus.ACCEPTED, **kwargs) -> Invitation:
    invitation = Invitation(meeting_id=meeting.id, contact_id=contact.id, status=status, **kwargs)
    db.session.add(invitation)
    db.session.commit()
    return invitation


@pytest.fixture
def day(app):
    """A scheduled meeting with three invitees from a UN agency, a ministry and a city."""
    undp = make_organisation("United Nations Development Programme", "UNDP", Category.UN_AGENCY)
    labour = make_organisation("Ministry of Labour", "MinLabour", Category.NATIONAL_GOVERNMENT)
    city = make_organisation("Minsk City Executive Committee", None, Category.LOCAL_GOVERNMENT)
    meeting = make_meeting(title="Fourth extended meeting")
    anna = invite(meeting, make_contact(undp, "Anna Koval", "anna@undp.example"))
    boris = invite(meeting, make_contact(labour, "Boris Lis", "boris@labour.example"))
    vera = invite(meeting, make_contact(city, "Vera Sokal", "vera@city.example"))
    return {
        "meeting": meeting,
        "undp": undp,
        "labour": labour,
        "city": city,
        "anna": anna,
        "boris": boris,
        "vera": vera,
    }


def url(meeting, suffix=""):
    return f"/meetings/{meeting.id}/attendance{suffix}"


def reload(invitation: Invitation) -> Invitation:
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


def sheet(*rows, was=None) -> dict[str, str]:
    """Form data for rows of (invitation, attendance value)."""
    data = {}
    for invitation, value in rows:
        data[f"attendance-{invitation.id}"] = value
        if was is not None:
            data[f"was-attendance-{invitation.id}"] = was
    return data


# --- marking attendance ------------------------------------------------------------------


def test_secretariat_marks_present_absent_and_excused(secretariat_client, day):
    response = secretariat_client.post(
        url(day["meeting"]),
        data=sheet((day["anna"], "present"), (day["boris"], "absent"), (day["vera"], "excused")),
    )
    assert response.status_code == 302
    assert reload(day["anna"]).attendance is Attendance.PRESENT
    assert reload(day["boris"]).attendance is Attendance.ABSENT
    assert reload(day["vera"]).attendance is Attendance.EXCUSED

    page = secretariat_client.get(url(day["meeting"])).get_data(as_text=True)
    assert "Attendance saved for 3 people." in page
    checked = re.search(rf'name="attendance-{day["anna"].id}" value="present" checked', page)
    assert checked, "the sheet shows Anna as present"

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "attendance.update")
    ).all()
    assert len(events) == 3
    assert {e.meeting_id for e in events} == {day["meeting"].id}
    assert {e.user_id for e in events} == {secretariat_client.user.id}
    anna_event = next(e for e in events if e.object_id == day["anna"].id)
    assert anna_event.changes == {"attendance": [None, "present"]}


def test_a_mark_can_be_corrected_and_cleared(secretariat_client, day):
    meeting, anna = day["meeting"], day["anna"]
    secretariat_client.post(url(meeting), data=sheet((anna, "absent")))
    secretariat_client.post(url(meeting), data=sheet((anna, "present"), was="absent"))
    assert reload(anna).attendance is Attendance.PRESENT
    secretariat_client.post(url(meeting), data=sheet((anna, ""), was="present"))
    assert reload(anna).attendance is None


def test_a_late_sheet_does_not_undo_what_a_colleague_marked(secretariat_client, day):
    meeting, anna, boris = day["meeting"], day["anna"], day["boris"]
    # Both pages were drawn with nobody marked; the colleague marks Anna present first.
    secretariat_client.post(url(meeting), data=sheet((anna, "present"), was=""))
    # The second sheet still says "not recorded" for Anna, unchanged; it marks Boris.
    data = sheet((anna, ""), (boris, "absent"), was="")
    secretariat_client.post(url(meeting), data=data)
    assert reload(anna).attendance is Attendance.PRESENT
    assert reload(boris).attendance is Attendance.ABSENT


def test_an_unknown_attendance_value_is_refused_and_nothing_saved(secretariat_client, day):
    meeting = day["meeting"]
    response = secretariat_client.post(
        url(meeting), data=sheet((day["anna"], "present"), (day["boris"], "asleep"))
    )
    assert response.status_code == 400
    assert "Choose present, absent or excused." in response.get_data(as_text=True)
    assert reload(day["anna"]).attendance is None


def test_one_click_saves_one_row_and_answers_with_the_new_counts(secretariat_client, day):
    response = secretariat_client.post(
        url(day["meeting"]),
        data=sheet((day["anna"], "present"), was=""),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["saved"] == {
        str(day["anna"].id): {
            "attendance": "present",
            "represents": "United Nations Development Programme",
        }
    }
    assert re.search(r'data-state="present">Present: <strong>1</strong>', body["counts_html"])
    assert reload(day["anna"]).attendance is Attendance.PRESENT
    assert reload(day["boris"]).attendance is None


def test_withdrawn_invitations_are_not_on_the_sheet(secretariat_client, day):
    withdrawn = day["vera"]
    withdrawn.withdrawn_at = utcnow()
    db.session.commit()
    page = secretariat_client.get(url(day["meeting"])).get_data(as_text=True)
    assert "Anna Koval" in page
    assert "Vera Sokal" not in page
    response = secretariat_client.post(url(day["meeting"]), data=sheet((withdrawn, "present")))
    assert response.status_code == 400
    assert reload(withdrawn).attendance is None


# --- counts ------------------------------------------------------------------------------


def test_counts_by_category_and_state(secretariat_client, day):
    meeting = day["meeting"]
    undp2 = invite(meeting, make_contact(day["undp"], "Dmitry Zhuk", "d@undp.example"))
    secretariat_client.post(
        url(meeting),
        data=sheet(
            (day["anna"], "present"),
            (undp2, "present"),
            (day["boris"], "excused"),
            (day["vera"], "present"),
        ),
    )
    counts = attendance_counts(meeting.id)
    assert list(counts.by_category) == [
        Category.UN_AGENCY,
        Category.NATIONAL_GOVERNMENT,
        Category.LOCAL_GOVERNMENT,
    ]
    assert counts.by_category[Category.UN_AGENCY]["present"] == 2
    assert counts.by_category[Category.NATIONAL_GOVERNMENT]["excused"] == 1
    assert counts.by_category[Category.NATIONAL_GOVERNMENT]["present"] == 0
    assert counts.totals == {
        "present": 3,
        "absent": 0,
        "excused": 1,
        "unmarked": 0,
        "total": 4,
        "present_online": 0,  # a meeting in person (tests/test_hybrid.py)
    }
    assert counts.organisations_represented == 2  # UNDP (twice) and the city

    page = secretariat_client.get(url(meeting)).get_data(as_text=True)
    un_row = re.search(r'<tr data-category="un_agency">(.*?)</tr>', page, re.S).group(1)
    assert '<td data-state="present">2</td>' in un_row
    assert '<td data-state="total">2</td>' in un_row
    assert re.search(r"Organisations represented: <strong>2</strong>", page)


# --- represented organisation ------------------------------------------------------------


def test_represented_organisation_is_saved_only_when_not_their_own(secretariat_client, day):
    meeting, anna, boris = day["meeting"], day["anna"], day["boris"]
    own = "United Nations Development Programme"
    response = secretariat_client.post(
        url(meeting),
        data={
            f"represents-{anna.id}": "MinLabour",  # by acronym
            f"was-represents-{anna.id}": own,
            f"represents-{boris.id}": "ministry of labour",  # their own, any case
            f"was-represents-{boris.id}": "Ministry of Labour ",
        },
    )
    assert response.status_code == 302
    assert reload(anna).represents_organisation_id == day["labour"].id
    assert reload(boris).represents_organisation_id is None

    # Represented organisations count under their category.
    secretariat_client.post(url(meeting), data=sheet((anna, "present")))
    counts = attendance_counts(meeting.id)
    assert counts.by_category[Category.NATIONAL_GOVERNMENT]["present"] == 1
    assert Category.UN_AGENCY not in counts.by_category

    # Back to their own organisation.
    secretariat_client.post(
        url(meeting), data={f"represents-{anna.id}": own, f"was-represents-{anna.id}": "x"}
    )
    assert reload(anna).represents_organisation_id is None


def test_unknown_represented_organisation_keeps_what_was_typed(secretariat_client, day):
    meeting, anna = day["meeting"], day["anna"]
    response = secretariat_client.post(
        url(meeting),
        data={
            f"attendance-{anna.id}": "present",
            f"represents-{anna.id}": "Ministry of Magic",
            f"was-represents-{anna.id}": "United Nations Development Programme",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“Ministry of Magic” is not in the directory" in page
    assert 'value="Ministry of Magic"' in page
    assert re.search(rf'name="attendance-{anna.id}" value="present" checked', page)
    assert reload(anna).attendance is None


# --- walk-ins ----------------------------------------------------------------------------


def walk_in(client, meeting, **fields):
    data = {"name": "Pavel Hrab", "email": "Pavel@NGO.example", "position": "Director"}
    data.update(fields)
    return client.post(url(meeting, "/walk-in"), data=data)


def test_walk_in_creates_contact_and_present_invitation_without_email(secretariat_client, day):
    meeting = day["meeting"]
    response = walk_in(
        secretariat_client,
        meeting,
        organisation_id="0",
        new_organisation_name="Refugee Support Network",
        new_organisation_category="civil_society",
    )
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "pavel@ngo.example"))
    assert contact.name == "Pavel Hrab"
    assert contact.position == "Director"
    assert contact.organisation.name == "Refugee Support Network"
    assert contact.organisation.category is Category.CIVIL_SOCIETY
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.contact_id == contact.id))
    assert invitation.meeting_id == meeting.id
    assert invitation.walk_in is True
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.attendance is Attendance.PRESENT
    assert db.session.scalar(sa.select(sa.func.count(OutgoingMessage.id))) == 0
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "attendance.walk_in")
    )
    assert event.meeting_id == meeting.id and event.object_id == invitation.id

    page = secretariat_client.get(url(meeting)).get_data(as_text=True)
    assert "Pavel Hrab was added as a walk-in and marked present." in page
    assert "walk-in</span>" in page
    assert attendance_counts(meeting.id).by_category[Category.CIVIL_SOCIETY]["present"] == 1


def test_walk_in_with_an_organisation_from_the_list(secretariat_client, day):
    response = walk_in(secretariat_client, day["meeting"], organisation_id=str(day["city"].id))
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == "pavel@ngo.example"))
    assert contact.organisation_id == day["city"].id


def test_walk_in_reuses_an_existing_contact_by_email(secretariat_client, day):
    known = make_contact(day["labour"], "Pavel Hrab", "pavel@ngo.example")
    response = walk_in(secretariat_client, day["meeting"], email=" PAVEL@ngo.EXAMPLE ")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 4  # 3 invitees + Pavel
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.contact_id == known.id))
    assert invitation.walk_in is True
    assert invitation.attendance is Attendance.PRESENT
    assert invitation.represents_organisation_id is None


def test_walk_in_of_a_known_contact_for_another_organisation_records_it(secretariat_client, day):
    known = make_contact(day["labour"], "Pavel Hrab", "pavel@ngo.example")
    walk_in(secretariat_client, day["meeting"], organisation_id=str(day["city"].id))
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.contact_id == known.id))
    assert invitation.represents_organisation_id == day["city"].id
    assert known.organisation_id == day["labour"].id  # the directory is left as it was


def test_walk_in_of_someone_already_invited_just_marks_them_present(secretariat_client, day):
    meeting, boris = day["meeting"], day["boris"]
    boris.status = InvitationStatus.DECLINED
    db.session.commit()
    response = walk_in(secretariat_client, meeting, name="Boris L.", email="Boris@Labour.example")
    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Invitation.id)).where(Invitation.meeting_id == meeting.id)
        )
        == 3
    )
    boris = reload(boris)
    assert boris.attendance is Attendance.PRESENT
    assert boris.walk_in is False
    assert boris.contact.name == "Boris Lis"
    page = secretariat_client.get(url(meeting)).get_data(as_text=True)
    assert "Boris Lis was already invited and is now marked present." in page


def test_walk_in_with_bad_input_keeps_what_was_typed(secretariat_client, day):
    response = walk_in(secretariat_client, day["meeting"], email="not an email")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a valid email address." in page
    assert 'value="Pavel Hrab"' in page and 'value="Director"' in page

    response = walk_in(
        secretariat_client, day["meeting"], new_organisation_name="Refugee Support Network"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the category of the new organisation." in page
    assert 'value="Refugee Support Network"' in page

    response = walk_in(secretariat_client, day["meeting"])
    assert response.status_code == 400
    assert "Choose the organisation, or type the name of a new one." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 3
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 3


# --- meeting status ----------------------------------------------------------------------


def test_mark_the_meeting_held(secretariat_client, day):
    meeting = day["meeting"]
    response = secretariat_client.post(url(meeting, "/held"))
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.status is MeetingStatus.HELD
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "meetings.status_change", AuditEvent.meeting_id == meeting.id
        )
    ).changes == {"status": ["scheduled", "held"]}
    # Attendance can still be recorded on a held meeting.
    response = secretariat_client.post(url(meeting), data=sheet((day["anna"], "present")))
    assert response.status_code == 302
    assert "Mark the meeting as held" not in secretariat_client.get(url(meeting)).get_data(
        as_text=True
    )


def test_a_draft_meeting_cannot_be_marked_held(secretariat_client, app):
    meeting = make_meeting(status=MeetingStatus.DRAFT)
    response = secretariat_client.post(url(meeting, "/held"))
    assert response.status_code == 409
    assert "A meeting that is draft cannot be marked as held." in response.get_data(as_text=True)
    db.session.expire_all()
    assert meeting.status is MeetingStatus.DRAFT


@pytest.mark.parametrize("status", [MeetingStatus.CANCELLED, MeetingStatus.DRAFT])
def test_attendance_is_refused_unless_scheduled_or_held(secretariat_client, day, status):
    meeting = day["meeting"]
    meeting.status = status
    db.session.commit()
    response = secretariat_client.post(url(meeting), data=sheet((day["anna"], "present")))
    assert response.status_code == 409
    assert "attendance can only be recorded for a scheduled or held meeting" in (
        response.get_data(as_text=True)
    )
    response = walk_in(secretariat_client, meeting, organisation_id=str(day["city"].id))
    assert response.status_code == 409
    assert reload(day["anna"]).attendance is None
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 3
    # The page still shows the list, read-only.
    page = secretariat_client.get(url(meeting)).get_data(as_text=True)
    assert "Anna Koval" in page
    assert "Save attendance" not in page and "Add a walk-in" not in page


def test_members_cannot_take_attendance(member_client, day):
    meeting = day["meeting"]
    assert member_client.get(url(meeting)).status_code == 403
    assert member_client.post(url(meeting), data=sheet((day["anna"], "present"))).status_code == 403
    assert walk_in(member_client, meeting, organisation_id=str(day["city"].id)).status_code == 403
    assert member_client.post(url(meeting, "/held")).status_code == 403
    assert reload(day["anna"]).attendance is None


def test_unknown_meeting_is_404(secretariat_client):
    assert secretariat_client.get("/meetings/999/attendance").status_code == 404


# --- the summary for the minutes ---------------------------------------------------------


def test_attendance_summary_groups_present_people_by_category_with_apologies(app, day):
    meeting = day["meeting"]
    undp, labour, city = day["undp"], day["labour"], day["city"]
    acad = make_organisation("Academy of Sciences", None, Category.ACADEMIA)
    ilo = make_organisation("International Labour Organization", "ILO", Category.UN_AGENCY)
    day["anna"].attendance = Attendance.PRESENT
    day["boris"].attendance = Attendance.EXCUSED
    day["vera"].attendance = Attendance.PRESENT
    invite(meeting, make_contact(ilo, "Zoya Bel", "z@ilo.example"), attendance=Attendance.PRESENT)
    invite(meeting, make_contact(undp, "Adam Ruh", "a@undp.example"), attendance=Attendance.PRESENT)
    # A consultant from the academy who spoke for the city: under local government.
    invite(
        meeting,
        make_contact(acad, "Ivan Mir", "i@acad.example"),
        attendance=Attendance.PRESENT,
        represents_organisation_id=city.id,
    )
    invite(
        meeting,
        make_contact(labour, "Olga Dal", "o@labour.example"),
        status=InvitationStatus.DECLINED,
    )
    # Declined but came after all: present, not an apology.
    invite(
        meeting,
        make_contact(acad, "Petr Nos", "p@acad.example"),
        status=InvitationStatus.DECLINED,
        attendance=Attendance.PRESENT,
    )
    invite(
        meeting,
        make_contact(acad, "Absent Person", "ab@acad.example"),
        attendance=Attendance.ABSENT,
    )
    invite(
        meeting,
        make_contact(acad, "Withdrawn Person", "w@acad.example"),
        status=InvitationStatus.DECLINED,
        withdrawn_at=utcnow(),
    )
    db.session.commit()

    db.session.refresh(meeting)
    with count_queries() as queries:
        summary = attendance_summary(meeting)
    assert queries.count == 1

    groups = [(g["category"], [p["name"] for p in g["people"]]) for g in summary["present"]]
    assert groups == [
        # UN agencies: ILO before UNDP (organisation name), then person name.
        (Category.UN_AGENCY, ["Zoya Bel", "Adam Ruh", "Anna Koval"]),
        (Category.LOCAL_GOVERNMENT, ["Ivan Mir", "Vera Sokal"]),
        (Category.ACADEMIA, ["Petr Nos"]),
    ]
    assert summary["present"][0]["label"] == "UN agency"
    ivan = summary["present"][1]["people"][0]
    assert ivan["organisation"] == {
        "name": "Academy of Sciences",
        "acronym": None,
        "category": Category.ACADEMIA,
    }
    assert ivan["represents"]["name"] == "Minsk City Executive Committee"
    assert summary["present"][0]["people"][0]["represents"] is None
    assert summary["present_count"] == 6
    assert summary["organisations_count"] == 4  # ILO, UNDP, the city, the academy

    apologies = [(p["name"], p["reason"]) for p in summary["apologies"]]
    assert apologies == [("Boris Lis", "excused"), ("Olga Dal", "declined")]
    assert summary["apologies"][0]["organisation"]["name"] == "Ministry of Labour"
    assert [p["name"] for p in summary["absent"]] == ["Absent Person"]


# --- query count -------------------------------------------------------------------------


def _fill(meeting, organisations, count: int) -> None:
    states = [Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED, None]
    contacts = [
        Contact(
            name=f"Person {n}",
            email=f"person{meeting.id}-{n}@example.org",
            organisation=organisations[n % len(organisations)],
        )
        for n in range(count)
    ]
    db.session.add_all(contacts)
    db.session.flush()
    db.session.add_all(
        Invitation(
            meeting_id=meeting.id,
            contact_id=contact.id,
            status=InvitationStatus.ACCEPTED,
            attendance=states[n % len(states)],
            represents_organisation_id=organisations[0].id if n % 7 == 0 else None,
        )
        for n, contact in enumerate(contacts)
    )
    db.session.commit()


def test_attendance_page_query_count_does_not_grow_with_the_list(secretariat_client, app):
    organisations = [make_organisation(category=category) for category in list(Category)[:5]]
    small, large = make_meeting(), make_meeting()
    _fill(small, organisations, 10)
    _fill(large, organisations, 500)

    counted = {}
    for meeting in (small, large):
        secretariat_client.get(url(meeting))  # warm-up
        db.session.expire_all()
        with count_queries() as queries:
            response = secretariat_client.get(url(meeting))
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("<tr data-invitation=") == (
            10 if meeting is small else 500
        )
        counted[meeting.id] = queries.count
    assert counted[small.id] == counted[large.id]
    assert counted[large.id] <= 8

    db.session.refresh(large)
    with count_queries() as queries:
        summary = attendance_summary(large)
    assert queries.count == 1
    assert summary["present_count"] == 125


def test_saving_a_whole_sheet_reads_a_fixed_number_of_times(secretariat_client, app):
    organisations = [make_organisation(category=c) for c in list(Category)[:3]]
    counted = []
    for size in (10, 200):
        meeting = make_meeting()
        _fill(meeting, organisations, size)
        invitations = db.session.scalars(
            sa.select(Invitation).where(Invitation.meeting_id == meeting.id)
        ).all()
        data = {}
        for invitation in invitations:
            data[f"attendance-{invitation.id}"] = "present"
            data[f"was-attendance-{invitation.id}"] = (
                invitation.attendance.value if invitation.attendance else ""
            )
            data[f"represents-{invitation.id}"] = organisations[1].name
            data[f"was-represents-{invitation.id}"] = "?"
        db.session.expire_all()
        with count_queries() as queries:
            response = secretariat_client.post(url(meeting), data=data)
        assert response.status_code == 302
        # Reads do not grow with the sheet; writes are one UPDATE per changed row.
        selects = [s for s in queries.statements if s.lstrip().upper().startswith("SELECT")]
        counted.append(len(selects))
        assert attendance_counts(meeting.id).totals["present"] == size
    assert counted[0] == counted[1]


# --- in a browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.commits  # a live server: requests run in its threads
def test_a_click_saves_at_once_and_updates_the_counts(app, live_server, page, day):
    make_user(role=Role.SECRETARIAT, email="door@example.org", name="Door Keeper")
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill("door@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Door Keeper")).to_be_visible()

    page.goto(f"{base}{url(day['meeting'])}")
    present = page.locator('#attendance-counts li[data-state="present"] strong')
    expect(present).to_have_text("0")
    page.get_by_role("radiogroup", name="Attendance of Anna Koval").get_by_label("Present").check()
    expect(present).to_have_text("1")
    expect(page.locator("#attendance-status")).to_have_text("Attendance saved for 1 person.")
    assert reload(day["anna"]).attendance is Attendance.PRESENT

    representing = page.get_by_label("Organisation represented by Boris Lis")
    representing.fill("UNDP")
    representing.press("Tab")
    expect(representing).to_have_value("United Nations Development Programme")
    assert reload(day["boris"]).represents_organisation_id == day["undp"].id
