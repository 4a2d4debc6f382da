"""The scheduling poll's results: counts per slot and per category, chairs and key
organisations highlighted, the suggested date and its reason (each tiebreak), the CSV, the
query count of the grid, who may see it, and choosing the date (one transaction: the
meeting's date, the poll closed, the "date chosen" email, invitations with .ics — once,
even when "choose" is clicked twice at the same moment)."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import (
    AuditEvent,
    Category,
    Invitation,
    Meeting,
    MeetingStatus,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    Poll,
    PollChoice,
    PollStatus,
    Role,
    utcnow,
)
from coordapp.polls import results as poll_results
from coordapp.polls.choose import AlreadyChosen, choose_slot
from coordapp.polls.service import (
    PollError,
    add_slot,
    answer,
    ask_chairs,
    ask_people,
    create_poll,
    remove_slot,
    set_key_organisations,
)
from tests.conftest import count_queries, login_as
from tests.factories import make_contact, make_meeting, make_organisation, make_user
from tests.outbox import written
from tests.poll_bulk import build_poll

YES, MAYBE, NO = PollChoice.YES, PollChoice.IF_NEED_BE, PollChoice.NO
DAY = date.today() + timedelta(days=20)


class World:
    """A draft meeting with two chairs, a poll and its slots; people added per test."""

    def __init__(self, slots: int = 2, chairs: int = 2) -> None:
        self.secretariat = make_user(Role.SECRETARIAT)
        self.chairs = [make_user(Role.MEMBER, name=f"Chair {n}") for n in range(chairs)]
        self.meeting = make_meeting(
            status=MeetingStatus.DRAFT,
            timezone_name="Europe/Minsk",
            chairs=[(c, "Co-chair") for c in self.chairs],
        )
        self.poll = create_poll(
            self.meeting,
            message="Which date?",
            deadline=utcnow() + timedelta(days=7),
            by=self.secretariat,
        )
        self.slots = [
            add_slot(self.poll, day=DAY + timedelta(days=n), start=time(10), end=time(12), by=None)
            for n in range(slots)
        ]
        self.chair_respondents = ask_chairs(self.poll, by=self.secretariat)
        db.session.commit()

    def ask(self, organisation=None, name=None):
        contact = make_contact(organisation, name=name)
        respondent = ask_people(self.poll, [contact], by=self.secretariat).asked[0]
        db.session.commit()
        return respondent

    def answers(self, respondent, *choices, comment=None):
        answer(
            respondent,
            {slot.id: c for slot, c in zip(self.slots, choices, strict=True) if c},
            comment,
        )
        db.session.commit()

    def chairs_answer(self, *choices):
        for respondent in self.chair_respondents:
            self.answers(respondent, *choices)

    def results(self):
        return poll_results.poll_results(db.session.get(Poll, self.poll.id))


# --- aggregates ----------------------------------------------------------------------------


def test_counts_per_slot_and_per_category(app):
    w = World()
    un, gov = (
        make_organisation(category=Category.UN_AGENCY),
        make_organisation(category=Category.NATIONAL_GOVERNMENT),
    )
    w.chairs_answer(YES, NO)
    w.answers(w.ask(un), YES, MAYBE)
    w.answers(w.ask(un), NO, None)
    w.answers(w.ask(gov), MAYBE, YES)
    w.ask(gov)  # never answers
    results = w.results()
    first, second = (results.per_slot[s.id].counts for s in w.slots)
    assert (first.yes, first.if_need_be, first.no, first.no_answer) == (3, 1, 1, 1)
    assert (second.yes, second.if_need_be, second.no, second.no_answer) == (1, 1, 2, 2)
    groups = {g.key: g for g in results.groups}
    assert [g.key for g in results.groups] == ["chairs", "un_agency", "national_government"]
    assert groups["chairs"].people == 2
    un_first = groups["un_agency"].counts[w.slots[0].id]
    assert (un_first.yes, un_first.no) == (1, 1)
    gov_second = groups["national_government"].counts[w.slots[1].id]
    assert (gov_second.yes, gov_second.no_answer) == (1, 1)
    assert results.answered == 5


def test_a_chair_or_key_organisation_saying_no_is_marked(app, client):
    w = World()
    key = make_organisation(name="Key Ministry")
    set_key_organisations(w.poll, [key.id], by=w.secretariat)
    db.session.commit()
    w.answers(w.chair_respondents[0], NO, YES)
    w.answers(w.chair_respondents[1], YES, YES)
    w.answers(w.ask(key, name="Kira Key"), YES, NO)
    w.answers(w.ask(name="Other Person"), NO, NO)
    results = w.results()
    assert results.per_slot[w.slots[0].id].chairs_said_no == ["Chair 0"]
    assert results.per_slot[w.slots[0].id].key_said_no == []
    assert results.per_slot[w.slots[1].id].key_said_no == ["Kira Key (Key Ministry)"]

    login_as(client, w.secretariat)
    page = client.get(f"/meetings/{w.meeting.id}/poll/results").get_data(as_text=True)
    first, second = (
        re.search(rf'data-slot="{s.id}">(.*?)</th>', page, re.S).group(1) for s in w.slots
    )
    assert "A chair said no" in first and "key organisation said no" not in first
    assert "A key organisation said no" in second and "A chair said no" not in second
    # Highlighted in words, not by colour alone.
    row = re.search(
        r'<tr data-respondent="\d+" class="poll-highlight">\s*<th scope="row">Kira Key(.*?)</th>',
        page,
        re.S,
    )
    assert row and "Key organisation" in row.group(1)
    assert page.count('data-role="chair"') == 2


# --- the suggestion, one tiebreak at a time ------------------------------------------------


def _suggested(w):
    results = w.results()
    suggestion = results.suggestion
    return suggestion, poll_results.reason_lines(suggestion, results.timezone)


def test_every_chair_available_comes_first(app):
    w = World()
    w.answers(w.chair_respondents[0], NO, MAYBE)
    w.answers(w.chair_respondents[1], YES, MAYBE)
    for _ in range(3):
        w.answers(w.ask(), YES, NO)
    suggestion, reasons = _suggested(w)
    assert suggestion.slot.id == w.slots[1].id  # fewer yes, but both chairs can come
    assert suggestion.decided_by == 0
    assert "All 2 chairs can come (yes or if need be)." in reasons
    assert any("because every chair can come" in line for line in reasons)


def test_a_chair_who_has_not_answered_is_not_one_who_cannot_come(app):
    w = World(slots=1)
    w.answers(w.chair_respondents[0], YES)
    _suggestion, reasons = _suggested(w)
    assert "1 of 2 chairs has answered." in reasons
    assert not any("can come" in line for line in reasons)

    w.answers(w.chair_respondents[1], NO)
    _suggestion, reasons = _suggested(w)
    assert "Only 1 of 2 chairs can come: no slot suits every chair." in reasons


def test_a_single_chair_and_many_chairs_are_counted_in_words(app):
    w = World(slots=1, chairs=1)
    w.chairs_answer(YES)
    assert "The chair can come (yes or if need be)." in _suggested(w)[1]
    w = World(slots=1, chairs=3)
    w.answers(w.chair_respondents[0], YES)
    w.answers(w.chair_respondents[1], YES)
    assert "2 of 3 chairs have answered." in _suggested(w)[1]


def test_chairs_show_the_organisation_of_their_directory_entry(app, client):
    w = World(slots=1)
    w.chairs[0].contact = make_contact(make_organisation(name="RCO"), name="Chair Zero")
    w.chairs[1].contact = make_contact(make_organisation(name="IOM"), name="Chair One")
    db.session.commit()
    people = {p.name: p.organisation for p in w.results().people}
    assert people["Chair 0"] == "RCO" and people["Chair 1"] == "IOM"
    login_as(client, w.secretariat)
    page = client.get(f"/meetings/{w.meeting.id}/poll/results").get_data(as_text=True)
    assert ">RCO<" in page and ">IOM<" in page


def test_then_most_key_organisations(app):
    w = World()
    keys = [make_organisation() for _ in range(2)]
    set_key_organisations(w.poll, [k.id for k in keys], by=w.secretariat)
    db.session.commit()
    w.chairs_answer(YES, YES)
    w.answers(w.ask(keys[0]), NO, YES)
    w.answers(w.ask(keys[1]), YES, YES)
    for _ in range(3):
        w.answers(w.ask(), YES, NO)
    suggestion, reasons = _suggested(w)
    assert suggestion.slot.id == w.slots[1].id
    assert suggestion.decided_by == 1
    assert "2 of 2 key organisations can come." in reasons
    assert any("because more key organisations can come" in line for line in reasons)


def test_then_most_yes(app):
    w = World()
    w.chairs_answer(MAYBE, MAYBE)
    w.answers(w.ask(), MAYBE, YES)
    w.answers(w.ask(), NO, NO)
    suggestion, reasons = _suggested(w)
    assert suggestion.slot.id == w.slots[1].id
    assert suggestion.decided_by == 2
    assert any("because more people said yes" in line for line in reasons)


def test_then_fewest_no(app):
    w = World()
    w.chairs_answer(YES, YES)
    w.answers(w.ask(), NO, MAYBE)
    w.answers(w.ask(), YES, YES)
    suggestion, reasons = _suggested(w)
    assert suggestion.slot.id == w.slots[1].id
    assert suggestion.decided_by == 3
    assert any("because fewer people said no" in line for line in reasons)


def test_a_full_tie_suggests_the_earlier_slot(app):
    w = World()
    w.chairs_answer(YES, YES)
    suggestion, reasons = _suggested(w)
    assert suggestion.slot.id == w.slots[0].id
    assert suggestion.decided_by is None
    assert any("the earlier slot is suggested" in line for line in reasons)


def test_no_suggestion_before_anyone_answers(app, client):
    w = World()
    assert w.results().suggestion is None
    login_as(client, w.secretariat)
    page = client.get(f"/meetings/{w.meeting.id}/poll/results").get_data(as_text=True)
    assert "nobody has answered" in page


def test_the_page_shows_the_suggestion_and_times_in_the_meetings_timezone(app, client):
    w = World(slots=1)
    w.chairs_answer(YES)
    login_as(client, w.secretariat)
    page = client.get(f"/meetings/{w.meeting.id}/poll/results").get_data(as_text=True)
    suggestion = page.split('id="suggestion"', 1)[1].split("</section>", 1)[0]
    # 10:00 – 12:00 typed in Minsk is shown as such (07:00 UTC).
    assert "10:00 – 12:00" in suggestion and "07:00" not in page
    assert "All 2 chairs can come" in suggestion


# --- CSV -----------------------------------------------------------------------------------


def test_csv_holds_the_grid_and_counts_and_defuses_formulas(app, client):
    w = World()
    org = make_organisation(name='=HYPERLINK("http://evil")', category=Category.CIVIL_SOCIETY)
    w.chairs_answer(YES, NO)
    w.answers(w.ask(org, name="+Mallory"), MAYBE, None, comment="@SUM(1+1)")
    login_as(client, w.secretariat)
    response = client.get(f"/meetings/{w.meeting.id}/poll/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Name", "Organisation", "Category", "Role"]
    assert rows[0][4].endswith("10:00 – 12:00 (Europe/Minsk)") and rows[0][-1] == "Comment"
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Chair 0"][2:6] == ["Chairs", "Chair", "Yes", "No"]
    mallory = by_name["'+Mallory"]
    assert mallory[1] == '\'=HYPERLINK("http://evil")'
    assert mallory[4:] == ["If need be", "", "'@SUM(1+1)"]
    assert by_name["Yes"][4:6] == ["2", "0"]
    assert by_name["No answer"][4:6] == ["0", "1"]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


# --- the query count -----------------------------------------------------------------------


def test_the_grid_takes_as_many_queries_for_500_people_as_for_10(app, client):
    secretariat = make_user(Role.SECRETARIAT)
    login_as(client, secretariat)
    counts = {}
    for people in (10, 500):
        poll = build_poll(people, 10, tag="q")
        url = f"/meetings/{poll.meeting_id}/poll/results"
        client.get(url)  # warm
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("data-respondent=") == people + 2
        counts[people] = queries.count
    assert counts[10] == counts[500], counts
    assert counts[10] <= 12, counts


# --- who may see it ------------------------------------------------------------------------


def test_the_secretariat_and_the_chairs_read_the_results_others_do_not(app, client):
    w = World()
    outsider = make_user(Role.MEMBER)
    url = f"/meetings/{w.meeting.id}/poll/results"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for user, code in ((outsider, 403), (w.chairs[0], 200), (w.secretariat, 200)):
        login_as(client, user)
        assert client.get(url).status_code == code, user
        assert client.get(url + ".csv").status_code == code, user
    login_as(client, w.chairs[0])
    page = client.get(url).get_data(as_text=True)
    assert 'id="choose"' not in page  # a chair reads; the secretariat chooses
    response = client.post(f"/meetings/{w.meeting.id}/poll/choose", data={"slot_id": w.slots[0].id})
    assert response.status_code == 403
    assert db.session.get(Poll, w.poll.id).status == PollStatus.OPEN


def test_a_meeting_without_a_poll_has_no_results(app, client):
    login_as(client, make_user(Role.SECRETARIAT))
    meeting = make_meeting(status=MeetingStatus.DRAFT)
    assert client.get(f"/meetings/{meeting.id}/poll/results").status_code == 404


def test_choosing_needs_the_csrf_token(app, client):
    w = World()
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(client, w.secretariat)
    response = client.post(f"/meetings/{w.meeting.id}/poll/choose", data={"slot_id": w.slots[0].id})
    assert response.status_code == 400
    assert db.session.get(Poll, w.poll.id).status == PollStatus.OPEN


# --- choosing the date ---------------------------------------------------------------------


def _messages(meeting_id, writer=None):
    query = sa.select(OutgoingMessage).where(OutgoingMessage.meeting_id == meeting_id)
    if writer:
        query = query.where(OutgoingMessage.writer == writer)
    return list(db.session.scalars(query.order_by(OutgoingMessage.id)))


def test_choosing_a_date_schedules_invites_and_tells_everyone(app, client):
    w = World()
    organisation = make_organisation(name="Wider Org")
    extra = make_contact(organisation, name="Wider Person")
    yes_person, no_person = w.ask(name="Yes Person"), w.ask(name="No Person")
    w.answers(yes_person, YES, YES)
    w.answers(no_person, NO, YES)
    w.chairs_answer(YES, MAYBE)
    chosen = w.slots[0]
    login_as(client, w.secretariat)
    response = client.post(
        f"/meetings/{w.meeting.id}/poll/choose",
        data={"slot_id": chosen.id, "organisation_ids": [organisation.id]},
    )
    assert response.status_code == 303
    db.session.expire_all()
    meeting = db.session.get(Meeting, w.meeting.id)
    poll = db.session.get(Poll, w.poll.id)
    assert (meeting.starts_at, meeting.ends_at) == (chosen.starts_at, chosen.ends_at)
    assert meeting.timezone == "Europe/Minsk"
    assert meeting.status == MeetingStatus.SCHEDULED
    assert poll.status == PollStatus.CLOSED and poll.chosen_slot_id == chosen.id
    assert poll.closed_at is not None

    # Invitations: the contacts asked, the one who said no too, and the wider list.
    invited = {
        i.contact.name
        for i in db.session.scalars(
            sa.select(Invitation).where(Invitation.meeting_id == meeting.id)
        )
    }
    assert invited == {"Yes Person", "No Person", "Wider Person"}
    invitations = _messages(meeting.id, "invitation")
    assert len(invitations) == 3
    mail = written(invitations[0])
    assert mail.ics_method == "REQUEST"
    assert "METHOD:REQUEST" in mail.ics_body
    local = chosen.starts_at.astimezone(meeting.tz)
    assert f"DTSTART;TZID=Europe/Minsk:{local:%Y%m%dT%H%M%S}" in mail.ics_body or (
        f"DTSTART:{chosen.starts_at:%Y%m%dT%H%M%SZ}" in mail.ics_body
    )

    # Everyone asked (chairs included) is told the date.
    told = _messages(meeting.id, "poll_result")
    assert sorted(m.to_email for m in told) == sorted(
        [yes_person.contact.email, no_person.contact.email] + [c.email for c in w.chairs]
    )
    text = written(told[0]).text_body
    assert "10:00" in text and meeting.title in text
    assert all(m.kind is MessageKind.OTHER for m in told)

    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.meeting_id == meeting.id, AuditEvent.action == "polls.date_chosen"
        )
    )
    assert event is not None and event.changes["status"] == ["draft", "scheduled"]
    assert extra.id  # the wider contact was invited above


def test_a_chair_in_the_directory_is_invited_with_the_others(app):
    w = World(slots=1)
    w.ask(name="Asked Person")
    chair_contact = make_contact(make_organisation(name="RCO"), name="Chair In Directory")
    w.chairs[0].contact = chair_contact
    db.session.commit()
    choose_slot(db.session.get(Poll, w.poll.id), w.slots[0].id, by=w.secretariat)
    db.session.commit()
    invited = {
        i.contact.name
        for i in db.session.scalars(
            sa.select(Invitation).where(Invitation.meeting_id == w.meeting.id)
        )
    }
    # The chair's calendar gets the event too; a chair with no directory entry is told the
    # date by the "date chosen" email only.
    assert invited == {"Asked Person", "Chair In Directory"}


def test_the_date_chosen_email_thanks_only_who_answered_and_promises_only_real_invitations(app):
    w = World(slots=1, chairs=1)  # the chair has no directory entry: no invitation
    answered, silent = w.ask(name="Answered Person"), w.ask(name="Silent Person")
    w.answers(answered, YES)
    choose_slot(db.session.get(Poll, w.poll.id), w.slots[0].id, by=w.secretariat)
    db.session.commit()
    told = {m.to_email: written(m).text_body for m in _messages(w.meeting.id, "poll_result")}
    follows = "The invitation, with your personal link to answer it, follows"
    thanks = "Thank you for answering the poll."

    to_answered = told[answered.contact.email]
    assert thanks in to_answered and follows in to_answered
    to_silent = told[silent.contact.email]
    assert thanks not in to_silent and follows in to_silent
    assert "The date of this meeting has been chosen:" in to_silent
    to_chair = told[w.chairs[0].email]
    assert follows not in to_chair and "The date of this meeting has been chosen:" in to_chair


def test_poll_mail_not_yet_sent_is_dropped_once_the_date_is_chosen(app):
    from coordapp.polls.notifications import queue_poll_invitations
    from coordapp.polls.reminders import remind_unanswered_now

    w = World(slots=1)
    queue_poll_invitations([w.ask()])
    assert remind_unanswered_now(w.poll, by=w.secretariat) >= 1
    db.session.commit()
    choose_slot(db.session.get(Poll, w.poll.id), w.slots[0].id, by=w.secretariat)
    db.session.commit()
    statuses = {
        (m.writer, m.status) for m in _messages(w.meeting.id) if m.writer.startswith("poll_")
    }
    # The reminder and the poll invitations still queued are obsolete (not failed): only
    # the result goes out.
    assert ("poll_reminder", MessageStatus.OBSOLETE) in statuses
    assert ("poll_invitation", MessageStatus.OBSOLETE) in statuses
    assert {status for writer, status in statuses if writer != "poll_result"} == {
        MessageStatus.OBSOLETE
    }
    assert ("poll_result", MessageStatus.QUEUED) in statuses


def test_the_chosen_date_email_speaks_the_persons_language(app):
    w = World(slots=1)
    respondent = w.ask()
    respondent.contact.language = "ru"
    db.session.commit()
    choose_slot(db.session.get(Poll, w.poll.id), w.slots[0].id, by=w.secretariat)
    db.session.commit()
    message = next(
        m for m in _messages(w.meeting.id, "poll_result") if m.to_email == respondent.contact.email
    )
    assert "Дата" in written(message).subject


@pytest.mark.commits
def test_choosing_is_all_or_nothing(app, client, monkeypatch):
    w = World()
    w.ask()
    import coordapp.polls.choose as choose_module

    def broken(*args, **kwargs):
        raise RuntimeError("the invitations failed")

    monkeypatch.setattr(choose_module, "invite_contacts", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(client, w.secretariat)
    response = client.post(f"/meetings/{w.meeting.id}/poll/choose", data={"slot_id": w.slots[0].id})
    assert response.status_code == 500
    # The request ends (here it shares the test's session): what was not committed goes.
    db.session.rollback()
    assert db.session.get(Poll, w.poll.id).status == PollStatus.OPEN
    assert db.session.get(Meeting, w.meeting.id).status == MeetingStatus.DRAFT
    assert _messages(w.meeting.id) == []


def test_a_second_choice_is_refused_and_changes_nothing(app, client):
    w = World()
    w.ask()
    choose_slot(db.session.get(Poll, w.poll.id), w.slots[0].id, by=w.secretariat)
    db.session.commit()
    with pytest.raises(AlreadyChosen):
        choose_slot(db.session.get(Poll, w.poll.id), w.slots[1].id, by=w.secretariat)
    db.session.rollback()
    login_as(client, w.secretariat)
    response = client.post(f"/meetings/{w.meeting.id}/poll/choose", data={"slot_id": w.slots[1].id})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Poll, w.poll.id).chosen_slot_id == w.slots[0].id
    assert db.session.get(Meeting, w.meeting.id).starts_at == w.slots[0].starts_at
    assert len(_messages(w.meeting.id, "invitation")) == 1
    page = client.get(f"/meetings/{w.meeting.id}/poll/results").get_data(as_text=True)
    assert "already been chosen" in page and 'id="choose"' not in page


def test_a_slot_removed_meanwhile_is_refused_clearly(app, client):
    w = World()
    gone = w.slots[1]
    gone_id = gone.id
    remove_slot(gone, by=w.secretariat)
    db.session.commit()
    with pytest.raises(PollError, match="no longer in the poll"):
        choose_slot(db.session.get(Poll, w.poll.id), gone_id, by=w.secretariat)
    db.session.rollback()
    login_as(client, w.secretariat)
    response = client.post(f"/meetings/{w.meeting.id}/poll/choose", data={"slot_id": gone_id})
    assert response.status_code == 400
    assert db.session.get(Poll, w.poll.id).status == PollStatus.OPEN


def test_an_rsvp_deadline_after_the_new_start_is_cleared(app):
    w = World(slots=1)
    meeting = db.session.get(Meeting, w.meeting.id)
    meeting.starts_at = w.slots[0].starts_at + timedelta(days=30)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    meeting.rsvp_deadline = w.slots[0].starts_at + timedelta(days=5)
    db.session.commit()
    choose_slot(db.session.get(Poll, w.poll.id), w.slots[0].id, by=w.secretariat)
    db.session.commit()
    assert db.session.get(Meeting, w.meeting.id).rsvp_deadline is None


@pytest.mark.commits
def test_choose_clicked_twice_at_once_gives_one_date_and_one_set_of_invitations(app):
    w = World()
    for _ in range(3):
        w.ask()
    poll_id, slot_ids, secretariat_id = w.poll.id, [s.id for s in w.slots], w.secretariat.id
    meeting_id = w.meeting.id
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes = []

    def click(slot_id):
        with app.app_context():
            from coordapp.models import User

            poll = db.session.get(Poll, poll_id)
            by = db.session.get(User, secretariat_id)
            barrier.wait()
            try:
                choose_slot(poll, slot_id, by=by)
                db.session.commit()
                outcomes.append(("chosen", slot_id))
            except AlreadyChosen:
                db.session.rollback()
                outcomes.append(("refused", slot_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click, args=(slot_ids[n],)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(kind for kind, _ in outcomes) == ["chosen", "refused"], outcomes
    winner = next(slot for kind, slot in outcomes if kind == "chosen")
    poll = db.session.get(Poll, poll_id)
    assert poll.chosen_slot_id == winner
    assert db.session.get(Meeting, meeting_id).starts_at == next(
        s.starts_at for s in poll.slots if s.id == winner
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Invitation.id)).where(Invitation.meeting_id == meeting_id)
        )
        == 3
    )
    assert len(_messages(meeting_id, "invitation")) == 3
    assert len(_messages(meeting_id, "poll_result")) == 5
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "polls.date_chosen")
        )
        == 1
    )
