"""Scheduling polls at the service level: a poll on a draft meeting, its slots (typed in
the meeting's timezone), the people and chairs asked, key organisations, answers — and
answers that stay whole when people answer at once or a slot goes meanwhile."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from coordapp.extensions import db
from coordapp.links import make_token, poll_token, rsvp_token
from coordapp.models import (
    AuditEvent,
    Category,
    Invitation,
    MeetingStatus,
    Poll,
    PollAnswer,
    PollChoice,
    PollRespondent,
    PollSlot,
    PollStatus,
    PollVisibility,
    Role,
    utcnow,
)
from coordapp.polls import service
from coordapp.polls.service import (
    PollClosed,
    PollError,
    PollInputError,
    add_slot,
    answer,
    ask_chairs,
    ask_people,
    create_poll,
    people_to_ask,
    remove_slot,
    set_key_organisations,
    update_slot,
)
from coordapp.web import load_by_link
from tests.concurrency import run_at_once
from tests.factories import make_contact, make_meeting, make_organisation, make_user

YES, MAYBE, NO = PollChoice.YES, PollChoice.IF_NEED_BE, PollChoice.NO
SOON = date.today() + timedelta(days=20)


def _poll(**kwargs):
    secretariat = make_user(Role.SECRETARIAT)
    meeting = kwargs.pop("meeting", None) or make_meeting(
        status=MeetingStatus.DRAFT, timezone_name="Europe/Minsk"
    )
    poll = create_poll(
        meeting,
        message=kwargs.pop("message", "Which date suits you?"),
        deadline=kwargs.pop("deadline", utcnow() + timedelta(days=7)),
        visibility=kwargs.pop("visibility", PollVisibility.COUNTS),
        reminder_days_before=kwargs.pop("reminder_days_before", 2),
        by=secretariat,
    )
    db.session.commit()
    return poll, secretariat


def _slot(poll, by, day=SOON, start=time(10), end=time(12)):
    slot = add_slot(poll, day=day, start=start, end=end, by=by)
    db.session.commit()
    return slot


def _asked(poll, by, n=1, organisation=None):
    contacts = [make_contact(organisation) for _ in range(n)]
    result = ask_people(poll, contacts, by=by)
    db.session.commit()
    return result.asked


def _actions(meeting_id):
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.meeting_id == meeting_id)
            .order_by(AuditEvent.id)
        )
    )


# --- the poll ------------------------------------------------------------------------------


def test_a_poll_is_created_on_a_draft_meeting_and_logged(app):
    poll, secretariat = _poll(visibility=PollVisibility.NAMES, message="  Pick one  ")
    poll = db.session.get(Poll, poll.id)
    assert poll.status == PollStatus.OPEN
    assert poll.visibility == PollVisibility.NAMES
    assert poll.message == "Pick one"
    assert poll.reminder_days_before == 2
    assert poll.created_by_id == secretariat.id
    assert poll.chosen_slot_id is None
    assert _actions(poll.meeting_id) == ["polls.create"]


@pytest.mark.parametrize(
    "status", [MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED, MeetingStatus.HELD]
)
def test_only_a_draft_meeting_gets_a_poll(app, status):
    meeting = make_meeting(status=status)
    with pytest.raises(PollError, match="draft"):
        _poll(meeting=meeting)
    assert db.session.scalar(sa.select(sa.func.count(Poll.id))) == 0


def test_one_poll_per_meeting(app):
    poll, _ = _poll()
    with pytest.raises(PollError, match="already has a scheduling poll"):
        _poll(meeting=poll.meeting)


def test_the_deadline_must_be_in_the_future(app):
    with pytest.raises(PollInputError, match="future"):
        _poll(deadline=utcnow() - timedelta(minutes=1))


def test_the_database_keeps_one_poll_per_meeting(app):
    poll, _ = _poll()
    db.session.add(Poll(meeting_id=poll.meeting_id, deadline=utcnow() + timedelta(days=1)))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- slots ---------------------------------------------------------------------------------


def test_slots_are_typed_on_the_meetings_wall_clock_and_stored_in_utc(app):
    poll, secretariat = _poll()  # Europe/Minsk: UTC+3 all year
    slot = _slot(poll, secretariat, day=SOON, start=time(10), end=time(12, 30))
    slot = db.session.get(PollSlot, slot.id)
    assert slot.starts_at == datetime.combine(SOON, time(7), tzinfo=UTC)
    assert slot.ends_at == datetime.combine(SOON, time(9, 30), tzinfo=UTC)
    assert poll.meeting.local(slot.starts_at).hour == 10
    assert _actions(poll.meeting_id)[-1] == "polls.slot_add"


def test_a_time_the_clocks_skip_is_refused(app):
    meeting = make_meeting(status=MeetingStatus.DRAFT, timezone_name="Europe/Berlin")
    poll, secretariat = _poll(meeting=meeting)
    # Clocks go from 02:00 to 03:00 on the last Sunday of March.
    year = date.today().year + 1
    last_sunday = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    with pytest.raises(PollInputError, match="does not exist"):
        add_slot(poll, day=last_sunday, start=time(2, 30), end=time(4), by=secretariat)


@pytest.mark.parametrize(
    "day, start, end, message",
    [
        (SOON, time(12), time(10), "end after it starts"),
        (SOON, time(10), time(10), "end after it starts"),
        (date.today() - timedelta(days=1), time(10), time(12), "past"),
    ],
)
def test_wrong_slots_are_refused_with_a_clear_message(app, day, start, end, message):
    poll, secretariat = _poll()
    with pytest.raises(PollInputError, match=message):
        add_slot(poll, day=day, start=start, end=end, by=secretariat)
    assert db.session.scalar(sa.select(sa.func.count(PollSlot.id))) == 0


def test_the_same_slot_twice_is_refused(app):
    poll, secretariat = _poll()
    _slot(poll, secretariat)
    with pytest.raises(PollInputError, match="already has a slot"):
        add_slot(poll, day=SOON, start=time(10), end=time(12), by=secretariat)
    other = _slot(poll, secretariat, start=time(14), end=time(16))
    with pytest.raises(PollInputError, match="already has a slot"):
        update_slot(other, day=SOON, start=time(10), end=time(12), by=secretariat)


def test_a_slot_is_moved_and_logged(app):
    poll, secretariat = _poll()
    slot = _slot(poll, secretariat)
    update_slot(slot, day=SOON, start=time(14), end=time(15), by=secretariat)
    db.session.commit()
    slot = db.session.get(PollSlot, slot.id)
    assert slot.starts_at == datetime.combine(SOON, time(11), tzinfo=UTC)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "polls.slot_change")
    ).one()
    assert event.changes["starts_at"][1] == slot.starts_at.isoformat()


def test_removing_a_slot_removes_its_answers_only(app):
    poll, secretariat = _poll()
    first, second = _slot(poll, secretariat), _slot(poll, secretariat, start=time(14), end=time(16))
    (respondent,) = _asked(poll, secretariat)
    answer(respondent, {first.id: YES, second.id: NO}, None)
    db.session.commit()
    remove_slot(first, by=secretariat)
    db.session.commit()
    stored = db.session.execute(sa.select(PollAnswer.slot_id, PollAnswer.choice)).all()
    assert stored == [(second.id, NO)]
    assert [s.id for s in db.session.get(Poll, poll.id).slots] == [second.id]
    assert _actions(poll.meeting_id)[-1] == "polls.slot_remove"


def test_slots_cannot_change_once_the_poll_is_closed(app):
    poll, secretariat = _poll()
    slot = _slot(poll, secretariat)
    poll.status = PollStatus.CLOSED
    db.session.commit()
    with pytest.raises(PollError, match="closed"):
        add_slot(poll, day=SOON, start=time(14), end=time(16), by=secretariat)
    with pytest.raises(PollError, match="closed"):
        update_slot(slot, day=SOON, start=time(14), end=time(16), by=secretariat)
    with pytest.raises(PollError, match="closed"):
        remove_slot(slot, by=secretariat)


# --- the people asked ----------------------------------------------------------------------


def test_asking_people_skips_the_inactive_and_those_already_asked(app):
    poll, secretariat = _poll()
    organisation = make_organisation()
    already = make_contact(organisation)
    ask_people(poll, [already], by=secretariat)
    db.session.commit()
    fresh = make_contact(organisation)
    inactive = make_contact(organisation, active=False)
    result = ask_people(poll, [already, fresh, inactive, fresh], by=secretariat)
    db.session.commit()
    assert [r.contact_id for r in result.asked] == [fresh.id]
    assert result.already_asked == [already]
    assert result.inactive_skipped == [inactive]
    asked = db.session.scalars(
        sa.select(PollRespondent.contact_id).where(PollRespondent.poll_id == poll.id)
    )
    assert sorted(asked) == sorted([already.id, fresh.id])
    assert "polls.ask" in _actions(poll.meeting_id)


def test_people_are_chosen_as_invitees_are(app):
    poll, secretariat = _poll()
    ministry = make_organisation(category=Category.NATIONAL_GOVERNMENT)
    agency = make_organisation(category=Category.UN_AGENCY)
    in_ministry = make_contact(ministry)
    in_agency = make_contact(agency)
    chosen = people_to_ask(poll.meeting, organisation_ids=[ministry.id])
    assert chosen == [in_ministry]
    chosen = people_to_ask(poll.meeting, categories=[Category.UN_AGENCY])
    assert in_agency in chosen and in_ministry not in chosen


def test_moving_a_slot_clears_the_answers_given_for_its_old_time(app):
    poll, secretariat = _poll()
    moved = _slot(poll, secretariat)
    kept = _slot(poll, secretariat, start=time(14), end=time(16))
    (person,) = _asked(poll, secretariat)
    answer(person, {moved.id: YES, kept.id: NO}, None)
    db.session.commit()
    # Not moving (same times) keeps them.
    update_slot(moved, day=SOON, start=time(10), end=time(12), by=secretariat)
    db.session.commit()
    assert len(db.session.scalars(sa.select(PollAnswer)).all()) == 2
    update_slot(moved, day=SOON, start=time(17), end=time(18), by=secretariat)
    db.session.commit()
    left = db.session.execute(sa.select(PollAnswer.slot_id, PollAnswer.choice)).all()
    assert left == [(kept.id, NO)]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "polls.slot_change")
    ).one()
    assert event.changes["answers_cleared"] == 1


def test_a_chair_who_is_also_a_contact_is_asked_once(app):
    chair = make_user(Role.MEMBER, email="chair@example.org")
    meeting = make_meeting(status=MeetingStatus.DRAFT, chairs=[(chair, "Chair")])
    poll, secretariat = _poll(meeting=meeting)
    as_contact = make_contact(email="Chair@example.org")
    # Chair first: the contact with the same email is not asked again.
    ask_chairs(poll, by=secretariat)
    result = ask_people(poll, [as_contact, make_contact()], by=secretariat)
    db.session.commit()
    assert result.asked_as_chair == [as_contact] and len(result.asked) == 1
    assert len(poll.respondents) == 2

    # Contact first: asking the chairs turns that person into the chair, same link.
    other_poll, _ = _poll(meeting=make_meeting(status=MeetingStatus.DRAFT, chairs=[(chair, "")]))
    (person,) = ask_people(other_poll, [as_contact], by=secretariat).asked
    link_id = person.link_id
    assert ask_chairs(other_poll, by=secretariat) == []
    db.session.commit()
    db.session.expire_all()
    [only] = db.session.get(Poll, other_poll.id).respondents
    assert only.user_id == chair.id and only.contact_id is None and only.link_id == link_id


def test_the_chairs_are_asked_once(app):
    chair, co_chair = make_user(Role.MEMBER), make_user(Role.MEMBER)
    meeting = make_meeting(
        status=MeetingStatus.DRAFT, chairs=[(chair, "Chair"), (co_chair, "Co-chair")]
    )
    poll, secretariat = _poll(meeting=meeting)
    asked = ask_chairs(poll, by=secretariat)
    db.session.commit()
    assert [r.user_id for r in asked] == [chair.id, co_chair.id]
    assert all(r.is_chair and r.contact_id is None for r in asked)
    assert asked[0].name == chair.name and asked[0].email == chair.email
    assert ask_chairs(poll, by=secretariat) == []


def test_a_respondent_is_a_contact_or_a_user_never_both_nor_neither(app):
    poll, _ = _poll()
    contact, user = make_contact(), make_user()
    for kwargs in ({}, {"contact_id": contact.id, "user_id": user.id}):
        db.session.add(PollRespondent(poll_id=poll.id, **kwargs))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_nobody_is_asked_once_the_poll_is_closed(app):
    poll, secretariat = _poll()
    poll.status = PollStatus.CLOSED
    db.session.commit()
    with pytest.raises(PollError, match="closed"):
        ask_people(poll, [make_contact()], by=secretariat)


def test_key_organisations_are_set_replaced_and_checked(app):
    poll, secretariat = _poll()
    a, b, c = make_organisation(), make_organisation(), make_organisation()
    set_key_organisations(poll, [a.id, b.id], by=secretariat)
    db.session.commit()
    set_key_organisations(poll, [b.id, c.id], by=secretariat)
    db.session.commit()
    poll = db.session.get(Poll, poll.id)
    assert sorted(k.organisation_id for k in poll.key_organisations) == sorted([b.id, c.id])
    with pytest.raises(PollInputError, match="does not exist"):
        set_key_organisations(poll, [a.id, 10**6], by=secretariat)
    assert _actions(poll.meeting_id).count("polls.key_organisations") == 2


# --- answering -----------------------------------------------------------------------------


def test_an_answer_is_recorded_and_can_be_changed(app):
    poll, secretariat = _poll()
    first, second = _slot(poll, secretariat), _slot(poll, secretariat, start=time(14), end=time(16))
    (respondent,) = _asked(poll, secretariat)
    answer(respondent, {first.id: YES, str(second.id): "if_need_be"}, "  Late on Fridays ")
    db.session.commit()
    answer(respondent, {first.id: NO}, "")
    db.session.commit()
    respondent = db.session.get(PollRespondent, respondent.id)
    assert {a.slot_id: a.choice for a in respondent.answers} == {first.id: NO}
    assert respondent.comment is None
    assert respondent.answered_at is not None


def test_answers_close_at_the_deadline_and_when_the_date_is_chosen(app):
    poll, secretariat = _poll()
    slot = _slot(poll, secretariat)
    (respondent,) = _asked(poll, secretariat)
    with pytest.raises(PollClosed, match="deadline"):
        answer(respondent, {slot.id: YES}, None, now=poll.deadline)
    poll.status = PollStatus.CLOSED
    db.session.commit()
    with pytest.raises(PollClosed, match="closed"):
        answer(respondent, {slot.id: YES}, None)
    assert db.session.scalar(sa.select(sa.func.count(PollAnswer.id))) == 0


def test_an_answer_for_a_removed_slot_is_refused_and_nothing_is_saved(app):
    poll, secretariat = _poll()
    first, second = _slot(poll, secretariat), _slot(poll, secretariat, start=time(14), end=time(16))
    (respondent,) = _asked(poll, secretariat)
    answer(respondent, {second.id: MAYBE}, "first answer")
    db.session.commit()
    first_id = first.id
    remove_slot(first, by=secretariat)
    db.session.commit()
    with pytest.raises(PollError, match="removed"):
        answer(respondent, {first_id: YES, second.id: YES}, "second answer")
    db.session.rollback()
    respondent = db.session.get(PollRespondent, respondent.id)
    assert [(a.slot_id, a.choice) for a in respondent.answers] == [(second.id, MAYBE)]
    assert respondent.comment == "first answer"


def test_an_answer_for_another_polls_slot_is_refused(app):
    poll, secretariat = _poll()
    other, _ = _poll()
    foreign = _slot(other, secretariat)
    (respondent,) = _asked(poll, secretariat)
    with pytest.raises(PollError):
        answer(respondent, {foreign.id: YES}, None)


def test_an_unknown_choice_is_refused(app):
    poll, secretariat = _poll()
    slot = _slot(poll, secretariat)
    (respondent,) = _asked(poll, secretariat)
    with pytest.raises(PollInputError):
        answer(respondent, {slot.id: "perhaps"}, None)


# --- personal links ------------------------------------------------------------------------


def test_the_personal_link_finds_its_person_and_no_other_link_does(app):
    poll, secretariat = _poll()
    respondent, other = _asked(poll, secretariat, n=2)
    token = poll_token(respondent)

    def found(token: str) -> int | None:
        with app.test_request_context("/"):
            try:
                return _respondent_by_token(token).id
            except NotFound:
                return None

    assert found(token) == respondent.id
    assert found(poll_token(other)) == other.id
    # An RSVP link with the same link id, a tampered or a malformed one: nothing.
    invitation = Invitation(link_id=respondent.link_id)
    assert found(rsvp_token(invitation)) is None
    assert found(make_token(respondent.link_id, "poll") + "x") is None
    assert found(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert found("") is None
    assert respondent.link_id != other.link_id and len(respondent.link_id) == 32


# --- at the same moment --------------------------------------------------------------------


@pytest.mark.commits
def test_people_answering_at_once_all_have_their_answers_saved(app):
    poll, secretariat = _poll()
    slots = [_slot(poll, secretariat, start=time(h), end=time(h + 1)) for h in (9, 11, 14)]
    respondents = _asked(poll, secretariat, n=8)
    slot_ids, respondent_ids = [s.id for s in slots], [r.id for r in respondents]
    db.session.close()

    def answering(respondent_id, n):
        def job():
            respondent = db.session.get(PollRespondent, respondent_id)
            choices = {slot_id: [YES, MAYBE, NO][(n + k) % 3] for k, slot_id in enumerate(slot_ids)}
            answer(respondent, choices, f"comment {n}")

        return job

    # Each person answers twice at once too (a double click).
    jobs = [answering(r, n) for n, r in enumerate(respondent_ids) for _ in range(2)]
    assert run_at_once(app, jobs) == []
    rows = db.session.execute(sa.select(PollAnswer.respondent_id, PollAnswer.slot_id)).all()
    assert sorted(rows) == sorted((r, s) for r in respondent_ids for s in slot_ids)
    comments = db.session.scalars(sa.select(PollRespondent.comment))
    assert sorted(comments) == sorted(f"comment {n}" for n in range(8))


@pytest.mark.commits
def test_an_answer_racing_the_removal_of_its_slot_is_refused_or_removed_with_it(app):
    poll, secretariat = _poll()
    doomed = _slot(poll, secretariat)
    kept = _slot(poll, secretariat, start=time(14), end=time(16))
    respondents = _asked(poll, secretariat, n=6)
    doomed_id, kept_id, poll_id = doomed.id, kept.id, poll.id
    respondent_ids, secretariat_id = [r.id for r in respondents], secretariat.id
    db.session.close()

    def answering(respondent_id):
        def job():
            respondent = db.session.get(PollRespondent, respondent_id)
            answer(respondent, {doomed_id: YES, kept_id: NO}, None)

        return job

    def removing():
        from coordapp.models import User

        remove_slot(db.session.get(PollSlot, doomed_id), by=db.session.get(User, secretariat_id))

    errors = run_at_once(app, [removing, *[answering(r) for r in respondent_ids]])
    # Whoever came after the removal was told so; nobody met a database error.
    assert all(isinstance(e, PollError) and "removed" in str(e) for e in errors), errors
    answers = db.session.execute(sa.select(PollAnswer.respondent_id, PollAnswer.slot_id)).all()
    assert all(slot_id == kept_id for _, slot_id in answers)
    # Each person has either a whole answer (kept slot) or none: never half.
    assert len(answers) + len(errors) == len(respondent_ids)
    assert db.session.scalars(sa.select(PollSlot.id).where(PollSlot.poll_id == poll_id)).all() == [
        kept_id
    ]


def test_the_service_reads_no_request_or_current_user():
    source = open(service.__file__, encoding="utf-8").read()
    assert "current_user" not in source and "request" not in source.replace("requests", "")


def test_the_web_loader_opens_a_right_link_and_answers_404_to_a_wrong_one(app):
    from werkzeug.exceptions import NotFound

    poll, secretariat = _poll()
    (respondent,) = _asked(poll, secretariat)
    with app.test_request_context():
        found = _respondent_by_token(poll_token(respondent))
        assert found.id == respondent.id and found.poll.meeting.id == poll.meeting_id
        with pytest.raises(NotFound):
            _respondent_by_token(rsvp_token(Invitation(link_id=respondent.link_id)))


def _respondent_by_token(token: str):
    return load_by_link(token, service.POLL_LINK, service.respondent_by_link)


def test_the_answer_pages_loader_reads_what_the_page_shows_and_nothing_else(app):
    """coordapp.polls.service.respondent_for_page: the page's parts come with the person
    (no query while rendering); a relationship the page does not show raises instead
    of loading, so a template that starts using one fails here first."""
    from tests.conftest import count_queries

    poll, secretariat = _poll()
    _slot(poll, secretariat)
    [respondent] = _asked(poll, secretariat)
    link_id = respondent.link_id
    db.session.expunge_all()

    found = service.respondent_for_page(link_id)
    with count_queries() as queries:
        shown = (
            found.name,
            [slot.starts_at for slot in found.poll.slots],
            found.poll.chosen_slot,
            found.poll.meeting.series,
            [answer.choice for answer in found.answers],
        )
    assert shown[1] and queries.statements == []
    for unread in (
        lambda: found.poll.respondents,
        lambda: found.poll.meeting.chairs,
        lambda: found.contact.organisation,
    ):
        with pytest.raises(sa.exc.InvalidRequestError, match="raiseload|lazy"):
            unread()
