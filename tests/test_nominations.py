"""Organisations asked to nominate: the focal point's email and link, nominating (a
contact reused by email, never duplicated), places never exceeded, withdraw / replace
and their emails, the deadline, the secretariat's overview and reminders."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest

from coordapp.extensions import db
from coordapp.links import make_token, nomination_token
from coordapp.models import (
    AttendanceMode,
    Category,
    Contact,
    Invitation,
    InvitationStatus,
    MessageKind,
    NominationRequest,
    OutgoingMessage,
    Role,
    utcnow,
)
from coordapp.nominations import service
from coordapp.nominations.service import Nominee
from tests.factories import make_contact, make_meeting, make_organisation, make_user
from tests.outbox import written

STARTS = datetime(2030, 3, 7, 7, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


def meeting(**kwargs):
    kwargs.setdefault("venue", "UN House, Minsk")
    return make_meeting(
        title="Fourth extended meeting",
        starts_at=STARTS,
        rsvp_deadline=STARTS - timedelta(days=7),
        **kwargs,
    )


def ministry(**kwargs):
    kwargs.setdefault("name", "Ministry of Internal Affairs")
    return make_organisation(kwargs.pop("name"), "MVD", Category.NATIONAL_GOVERNMENT, **kwargs)


def ask(the_meeting, organisations, **kwargs):
    result = service.ask_to_nominate(the_meeting, organisations, by=make_user(), **kwargs)
    db.session.commit()
    return result


def mails(kind: MessageKind, to: str | None = None) -> list[OutgoingMessage]:
    query = db.select(OutgoingMessage).where(OutgoingMessage.kind == kind)
    if to:
        query = query.where(OutgoingMessage.to_email == to)
    return [written(m) for m in db.session.scalars(query.order_by(OutgoingMessage.id))]


def person(name="Pavel Migration", email="pavel@mvd.example", **kwargs) -> Nominee:
    return Nominee(name=name, email=email, position="Head of Department", **kwargs)


def url(nomination, suffix=""):
    return f"/nominate/{nomination_token(nomination)}{suffix}"


# --- asking -------------------------------------------------------------------------------


def test_the_focal_point_gets_a_nomination_link_in_the_organisations_language(app):
    the_meeting = meeting()
    organisation = ministry(language="ru")
    make_contact(organisation, "Someone Else", "else@mvd.example")
    point = make_contact(organisation, "Olga Focal", "olga@mvd.example", focal_point=True)

    result = ask(the_meeting, [organisation])

    (nomination,) = result.asked
    assert nomination.places == 2 and nomination.focal_point_id == point.id
    assert nomination.deadline == the_meeting.rsvp_deadline  # the default
    (mail,) = mails(MessageKind.INVITATION, "olga@mvd.example")
    assert url(nomination) in mail.text_body
    assert "Ministry of Internal Affairs" in mail.text_body
    assert mail.subject.startswith("Просим выдвинуть делегатов")


def test_without_a_focal_point_the_general_address_and_without_either_the_secretariat_is_told(
    app,
):
    the_meeting = meeting()
    with_address = ministry(
        name="National Statistical Committee", general_email="info@stat.example"
    )
    silent = make_organisation(
        "Grodno Regional Executive Committee", None, Category.LOCAL_GOVERNMENT
    )

    result = ask(the_meeting, [with_address, silent], places=3, overrides={silent.id: 1})

    assert [o.name for o in result.unreachable] == ["Grodno Regional Executive Committee"]
    assert mails(MessageKind.INVITATION, "info@stat.example")
    places = {r.organisation_id: r.places for r in result.asked}
    assert places == {with_address.id: 3, silent.id: 1}
    # Asking again asks no one twice.
    again = ask(the_meeting, [with_address])
    assert not again.asked and again.already_asked == [with_address]


def test_organisations_are_chosen_by_category(app):
    ministry()
    local = make_organisation("Brest Regional Executive Committee", None, Category.LOCAL_GOVERNMENT)
    chosen = service.organisations_to_ask(categories=[Category.LOCAL_GOVERNMENT])
    assert chosen == [local]


# --- nominating ---------------------------------------------------------------------------


def nomination_for(the_meeting=None, places=2, **kwargs) -> NominationRequest:
    organisation = kwargs.pop("organisation", None) or ministry()
    make_contact(organisation, "Olga Focal", "olga@mvd.example", focal_point=True)
    return ask(the_meeting or meeting(), [organisation], places=places, **kwargs).asked[0]


def test_a_nominee_becomes_a_contact_and_gets_a_normal_invitation(app):
    nomination = nomination_for()
    invitation = service.nominate(nomination, person(language="be", needs="Wheelchair"))
    db.session.commit()

    contact = invitation.contact
    assert contact.organisation_id == nomination.organisation_id
    assert contact.language == "be" and contact.position == "Head of Department"
    assert invitation.nomination_id == nomination.id and invitation.needs == "Wheelchair"
    (mail,) = mails(MessageKind.INVITATION, "pavel@mvd.example")
    assert "/rsvp/" in mail.text_body and mail.ics_method == "REQUEST"


def test_a_nominee_already_in_the_directory_is_reused_not_duplicated(app):
    nomination = nomination_for()
    existing = make_contact(
        db.session.get(NominationRequest, nomination.id).organisation,
        "Pavel Migration",
        "pavel@mvd.example",
    )
    invitation = service.nominate(nomination, person(email="  PAVEL@mvd.example "))
    db.session.commit()
    assert invitation.contact_id == existing.id
    count = db.session.scalar(
        db.select(db.func.count(Contact.id)).where(Contact.email == "pavel@mvd.example")
    )
    assert count == 1


def test_someone_of_another_organisation_cannot_be_nominated(app):
    nomination = nomination_for()
    make_contact(make_organisation("UNDP"), "Anna Koval", "anna@undp.example")
    with pytest.raises(service.NominationError):
        service.nominate(nomination, person(email="anna@undp.example"))


def test_places_are_never_exceeded(app):
    nomination = nomination_for(places=1)
    service.nominate(nomination, person())
    db.session.commit()
    with pytest.raises(service.NoPlacesLeft):
        service.nominate(nomination, person("Second", "second@mvd.example"))
    db.session.rollback()
    assert service.places_left(nomination) == 0


def test_withdraw_sends_the_cancellation_and_frees_the_place(app):
    nomination = nomination_for(places=1)
    invitation = service.nominate(nomination, person())
    db.session.commit()

    service.withdraw(nomination, invitation.id)
    db.session.commit()

    assert db.session.get(Invitation, invitation.id).is_withdrawn
    (cancel,) = mails(MessageKind.CANCELLATION, "pavel@mvd.example")
    assert cancel.ics_method == "CANCEL"
    assert "withdrawn your nomination" in cancel.text_body
    assert service.places_left(nomination) == 1


def test_replace_withdraws_one_and_invites_the_other(app):
    nomination = nomination_for(places=1)
    first = service.nominate(nomination, person())
    db.session.commit()

    second = service.replace(nomination, first.id, person("Irina Deputy", "irina@mvd.example"))
    db.session.commit()

    assert mails(MessageKind.CANCELLATION, "pavel@mvd.example")
    assert mails(MessageKind.INVITATION, "irina@mvd.example")
    assert [i.id for i in service.nominees(nomination)] == [second.id]


def test_after_the_deadline_nothing_changes(app):
    nomination = nomination_for(deadline=utcnow() + timedelta(seconds=1))
    invitation = service.nominate(nomination, person())
    db.session.commit()
    nomination.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(service.NominationsClosed):
        service.nominate(nomination, person("Late", "late@mvd.example"))
    with pytest.raises(service.NominationsClosed):
        service.withdraw(nomination, invitation.id)


def test_a_hybrid_meetings_nominee_is_asked_in_person_or_online(app):
    nomination = nomination_for(meeting(online_url="https://meet.example.org/x"))
    with pytest.raises(service.NominationError):
        service.nominate(nomination, person())
    db.session.rollback()
    invitation = service.nominate(nomination, person(mode=AttendanceMode.ONLINE))
    assert invitation.attendance_mode is AttendanceMode.ONLINE


# --- the secretariat's overview -----------------------------------------------------------


def test_overview_counts_per_organisation_and_reminds_only_the_silent(app):
    the_meeting = meeting()
    busy = ministry()
    make_contact(busy, "Olga Focal", "olga@mvd.example", focal_point=True)
    quiet = make_organisation("Minsk City Executive Committee", None, Category.LOCAL_GOVERNMENT)
    make_contact(quiet, "Quiet Focal", "quiet@city.example", focal_point=True)
    asked = {r.organisation_id: r for r in ask(the_meeting, [busy, quiet]).asked}
    invitation = service.nominate(asked[busy.id], person())
    invitation.status = InvitationStatus.ACCEPTED
    db.session.commit()

    rows = {row.request.organisation_id: row for row in service.overview(the_meeting)}
    assert (rows[busy.id].nominated, rows[busy.id].accepted) == (1, 1)
    assert rows[quiet.id].none_yet

    assert service.remind_silent(the_meeting, by=None) == 1
    db.session.commit()
    assert mails(MessageKind.REMINDER, "quiet@city.example")
    assert not mails(MessageKind.REMINDER, "olga@mvd.example")


# --- the pages ----------------------------------------------------------------------------


def test_the_nomination_page_shows_places_left_and_nominates(client):
    nomination = nomination_for()
    page = client.get(url(nomination)).get_data(as_text=True)
    assert "2 places left of 2." in page
    assert "Fourth extended meeting" in page

    response = client.post(
        url(nomination),
        data={"name": "Pavel Migration", "email": "pavel@mvd.example", "language": "ru"},
    )
    assert response.status_code == 303
    page = client.get(url(nomination)).get_data(as_text=True)
    assert "1 place left of 2." in page and "Pavel Migration" in page


def test_the_focal_point_can_nominate_themselves(client):
    nomination = nomination_for()
    response = client.post(url(nomination, "/self"), data={})
    assert response.status_code == 303
    (invitation,) = service.nominees(nomination)
    assert invitation.contact.email == "olga@mvd.example"


def test_bad_input_is_a_clear_400(client):
    nomination = nomination_for()
    response = client.post(url(nomination), data={"name": "", "email": "not an email"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.get_data(as_text=True)


def test_a_wrong_or_forged_link_is_404(client):
    nomination = nomination_for()
    forged = make_token(nomination.link_id, "rsvp")  # right id, wrong purpose
    assert client.get(f"/nominate/{forged}").status_code == 404
    assert client.get("/nominate/<script>").status_code == 404


def test_after_the_deadline_the_page_is_read_only_and_says_whom_to_contact(client):
    nomination = nomination_for()
    nomination.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(url(nomination)).get_data(as_text=True)
    assert "The deadline for nominations has passed." in page
    assert "Please contact the secretariat." in page
    assert 'name="email"' not in page
    response = client.post(url(nomination), data={"name": "X", "email": "x@mvd.example"})
    assert response.status_code == 409


def test_the_nomination_requests_page_lists_each_organisation_asked(secretariat_client):
    the_meeting = meeting()
    nomination = nomination_for(the_meeting)
    service.nominate(nomination, person())
    db.session.commit()
    page = secretariat_client.get(f"/meetings/{the_meeting.id}/nominations").get_data(as_text=True)
    assert "Ministry of Internal Affairs" in page
    assert 'data-count="nominated">1<' in page


def test_the_secretariat_asks_by_category_through_the_form(secretariat_client, tmp_path):
    """Also this module's ONE rendered letter: in Russian (Belarusian: test_letters.py)."""
    the_meeting = meeting()
    local = make_organisation(
        "Витебский областной исполнительный комитет",
        None,
        Category.LOCAL_GOVERNMENT,
        language="ru",
        head_name="Пётр Петрович Председателев",
        head_title="Председатель облисполкома",
    )
    make_contact(local, "Vera Focal", "vera@vitebsk.example", focal_point=True)
    response = secretariat_client.post(
        f"/meetings/{the_meeting.id}/nominations/new",
        data={"categories": ["local_government"], "places": "3", "deadline": ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (nomination,) = db.session.scalars(
        db.select(NominationRequest).where(NominationRequest.meeting_id == the_meeting.id)
    )
    assert nomination.places == 3 and nomination.sent_to == "vera@vitebsk.example"

    # The worker rendered the letter (jobs run inline in tests), in Russian.
    download = secretariat_client.get(
        f"/meetings/{the_meeting.id}/nominations/{nomination.id}/letter.pdf"
    )
    assert download.status_code == 200
    path = tmp_path / "letter.pdf"
    path.write_bytes(download.data)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    text = " ".join(text.split())
    assert "Председатель облисполкома" in text and "Пётр Петрович Председателев" in text
    assert "От имени председателей имеем честь" in text
    assert "Официальное письмо" in text and "Official letter" not in text


# --- two tabs at once ---------------------------------------------------------------------


@pytest.mark.commits  # threads, each on its own connection
def test_two_tabs_nominating_at_once_never_exceed_the_places(app):
    nomination = nomination_for(places=1)
    nomination_id = nomination.id
    db.session.close()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def nominate(n: int) -> None:
        with app.app_context(), app.test_request_context():
            try:
                request = db.session.get(NominationRequest, nomination_id)
                db.session.commit()
                barrier.wait(timeout=30)
                service.nominate(request, person(f"Tab {n}", f"tab{n}@mvd.example"))
                db.session.commit()
                outcomes.append("nominated")
            except service.NoPlacesLeft:
                db.session.rollback()
                outcomes.append("full")
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                db.session.rollback()
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=nominate, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["full", "nominated"]
    live = db.session.scalar(
        db.select(db.func.count(Invitation.id)).where(
            Invitation.nomination_id == nomination_id, Invitation.withdrawn_at.is_(None)
        )
    )
    assert live == 1


def test_typed_names_render_inert_on_the_nomination_pages(client, app):
    from tests.conftest import login_as
    from tests.test_xss import assert_inert, payload

    the_meeting = meeting()
    organisation = ministry(name=payload("org-name"))
    make_contact(organisation, payload("focal-name"), "olga@mvd.example", focal_point=True)
    nomination = ask(the_meeting, [organisation]).asked[0]
    service.nominate(nomination, person(name=payload("nominee-name")))
    db.session.commit()

    page = client.get(url(nomination))
    assert page.status_code == 200
    assert_inert(
        page.get_data(as_text=True),
        showing=("org-name", "nominee-name", "focal-name"),
        where="nomination page",
    )
    login_as(client, make_user(role=Role.SECRETARIAT))
    overview = client.get(f"/meetings/{the_meeting.id}/nominations")
    assert_inert(
        overview.get_data(as_text=True),
        showing=("org-name", "focal-name"),
        where="nominations overview",
    )
    # The invitations page, grouped by organisation, shows the organisation's name too.
    grouped = client.get(f"/meetings/{the_meeting.id}/invitations")
    assert 'id="by-organisation"' in grouped.get_data(as_text=True)
    assert_inert(
        grouped.get_data(as_text=True),
        showing=("org-name", "nominee-name"),
        where="invitations by organisation",
    )


def test_the_directory_marks_focal_points_and_heads_of_organisation(secretariat_client):
    organisation = ministry()
    contact = make_contact(organisation, "Olga Focal", "olga@mvd.example")
    response = secretariat_client.post(
        f"/directory/contacts/{contact.id}/edit",
        data={
            "name": "Olga Focal",
            "email": "olga@mvd.example",
            "language": "ru",
            "organisation_id": str(organisation.id),
            "focal_point": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = secretariat_client.post(
        f"/directory/organisations/{organisation.id}/edit",
        data={
            "name": organisation.name,
            "category": "national_government",
            "parent_id": "0",
            "general_email": "Info@MVD.example",
            "head_name": "Ivan Ministrov",
            "head_title": "Minister of Internal Affairs",
            "language": "be",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).focal_point
    organisation = db.session.get(type(organisation), organisation.id)
    assert (organisation.head_name, organisation.head_title, organisation.language) == (
        "Ivan Ministrov",
        "Minister of Internal Affairs",
        "be",
    )
    assert organisation.general_email == "info@mvd.example"
