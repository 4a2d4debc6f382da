"""The invitations page grouped by organisation (issue #22): places, nominated, invited,
accepted, declined, no answer yet, "no nomination yet"; the one button that reminds the
focal points who have nominated no one; the same number of queries for any number of
invitations and organisations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.invitations.service import invite_contacts
from coordapp.models import (
    AuditEvent,
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    MessageKind,
    NominationRequest,
    Organisation,
    OutgoingMessage,
    utcnow,
)
from coordapp.nominations import service as nominations
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_organisation, make_user

STARTS = datetime(2030, 3, 7, 7, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_letters(monkeypatch):
    """The letters are test_letters.py's business: none rendered here."""
    from coordapp.nominations import tasks

    monkeypatch.setattr(tasks, "render_nomination_letters", lambda ids: None)


def _meeting():
    return make_meeting(
        title="Fourth extended meeting",
        venue="UN House, Minsk",
        starts_at=STARTS,
        rsvp_deadline=STARTS - timedelta(days=7),
    )


def _organisation(name, category=Category.NATIONAL_GOVERNMENT, focal=None, **kwargs):
    organisation = make_organisation(name, None, category, **kwargs)
    if focal:
        make_contact(organisation, f"Focal of {name}", focal, focal_point=True)
    return organisation


def _ask(meeting, organisations, **kwargs):
    with_user = make_user(name="Asking Secretariat")
    result = nominations.ask_to_nominate(meeting, organisations, by=with_user, **kwargs)
    db.session.commit()
    return {r.organisation_id: r for r in result.asked}


def _nominate(request, name, email, status=InvitationStatus.PENDING):
    invitation = nominations.nominate(request, nominations.Nominee(name=name, email=email))
    invitation.status = status
    db.session.commit()
    return invitation


@pytest.fixture
def asked(app):
    """The Ministry asked for 3 places (two nominated: one accepted, one declined), the
    City committee asked and silent, a UN agency invited person by person (not asked)."""
    with app.test_request_context():
        meeting = _meeting()
        ministry = _organisation("Ministry of Internal Affairs", focal="focal@mvd.example")
        city = _organisation(
            "Minsk City Executive Committee", Category.LOCAL_GOVERNMENT, focal="focal@city.example"
        )
        agency = _organisation("IOM", Category.UN_AGENCY)
        requests = _ask(meeting, [ministry, city], overrides={ministry.id: 3})
        _nominate(
            requests[ministry.id], "Pavel Delegate", "pavel@mvd.example", InvitationStatus.ACCEPTED
        )
        _nominate(
            requests[ministry.id], "Daria Delegate", "daria@mvd.example", InvitationStatus.DECLINED
        )
        invite_contacts(meeting, [make_contact(agency, "Ivan Agency", "ivan@iom.example")], by=None)
        db.session.commit()
    return meeting, {"ministry": ministry.id, "city": city.id, "agency": agency.id}


def _row(page: str, organisation_id: int) -> str:
    match = re.search(rf'<tr data-organisation="{organisation_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for organisation {organisation_id}"
    return match.group(1)


def _cell(row: str, name: str) -> str:
    match = re.search(rf'data-count="{name}"[^>]*>(.*?)</td>', row, re.S)
    assert match, f"no {name} cell in {row}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _page(client, meeting, **headers):
    response = client.get(f"/meetings/{meeting.id}/invitations", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_invitations_page_groups_by_organisation(secretariat_client, asked):
    meeting, ids = asked
    page = _page(secretariat_client, meeting)
    section = page[page.index('id="organisations"') :]

    ministry = _row(section, ids["ministry"])
    assert "Ministry of Internal Affairs" in ministry and "No nomination yet" not in ministry
    assert [_cell(ministry, c) for c in ("places", "nominated", "invited")] == ["3", "2", "2"]
    assert [_cell(ministry, c) for c in ("accepted", "declined", "pending")] == ["1", "1", "0"]

    city = _row(section, ids["city"])
    assert "No nomination yet" in city
    assert [_cell(city, c) for c in ("places", "nominated", "invited", "pending")] == [
        "2",
        "0",
        "0",
        "0",
    ]

    agency = _row(section, ids["agency"])  # invited one by one: no places
    assert "not asked to nominate" in agency and "No nomination yet" not in agency
    assert [_cell(agency, c) for c in ("invited", "accepted", "pending")] == ["1", "0", "1"]
    # By name: IOM, Ministry…, Minsk City…
    order = [int(i) for i in re.findall(r'<tr data-organisation="(\d+)">', section)]
    assert order == [ids["agency"], ids["ministry"], ids["city"]]


def test_withdrawn_invitations_do_not_count(secretariat_client, asked):
    meeting, ids = asked
    declined = db.session.scalar(
        sa.select(Invitation).where(Invitation.status == InvitationStatus.DECLINED)
    )
    declined.withdrawn_at = utcnow()
    db.session.commit()
    ministry = _row(_page(secretariat_client, meeting), ids["ministry"])
    assert [_cell(ministry, c) for c in ("nominated", "invited", "declined")] == ["1", "1", "0"]


def test_one_button_reminds_the_focal_points_who_have_nominated_no_one(secretariat_client, asked):
    meeting, ids = asked
    page = _page(secretariat_client, meeting)
    assert "Remind the 1 focal point who has nominated no one" in page
    assert f'action="/meetings/{meeting.id}/invitations/remind-focal-points"' in page

    response = secretariat_client.post(f"/meetings/{meeting.id}/invitations/remind-focal-points")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/meetings/{meeting.id}/invitations#organisations"
    )
    page = secretariat_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A reminder was queued for 1 focal point." in page

    reminders = db.session.scalars(
        sa.select(OutgoingMessage).where(OutgoingMessage.kind == MessageKind.REMINDER)
    ).all()
    assert [m.to_email for m in reminders] == ["focal@city.example"]  # queued for the worker
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "nominations.remind")
    ).all()
    assert len(audit) == 1 and audit[0].user_id == secretariat_client.user.id
    request = db.session.scalar(
        sa.select(NominationRequest).where(NominationRequest.organisation_id == ids["city"])
    )
    assert request.reminders_sent == 1


