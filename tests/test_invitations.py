"""The secretariat's side of invitations: inviting, the list, actions on one invitation."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.invitations import service
from coordapp.links import RSVP_PURPOSE, link_id_from_token
from coordapp.models import (
    AuditEvent,
    Category,
    Invitation,
    InvitationStatus,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    Role,
)
from tests.conftest import count_queries
from tests.factories import (
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)
from tests.outbox import written
from tests.smtp import body_text, calendar_part


def _meeting(**kwargs):
    kwargs.setdefault("title", "Fourth extended meeting")
    kwargs.setdefault("venue", "UN House, Minsk")
    kwargs.setdefault("rsvp_deadline", datetime.now(UTC) + timedelta(days=20))
    return make_meeting(**kwargs)


def _invitations(meeting):
    return list(
        db.session.scalars(sa.select(Invitation).where(Invitation.meeting_id == meeting.id))
    )


def _invited_emails(meeting) -> set[str]:
    return {i.contact.email for i in _invitations(meeting)}


def _messages(kind=None):
    """The queued messages, written out as the worker will write them before sending
    (emails are queued as rows only; see coordapp/mail/writers.py)."""
    query = sa.select(OutgoingMessage).order_by(OutgoingMessage.id)
    if kind is not None:
        query = query.where(OutgoingMessage.kind == kind)
    messages = list(db.session.scalars(query))
    return [written(message) for message in messages]


def _invite(client, meeting, **data):
    return client.post(f"/meetings/{meeting.id}/invitations/new", data=data)


# --- inviting ----------------------------------------------------------------------------


def test_inviting_picked_contacts_queues_an_email_with_the_personal_link(secretariat_client):
    chair = make_user(Role.MEMBER, name="Rita Resident-Coordinator")
    meeting = _meeting(chairs=[(chair, "Co-chair, UN Resident Coordinator")])
    anna = make_contact(name="Anna Stat", email="anna@stat.example.org")
    boris = make_contact(name="Boris Labour", email="boris@labour.example.org")
    make_contact(name="Not Picked")

    response = _invite(secretariat_client, meeting, contact_ids=[anna.id, boris.id])

    assert response.status_code == 302
    assert _invited_emails(meeting) == {"anna@stat.example.org", "boris@labour.example.org"}
    messages = _messages(MessageKind.INVITATION)
    assert {m.to_email for m in messages} == {"anna@stat.example.org", "boris@labour.example.org"}
    anna_message = next(m for m in messages if m.to_email == "anna@stat.example.org")
    invitation = anna_message.invitation
    assert service.rsvp_url(invitation) in anna_message.text_body
    assert service.rsvp_url(invitation) in anna_message.html_body
    assert "Fourth extended meeting" in anna_message.subject
    assert "(Europe/Minsk)" in anna_message.text_body
    assert "Rita Resident-Coordinator, Co-chair, UN Resident Coordinator" in anna_message.text_body
    assert "UN House, Minsk" in anna_message.text_body
    assert "calendar invitation is attached" in anna_message.text_body
    assert anna_message.ics_method == "REQUEST"


def test_the_invitation_arrives_by_smtp_with_link_and_calendar_request(
    secretariat_client, smtp_server
):
    from coordapp.mail.delivery import deliver_due_messages

    meeting = _meeting()
    anna = make_contact(name="Anna Stat", email="anna@stat.example.org")
    _invite(secretariat_client, meeting, contact_ids=[anna.id])

    deliver_due_messages()

    [received] = smtp_server.to("anna@stat.example.org")
    invitation = _invitations(meeting)[0]
    assert service.rsvp_url(invitation) in body_text(received)
    calendar = calendar_part(received)
    assert calendar is not None
    assert calendar.get_param("method").upper() == "REQUEST"


def test_inviting_a_whole_organisation(secretariat_client):
    meeting = _meeting()
    ministry = make_organisation("Ministry of Labour", category=Category.NATIONAL_GOVERNMENT)
    make_contact(ministry, email="a@labour.example.org")
    make_contact(ministry, email="b@labour.example.org")
    make_contact(email="elsewhere@example.org")

    _invite(secretariat_client, meeting, organisation_ids=[ministry.id])

    assert _invited_emails(meeting) == {"a@labour.example.org", "b@labour.example.org"}


def test_inviting_a_whole_category(secretariat_client):
    meeting = _meeting()
    city = make_organisation("City of Brest", category=Category.LOCAL_GOVERNMENT)
    region = make_organisation("Grodno Region", category=Category.LOCAL_GOVERNMENT)
    agency = make_organisation("UN Agency", category=Category.UN_AGENCY)
    make_contact(city, email="mayor@brest.example.org")
    make_contact(region, email="governor@grodno.example.org")
    make_contact(agency, email="head@agency.example.org")

    _invite(secretariat_client, meeting, categories=["local_government"])

    assert _invited_emails(meeting) == {"mayor@brest.example.org", "governor@grodno.example.org"}


def test_inviting_the_series_default_list(secretariat_client):
    stats = make_organisation("Statistics Office", category=Category.NATIONAL_GOVERNMENT)
    make_contact(stats, email="one@stat.example.org")
    make_contact(stats, email="two@stat.example.org")
    solo = make_contact(email="solo@example.org")
    make_contact(email="not-default@example.org")
    series = make_series("Country Network on Migration")
    series.default_contacts = [solo]
    series.default_organisations = [stats]
    db.session.commit()
    meeting = _meeting(series=series, number=4)

    _invite(secretariat_client, meeting, series_default_list="y")

    assert _invited_emails(meeting) == {
        "one@stat.example.org",
        "two@stat.example.org",
        "solo@example.org",
    }


def test_nobody_is_invited_twice_and_inactive_contacts_are_reported(secretariat_client):
    meeting = _meeting()
    org = make_organisation("Ministry of Interior", category=Category.NATIONAL_GOVERNMENT)
    first = make_contact(org, name="Already There", email="first@interior.example.org")
    make_contact(org, name="Gone Away", email="gone@interior.example.org", active=False)
    make_contact(org, name="New Person", email="new@interior.example.org")
    _invite(secretariat_client, meeting, contact_ids=[first.id])

    response = _invite(
        secretariat_client, meeting, organisation_ids=[org.id], contact_ids=[first.id]
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 contact invited." in page
    assert "Skipped: inactive contacts" in page and "Gone Away" in page
    assert "already invited" in page and "Already There" in page
    assert _invited_emails(meeting) == {"first@interior.example.org", "new@interior.example.org"}
    assert len(_messages(MessageKind.INVITATION)) == 2


def test_inviting_without_choosing_anyone_is_refused(secretariat_client):
    meeting = _meeting()
    response = _invite(secretariat_client, meeting)
    assert response.status_code == 400
    assert "Choose at least one contact" in response.get_data(as_text=True)


@pytest.mark.parametrize("status", [MeetingStatus.CANCELLED, MeetingStatus.CLOSED])
def test_a_cancelled_or_closed_meeting_takes_no_invitations(secretariat_client, status):
    meeting = _meeting(status=status)
    contact = make_contact()

    response = _invite(secretariat_client, meeting, contact_ids=[contact.id])

    assert response.status_code == 409
    assert "cannot take new invitations" in response.get_data(as_text=True)
    assert _invitations(meeting) == []
    assert secretariat_client.get(f"/meetings/{meeting.id}/invitations/new").status_code == 409


def test_inviting_many_contacts_does_not_query_per_contact(app, secretariat_client):
    org = make_organisation(category=Category.CIVIL_SOCIETY)
    small, large = _meeting(), _meeting()
    contacts = [
        {"name": f"Person {n}", "email": f"p{n}@ngo.example.org", "organisation_id": org.id}
        for n in range(110)
    ]
    from coordapp.models import Contact

    db.session.execute(sa.insert(Contact), contacts)
    db.session.commit()
    ids = list(db.session.scalars(sa.select(Contact.id).order_by(Contact.id)))

    with count_queries() as few:
        _invite(secretariat_client, small, contact_ids=ids[:10])
    with count_queries() as many:
        _invite(secretariat_client, large, contact_ids=ids[10:110])

    assert len(_invitations(large)) == 100

    def reads(counter):
        return [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]

    def invitation_inserts(counter):
        return [s for s in counter.statements if s.startswith("INSERT INTO invitations")]

    assert len(reads(many)) == len(reads(few))  # no lazy loads per contact
    assert len(invitation_inserts(many)) == 1
    assert many.count == few.count


def test_inviting_1100_contacts_takes_the_statements_inviting_10_takes(app, secretariat_client):
    """Issue #23's 10,000-contact invitation: the rows go in one INSERT each (invitations,
    outbox), not in batches of a thousand or one execution per email."""
    from coordapp.models import Contact

    def organisation_of(count: int, name: str) -> int:
        org = make_organisation(name=name, category=Category.CIVIL_SOCIETY)
        db.session.execute(
            sa.insert(Contact),
            [
                {
                    "name": f"{name} {n}",
                    "email": f"p{n}@{name}.example.org",
                    "organisation_id": org.id,
                }
                for n in range(count)
            ],
        )
        db.session.commit()
        return org.id

    small, large = _meeting(), _meeting()
    few_org, many_org = organisation_of(10, "few"), organisation_of(1100, "many")

    with count_queries() as few:
        _invite(secretariat_client, small, organisation_ids=[few_org])
    with count_queries() as many:
        response = _invite(secretariat_client, large, organisation_ids=[many_org])

    assert response.status_code == 302
    assert len(_invitations(large)) == 1100
    queued = sa.select(sa.func.count()).where(OutgoingMessage.kind == MessageKind.INVITATION)
    assert db.session.scalar(queued) == 1110
    assert many.count == few.count
    assert many.executemany == []
    # Each new invitee gets their own personal link and their own message id.
    invitations = _invitations(large)
    assert len({i.link_id for i in invitations}) == 1100
    assert all(re.fullmatch(r"[0-9a-f]{32}", i.link_id) for i in invitations)
    message_ids = db.session.scalars(sa.select(OutgoingMessage.message_id))
    assert len(set(message_ids)) == 1110


def test_members_cannot_invite_or_see_the_list(member_client):
    meeting = _meeting()
    contact = make_contact()
    assert member_client.get(f"/meetings/{meeting.id}/invitations").status_code == 403
    assert member_client.get(f"/meetings/{meeting.id}/invitations.csv").status_code == 403
    response = _invite(member_client, meeting, contact_ids=[contact.id])
    assert response.status_code == 403
    assert _invitations(meeting) == []


# --- the list ----------------------------------------------------------------------------


@pytest.fixture
def invited(app):
    """A meeting with invitees from three categories, in several states."""
    meeting = _meeting(capacity=50)
    agency = make_organisation("Migration Agency", "IOMX", Category.UN_AGENCY)
    ministry = make_organisation("Ministry of Labour", "MoL", Category.NATIONAL_GOVERNMENT)
    city = make_organisation("City of Brest", None, Category.LOCAL_GOVERNMENT)
    people = {
        "ula": make_contact(agency, name="Ula Agency"),
        "mila": make_contact(ministry, name="Mila Ministry"),
        "max": make_contact(ministry, name="Max Ministry"),
        "cyril": make_contact(city, name="Cyril City"),
        "wendy": make_contact(city, name="Wendy Withdrawn"),
    }
    service.invite_contacts(meeting, people.values(), by=None)
    db.session.commit()
    by_name = {i.contact.name.split()[0].lower(): i for i in _invitations(meeting)}
    by_name["ula"].status = InvitationStatus.ACCEPTED
    by_name["ula"].needs = "Wheelchair access"
    by_name["ula"].responded_at = datetime(2030, 1, 10, 9, 30, tzinfo=UTC)
    by_name["mila"].status = InvitationStatus.DECLINED
    by_name["mila"].comment = "On mission"
    by_name["wendy"].withdrawn_at = datetime.now(UTC)
    db.session.commit()
    return meeting, by_name


def _rows(page: str) -> str:
    marker = '<table id="invitations">'
    return page.split(marker, 1)[1] if marker in page else ""


def test_the_answered_column_names_the_zone_in_the_readers_language(secretariat_client, invited):
    meeting, _by_name = invited
    page = secretariat_client.get(
        f"/meetings/{meeting.id}/invitations", headers={"Accept-Language": "ru"}
    ).get_data(as_text=True)
    rows = _rows(page)
    assert "Минск" in rows and "Europe/Minsk" not in rows


def test_the_list_shows_answers_needs_and_counts(secretariat_client, invited):
    meeting, _by_name = invited
    response = secretariat_client.get(f"/meetings/{meeting.id}/invitations")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = _rows(page)
    for name in ("Ula Agency", "Mila Ministry", "Max Ministry", "Cyril City"):
        assert name in rows
    assert "Wendy Withdrawn" not in rows
    assert "Wheelchair access" in rows and "On mission" in rows
    assert "IOMX" in rows and "MoL" in rows
    # Answered in the meeting's zone, which the column header names once.
    assert "Answered (Europe/Minsk)" in rows
    assert "Thu 10 Jan 2030, 12:30" in rows and "12:30 (Europe/Minsk)" not in rows
    assert "queued" in rows
    # Counts per status and per category, the withdrawn apart.
    assert 'data-status="accepted"><a' in page
    counts = page.split('id="counts"', 1)[1].split("</section>", 1)[0]
    assert ">Accepted</a>: <strong>1</strong>" in counts
    assert ">Declined</a>: <strong>1</strong>" in counts
    assert ">No answer yet</a>: <strong>2</strong>" in counts
    assert ">Withdrawn</a>: <strong>1</strong>" in counts
    assert ">National government</a>: <strong>2</strong>" in counts
    assert ">Local government</a>: <strong>1</strong>" in counts
    assert ">UN agency</a>: <strong>1</strong>" in counts


def test_the_list_filters_by_status_and_category(secretariat_client, invited):
    meeting, _by_name = invited
    url = f"/meetings/{meeting.id}/invitations"

    pending = _rows(secretariat_client.get(url + "?status=pending").get_data(as_text=True))
    assert "Max Ministry" in pending and "Cyril City" in pending
    assert "Ula Agency" not in pending and "Mila Ministry" not in pending

    national = _rows(
        secretariat_client.get(url + "?category=national_government").get_data(as_text=True)
    )
    assert "Max Ministry" in national and "Mila Ministry" in national
    assert "Cyril City" not in national

    both = _rows(
        secretariat_client.get(url + "?status=pending&category=national_government").get_data(
            as_text=True
        )
    )
    assert "Max Ministry" in both and "Mila Ministry" not in both

    withdrawn = _rows(secretariat_client.get(url + "?status=withdrawn").get_data(as_text=True))
    assert "Wendy Withdrawn" in withdrawn and "Max Ministry" not in withdrawn

    assert secretariat_client.get(url + "?status=maybe").status_code == 400
    assert secretariat_client.get(url + "?category=aliens").status_code == 400


def test_the_list_shows_delegation_waiting_list_and_recorded_by(secretariat_client, invited):
    meeting, by_name = invited
    by_name["max"].status = InvitationStatus.DELEGATED
    by_name["max"].substitute = by_name["cyril"]
    by_name["cyril"].status = InvitationStatus.WAITLISTED
    by_name["cyril"].waitlisted_at = datetime.now(UTC)
    by_name["mila"].response_recorded_by_id = secretariat_client.user.id
    by_name["mila"].responded_at = datetime.now(UTC)
    db.session.commit()

    rows = _rows(
        secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    )

    assert "Delegated to Cyril City" in rows
    assert "Waiting list #1" in rows
    assert "answer recorded by Sam Secretariat" in rows


def test_the_list_shows_a_failed_delivery_with_its_reason(secretariat_client, invited):
    meeting, by_name = invited
    message = db.session.scalar(
        sa.select(OutgoingMessage).where(OutgoingMessage.invitation_id == by_name["max"].id)
    )
    message.status = MessageStatus.FAILED
    message.last_error = "550 5.1.1 No such user"
    db.session.commit()

    rows = _rows(
        secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    )

    assert "failed" in rows and "550 5.1.1 No such user" in rows


def _bulk_invitations(meeting, count: int) -> None:
    """`count` contacts across organisations of every category, invited, some answered."""
    from coordapp.models import Contact, Organisation

    categories = list(Category)
    org_ids = []
    for n, category in enumerate(categories):
        org = Organisation(name=f"Org {meeting.id}-{n}", acronym=f"O{n}", category=category)
        db.session.add(org)
        db.session.flush()
        org_ids.append(org.id)
    db.session.execute(
        sa.insert(Contact),
        [
            {
                "name": f"Bulk {meeting.id}-{n}",
                "email": f"bulk{meeting.id}-{n}@example.org",
                "organisation_id": org_ids[n % len(org_ids)],
            }
            for n in range(count)
        ],
    )
    contact_ids = db.session.scalars(
        sa.select(Contact.id).where(Contact.name.like(f"Bulk {meeting.id}-%"))
    ).all()
    statuses = [InvitationStatus.PENDING, InvitationStatus.ACCEPTED, InvitationStatus.DECLINED]
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "meeting_id": meeting.id,
                "contact_id": contact_id,
                "link_id": f"{meeting.id:08x}{n:024x}",
                "status": statuses[n % 3],
                "responded_at": datetime.now(UTC) if n % 3 else None,
            }
            for n, contact_id in enumerate(contact_ids)
        ],
    )
    invitation_ids = db.session.scalars(
        sa.select(Invitation.id).where(Invitation.meeting_id == meeting.id)
    ).all()
    db.session.execute(
        sa.insert(OutgoingMessage),
        [
            {
                "kind": MessageKind.INVITATION,
                "message_id": f"<{meeting.id}-{i}@test>",
                "to_email": "x@example.org",
                "subject": "Invitation",
                "text_body": "...",
                "meeting_id": meeting.id,
                "invitation_id": i,
                "status": MessageStatus.SENT,
            }
            for i in invitation_ids
        ],
    )
    db.session.commit()


@pytest.mark.parametrize("query", ["", "?status=accepted", "?category=un_agency"])
def test_the_list_runs_the_same_number_of_queries_for_10_or_1000_invitations(
    secretariat_client, query
):
    small, large = _meeting(), _meeting()
    _bulk_invitations(small, 10)
    _bulk_invitations(large, 1000)
    small, large = small.id, large.id  # read now: the expired objects would reload inside
    secretariat_client.get(f"/meetings/{small}/invitations")  # warm up

    with count_queries() as for_small:
        response = secretariat_client.get(f"/meetings/{small}/invitations{query}")
    assert response.status_code == 200
    with count_queries() as for_large:
        response = secretariat_client.get(f"/meetings/{large}/invitations{query}")
    assert response.status_code == 200
    assert "Bulk" in response.get_data(as_text=True)

    assert for_large.count == for_small.count, "\n\n".join(for_large.statements)
    with count_queries() as csv_small:
        secretariat_client.get(f"/meetings/{small}/invitations.csv{query}")
    with count_queries() as csv_large:
        body = secretariat_client.get(f"/meetings/{large}/invitations.csv{query}")
    assert csv_large.count == csv_small.count
    if not query:
        assert len(body.get_data(as_text=True).strip().splitlines()) == 1001


def test_the_venue_list_speaks_the_readers_language(secretariat_client, invited):
    meeting, _by_name = invited
    response = secretariat_client.get(
        f"/meetings/{meeting.id}/invitations.csv", headers={"Accept-Language": "ru"}
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Имя и фамилия", "Организация", "Категория", "Ответ", "Особые потребности"]
    assert "Учреждение ООН" in {row[2] for row in rows[1:]}


def test_the_csv_export_for_the_venue_respects_the_filters(secretariat_client, invited):
    meeting, _by_name = invited

    response = secretariat_client.get(f"/meetings/{meeting.id}/invitations.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Name", "Organisation", "Category", "Answer", "Needs"]
    assert [
        "Ula Agency",
        "Migration Agency (IOMX)",
        "UN agency",
        "Accepted",
        "Wheelchair access",
    ] in rows
    assert len(rows) == 5  # header + 4 live invitations; the withdrawn one is left out
    assert not any("Wendy" in row[0] for row in rows)

    accepted = secretariat_client.get(f"/meetings/{meeting.id}/invitations.csv?status=accepted")
    rows = list(csv.reader(io.StringIO(accepted.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == ["Ula Agency"]


def test_the_csv_export_does_not_let_a_spreadsheet_run_formulas(secretariat_client):
    meeting = _meeting()
    contact = make_contact(name='=HYPERLINK("http://evil")')
    service.invite_contacts(meeting, [contact], by=None)
    db.session.commit()

    body = secretariat_client.get(f"/meetings/{meeting.id}/invitations.csv").get_data(as_text=True)

    assert "'=HYPERLINK" in body


def test_the_meeting_page_summarises_the_invitations(secretariat_client, invited):
    meeting, _by_name = invited
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    section = page.split('<section id="invitations">', 1)[1].split("</section>", 1)[0]
    assert "Invited: <strong>4</strong>" in section
    assert "Accepted: <strong>1</strong>" in section
    assert "Withdrawn: <strong>1</strong>" in section
    assert f"/meetings/{meeting.id}/invitations" in section


def _names_in_order(page: str) -> list[str]:
    return re.findall(r'<a href="/invitations/\d+">([^<]+)</a>', _rows(page))


def test_the_list_is_sorted_by_what_it_shows_and_by_any_column(secretariat_client, invited):
    meeting, _by_name = invited
    url = f"/meetings/{meeting.id}/invitations"

    # By organisation as shown: "City of Brest" (no acronym), IOMX, MoL; then by name.
    page = secretariat_client.get(url).get_data(as_text=True)
    assert _names_in_order(page) == ["Cyril City", "Ula Agency", "Max Ministry", "Mila Ministry"]
    assert 'aria-sort="ascending"' in page

    by_name = secretariat_client.get(url + "?sort=name").get_data(as_text=True)
    assert _names_in_order(by_name) == ["Cyril City", "Max Ministry", "Mila Ministry", "Ula Agency"]
    assert f'href="{url}?sort=name&amp;dir=desc"' in by_name  # clicking again reverses
    backwards = secretariat_client.get(url + "?sort=name&dir=desc").get_data(as_text=True)
    assert _names_in_order(backwards) == list(reversed(_names_in_order(by_name)))
    assert 'aria-sort="descending"' in backwards

    # The filters stay when sorting; an unknown column falls back to the default.
    filtered = secretariat_client.get(url + "?category=national_government&sort=name")
    assert _names_in_order(filtered.get_data(as_text=True)) == ["Max Ministry", "Mila Ministry"]
    odd = secretariat_client.get(url + "?sort=nonsense")
    assert odd.status_code == 200
    assert _names_in_order(odd.get_data(as_text=True)) == _names_in_order(page)


def test_who_has_not_answered_comes_last_either_way_and_the_csv_and_filter_keep_the_order(
    secretariat_client, invited
):
    meeting, by_name = invited
    by_name["mila"].responded_at = datetime(2030, 1, 12, 8, 0, tzinfo=UTC)  # after Ula
    db.session.commit()
    url = f"/meetings/{meeting.id}/invitations"

    earliest = secretariat_client.get(url + "?sort=answered").get_data(as_text=True)
    assert _names_in_order(earliest) == [
        "Ula Agency",
        "Mila Ministry",
        "Cyril City",
        "Max Ministry",
    ]
    latest = secretariat_client.get(url + "?sort=answered&dir=desc").get_data(as_text=True)
    assert _names_in_order(latest) == ["Mila Ministry", "Ula Agency", "Cyril City", "Max Ministry"]

    # The export is the list as sorted; the filter form keeps the sort.
    assert f'href="{url}.csv?sort=answered&amp;dir=desc"' in latest
    assert '<input type="hidden" name="sort" value="answered">' in latest
    assert '<input type="hidden" name="dir" value="desc">' in latest
    csv_body = secretariat_client.get(f"{url}.csv?sort=answered&dir=desc").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_body)))
    assert [row[0] for row in rows[1:]] == _names_in_order(latest)
    by_name_desc = secretariat_client.get(f"{url}.csv?sort=name&dir=desc").get_data(as_text=True)
    names = [row[0] for row in list(csv.reader(io.StringIO(by_name_desc)))[1:]]
    assert names == ["Ula Agency", "Mila Ministry", "Max Ministry", "Cyril City"]


def test_the_list_offers_a_copy_link_button_and_a_link_without_script(secretariat_client, invited):
    meeting, by_name = invited
    invitation = by_name["max"]
    page = secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    rows = _rows(page)

    assert f'data-copy="{service.rsvp_url(invitation)}"' in rows
    assert f'href="/invitations/{invitation.id}#personal-link"' in rows
    assert 'readonly value="' not in rows  # no long, cut-off link column
    assert "onclick" not in page and "onfocus" not in rows
    assert '<script src="/static/js/copy-link.js" defer></script>' in page


# --- one invitation ----------------------------------------------------------------------


def test_the_secretariat_can_copy_a_working_personal_link(secretariat_client, invited):
    meeting, by_name = invited
    invitation = by_name["max"]

    page = secretariat_client.get(f"/invitations/{invitation.id}").get_data(as_text=True)

    link = service.rsvp_url(invitation)
    assert f'readonly value="{link}"' in page
    token = link.rsplit("/", 1)[1]
    assert link_id_from_token(token, RSVP_PURPOSE) == invitation.link_id
    assert secretariat_client.get(f"/rsvp/{token}").status_code == 200


def test_resending_queues_another_invitation_email(secretariat_client, invited):
    meeting, by_name = invited
    invitation = by_name["max"]
    before = len(_messages(MessageKind.INVITATION))

    response = secretariat_client.post(f"/invitations/{invitation.id}/resend")

    assert response.status_code == 302
    messages = [m for m in _messages(MessageKind.INVITATION) if m.invitation_id == invitation.id]
    assert len(messages) == 2
    assert len(_messages(MessageKind.INVITATION)) == before + 1
    assert service.rsvp_url(invitation) in messages[-1].text_body
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "invitations.resend")
        ).meeting_id
        == meeting.id
    )


def test_withdrawing_sets_withdrawn_at_and_the_link_stops_working(secretariat_client, invited):
    meeting, by_name = invited
    invitation = by_name["ula"]
    token = service.rsvp_token(invitation)

    response = secretariat_client.post(f"/invitations/{invitation.id}/withdraw")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).withdrawn_at is not None
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "invitations.withdraw")
    )
    assert event.meeting_id == meeting.id and event.user_id == secretariat_client.user.id
    assert secretariat_client.get(f"/rsvp/{token}").status_code == 410
    # A second withdrawal and a resend are refused, clearly.
    assert secretariat_client.post(f"/invitations/{invitation.id}/withdraw").status_code == 409
    response = secretariat_client.post(f"/invitations/{invitation.id}/resend")
    assert response.status_code == 409
    assert "This invitation was withdrawn." in response.get_data(as_text=True)


def test_withdrawing_an_accepted_invitee_moves_the_waiting_list_up(secretariat_client):
    meeting = _meeting(capacity=1)
    seated, waiting = make_contact(name="Seated"), make_contact(name="Waiting")
    service.invite_contacts(meeting, [seated, waiting], by=None)
    db.session.commit()
    first, second = sorted(_invitations(meeting), key=lambda i: i.contact.name != "Seated")
    first.status = InvitationStatus.ACCEPTED
    second.status = InvitationStatus.WAITLISTED
    second.waitlisted_at = datetime.now(UTC)
    db.session.commit()

    secretariat_client.post(f"/invitations/{first.id}/withdraw")

    db.session.expire_all()
    assert db.session.get(Invitation, second.id).status is InvitationStatus.ACCEPTED


def test_an_answer_recorded_on_behalf_is_marked_as_such(secretariat_client, invited):
    meeting, by_name = invited
    invitation = by_name["max"]

    response = secretariat_client.post(
        f"/invitations/{invitation.id}/answer",
        data={"status": "accepted", "needs": "Vegetarian meal", "comment": "Said by phone"},
    )

    assert response.status_code == 302
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.needs == "Vegetarian meal"
    assert invitation.response_recorded_by_id == secretariat_client.user.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "invitations.answer_on_behalf")
    )
    assert event is not None
    assert event.meeting_id == meeting.id and event.user_id == secretariat_client.user.id
    assert event.object_id == invitation.id
    rows = _rows(
        secretariat_client.get(f"/meetings/{meeting.id}/invitations").get_data(as_text=True)
    )
    assert "answer recorded by Sam Secretariat" in rows and "Vegetarian meal" in rows


def test_an_answer_on_behalf_with_a_bad_status_is_refused(secretariat_client, invited):
    _meeting_, by_name = invited
    invitation = by_name["max"]
    response = secretariat_client.post(
        f"/invitations/{invitation.id}/answer", data={"status": "delegated"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status is InvitationStatus.PENDING


def test_a_missing_invitation_is_a_404(secretariat_client):
    assert secretariat_client.get("/invitations/999999").status_code == 404
    assert secretariat_client.post("/invitations/999999/resend").status_code == 404
    assert secretariat_client.get("/meetings/999999/invitations").status_code == 404


def test_members_cannot_act_on_invitations(member_client):
    meeting = _meeting()
    service.invite_contacts(meeting, [make_contact()], by=None)
    db.session.commit()
    invitation = _invitations(meeting)[0]
    assert member_client.get(f"/invitations/{invitation.id}").status_code == 403
    assert member_client.post(f"/invitations/{invitation.id}/withdraw").status_code == 403
    assert member_client.post(f"/meetings/{meeting.id}/invitations/remind").status_code == 403
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).withdrawn_at is None


# --- the meeting form's reminder setting -------------------------------------------------


def test_the_meeting_form_sets_the_reminder_days(secretariat_client):
    meeting = _meeting()
    page = secretariat_client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "Remind pending invitees N days before the RSVP deadline" in page
    assert 'name="reminder_days"' in page and 'value="3"' in page

    data = {
        "title": meeting.title,
        "series_id": "0",
        "kind": "regular",
        "timezone": meeting.timezone,
        "starts_at": (meeting.starts_at.astimezone(meeting.tz)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (meeting.ends_at.astimezone(meeting.tz)).strftime("%Y-%m-%dT%H:%M"),
        "rsvp_deadline": meeting.rsvp_deadline.astimezone(meeting.tz).strftime("%Y-%m-%dT%H:%M"),
        "venue": meeting.venue,
        "language": "en",
        "reminder_days": "5",
    }
    response = secretariat_client.post(f"/meetings/{meeting.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(meeting), meeting.id).reminder_days == 5

    data["reminder_days"] = "-1"
    response = secretariat_client.post(f"/meetings/{meeting.id}/edit", data=data)
    assert response.status_code == 400
    assert "Enter a number of days from 0 to 60." in response.get_data(as_text=True)


def test_the_invite_form_is_a_checklist_that_works_without_script(secretariat_client):
    meeting = _meeting()
    org = make_organisation("Migration Agency", "IOMX", Category.UN_AGENCY)
    anna = make_contact(org, name="Anna Agency")
    page = secretariat_client.get(f"/meetings/{meeting.id}/invitations/new").get_data(as_text=True)
    # Checkboxes in a labelled group (no 4-row multi-select); the search box is hidden
    # until static/js/checklist.js shows it.
    assert "<select" not in page and "Ctrl" not in page
    assert re.search(r"<fieldset[^>]*data-checklist[^>]*>\s*<legend>Contacts</legend>", page)
    assert f'type="checkbox" value="{anna.id}"' in page or f'value="{anna.id}" type' in page
    assert '<div class="checklist-tools" hidden>' in page
    assert '<script src="/static/js/checklist.js" defer></script>' in page

    _invite(secretariat_client, meeting, contact_ids=[anna.id])
    assert _invited_emails(meeting) == {anna.email}
