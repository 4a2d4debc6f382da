"""The scheduling poll's pages: the secretariat's (create, slots, whom to ask, key
organisations, reminders) and the participant's answer page behind the personal link,
with the poll's emails delivered through a real SMTP server."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.links import make_token, poll_token
from coordapp.models import (
    AuditEvent,
    Category,
    MeetingStatus,
    MessageKind,
    OutgoingMessage,
    Poll,
    PollAnswer,
    PollChoice,
    PollRespondent,
    PollSlot,
    PollStatus,
    PollVisibility,
    Role,
    User,
    utcnow,
)
from coordapp.models.invitation import new_link_id
from coordapp.polls import service
from coordapp.polls.notifications import queue_poll_result
from coordapp.polls.reminders import send_due_poll_reminders
from tests.factories import make_contact, make_meeting, make_organisation, make_user
from tests.outbox import written
from tests.smtp import body_text

SOON = date.today() + timedelta(days=20)
YES, MAYBE, NO = PollChoice.YES, PollChoice.IF_NEED_BE, PollChoice.NO


def _meeting(**kwargs):
    kwargs.setdefault("status", MeetingStatus.DRAFT)
    kwargs.setdefault("title", "Fifth coordination meeting")
    return make_meeting(**kwargs)


def _poll(meeting=None, *, slots=2, visibility=PollVisibility.COUNTS, days=7, reminder=2):
    meeting = meeting or _meeting()
    secretariat = make_user(Role.SECRETARIAT)
    poll = service.create_poll(
        meeting,
        message="Which date suits you?",
        deadline=utcnow() + timedelta(days=days),
        visibility=visibility,
        reminder_days_before=reminder,
        by=secretariat,
    )
    for n in range(slots):
        service.add_slot(poll, day=SOON, start=time(9 + 3 * n), end=time(11 + 3 * n), by=None)
    db.session.commit()
    return poll


def _ask(poll, *contacts):
    result = service.ask_people(poll, contacts, by=None)
    db.session.commit()
    return result.asked


def _url(respondent) -> str:
    return f"/poll/{poll_token(respondent)}"


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def _answers(respondent_id) -> dict[int, PollChoice]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(PollAnswer.slot_id, PollAnswer.choice).where(
                PollAnswer.respondent_id == respondent_id
            )
        ).all()
    )


def _outbox(writer_name: str) -> list[OutgoingMessage]:
    return list(
        db.session.scalars(
            sa.select(OutgoingMessage)
            .where(OutgoingMessage.writer == writer_name)
            .order_by(OutgoingMessage.id)
        )
    )


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


# --- the secretariat's pages ---------------------------------------------------------------


def test_the_secretariat_creates_a_poll_and_the_chairs_are_asked(secretariat_client):
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Clara Chair")
    meeting = _meeting(chairs=[(chair, "Co-chair")])
    page = secretariat_client.get(f"/meetings/{meeting.id}")
    assert "Find a date with a poll" in page.get_data(as_text=True)
    assert secretariat_client.get(f"/meetings/{meeting.id}/poll/new").status_code == 200

    deadline = datetime.now(UTC) + timedelta(days=10)
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/poll/new",
        data={
            "message": "Please tell us which date works.",
            "deadline": _local(deadline),
            "visibility": "names",
            "reminder_days_before": "3",
            "ask_chairs": "y",
        },
    )
    assert response.status_code == 302
    poll = db.session.scalar(sa.select(Poll).where(Poll.meeting_id == meeting.id))
    assert poll.visibility is PollVisibility.NAMES and poll.reminder_days_before == 3
    # The deadline was typed on the meeting's wall clock (Minsk, UTC+3).
    assert poll.deadline == (
        deadline.replace(second=0, microsecond=0, tzinfo=None).replace(tzinfo=meeting.tz)
    ).astimezone(UTC)
    [chair_asked] = poll.respondents
    assert chair_asked.user_id == chair.id
    # No date yet: the chair's email waits for the first one (it would list no date).
    assert _outbox("poll_invitation") == []
    added = secretariat_client.post(
        f"/meetings/{meeting.id}/poll/slots",
        data={"day": SOON.isoformat(), "start": "10:00", "end": "12:00"},
        follow_redirects=True,
    )
    assert "The poll&#39;s email is on its way to the 1 person asked." in added.get_data(
        as_text=True
    )
    [email] = _outbox("poll_invitation")
    assert email.to_email == "chair@example.org"
    assert "10:00 – 12:00 (Europe/Minsk)" in written(email).text_body
    secretariat_client.post(
        f"/meetings/{meeting.id}/poll/slots",
        data={"day": SOON.isoformat(), "start": "14:00", "end": "16:00"},
    )
    assert len(_outbox("poll_invitation")) == 1  # once, at the first date
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "polls.create"))
    page = secretariat_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Open the poll" in page and "0 of 1 people asked have answered" in page
    # Creating again leads to the poll.
    again = secretariat_client.get(f"/meetings/{meeting.id}/poll/new")
    assert again.status_code == 302 and again.headers["Location"].endswith("/poll")


def test_the_poll_page_links_its_results(secretariat_client):
    poll = _poll()
    page = secretariat_client.get(f"/meetings/{poll.meeting_id}/poll").get_data(as_text=True)
    results = f'href="/meetings/{poll.meeting_id}/poll/results"'
    assert results in page
    assert secretariat_client.get(f"/meetings/{poll.meeting_id}/poll/results").status_code == 200


@pytest.mark.parametrize(
    "data, message",
    [
        ({"deadline": ""}, "Enter the date and time answers are due."),
        ({"deadline": "tomorrow"}, "Enter the date and time answers are due."),
        ({"deadline": "2001-01-01T10:00"}, "The poll&#39;s deadline must be in the future."),
        ({"reminder_days_before": "-1"}, "Enter a number of days from 0 to 60."),
        ({"reminder_days_before": "99999999999"}, "The number is too large."),
        ({"visibility": "everything"}, "Not a valid choice"),
        ({"message": "x" * 5001}, "Field cannot be longer than 5000 characters."),
    ],
)
def test_a_wrong_poll_form_is_refused_with_a_message(secretariat_client, data, message):
    meeting = _meeting()
    form = {"deadline": _local(datetime.now() + timedelta(days=9)), "visibility": "counts"}
    form.update(data)
    response = secretariat_client.post(f"/meetings/{meeting.id}/poll/new", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Poll.id))) == 0


def test_a_scheduled_meeting_gets_no_poll(secretariat_client):
    meeting = _meeting(status=MeetingStatus.SCHEDULED)
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/poll/new",
        data={"deadline": _local(datetime.now() + timedelta(days=9)), "visibility": "counts"},
    )
    assert response.status_code == 409
    assert "only be polled for a draft meeting" in response.get_data(as_text=True)


def test_slots_are_added_changed_and_removed_with_clear_refusals(secretariat_client):
    poll = _poll(slots=0)
    meeting_id = poll.meeting_id
    url = f"/meetings/{meeting_id}/poll/slots"
    ok = secretariat_client.post(
        url, data={"day": SOON.isoformat(), "start": "10:00", "end": "12:00"}
    )
    assert ok.status_code == 302
    [slot] = _fresh(Poll, poll.id).slots
    assert slot.starts_at == datetime.combine(SOON, time(7), UTC)  # 10:00 in Minsk
    page = secretariat_client.get(f"/meetings/{meeting_id}/poll").get_data(as_text=True)
    assert "Candidate dates" in page and "10:00" in page and "12:00" in page

    for data, message in [
        (
            {"day": SOON.isoformat(), "start": "12:00", "end": "10:00"},
            "A slot must end after it starts.",
        ),
        ({"day": "2001-01-01", "start": "10:00", "end": "12:00"}, "A slot cannot be in the past."),
        (
            {"day": SOON.isoformat(), "start": "10:00", "end": "12:00"},
            "already has a slot at that time",
        ),
        ({"day": "", "start": "10:00", "end": "12:00"}, "Enter a date."),
        ({"day": SOON.isoformat(), "start": "25:99", "end": "12:00"}, "Enter a start time."),
    ]:
        response = secretariat_client.post(url, data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert len(_fresh(Poll, poll.id).slots) == 1

    # Moving a slot warns first, then clears the answers given for the old time.
    (person,) = _ask(poll, make_contact())
    service.answer(person, {slot.id: YES}, None)
    db.session.commit()
    form = secretariat_client.get(f"/poll-slots/{slot.id}/edit").get_data(as_text=True)
    assert "1 answer was given for this time" in form
    moved = secretariat_client.post(
        f"/poll-slots/{slot.id}/edit",
        data={"day": SOON.isoformat(), "start": "14:00", "end": "16:00"},
    )
    assert moved.status_code == 302
    assert _answers(person.id) == {}
    follow = secretariat_client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "answers given for its old time were removed" in follow
    assert _fresh(PollSlot, slot.id).starts_at == datetime.combine(SOON, time(11), UTC)
    bad = secretariat_client.post(
        f"/poll-slots/{slot.id}/edit",
        data={"day": SOON.isoformat(), "start": "16:00", "end": "14:00"},
    )
    assert bad.status_code == 400 and "must end after it starts" in bad.get_data(as_text=True)

    removed = secretariat_client.post(f"/poll-slots/{slot.id}/remove")
    assert removed.status_code == 302
    assert _fresh(Poll, poll.id).slots == []
    assert secretariat_client.post(f"/poll-slots/{slot.id}/remove").status_code == 404
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"polls.slot_add", "polls.slot_change", "polls.slot_remove"} <= actions
    change = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "polls.slot_change")
    )
    assert change.changes["answers_cleared"] == 1


def test_slots_cannot_change_once_the_date_is_chosen(secretariat_client):
    poll = _poll()
    slot = poll.slots[0]
    poll.status, poll.chosen_slot_id = PollStatus.CLOSED, slot.id
    db.session.commit()
    response = secretariat_client.post(f"/poll-slots/{slot.id}/remove")
    assert response.status_code == 409
    assert "the date has been chosen" in response.get_data(as_text=True)
    assert len(_fresh(Poll, poll.id).slots) == 2


def test_people_are_asked_as_invitees_are_chosen_and_get_the_email(secretariat_client, smtp_server):
    from coordapp.mail.delivery import deliver_due_messages

    ministry = make_organisation("Ministry of Labour", category=Category.NATIONAL_GOVERNMENT)
    make_contact(ministry, name="Olga Ivanova", email="olga@example.org", language="ru")
    make_contact(ministry, name="Ivan Petrov", email="ivan@example.org")
    make_contact(ministry, name="Gone Away", active=False)
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Clara Chair")
    # The chair is also in the directory, with the same email: asked once, as chair.
    make_contact(ministry, name="Clara Chair", email="chair@example.org")
    poll = _poll(_meeting(chairs=[(chair, "Co-chair")]))
    url = f"/meetings/{poll.meeting_id}/poll/ask"

    page = secretariat_client.get(url).get_data(as_text=True)
    assert "Ministry of Labour" in page and "Olga Ivanova" in page
    empty = secretariat_client.post(url, data={})
    assert empty.status_code == 400
    assert "Choose at least one contact" in empty.get_data(as_text=True)

    response = secretariat_client.post(
        url, data={"organisation_ids": [str(ministry.id)], "chairs": "y"}
    )
    assert response.status_code == 200  # the page naming who was skipped
    text = response.get_data(as_text=True)
    assert "Gone Away" in text and "asked as a chair" in text
    people = _fresh(Poll, poll.id).respondents
    assert sorted(p.email for p in people) == [
        "chair@example.org",
        "ivan@example.org",
        "olga@example.org",
    ]
    assert len(_outbox("poll_invitation")) == 3

    deliver_due_messages()
    [message] = smtp_server.to("olga@example.org")
    text = body_text(message)
    assert "Fifth coordination meeting" in text and "Which date suits you?" in text
    assert "Уважаемый" in text or "Здравствуйте" in text or "Olga Ivanova" in text
    link = re.search(r"http\S+/poll/\S+", text).group(0)
    anonymous = secretariat_client.application.test_client()
    page = anonymous.get(urlsplit(link).path)
    assert page.status_code == 200
    assert 'lang="ru"' in page.get_data(as_text=True)
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_people_asked_before_any_date_get_the_email_with_the_first_date(secretariat_client):
    contact = make_contact(name="Ivan Petrov", email="ivan@example.org")
    poll = _poll(slots=0)
    asked = secretariat_client.post(
        f"/meetings/{poll.meeting_id}/poll/ask",
        data={"contact_ids": [str(contact.id)]},
        follow_redirects=True,
    )
    text = asked.get_data(as_text=True)
    assert "1 person asked; the poll&#39;s email goes out when you add the first date." in text
    assert _outbox("poll_invitation") == []

    secretariat_client.post(
        f"/meetings/{poll.meeting_id}/poll/slots",
        data={"day": SOON.isoformat(), "start": "09:00", "end": "11:00"},
    )
    [email] = _outbox("poll_invitation")
    assert email.to_email == "ivan@example.org"
    assert "09:00 – 11:00 (Europe/Minsk)" in written(email).text_body


def test_the_poll_email_goes_to_each_person_once_whatever_dates_come_and_go(secretariat_client):
    first, second = (
        make_contact(email="first@example.org"),
        make_contact(email="second@example.org"),
    )
    poll = _poll(slots=0)
    meeting_id = poll.meeting_id
    secretariat_client.post(
        f"/meetings/{meeting_id}/poll/ask", data={"contact_ids": [str(first.id)]}
    )
    first_date = secretariat_client.post(
        f"/meetings/{meeting_id}/poll/slots",
        data={"day": SOON.isoformat(), "start": "09:00", "end": "11:00"},
        follow_redirects=True,
    )
    assert "on its way to the 1 person asked" in first_date.get_data(as_text=True)
    assert [m.to_email for m in _outbox("poll_invitation")] == ["first@example.org"]

    # Every date removed, then one added again: nobody is asked a second time.
    for slot in list(_fresh(Poll, poll.id).slots):
        removed = secretariat_client.post(f"/poll-slots/{slot.id}/remove", follow_redirects=True)
        assert removed.status_code == 200
    again = secretariat_client.post(
        f"/meetings/{meeting_id}/poll/slots",
        data={"day": SOON.isoformat(), "start": "14:00", "end": "16:00"},
        follow_redirects=True,
    )
    assert "on its way" not in again.get_data(as_text=True)
    assert len(_outbox("poll_invitation")) == 1

    # Someone asked while the poll has a date gets it at once, and only they do.
    asked = secretariat_client.post(
        f"/meetings/{meeting_id}/poll/ask",
        data={"contact_ids": [str(first.id), str(second.id)]},
        follow_redirects=True,
    )
    assert asked.status_code == 200
    assert [m.to_email for m in _outbox("poll_invitation")] == [
        "first@example.org",
        "second@example.org",
    ]


def test_key_organisations_are_saved_and_a_wrong_one_refused(secretariat_client):
    poll = _poll()
    un = make_organisation("UNDP")
    url = f"/meetings/{poll.meeting_id}/poll/key-organisations"
    assert secretariat_client.post(url, data={"organisation_ids": [str(un.id)]}).status_code == 302
    assert [k.organisation_id for k in _fresh(Poll, poll.id).key_organisations] == [un.id]
    bad = secretariat_client.post(url, data={"organisation_ids": ["999999"]})
    assert bad.status_code == 400
    assert "does not exist" in bad.get_data(as_text=True)
    assert secretariat_client.post(url, data={"organisation_ids": ["x"]}).status_code == 400
    assert [k.organisation_id for k in _fresh(Poll, poll.id).key_organisations] == [un.id]


# --- reminders -----------------------------------------------------------------------------


def test_the_remind_button_reaches_only_those_who_have_not_answered(secretariat_client):
    poll = _poll()
    answered, waiting = _ask(poll, make_contact(), make_contact(email="late@example.org"))
    service.answer(answered, {poll.slots[0].id: YES}, None)
    db.session.commit()
    response = secretariat_client.post(f"/meetings/{poll.meeting_id}/poll/remind")
    assert response.status_code == 302
    [reminder] = _outbox("poll_reminder")
    assert reminder.to_email == "late@example.org" and reminder.kind is MessageKind.REMINDER
    assert "which date suits you" in written(reminder).subject
    assert _fresh(PollRespondent, waiting.id).reminders_sent == 1
    page = secretariat_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A reminder was queued for 1 person" in page
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "polls.remind"))


def test_no_reminder_after_the_deadline(secretariat_client):
    poll = _poll()
    _ask(poll, make_contact())
    poll.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = secretariat_client.post(f"/meetings/{poll.meeting_id}/poll/remind")
    assert response.status_code == 409
    assert "deadline for answering this poll has passed" in response.get_data(as_text=True)
    assert _outbox("poll_reminder") == []


def test_no_reminder_for_a_poll_without_dates(secretariat_client, app):
    poll = _poll(slots=0, days=10, reminder=2)
    person = _ask(poll, make_contact())[0]
    person.asked_at = utcnow() - timedelta(days=5)
    db.session.commit()
    page = secretariat_client.get(f"/meetings/{poll.meeting_id}/poll").get_data(as_text=True)
    assert "Remind those who have not answered" not in page
    response = secretariat_client.post(f"/meetings/{poll.meeting_id}/poll/remind")
    assert response.status_code == 409
    assert "no dates yet" in response.get_data(as_text=True)
    assert send_due_poll_reminders(poll.deadline - timedelta(days=1)) == 0
    assert _outbox("poll_reminder") == []


def test_a_poll_whose_meeting_was_scheduled_or_cancelled_takes_no_answers_nor_reminders(
    app, client
):
    poll = _poll(days=10, reminder=2)
    person = _ask(poll, make_contact())[0]
    person.asked_at = utcnow() - timedelta(days=5)
    poll.meeting.move_to(MeetingStatus.CANCELLED)
    db.session.commit()
    page = client.get(_url(person))
    assert "no longer being planned" in page.get_data(as_text=True)
    answer = client.post(_url(person), data={f"slot-{poll.slots[0].id}": "yes"})
    assert answer.status_code in (400, 409)
    assert not db.session.get(PollRespondent, person.id).answers
    assert send_due_poll_reminders(poll.deadline - timedelta(days=1)) == 0
    assert _outbox("poll_reminder") == []


def test_automatic_reminders_go_once_before_the_deadline_to_those_who_have_not_answered(app):
    poll = _poll(days=10, reminder=2)
    quiet, done, fresh = _ask(poll, make_contact(), make_contact(), make_contact())
    service.answer(done, {poll.slots[0].id: NO}, None)
    for person in (quiet, done):
        person.asked_at = utcnow() - timedelta(days=5)
    deadline = poll.deadline
    fresh.asked_at = deadline - timedelta(days=2, hours=1)  # asked an hour before the run
    db.session.commit()

    assert send_due_poll_reminders(deadline - timedelta(days=3)) == 0  # not due yet
    assert send_due_poll_reminders(deadline - timedelta(days=2)) == 1
    assert [m.to_email for m in _outbox("poll_reminder")] == [quiet.email]
    # The freshly asked waited a day; then nobody twice, and nobody after the deadline.
    assert send_due_poll_reminders(deadline - timedelta(days=1)) == 1
    assert [m.to_email for m in _outbox("poll_reminder")] == [quiet.email, fresh.email]
    assert send_due_poll_reminders(deadline - timedelta(hours=12)) == 0
    assert send_due_poll_reminders(deadline + timedelta(minutes=1)) == 0
    assert done.email not in {m.to_email for m in _outbox("poll_reminder")}
    # Nor once the date is chosen.
    other = _poll(days=10, reminder=2)
    (waiting,) = _ask(other, make_contact())
    waiting.asked_at = utcnow() - timedelta(days=5)
    other.status = PollStatus.CLOSED
    db.session.commit()
    assert send_due_poll_reminders(other.deadline - timedelta(days=1)) == 0


def test_a_manual_reminder_in_the_window_is_not_followed_by_the_automatic_one(app):
    poll = _poll(days=10, reminder=2)
    (person,) = _ask(poll, make_contact())
    person.asked_at = utcnow() - timedelta(days=5)
    db.session.commit()
    from coordapp.polls.reminders import remind_unanswered_now

    at = poll.deadline - timedelta(days=1, hours=12)
    assert remind_unanswered_now(poll, by=None, now=at) == 1
    db.session.commit()
    assert send_due_poll_reminders(at + timedelta(hours=1)) == 0


# --- the result email ------------------------------------------------------------------------


def test_everyone_asked_is_told_the_chosen_date_in_their_language(app, smtp_server):
    from coordapp.mail.delivery import deliver_due_messages

    chair = make_user(Role.MEMBER, email="chair@example.org")
    chair.language = "be"
    poll = _poll(_meeting(chairs=[(chair, "Co-chair")]))
    service.ask_chairs(poll, by=None)
    _ask(
        poll,
        make_contact(email="olga@example.org", language="ru"),
        make_contact(email="en@example.org"),
    )
    chosen = poll.slots[1]
    poll.status, poll.chosen_slot_id = PollStatus.CLOSED, chosen.id
    assert queue_poll_result(poll) == 3
    db.session.commit()
    deliver_due_messages()
    english = body_text(smtp_server.to("en@example.org")[0])
    assert "The date of this meeting has been chosen" in english
    assert "12:00" in english and "14:00" in english  # 09:00 UTC in Minsk
    russian = smtp_server.to("olga@example.org")[0]
    assert "Дата выбрана" in " ".join(str(russian["Subject"]).split())
    belarusian = body_text(smtp_server.to("chair@example.org")[0])
    assert "Дата гэтага пасяджэння выбрана" in belarusian


# --- the answer page -----------------------------------------------------------------------


def test_a_person_answers_each_slot_and_can_change_until_the_deadline(client):
    poll = _poll()
    first, second = poll.slots
    (person,) = _ask(poll, make_contact(name="Olga Ivanova"))
    page = client.get(_url(person)).get_data(as_text=True)
    # One fieldset per slot, its legend naming the slot; three labelled radios each.
    assert page.count('<fieldset class="field poll-slot"') == 2
    assert re.search(r"<legend><time datetime=\"[^\"]+\" data-poll-time", page)
    assert page.count('type="radio"') == 6
    assert "If need be" in page and "polls-times.js" in page
    assert "<script>" not in page

    response = client.post(
        _url(person),
        data={
            f"slot-{first.id}": "yes",
            f"slot-{second.id}": "if_need_be",
            "comment": "Mornings best",
        },
    )
    assert response.status_code == 303
    assert _answers(person.id) == {first.id: YES, second.id: MAYBE}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your answers have been recorded" in page
    assert f'id="slot-{first.id}-yes" value="yes" checked' in page
    assert "Mornings best" in page

    client.post(_url(person), data={f"slot-{first.id}": "no"})
    assert _answers(person.id) == {first.id: NO}


@pytest.mark.parametrize(
    "form",
    [
        {"slot-{id}": "perhaps"},
        {"slot-abc": "yes"},
        {"comment": "x" * 2001},
        {"seen-{id}": "garbage"},
    ],
)
def test_an_answer_not_understood_is_refused_and_the_earlier_one_kept(client, form):
    poll = _poll()
    slot = poll.slots[0]
    (person,) = _ask(poll, make_contact())
    service.answer(person, {slot.id: YES}, "kept")
    db.session.commit()
    data = {k.format(id=slot.id): v for k, v in form.items()}
    response = client.post(_url(person), data=data)
    assert response.status_code == 400
    assert "Your answers were not saved" in response.get_data(as_text=True)
    assert _answers(person.id) == {slot.id: YES}


def test_an_answer_for_a_slot_removed_meanwhile_is_refused_clearly(client):
    poll = _poll()
    first, second = poll.slots
    (person,) = _ask(poll, make_contact())
    service.answer(person, {second.id: NO}, None)
    db.session.commit()
    page = client.get(_url(person)).get_data(as_text=True)
    seen = re.search(rf'name="seen-{first.id}" value="([^"]+)"', page).group(1)
    service.remove_slot(first, by=None)
    db.session.commit()
    response = client.post(
        _url(person),
        data={f"slot-{first.id}": "yes", f"slot-{second.id}": "yes", f"seen-{first.id}": seen},
    )
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "has been removed by the secretariat meanwhile" in text
    # The form is shown again, with the slots as they are now and the person's choice kept.
    assert f'id="slot-{second.id}-yes" value="yes" checked' in text
    assert _answers(person.id) == {second.id: NO}


def test_an_answer_for_a_slot_moved_meanwhile_is_refused_clearly(client):
    poll = _poll()
    slot = poll.slots[0]
    (person,) = _ask(poll, make_contact())
    page = client.get(_url(person)).get_data(as_text=True)
    seen = re.search(rf'name="seen-{slot.id}" value="([^"]+)"', page).group(1)
    service.update_slot(slot, day=SOON, start=time(15), end=time(17), by=None)
    db.session.commit()
    response = client.post(_url(person), data={f"slot-{slot.id}": "yes", f"seen-{slot.id}": seen})
    assert response.status_code == 409
    assert "changed the time of one of the dates" in response.get_data(as_text=True)
    assert _answers(person.id) == {}


def test_after_the_deadline_the_page_is_read_only(client):
    poll = _poll()
    slot = poll.slots[0]
    (person,) = _ask(poll, make_contact())
    service.answer(person, {slot.id: MAYBE}, "See you")
    poll.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(_url(person)).get_data(as_text=True)
    assert "The deadline for answering this poll has passed" in page
    assert 'type="radio"' not in page and "If need be" in page
    response = client.post(_url(person), data={f"slot-{slot.id}": "no"})
    assert response.status_code == 409
    assert _answers(person.id) == {slot.id: MAYBE}


def test_once_the_date_is_chosen_the_page_shows_it(client):
    poll = _poll()
    chosen = poll.slots[1]
    (person,) = _ask(poll, make_contact())
    poll.status, poll.chosen_slot_id = PollStatus.CLOSED, chosen.id
    db.session.commit()
    page = client.get(_url(person)).get_data(as_text=True)
    assert "The date has been chosen" in page
    assert f'<time datetime="{chosen.starts_at.isoformat()}"' in page.split('id="chosen"')[1]
    assert 'type="radio"' not in page
    assert client.post(_url(person), data={f"slot-{chosen.id}": "yes"}).status_code == 409


def test_counts_only_shows_no_names_and_names_mode_shows_them(client):
    for visibility in PollVisibility:
        poll = _poll(visibility=visibility)
        slot = poll.slots[0]
        me, other = _ask(poll, make_contact(), make_contact(name="Pavel Secretive"))
        service.answer(other, {slot.id: YES}, "private comment")
        db.session.commit()
        page = client.get(_url(me)).get_data(as_text=True)
        assert "Yes: 1" in page
        assert "private comment" not in page
        assert ("Pavel Secretive" in page) is (visibility is PollVisibility.NAMES)


def test_the_page_speaks_the_persons_language_and_can_switch(client):
    poll = _poll()
    (person,) = _ask(poll, make_contact(language="be"))
    page = client.get(_url(person)).get_data(as_text=True)
    assert 'lang="be"' in page
    page = client.get(_url(person) + "?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "Your answers" in page


def test_wrong_links_are_throttled_per_address(client):
    poll = _poll()
    (person,) = _ask(poll, make_contact())
    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(30):
        bad = make_token(new_link_id(), "poll")
        assert client.get(f"/poll/{bad}", environ_base=guesser).status_code == 404, n
    assert client.get("/poll/x", environ_base=guesser).status_code == 429
    # The right link still opens, from the same address.
    assert client.get(_url(person), environ_base=guesser).status_code == 200
    # An RSVP token is not a poll token.
    assert client.get(f"/poll/{make_token(person.link_id, 'rsvp')}").status_code == 404


def test_the_answer_page_has_a_constant_number_of_queries(client):
    from tests.conftest import count_queries

    def queries(people):
        poll = _poll(slots=4, visibility=PollVisibility.NAMES)
        asked = _ask(poll, *[make_contact() for _ in range(people)])
        for person in asked:
            service.answer(person, {s.id: YES for s in poll.slots}, None)
        db.session.commit()
        db.session.expire_all()
        with count_queries() as counter:
            assert client.get(_url(asked[0])).status_code == 200
        return counter.count

    assert queries(3) == queries(30)


# --- at the same moment ----------------------------------------------------------------------


@pytest.mark.commits  # threads, each with its own connection
def test_the_secretariat_editing_slots_while_people_answer_never_breaks(app):
    poll = _poll(slots=3)
    people = _ask(poll, *[make_contact() for _ in range(6)])
    secretariat = make_user(Role.SECRETARIAT, email="sec-race@example.org")
    slot_ids = [s.id for s in poll.slots]
    meeting_id, poll_id = poll.meeting_id, poll.id
    links = [_url(p) for p in people]
    secretariat_id = secretariat.id
    from tests.conftest import login_as

    db.session.close()
    barrier = threading.Barrier(len(links) + 2)
    statuses: list[tuple[str, int]] = []
    errors: list[BaseException] = []

    def run(label, do):
        try:
            client = app.test_client()
            if label == "secretariat":
                with app.app_context():
                    login_as(client, db.session.get(User, secretariat_id))
                    db.session.remove()
            barrier.wait(timeout=30)
            statuses.append((label, do(client).status_code))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def answering(link):
        return lambda c: c.post(link, data={f"slot-{i}": "yes" for i in slot_ids})

    jobs = [("answer", answering(link)) for link in links]
    jobs.append(("secretariat", lambda c: c.post(f"/poll-slots/{slot_ids[0]}/remove")))
    jobs.append(
        (
            "secretariat",
            lambda c: c.post(
                f"/poll-slots/{slot_ids[1]}/edit",
                data={"day": SOON.isoformat(), "start": "18:00", "end": "19:00"},
            ),
        )
    )
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert len(statuses) == len(jobs)
    assert all(code in (302, 303, 409) for _, code in statuses), statuses
    assert [code for label, code in statuses if label == "secretariat"] == [302, 302]
    # Whoever answered was saved whole, on the slots that exist now; the moved slot has
    # only answers given after it moved (none here: everyone answered its id either
    # before the move, cleared then, or was refused for the removed slot).
    left = set(db.session.scalars(sa.select(PollSlot.id).where(PollSlot.poll_id == poll_id)))
    assert left == {slot_ids[1], slot_ids[2]}
    answers = db.session.execute(sa.select(PollAnswer.respondent_id, PollAnswer.slot_id)).all()
    assert {slot_id for _, slot_id in answers} <= left
    saved = {r for r, _ in answers}
    accepted = sum(1 for label, code in statuses if label == "answer" and code == 303)
    assert len(saved) <= accepted
    assert db.session.get(Poll, poll_id).meeting_id == meeting_id


def test_the_secretariat_poll_page_has_a_constant_number_of_queries(secretariat_client):
    from tests.conftest import count_queries

    def queries(people):
        poll = _poll(slots=4)
        asked = _ask(poll, *[make_contact() for _ in range(people)])
        for person in asked[::2]:
            service.answer(person, {s.id: MAYBE for s in poll.slots}, None)
        db.session.commit()
        db.session.expire_all()
        with count_queries() as counter:
            page = secretariat_client.get(f"/meetings/{poll.meeting_id}/poll")
        assert page.status_code == 200
        return counter.count

    assert queries(3) == queries(40)