def test_no_button_when_everyone_asked_has_nominated_or_the_deadline_passed(
    secretariat_client, asked
):
    meeting, ids = asked
    request = db.session.scalar(
        sa.select(NominationRequest).where(NominationRequest.organisation_id == ids["city"])
    )
    request.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = _page(secretariat_client, meeting)
    assert "No nomination yet" in _row(page, ids["city"])  # still shown as silent
    assert "remind-focal-points" not in page
    # Pressed anyway (an old tab): nobody is written to, and the page says so.
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/invitations/remind-focal-points", follow_redirects=True
    )
    assert "Reminders were queued for 0 focal points." in response.get_data(as_text=True)
    assert not db.session.scalar(
        sa.select(sa.func.count(OutgoingMessage.id)).where(
            OutgoingMessage.kind == MessageKind.REMINDER
        )
    )


@pytest.mark.parametrize(
    ("lang", "silent", "flash"),
    [
        ("ru", 1, "Напоминание поставлено в очередь для 1 координатора."),
        ("ru", 3, "Напоминания поставлены в очередь для 3 координаторов."),
        ("be", 1, "Напамін пастаўлены ў чаргу для 1 каардынатара."),
        ("be", 3, "Напаміны пастаўлены ў чаргу для 3 каардынатараў."),
    ],
)
def test_the_reminder_is_told_in_the_readers_language_and_plural(
    secretariat_client, app, lang, silent, flash
):
    with app.test_request_context():
        meeting = _meeting()
        organisations = [
            _organisation(f"Regional committee {n}", focal=f"focal{n}@region.example")
            for n in range(silent)
        ]
        _ask(meeting, organisations)
    page = _page(secretariat_client, meeting, **{"Accept-Language": lang})
    assert 'id="remind-focal-points"' in page
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/invitations/remind-focal-points",
        headers={"Accept-Language": lang},
        follow_redirects=True,
    )
    assert flash in response.get_data(as_text=True)


def test_the_nominations_page_sends_to_the_invitations_page_for_answers(secretariat_client, asked):
    meeting, _ids = asked
    page = secretariat_client.get(f"/meetings/{meeting.id}/nominations").get_data(as_text=True)
    assert f'href="/meetings/{meeting.id}/invitations#organisations"' in page
    assert "remind" not in page.lower()  # the one button is on the invitations page
    old = secretariat_client.post(f"/meetings/{meeting.id}/nominations/remind")
    assert old.status_code in (404, 405)


def _organisations_with_invitees(meeting, organisations: int, per_organisation: int) -> None:
    """`organisations` organisations (every other one asked to nominate), each with
    `per_organisation` invitees in mixed states, written in bulk."""
    names = [f"Bulk org {meeting.id}-{n:03d}" for n in range(organisations)]
    db.session.execute(
        sa.insert(Organisation),
        [{"name": name, "category": Category.LOCAL_GOVERNMENT} for name in names],
    )
    org_ids = db.session.scalars(
        sa.select(Organisation.id).where(Organisation.name.in_(names))
    ).all()
    db.session.execute(
        sa.insert(Contact),
        [
            {
                "name": f"Bulk {meeting.id}-{o}-{n}",
                "email": f"bulk{meeting.id}-{o}-{n}@example.org",
                "organisation_id": org_id,
                "language": "en",
            }
            for o, org_id in enumerate(org_ids)
            for n in range(per_organisation)
        ],
    )
    contact_ids = db.session.scalars(
        sa.select(Contact.id).where(Contact.organisation_id.in_(org_ids))
    ).all()
    statuses = list(InvitationStatus)
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "meeting_id": meeting.id,
                "contact_id": contact_id,
                "link_id": f"{meeting.id:08x}{n:024x}",
                "status": statuses[n % len(statuses)],
            }
            for n, contact_id in enumerate(contact_ids)
        ],
    )
    db.session.execute(
        sa.insert(NominationRequest),
        [
            {
                "meeting_id": meeting.id,
                "organisation_id": org_id,
                "places": 2,
                "deadline": STARTS - timedelta(days=7),
                "link_id": f"{meeting.id:08x}{n:024x}",
                "sent_to": f"focal{n}@bulk.example",
                "reminders_sent": 0,
            }
            for n, org_id in enumerate(org_ids[::2])
        ],
    )
    db.session.commit()


def test_the_page_runs_the_same_queries_for_3_or_60_organisations_and_their_people(
    secretariat_client,
):
    small, large = _meeting(), _meeting()
    _organisations_with_invitees(small, 3, 2)
    _organisations_with_invitees(large, 60, 25)
    small, large = small.id, large.id
    secretariat_client.get(f"/meetings/{small}/invitations")  # warm up

    with count_queries() as for_small:
        page = secretariat_client.get(f"/meetings/{small}/invitations").get_data(as_text=True)
    assert page.count('<tr data-organisation="') == 3
    with count_queries() as for_large:
        page = secretariat_client.get(f"/meetings/{large}/invitations").get_data(as_text=True)
    assert page.count('<tr data-organisation="') == 60
    assert page.count("data-none-yet") == 30  # the asked half, nobody nominated
    assert for_large.count == for_small.count, "\n\n".join(for_large.statements)
    # The groups are counted by the database, not by loading the invitations.
    grouped = [s for s in for_large.statements if "GROUP BY" in s.upper()]
    assert any("organisation_id" in s for s in grouped)


def test_an_organisations_name_lists_its_people(secretariat_client, asked):
    meeting, ids = asked
    page = _page(secretariat_client, meeting)
    link = f"/meetings/{meeting.id}/invitations?organisation={ids['ministry']}#list"
    assert f'href="{link}"' in page
    assert f'href="/meetings/{meeting.id}/invitations?organisation={ids["city"]}' not in page

    listed = secretariat_client.get(link.split("#")[0]).get_data(as_text=True)
    table = listed[listed.index('<table id="invitations">') :]
    assert "Pavel Delegate" in table and "Daria Delegate" in table
    assert "Ivan Agency" not in table
    assert "2 invitations · Ministry of Internal Affairs" in listed
    # Filtering by answer keeps the organisation; so does the CSV of what is shown.
    assert 'name="organisation" value="{}"'.format(ids["ministry"]) in listed
    csv = secretariat_client.get(
        f"/meetings/{meeting.id}/invitations.csv?organisation={ids['ministry']}&status=accepted"
    ).get_data(as_text=True)
    assert "Pavel Delegate" in csv and "Daria Delegate" not in csv and "Ivan" not in csv


@pytest.mark.parametrize("bad", ["x", "0", "-3", "99999999999"])
def test_a_bad_organisation_in_the_filter_is_a_clear_400(secretariat_client, asked, bad):
    meeting, _ids = asked
    response = secretariat_client.get(f"/meetings/{meeting.id}/invitations?organisation={bad}")
    assert response.status_code == 400
    assert "Unknown status, category or organisation" in response.get_data(as_text=True)


def test_a_filtered_list_numbers_the_waiting_list_of_the_whole_meeting(secretariat_client, app):
    """The page asks only for its own people's places; the database counts everyone."""
    with app.test_request_context():
        meeting = _meeting()
        first = _organisation("First Waiting Organisation")
        second = _organisation("Second Waiting Organisation")
        people = [make_contact(first), make_contact(first), make_contact(second, "Last Waiting")]
        invitations = invite_contacts(meeting, people, by=None).invited
        for n, invitation in enumerate(invitations):
            invitation.status = InvitationStatus.WAITLISTED
            invitation.waitlisted_at = STARTS - timedelta(days=30 - n)
        db.session.commit()
    page = secretariat_client.get(
        f"/meetings/{meeting.id}/invitations?organisation={second.id}"
    ).get_data(as_text=True)
    table = page[page.index('<table id="invitations">') :]
    assert "Last Waiting" in table and "Waiting list #3" in table
