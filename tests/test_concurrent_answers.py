"""Two people (or one person in two tabs) changing the same row at the same moment: each
change is applied whole, one after the other (or refused with a message, nothing lost),
never mixed (issue #20, finding 2 and its class). Threads, each request on its own
connection and released together, 20 tries each, on SQLite and PostgreSQL (CI runs both;
nothing here skips).

Every "read, decide, write" on a row that two requests can reach, how it is made whole,
and where that is shown with threads ("here" = this file):
- RSVP answer through a personal link: the invitation row locked FOR UPDATE (after its
  meeting FOR SHARE) in the query that reads it (invitations/links.py); the
  secretariat's record of an answer locks and re-reads it (answers.record_answer).
  Withdrawing an invitation locks the meeting, then the invitation, as an answer does
  (answers.lock_invitation). Here (two answers through one link; an answer while the
  invitation is withdrawn came first or is refused, 410; a withdrawal while an answer
  holds the meeting waits: it deadlocked with it on PostgreSQL, a 503, before);
  seats: test_capacity_concurrency.py.
- Commitment status (its personal link, the follow-up page, the tracker): the row locked
  and re-read before the update is added (commitments.add_update), so its status is its
  latest update's; through the link, refused (404) if the link was revoked meanwhile
  (the commitment handed to someone else). Here (both; the revoked link's status was
  recorded after the change before).
- Agenda item edits: the item row locked and re-read (agenda.update_item). Here.
- Poll answers: the poll FOR SHARE, the respondent FOR UPDATE and re-read, then its
  answers replaced (polls/service.answer). Here (one link, two tabs, overlapping and
  other dates); many people and double clicks at once, and an answer racing a date's
  removal: test_polls_service.py; slot edits while people answer: test_poll_pages.py;
  choosing the date twice at once: test_poll_results.py.
- Minutes: an item's text and decisions, and the opening and closing: UPDATE ... WHERE
  lock_version = the form's, so of two saves from one state one wins and the other is
  refused with the winner's text beside the loser's (minutes/service.py). Here (two
  editors); a stale read and two saves at once: test_minutes.py.
- Minutes saved while the secretariat submits them: an item's save locks its version
  FOR SHARE, so the submission waits for it (the chairs get what was saved) or the save
  waits and is refused as no longer a draft; the opening and closing are an UPDATE of
  the version row itself, which the submission's UPDATE serialises. Here (a race, and a
  save held open while the submission comes: it failed on PostgreSQL before the lock).
- Approval: every transition is an UPDATE of the version WHERE status = the expected
  one, which locks the row until commit; one approval per chair is a unique constraint.
  Here (two chairs and a second tab at once; approve against return); two signatures
  completing at once: test_minutes_pdf.py.
- Public summary: start, save and publish lock the meeting row, and a save checks the
  form's lock_version (outcomes/service.py). Here (two tabs saving); a double click on
  start and on publish: test_outcomes.py.
- Whole-form edits by the secretariat, each applied whole, the second after the first:
  the row locked and read afresh (with its collections) before the form is applied.
  Meeting details and chairs (meetings.update_meeting), series with default chairs and
  lists (meetings.save_series), a commitment's description, organisations, dates and
  goals (commitments.update_commitment), a contact, an organisation
  (directory.update_contact / update_organisation). Here: each mixed the two forms
  before (a post only writes the columns it changes).
- The order of an agenda (add, move, drag, delete, copy items): the meeting row locked,
  the positions read as committed (agenda/service.py _lock_order). Here (two moves at
  once left two items on one position before).
- Accounts (an administrator editing, demoting or deactivating an account): the actor's
  and the account's rows locked in id order, then the actor must still be an active
  administrator (admin/service.py). Here (two administrators removing each other at once
  left none before).
- Nominations: the request row locked (nominations/service.py): test_nominations.py.
- Login throttle: an advisory lock per key (ratelimit.py): test_login_concurrency.py.
- The attendance sheet: a row is written only where it differs from the value the page
  was drawn with (a late sheet does not undo a colleague's marks on other rows), and the
  rows written are locked in id order and read afresh first, so a mark and its mode stay
  together (attendance/service.save_sheet). Here (a mark stored with the other mark's
  mode before).
- The reply after a commit: a route reads what its redirect needs before it commits, since
  from then on another request may delete the row (an approval a return drops, an agenda
  item another editor deletes) and reading the expired row answered 500. Here, pinned
  at that moment (tests.concurrency.right_after_the_commit_of): approving, retrying a
  signature, saving and moving an agenda item (approve against return failed this way
  once in CI, on SQLite).
Locks go through models/locking.py (lock_row, lock_for_writing, take_turns), parent
(meeting) before child, in one order everywhere.
Not threads-tested here, by design: linking an account to a contact (one column); a
person's own password and language.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from coordapp.approval.service import submit_for_approval
from coordapp.commitments.notifications import status_token
from coordapp.commitments.service import CommitmentValues, create_commitment
from coordapp.extensions import db
from coordapp.links import poll_token, rsvp_token
from coordapp.minutes import service as minutes_service
from coordapp.models import (
    AuditEvent,
    Commitment,
    CommitmentSDG,
    CommitmentStatus,
    CommitmentUpdate,
    Contact,
    Invitation,
    InvitationStatus,
    Meeting,
    MeetingChair,
    MeetingStatus,
    Organisation,
    PollAnswer,
    PollChoice,
    PollRespondent,
    PollVisibility,
    Role,
    Series,
    SeriesChair,
    User,
    utcnow,
)
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import MinutesApproval, MinutesReturn, SignatureStatus
from coordapp.models.minutes import MinutesItem, MinutesRevision, MinutesStatus, MinutesVersion
from coordapp.outcomes.service import start_draft, summary_of
from coordapp.polls.service import add_slot, ask_people, create_poll
from tests.concurrency import right_after_the_commit_of
from tests.conftest import login_as
from tests.factories import (
    TINY_PDF,
    make_approved_meeting,
    make_attachment,
    make_contact,
    make_meeting,
    make_organisation,
    make_series,
    make_user,
)
from tests.pdf_hooks import Recorder, answer_pdf_hooks

TRIES = 20
ANSWER_A = {"status": "tentative", "comment": "Comment A", "needs": "Needs A"}
ANSWER_B = {"status": "declined", "comment": "Comment B", "needs": "Needs B"}


def _posted_at_once(app, requests: list[tuple]) -> list:
    """POST each (url, data) or (url, data, user) from its own client and thread, released
    together (logged in as `user` if given); the responses, in the order of `requests`."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)
    errors: list[BaseException] = []
    clients = []
    for _url, _data, *user in requests:
        client = app.test_client()
        if user and user[0] is not None:
            login_as(client, user[0])
        clients.append(client)
    db.session.close()

    def send(n, client, url, data):
        try:
            barrier.wait(timeout=30)
            responses[n] = client.post(url, data=data)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=send, args=(n, client, *request[:2]))
        for n, (client, request) in enumerate(zip(clients, requests, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return responses


def _at_once(app, requests: list, user=None) -> list[int]:
    """The status codes of `_posted_at_once`, everyone logged in as `user` if given."""
    return [r.status_code for r in _posted_at_once(app, [(*r, user) for r in requests])]


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _stored(invitation_id: int) -> dict[str, str | None]:
    db.session.expire_all()
    row = db.session.get(Invitation, invitation_id)
    answer = {"status": row.status.value, "comment": row.comment, "needs": row.needs}
    db.session.rollback()
    return answer


@pytest.mark.commits  # threads, each request on its own connection
@pytest.mark.parametrize("capacity", [None, 5])
def test_two_answers_through_one_rsvp_link_at_once_are_each_applied_whole(app, capacity):
    meeting = make_meeting(capacity=capacity)
    invitation = Invitation(meeting=meeting, contact=make_contact(email="two-tabs@example.org"))
    db.session.add(invitation)
    db.session.commit()
    invitation_id, url = invitation.id, f"/rsvp/{rsvp_token(invitation)}"
    db.session.close()

    mixed = []
    for attempt in range(TRIES):
        # Start from a row holding part of each answer (an earlier answer, then an edit):
        # each post then changes only some columns, which is where halves used to mix.
        start = (ANSWER_A, ANSWER_B) if attempt % 2 else (ANSWER_B, ANSWER_A)
        row = db.session.get(Invitation, invitation_id)
        row.status = InvitationStatus(start[0]["status"])
        row.comment, row.needs = start[1]["comment"], start[0]["needs"]
        db.session.commit()

        codes = _at_once(app, [(url, ANSWER_A), (url, ANSWER_B)])
        assert codes == [303, 303], codes
        stored = _stored(invitation_id)
        if stored not in (ANSWER_A, ANSWER_B):
            mixed.append(stored)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_two_status_updates_through_one_link_at_once_leave_the_latest_as_the_status(app):
    meeting = make_meeting()
    contact = make_contact(email="responsible@example.org")
    commitment = Commitment(
        meeting_id=meeting.id,
        description="Publish a migration data dashboard",
        responsible=contact,
        status=CommitmentStatus.OPEN,
        sdgs=[],
        updates=[CommitmentUpdate(status=CommitmentStatus.OPEN)],
    )
    db.session.add(commitment)
    db.session.commit()
    commitment_id, url = commitment.id, f"/commitments/status/{status_token(commitment)}"
    db.session.close()

    wrong = []
    for _attempt in range(TRIES):
        codes = _at_once(
            app,
            [(url, {"status": "done", "note": "A"}), (url, {"status": "in_progress", "note": "B"})],
        )
        assert codes == [303, 303], codes
        status = db.session.scalar(
            sa.select(Commitment.status).where(Commitment.id == commitment_id)
        )
        latest = db.session.execute(
            sa.select(CommitmentUpdate.status, CommitmentUpdate.note)
            .where(CommitmentUpdate.commitment_id == commitment_id)
            .order_by(CommitmentUpdate.at.desc(), CommitmentUpdate.id.desc())
            .limit(1)
        ).one()
        db.session.rollback()
        if status != latest.status:
            wrong.append((status.value, latest.status.value, latest.note))
    assert not wrong, (
        f"{len(wrong)} of {TRIES} tries: status is not the latest update's: {wrong[:3]}"
    )


@pytest.mark.commits  # threads, each request on its own connection
def test_two_tabs_saving_one_agenda_item_at_once_each_save_whole(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="tabs@example.org").id)
    meeting = make_meeting()
    item = AgendaItem(
        meeting_id=meeting.id, position=0, title="Start", kind=AgendaItemKind.DISCUSSION
    )
    db.session.add(item)
    db.session.commit()
    item_id, url = item.id, f"/agenda/items/{item.id}/edit"
    form_a = {"title": "Title A", "kind": "presentation", "duration_minutes": "10"}
    form_b = {"title": "Title B", "kind": "decision", "duration_minutes": "20"}
    db.session.close()

    mixed = []
    for attempt in range(TRIES):
        first, second = (form_a, form_b) if attempt % 2 else (form_b, form_a)
        row = db.session.get(AgendaItem, item_id)
        row.title, row.kind = first["title"], AgendaItemKind(first["kind"])
        row.duration_minutes = int(second["duration_minutes"])
        db.session.commit()
        codes = _at_once(app, [(url, form_a), (url, form_b)], user=secretariat)
        assert codes == [302, 302], codes
        db.session.expire_all()
        row = db.session.get(AgendaItem, item_id)
        stored = {
            "title": row.title,
            "kind": row.kind.value,
            "duration_minutes": str(row.duration_minutes),
        }
        db.session.rollback()
        if stored not in (form_a, form_b):
            mixed.append(stored)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


def _agenda_item_posts(item_id: int, attachment_id: int) -> dict[str, tuple[str, dict]]:
    """The posts that end on the agenda at item `item_id`: (url, test-client arguments)."""
    return {
        "edit": (
            f"/agenda/items/{item_id}/edit",
            {"data": {"title": "Saved", "kind": "discussion", "duration_minutes": "10"}},
        ),
        "move": (f"/agenda/items/{item_id}/move", {"data": {"direction": "up"}}),
        "attach": (
            f"/agenda/items/{item_id}/attachments",
            {
                "data": {"file": (io.BytesIO(TINY_PDF), "figures.pdf")},
                "content_type": "multipart/form-data",
            },
        ),
        "remove an attachment": (f"/attachments/{attachment_id}/delete", {}),
    }


@pytest.mark.commits  # a second connection deletes between the save's commit and reply
@pytest.mark.parametrize("action", ["edit", "move", "attach", "remove an attachment"])
def test_an_agenda_item_deleted_right_after_a_save_still_gets_its_reply(app, action):
    # Another editor deletes the item the moment this post commits: the reply used to read
    # the item's expired row for its anchor and answer 500 (ObjectDeletedError).
    secretariat = make_user(Role.SECRETARIAT, email="deleted-meanwhile@example.org")
    meeting = make_meeting()
    items = [
        AgendaItem(meeting_id=meeting.id, position=n, title=t, kind=AgendaItemKind.DISCUSSION)
        for n, t in enumerate("AB")
    ]
    db.session.add_all(items)
    attachment = make_attachment(items[1], "old.pdf")
    item_id, meeting_id = items[1].id, meeting.id
    url, arguments = _agenda_item_posts(item_id, attachment.id)[action]
    client = app.test_client()
    login_as(client, secretariat)
    db.session.close()

    def delete_meanwhile(other) -> int:
        return other.execute(sa.delete(AgendaItem).where(AgendaItem.id == item_id)).rowcount

    with right_after_the_commit_of(AgendaItem, delete_meanwhile) as deleted:
        response = client.post(url, **arguments)

    assert deleted == [1]
    assert response.status_code in (302, 303)
    assert response.location.endswith(f"/meetings/{meeting_id}/agenda#item-{item_id}")


@pytest.mark.commits  # threads, each request on its own connection
@pytest.mark.parametrize("b_dates", ["the same dates", "other dates"])
def test_two_tabs_answering_one_poll_link_at_once_each_save_whole_answers(app, b_dates):
    secretariat = make_user(Role.SECRETARIAT, email="poll-tabs@example.org")
    poll = create_poll(
        make_meeting(status=MeetingStatus.DRAFT),
        message="Which date suits you?",
        deadline=utcnow() + timedelta(days=7),
        visibility=PollVisibility.COUNTS,
        reminder_days_before=2,
        by=secretariat,
    )
    soon = date.today() + timedelta(days=20)
    slots = [
        add_slot(poll, day=soon, start=time(hour), end=time(hour + 1), by=secretariat)
        for hour in (9, 11, 14)
    ]
    (respondent,) = ask_people(poll, [make_contact()], by=secretariat).asked
    db.session.commit()
    one, two, three = (slot.id for slot in slots)
    respondent_id, url = respondent.id, f"/poll/{poll_token(respondent)}"
    # Other choices for one date (where rows would collide) or only other dates (where a
    # mix would keep the dates of both), and another comment.
    answer_a = {one: "yes", two: "if_need_be", "comment": "Comment A"}
    if b_dates == "the same dates":
        answer_b = {one: "no", two: "yes", "comment": "Comment B"}
    else:
        answer_b = {three: "no", "comment": "Comment B"}
    db.session.close()

    def form(answer):
        return {
            (f"slot-{key}" if isinstance(key, int) else key): value for key, value in answer.items()
        }

    def stored():
        db.session.expire_all()
        row = db.session.get(PollRespondent, respondent_id)
        answer = {a.slot_id: a.choice.value for a in row.answers} | {"comment": row.comment}
        db.session.rollback()
        return answer

    mixed = []
    for attempt in range(TRIES):
        # Start from the answer that is not first in this try's order (as a second visit).
        start = answer_b if attempt % 2 else answer_a
        db.session.execute(sa.delete(PollAnswer).where(PollAnswer.respondent_id == respondent_id))
        db.session.add_all(
            PollAnswer(respondent_id=respondent_id, slot_id=key, choice=PollChoice(value))
            for key, value in start.items()
            if isinstance(key, int)
        )
        db.session.get(PollRespondent, respondent_id).comment = start["comment"]
        db.session.commit()

        codes = _at_once(app, [(url, form(answer_a)), (url, form(answer_b))])
        assert codes == [303, 303], codes
        answer = stored()
        if answer not in (answer_a, answer_b):
            mixed.append(answer)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


def _minutes_in_draft() -> SimpleNamespace:
    """A held meeting with two co-chairs, one agenda item and version 1 of its minutes
    (a draft with that item's minutes), and two secretariat accounts; ids only."""
    chairs = [make_user(Role.MEMBER, email=f"chair{n}@example.org") for n in (1, 2)]
    meeting = make_meeting(
        status=MeetingStatus.HELD,
        chairs=[(chairs[0], "UN Resident Coordinator"), (chairs[1], "Chief of Mission")],
    )
    db.session.add(
        AgendaItem(meeting_id=meeting.id, position=0, title="Data", kind=AgendaItemKind.DISCUSSION)
    )
    db.session.commit()
    version = minutes_service.current_version(meeting)
    db.session.commit()
    (item,) = minutes_service.minutes_items(version)
    ids = SimpleNamespace(meeting=meeting.id, version=version.id, item=item.id)
    ids.chairs = [SimpleNamespace(id=chair.id) for chair in chairs]
    ids.editors = [
        SimpleNamespace(id=make_user(Role.SECRETARIAT, email=f"editor{n}@example.org").id)
        for n in (1, 2)
    ]
    db.session.close()
    return ids


# The two texts of the minutes a form saves: one agenda item's minutes and decisions, or
# the opening and closing of the meeting: (url, the two saves, a reset to a start state,
# what is stored and its lock_version, the field both texts must be on a refused page).
def _item_texts(ids):
    def reset():
        item = db.session.get(MinutesItem, ids.item)
        item.text, item.decisions = "Start", ["Start decision"]

    def stored():
        item = db.session.get(MinutesItem, ids.item)
        return {"text": item.text, "decisions": "\n".join(item.decisions)}, item.lock_version

    saves = [
        {"text": "Text A", "decisions": "Decision A1\nDecision A2"},
        {"text": "Text B", "decisions": "Decision B"},
    ]
    return f"/minutes/items/{ids.item}", saves, reset, stored, "text"


def _meeting_texts(ids):
    def reset():
        version = db.session.get(MinutesVersion, ids.version)
        version.opening_summary, version.closing_summary = "Start opening", "Start closing"
        version.next_meeting_note = "Start note"

    def stored():
        version = db.session.get(MinutesVersion, ids.version)
        fields = ("opening_summary", "closing_summary", "next_meeting_note")
        return {name: getattr(version, name) for name in fields}, version.lock_version

    saves = [
        {
            "opening_summary": f"Opening {n}",
            "closing_summary": f"Closing {n}",
            "next_meeting_note": f"Note {n}",
        }
        for n in "AB"
    ]
    return (
        f"/meetings/{ids.meeting}/minutes/meeting-fields",
        saves,
        reset,
        stored,
        "opening_summary",
    )


@pytest.mark.commits  # threads, each request on its own connection
@pytest.mark.parametrize("texts", [_item_texts, _meeting_texts], ids=["item", "meeting"])
def test_two_editors_saving_the_minutes_from_the_same_state_keep_one_whole_save(app, texts):
    ids = _minutes_in_draft()
    url, saves, reset, stored_now, shown = texts(ids)

    wrong = []
    for _attempt in range(TRIES):
        reset()
        db.session.commit()
        base = stored_now()[1]
        revisions_before = _count(MinutesRevision)
        db.session.close()

        forms = [
            {**save, "lock_version": str(base), "version_id": str(ids.version)} for save in saves
        ]
        responses = _posted_at_once(
            app, [(url, form, editor) for form, editor in zip(forms, ids.editors, strict=True)]
        )
        codes = [r.status_code for r in responses]
        db.session.expire_all()
        stored, lock_version = stored_now()
        outcome = (codes, stored, lock_version - base, _count(MinutesRevision))
        db.session.rollback()
        if sorted(codes) != [302, 409]:
            wrong.append(outcome)
            continue
        winner, loser = (0, 1) if codes[0] == 302 else (1, 0)
        refusal = responses[loser].get_data(as_text=True)
        if (
            stored != saves[winner]  # the winner's save, whole
            or outcome[2:] != (1, revisions_before + 1)  # one save, its history kept
            or "Not saved: someone else saved this" not in refusal
            # The loser's text is still in their form, beside what the winner saved.
            or not all(saves[n][shown] in refusal for n in (0, 1))
        ):
            wrong.append(outcome)
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


def _submitted(app, monkeypatch, render=None) -> SimpleNamespace:
    """`_minutes_in_draft`, submitted for approval; the worker's rendering and signing
    replaced by `render` (default: a recorder) and a recorder (`ids.signatures`)."""
    ids = _minutes_in_draft()
    ids.signatures = Recorder()
    answer_pdf_hooks(app, monkeypatch, render or Recorder(), ids.signatures)
    version = db.session.get(MinutesVersion, ids.version)
    submit_for_approval(version, db.session.get(User, ids.editors[0].id))
    db.session.commit()
    db.session.close()
    return ids


def _back_to_submitted(version_id: int) -> None:
    """Version `version_id` submitted again, with no approval and no return."""
    db.session.execute(sa.delete(MinutesApproval).where(MinutesApproval.version_id == version_id))
    db.session.execute(sa.delete(MinutesReturn).where(MinutesReturn.version_id == version_id))
    db.session.execute(
        sa.update(MinutesVersion)
        .where(MinutesVersion.id == version_id)
        .values(status=MinutesStatus.SUBMITTED)
    )
    db.session.commit()


def _approvers(version_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(MinutesApproval.user_id).where(MinutesApproval.version_id == version_id)
        )
    )


@pytest.mark.commits  # threads, each request on its own connection
def test_two_chairs_and_a_second_tab_approving_at_once_record_one_approval_each(app, monkeypatch):
    ids = _submitted(app, monkeypatch)
    url = f"/minutes/versions/{ids.version}/approve"
    first, second = ids.chairs

    wrong = []
    for _attempt in range(TRIES):
        _back_to_submitted(ids.version)
        ids.signatures.calls.clear()
        responses = _posted_at_once(app, [(url, {}, first), (url, {}, first), (url, {}, second)])
        codes = [r.status_code for r in responses]
        db.session.expire_all()
        version = db.session.get(MinutesVersion, ids.version)
        approvals = sorted(
            db.session.execute(
                sa.select(MinutesApproval.user_id, MinutesApproval.id).where(
                    MinutesApproval.version_id == ids.version
                )
            ).all()
        )
        outcome = (codes, version.status.value, approvals, sorted(ids.signatures.calls))
        db.session.rollback()
        # The first chair's two tabs: one approval, the other tab is told; the second
        # chair's approval recorded beside it; one signature asked for each approval.
        loser = responses[codes.index(409)] if 409 in codes else None
        if (
            sorted(codes[:2]) != [302, 409]
            or codes[2] != 302
            or "You have already approved" not in loser.get_data(as_text=True)
            or version.status is not MinutesStatus.SUBMITTED
            or [user_id for user_id, _ in approvals] != sorted([first.id, second.id])
            or sorted(ids.signatures.calls) != sorted(i for _, i in approvals)
        ):
            wrong.append(outcome)
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_a_chair_approving_while_the_other_returns_the_minutes_is_applied_whole(app, monkeypatch):
    ids = _submitted(app, monkeypatch)
    approving, returning = ids.chairs
    requests = [
        (f"/minutes/versions/{ids.version}/approve", {}, approving),
        (f"/minutes/versions/{ids.version}/return", {"comment": "Add the figures."}, returning),
    ]

    wrong = []
    for _attempt in range(TRIES):
        _back_to_submitted(ids.version)
        responses = _posted_at_once(app, requests)
        codes = [r.status_code for r in responses]
        db.session.expire_all()
        version = db.session.get(MinutesVersion, ids.version)
        dropped = db.session.scalar(
            sa.select(AuditEvent.changes)
            .where(AuditEvent.action == "approval.return", AuditEvent.object_id == ids.version)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )["approvals_dropped"][0]
        outcome = (
            codes,
            version.status.value,
            _approvers(ids.version),
            _count(MinutesReturn),
            dropped,
        )
        db.session.rollback()
        # Either the approval came first and the return then dropped it (both told it
        # worked), or the return came first and the approval was refused: back to draft
        # with one return and no approval either way, never an approval of a draft.
        approved_first = codes[0] == 302
        if (
            codes[1] != 302
            or codes[0] not in (302, 409)
            or outcome[1:4] != ("draft", [], 1)
            or dropped != ([approving.id] if approved_first else [])
            or (
                not approved_first
                and "is not submitted for approval" not in responses[0].get_data(as_text=True)
                and "changed in the meantime" not in responses[0].get_data(as_text=True)
            )
        ):
            wrong.append(outcome)
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # a second connection deletes between the approval's commit and reply
def test_an_approval_returned_right_after_its_commit_still_gets_its_thank_you(app, monkeypatch):
    # The race above, pinned at its narrowest point: the other chair's return commits
    # between the approval's commit and its reply. The reply used to read the approval's
    # id from the expired row, found it deleted and answered 500 (ObjectDeletedError, seen
    # once in CI on SQLite).
    ids = _submitted(app, monkeypatch)
    approving, _returning = ids.chairs
    client = app.test_client()
    login_as(client, approving)
    db.session.close()

    def return_meanwhile(other) -> int:
        deleted = other.execute(
            sa.delete(MinutesApproval).where(MinutesApproval.version_id == ids.version)
        ).rowcount
        other.execute(
            sa.update(MinutesVersion)
            .where(MinutesVersion.id == ids.version)
            .values(status=MinutesStatus.DRAFT)
        )
        return deleted

    with right_after_the_commit_of(MinutesApproval, return_meanwhile) as returned:
        response = client.post(f"/minutes/versions/{ids.version}/approve")

    assert returned == [1]  # the approval was committed, then dropped by the "return"
    assert response.status_code == 302
    assert ids.signatures.calls  # asked for; the worker finds no approval and does nothing
    assert _approvers(ids.version) == []


@pytest.mark.commits  # a second connection deletes between the retry's commit and reply
def test_a_signature_retried_as_the_other_chair_returns_the_minutes_gets_its_reply(
    app, monkeypatch
):
    ids = _submitted(app, monkeypatch)
    approving, _returning = ids.chairs
    approval = MinutesApproval(
        version_id=ids.version,
        user_id=approving.id,
        role_label="UN Resident Coordinator",
        status=SignatureStatus.FAILED,
        error="The signing service was unreachable.",
    )
    db.session.add(approval)
    db.session.commit()
    approval_id = approval.id
    client = app.test_client()
    login_as(client, approving)
    db.session.close()

    def return_meanwhile(other) -> int:
        return other.execute(
            sa.delete(MinutesApproval).where(MinutesApproval.id == approval_id)
        ).rowcount

    with right_after_the_commit_of(MinutesApproval, return_meanwhile) as returned:
        response = client.post(f"/minutes/approvals/{approval_id}/retry-signature")

    assert returned == [1]
    assert response.status_code == 303
    assert response.location.endswith(f"/minutes/versions/{ids.version}")
    assert _approvers(ids.version) == []  # the worker found nothing to sign, and did nothing


@pytest.mark.commits  # threads, each request on its own connection
def test_a_minutes_save_racing_the_submission_lands_before_it_or_is_refused(app, monkeypatch):
    rendered: list[str] = []

    def render(version_id: int) -> None:
        # What the worker renders for the chairs, read as soon as the submission commits.
        rendered.append(
            db.session.scalar(
                sa.select(MinutesItem.text).where(MinutesItem.version_id == version_id)
            )
        )
        db.session.rollback()

    ids = _submitted(app, monkeypatch, render=render)
    editor, submitter = ids.editors

    wrong = []
    for _attempt in range(TRIES):
        _back_to_submitted(ids.version)
        db.session.execute(
            sa.update(MinutesVersion)
            .where(MinutesVersion.id == ids.version)
            .values(status=MinutesStatus.DRAFT)
        )
        item = db.session.get(MinutesItem, ids.item)
        item.text, item.decisions = "Start", []
        db.session.commit()
        base = db.session.get(MinutesItem, ids.item).lock_version
        rendered.clear()
        responses = _posted_at_once(
            app,
            [
                (f"/minutes/items/{ids.item}", {"text": "Edited", "lock_version": base}, editor),
                (f"/meetings/{ids.meeting}/minutes/submit", {}, submitter),
            ],
        )
        codes = [r.status_code for r in responses]
        db.session.expire_all()
        version = db.session.get(MinutesVersion, ids.version)
        text = db.session.get(MinutesItem, ids.item).text
        outcome = (codes, version.status.value, rendered[:], text)
        db.session.rollback()
        # Submitted either way; what the chairs get is what the minutes hold: the edit
        # if it came first, else the edit was refused (the version no longer a draft).
        saved = codes[0] == 302
        if (
            codes[1] != 302
            or codes[0] not in (302, 409)
            or outcome[1:] != ("submitted", ["Edited" if saved else "Start"], text)
            or (not saved and "no longer a draft" not in responses[0].get_data(as_text=True))
        ):
            wrong.append(outcome)
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # a request in a thread while this test's transaction is open
def test_a_submission_waits_for_a_minutes_save_in_progress(app, monkeypatch):
    """The race above, held open: a save has written but not committed when the
    secretariat submits; the submission waits for it, so the chairs get the saved text."""
    rendered: list[str] = []

    def render(version_id: int) -> None:
        rendered.append(
            db.session.scalar(
                sa.select(MinutesItem.text).where(MinutesItem.version_id == version_id)
            )
        )
        db.session.rollback()

    ids = _minutes_in_draft()
    answer_pdf_hooks(app, monkeypatch, render, Recorder())
    submitter = app.test_client()
    login_as(submitter, ids.editors[1])
    item = db.session.get(MinutesItem, ids.item)
    minutes_service.save_item(
        item, "Saved just before", [], item.lock_version, db.session.get(User, ids.editors[0].id)
    )
    codes: list[int] = []
    submitting = threading.Thread(
        target=lambda: codes.append(
            submitter.post(f"/meetings/{ids.meeting}/minutes/submit").status_code
        )
    )
    submitting.start()
    submitting.join(timeout=0.5)  # time enough to submit, if it did not wait
    db.session.commit()  # the save commits
    submitting.join(timeout=30)
    assert codes == [302]
    assert rendered == ["Saved just before"]
    db.session.expire_all()
    assert db.session.get(MinutesVersion, ids.version).status is MinutesStatus.SUBMITTED


@pytest.mark.commits  # threads, each request on its own connection
def test_two_tabs_saving_the_public_summary_from_the_same_form_keep_one_whole_save(app):
    secretariat = make_user(Role.SECRETARIAT, email="summary-tabs@example.org")
    meeting = make_approved_meeting()
    start_draft(
        meeting,
        language="en",
        languages=["en", "ru", "be"],
        name_chairs=False,
        name_organisations=False,
        by=secretariat,
    )
    db.session.commit()
    meeting_id, url = meeting.id, f"/meetings/{meeting.id}/summary/edit"
    secretariat = SimpleNamespace(id=secretariat.id)
    saves = [
        {"title": "Title A", "body": "Body A", "language": "en"},
        {"title": "Title B", "body": "Body B", "language": "ru"},
    ]
    db.session.close()

    wrong = []
    for _attempt in range(TRIES):
        summary = summary_of(meeting_id)
        summary.title, summary.body, summary.language = "Start", "Start body", "be"
        db.session.commit()
        base = summary_of(meeting_id).lock_version
        db.session.close()
        responses = _posted_at_once(
            app,
            [(url, {**save, "lock_version": str(base)}, secretariat) for save in saves],
        )
        codes = [r.status_code for r in responses]
        db.session.expire_all()
        summary = summary_of(meeting_id)
        stored = {"title": summary.title, "body": summary.body, "language": summary.language}
        outcome = (codes, stored, summary.lock_version - base)
        db.session.rollback()
        if sorted(codes) != [302, 409]:
            wrong.append(outcome)
            continue
        winner, loser = (0, 1) if codes[0] == 302 else (1, 0)
        refusal = responses[loser].get_data(as_text=True)
        if (
            stored != saves[winner]
            or outcome[2] != 1
            or "Someone saved this summary after you opened it" not in refusal
            or saves[loser]["body"] not in refusal  # the loser's text is still in the form
        ):
            wrong.append(outcome)
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_two_tabs_saving_one_meeting_at_once_each_save_whole(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="m-tabs@example.org").id)
    meeting_id = make_meeting(status=MeetingStatus.DRAFT, timezone_name="Europe/Minsk").id
    url = f"/meetings/{meeting_id}/edit"
    common = {
        "series_id": "0",
        "number": "",
        "kind": "extended",
        "timezone": "Europe/Minsk",
        "starts_at": "2027-03-04T10:00",
        "ends_at": "2027-03-04T13:00",
        "online_url": "",
        "rsvp_deadline": "",
        "capacity": "",
        "language": "en",
    }
    one, two = (make_user(Role.MEMBER, email=f"m-chair{n}@example.org").id for n in (1, 2))
    saves = [
        {"title": f"Title {n}", "venue": f"Venue {n}", "description": f"About {n}"} for n in "AB"
    ]
    chairs = [[(one, "Chair A")], [(two, "Chair B"), (one, "Co-chair B")]]
    for save, rows in zip(saves, chairs, strict=True):
        save["chairs"] = rows
    db.session.close()

    def form(save):
        data = {**common, **{k: v for k, v in save.items() if k != "chairs"}}
        for n, (user_id, label) in enumerate(save["chairs"]):
            data[f"chairs-{n}-user_id"], data[f"chairs-{n}-role_label"] = str(user_id), label
        return data

    mixed = []
    for attempt in range(TRIES):
        # Each post then changes only some columns, which is where halves would mix.
        first, second = (saves[0], saves[1]) if attempt % 2 else (saves[1], saves[0])
        meeting = db.session.get(Meeting, meeting_id)
        meeting.title, meeting.venue = first["title"], second["venue"]
        meeting.description = "About nothing"
        meeting.chairs.clear()
        db.session.flush()
        meeting.chairs.extend(
            MeetingChair(user_id=user_id, role_label=label, position=n)
            for n, (user_id, label) in enumerate(first["chairs"])
        )
        db.session.commit()
        codes = _at_once(app, [(url, form(save)) for save in saves], user=secretariat)
        assert codes == [302, 302], codes
        db.session.expire_all()
        meeting = db.session.get(Meeting, meeting_id)
        stored = {name: getattr(meeting, name) for name in ("title", "venue", "description")}
        stored["chairs"] = [(c.user_id, c.role_label) for c in meeting.chairs]
        db.session.rollback()
        if stored not in saves:
            mixed.append(stored)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_two_tabs_saving_one_commitment_at_once_each_save_whole(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="c-tabs@example.org").id)
    meeting = make_meeting(status=MeetingStatus.HELD)
    first_org, second_org = make_organisation(), make_organisation()
    values = CommitmentValues(
        description="Start",
        organisations=[first_org],
        responsible=None,
        due_date=None,
        due_quarter=None,
        goals=[],
        agenda_item=None,
    )
    commitment_id = create_commitment(meeting, values, by_user=None).id
    db.session.commit()
    url = f"/commitments/{commitment_id}/edit"
    saves = [
        {
            "description": "Description A",
            "organisation_ids": [first_org.id],
            "due_date": "2027-01-31",
            "goals": ["5"],
        },
        {
            "description": "Description B",
            "organisation_ids": [first_org.id, second_org.id],
            "due_date": "2027-06-30",
            "goals": ["10", "17"],
        },
    ]
    db.session.close()

    def form(save):
        return {
            **save,
            "organisation_ids": [str(n) for n in save["organisation_ids"]],
            "responsible_contact_id": "0",
            "agenda_item_id": "0",
        }

    mixed = []
    for attempt in range(TRIES):
        # Start from part of each: each post then changes only some of the commitment.
        first, second = (saves[0], saves[1]) if attempt % 2 else (saves[1], saves[0])
        commitment = db.session.get(Commitment, commitment_id)
        commitment.description = first["description"]
        commitment.organisations = [
            db.session.get(Organisation, n) for n in first["organisation_ids"]
        ]
        commitment.due_date = date.fromisoformat(second["due_date"])
        commitment.sdgs = []
        db.session.flush()
        commitment.sdgs = [CommitmentSDG(goal=int(goal)) for goal in second["goals"]]
        db.session.commit()
        codes = _at_once(app, [(url, form(save)) for save in saves], user=secretariat)
        assert codes == [303, 303], codes
        db.session.expire_all()
        commitment = db.session.get(Commitment, commitment_id)
        stored = {
            "description": commitment.description,
            "organisation_ids": sorted(org.id for org in commitment.organisations),
            "due_date": commitment.due_date.isoformat(),
            "goals": [str(goal) for goal in commitment.goals],
        }
        db.session.rollback()
        if stored not in saves:
            mixed.append(stored)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


def _contact_forms():
    organisation = make_organisation()
    row = make_contact(organisation, email="tabs-contact@example.org")
    common = {"email": row.email, "organisation_id": str(organisation.id)}
    saves = [
        {"name": f"Name {n}", "position": f"Position {n}", "phone": f"+375 {n}", "language": lang}
        for n, lang in (("1", "ru"), ("2", "be"))
    ]
    return Contact, row.id, f"/directory/contacts/{row.id}/edit", common, saves


def _organisation_forms():
    row = make_organisation(name="Tabs organisation")
    common = {"category": "un_agency", "parent_id": "0", "language": ""}
    saves = [
        {
            "name": f"Name {n}",
            "acronym": f"N{n}",
            "head_name": f"Head {n}",
            "head_title": f"Title {n}",
        }
        for n in "12"
    ]
    return Organisation, row.id, f"/directory/organisations/{row.id}/edit", common, saves


@pytest.mark.commits  # threads, each request on its own connection
@pytest.mark.parametrize("forms", [_contact_forms, _organisation_forms], ids=["contact", "org"])
def test_two_tabs_saving_one_directory_entry_at_once_each_save_whole(app, forms):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="d-tabs@example.org").id)
    model, row_id, url, common, saves = forms()
    db.session.commit()
    names = list(saves[0])
    db.session.close()

    mixed = []
    for attempt in range(TRIES):
        # Start from half of each form: each post then changes only some columns.
        first, second = (saves[0], saves[1]) if attempt % 2 else (saves[1], saves[0])
        row = db.session.get(model, row_id)
        for n, name in enumerate(names):
            setattr(row, name, (first if n % 2 else second)[name])
        db.session.commit()
        codes = _at_once(app, [(url, {**common, **save}) for save in saves], user=secretariat)
        assert codes == [302, 302], codes
        db.session.expire_all()
        row = db.session.get(model, row_id)
        stored = {name: getattr(row, name) for name in names}
        db.session.rollback()
        if stored not in saves:
            mixed.append(stored)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_two_tabs_saving_one_series_at_once_each_save_whole(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="s-tabs@example.org").id)
    series_id = make_series(name="Start").id
    url = f"/series/{series_id}/edit"
    one, two = (make_user(Role.MEMBER, email=f"s-chair{n}@example.org").id for n in (1, 2))
    orgs = [make_organisation().id for _ in range(2)]
    saves = [
        {
            "name": "Series A",
            "description": "About A",
            "chairs": [(one, "Chair A")],
            "organisations": orgs[:1],
        },
        {
            "name": "Series B",
            "description": "About B",
            "chairs": [(two, "Chair B"), (one, "Co-chair B")],
            "organisations": orgs,
        },
    ]
    db.session.close()

    def form(save):
        data = {
            "name": save["name"],
            "description": save["description"],
            "organisation_ids": [str(n) for n in save["organisations"]],
        }
        for n, (user_id, label) in enumerate(save["chairs"]):
            data[f"chairs-{n}-user_id"], data[f"chairs-{n}-role_label"] = str(user_id), label
        return data

    mixed = []
    for attempt in range(TRIES):
        # Start from part of each: each post then changes only some of the series.
        first, second = (saves[0], saves[1]) if attempt % 2 else (saves[1], saves[0])
        series = db.session.get(Series, series_id)
        series.name, series.description = first["name"], second["description"]
        series.default_organisations = [
            db.session.get(Organisation, n) for n in second["organisations"]
        ]
        series.default_chairs.clear()
        db.session.flush()
        series.default_chairs.extend(
            SeriesChair(user_id=user_id, role_label=label, position=n)
            for n, (user_id, label) in enumerate(first["chairs"])
        )
        db.session.commit()
        codes = _at_once(app, [(url, form(save)) for save in saves], user=secretariat)
        assert codes == [302, 302], codes
        db.session.expire_all()
        series = db.session.get(Series, series_id)
        stored = {
            "name": series.name,
            "description": series.description,
            "chairs": [(c.user_id, c.role_label) for c in series.default_chairs],
            "organisations": sorted(o.id for o in series.default_organisations),
        }
        db.session.rollback()
        if stored not in saves:
            mixed.append(stored)
    assert not mixed, f"{len(mixed)} of {TRIES} tries stored a mix: {mixed[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_two_tabs_moving_agenda_items_at_once_give_the_order_of_one_move_then_the_other(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="o-tabs@example.org").id)
    meeting = make_meeting()
    items = [
        AgendaItem(meeting_id=meeting.id, position=n, title=title, kind=AgendaItemKind.DISCUSSION)
        for n, title in enumerate("PWXY")
    ]
    db.session.add_all(items)
    db.session.commit()
    ids = {item.title: item.id for item in items}
    meeting_id = meeting.id
    moves = [(f"/agenda/items/{ids[title]}/move", {"direction": "up"}) for title in "XY"]
    # X up, then Y up; or Y up, then X up (X is then last, and swaps with Y).
    one_then_other = ["PXYW", "PWXY"]
    db.session.close()

    wrong = []
    for _attempt in range(TRIES):
        for n, title in enumerate("PWXY"):
            db.session.get(AgendaItem, ids[title]).position = n
        db.session.commit()
        codes = _at_once(app, moves, user=secretariat)
        assert codes == [303, 303], codes
        rows = db.session.execute(
            sa.select(AgendaItem.title, AgendaItem.position)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        ).all()
        db.session.rollback()
        order, positions = "".join(r.title for r in rows), [r.position for r in rows]
        if order not in one_then_other or positions != [0, 1, 2, 3]:
            wrong.append((order, positions))
    assert not wrong, f"{len(wrong)} of {TRIES} tries: {wrong[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
@pytest.mark.parametrize("action", ["deactivate", "demote"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(app, action):
    admins = [make_user(Role.ADMIN, email=f"admin{n}@example.org") for n in (1, 2)]
    ids = [SimpleNamespace(id=admin.id) for admin in admins]
    db.session.close()

    def request_against(other):
        if action == "deactivate":
            return f"/admin/users/{other.id}/deactivate", {}
        return f"/admin/users/{other.id}/edit", {"name": "Demoted", "role": "member"}

    wrong = []
    for _attempt in range(TRIES):
        db.session.execute(
            sa.update(User)
            .where(User.id.in_([admin.id for admin in ids]))
            .values(role=Role.ADMIN, active=True)
        )
        db.session.commit()
        responses = _posted_at_once(
            app, [(*request_against(ids[1]), ids[0]), (*request_against(ids[0]), ids[1])]
        )
        db.session.expire_all()
        admins_left = db.session.scalar(
            sa.select(sa.func.count(User.id)).where(User.role == Role.ADMIN, User.active)
        )
        db.session.rollback()
        # One removed the other, who was then no longer an administrator: refused, on
        # the form (400) or before it (403) if the removal had already come.
        codes = sorted(r.status_code for r in responses)
        pages = "".join(r.get_data(as_text=True) for r in responses)
        if action == "demote" and codes not in ([302, 403], [302, 400]):
            wrong.append((codes, admins_left))
        elif codes == [302, 400] and "You do not have permission to do this." not in pages:
            wrong.append((codes, admins_left))
        elif admins_left != 1:
            wrong.append((codes, admins_left))
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
def test_a_status_sent_while_the_responsible_person_changes_counts_only_if_it_came_first(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="r-tabs@example.org").id)
    organisation = make_organisation()
    people = [make_contact(organisation, email=f"resp{n}@example.org") for n in (1, 2)]
    values = CommitmentValues(
        description="Publish the dashboard",
        organisations=[organisation],
        responsible=people[0],
        due_date=None,
        due_quarter=None,
        goals=[],
        agenda_item=None,
    )
    commitment = create_commitment(make_meeting(status=MeetingStatus.HELD), values, by_user=None)
    db.session.commit()
    commitment_id, people_ids = commitment.id, [person.id for person in people]
    organisation_id = organisation.id
    db.session.close()

    def edit_to(person_id):
        return {
            "description": "Publish the dashboard",
            "organisation_ids": [str(organisation_id)],
            "responsible_contact_id": str(person_id),
            "agenda_item_id": "0",
        }

    def events(action):
        return list(
            db.session.scalars(
                sa.select(AuditEvent.id).where(
                    AuditEvent.action == action, AuditEvent.object_id == commitment_id
                )
            )
        )

    wrong = []
    for attempt in range(TRIES):
        # The person responsible now sends a status while the secretariat hands the
        # commitment to the other person (which revokes the first person's link).
        now, then = people_ids[attempt % 2], people_ids[(attempt + 1) % 2]
        commitment = db.session.get(Commitment, commitment_id)
        commitment.responsible_contact_id = now
        db.session.commit()
        link = f"/commitments/status/{status_token(commitment)}"
        edits_before = events("commitments.update")
        statuses_before = events("commitments.status_update")
        db.session.close()
        edit, sent = _posted_at_once(
            app,
            [
                (f"/commitments/{commitment_id}/edit", edit_to(then), secretariat),
                (link, {"status": "in_progress", "note": f"Try {attempt}"}),
            ],
        )
        (edited,) = set(events("commitments.update")) - set(edits_before)
        recorded = sorted(set(events("commitments.status_update")) - set(statuses_before))
        db.session.rollback()
        # Either it came first (recorded before the change) or its link no longer works.
        came_first = sent.status_code == 303 and len(recorded) == 1 and recorded[0] < edited
        refused = (
            sent.status_code == 404
            and recorded == []
            and "This link is not valid" in sent.get_data(as_text=True)
        )
        if edit.status_code != 303 or not (came_first or refused):
            wrong.append((edit.status_code, sent.status_code, recorded, edited))
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # threads, each request on its own connection
@pytest.mark.parametrize("capacity", [None, 5])
def test_an_answer_while_the_invitation_is_withdrawn_came_first_or_is_refused(app, capacity):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="w-tabs@example.org").id)
    meeting = make_meeting(capacity=capacity)
    invitation = Invitation(meeting=meeting, contact=make_contact(email="withdrawn@example.org"))
    db.session.add(invitation)
    db.session.commit()
    invitation_id, link = invitation.id, f"/rsvp/{rsvp_token(invitation)}"
    db.session.close()

    wrong = []
    for _attempt in range(TRIES):
        row = db.session.get(Invitation, invitation_id)
        row.withdrawn_at, row.status, row.comment = None, InvitationStatus.PENDING, None
        db.session.commit()
        withdrawn, answered = _posted_at_once(
            app,
            [
                (f"/invitations/{invitation_id}/withdraw", {}, secretariat),
                (link, {"status": "accepted", "comment": "Coming"}),
            ],
        )
        stored = _stored(invitation_id)
        is_withdrawn = db.session.get(Invitation, invitation_id).is_withdrawn
        db.session.rollback()
        # Withdrawn either way; the answer was recorded before, or refused as withdrawn.
        came_first = answered.status_code == 303 and stored["comment"] == "Coming"
        refused = answered.status_code == 410 and stored["comment"] is None
        if withdrawn.status_code != 302 or not is_withdrawn or not (came_first or refused):
            wrong.append((withdrawn.status_code, answered.status_code, stored, is_withdrawn))
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"


@pytest.mark.commits  # a request in a thread while this test's transaction is open
def test_a_withdrawal_waits_for_an_answer_in_progress_instead_of_deadlocking(app):
    """The race above, held open: an answer has locked the meeting (FOR SHARE) and is
    about to lock the invitation when the secretariat withdraws it. The withdrawal locks
    in the answer's order (meeting, then invitation), so it waits; in the other order
    the two waited for each other and the database killed one (a 503)."""
    secretariat = make_user(Role.SECRETARIAT, email="w-held@example.org")
    meeting = make_meeting()
    invitation = Invitation(meeting=meeting, contact=make_contact(email="held@example.org"))
    db.session.add(invitation)
    db.session.commit()
    meeting_id, invitation_id = meeting.id, invitation.id
    withdrawing = app.test_client()
    login_as(withdrawing, secretariat)
    db.session.close()

    # The answer's first step (invitations/links.py reads both in one query).
    db.session.execute(
        sa.select(Meeting.id).where(Meeting.id == meeting_id).with_for_update(read=True)
    ).all()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            withdrawing.post(f"/invitations/{invitation_id}/withdraw").status_code
        )
    )
    thread.start()
    thread.join(timeout=0.5)  # time enough for the withdrawal to take what it can
    db.session.execute(
        sa.select(Invitation.id).where(Invitation.id == invitation_id).with_for_update()
    ).all()
    db.session.commit()  # the answer is done
    thread.join(timeout=30)
    assert codes == [302]
    assert db.session.get(Invitation, invitation_id).is_withdrawn


@pytest.mark.commits  # threads, each request on its own connection
def test_two_people_marking_one_person_at_once_each_mark_whole(app):
    secretariat = SimpleNamespace(id=make_user(Role.SECRETARIAT, email="a-tabs@example.org").id)
    meeting = make_meeting(
        status=MeetingStatus.HELD,
        venue="UN House",
        online_url="https://meet.example.org/x",
        starts_at=datetime.now(UTC) - timedelta(hours=4),
    )
    invitation = Invitation(
        meeting=meeting,
        contact=make_contact(email="marked@example.org"),
        status=InvitationStatus.ACCEPTED,
    )
    db.session.add(invitation)
    db.session.commit()
    invitation_id, url = invitation.id, f"/meetings/{meeting.id}/attendance"
    db.session.close()
    # Present online (with its mode) or absent (with none): never one's mark, the other's mode.
    marks = ["present_online", "absent"]
    whole = [("present", "online"), ("absent", None)]

    wrong = []
    for _attempt in range(TRIES):
        row = db.session.get(Invitation, invitation_id)
        row.attendance, row.present_mode = None, None
        db.session.commit()
        forms = [
            {f"attendance-{invitation_id}": mark, f"was-attendance-{invitation_id}": ""}
            for mark in marks
        ]
        codes = _at_once(app, [(url, form) for form in forms], user=secretariat)
        db.session.expire_all()
        row = db.session.get(Invitation, invitation_id)
        stored = (
            row.attendance and row.attendance.value,
            row.present_mode and row.present_mode.value,
        )
        db.session.rollback()
        if sorted(codes) != [302, 302] or stored not in whole:
            wrong.append((codes, stored))
    assert not wrong, f"{len(wrong)} of {TRIES} tries went wrong: {wrong[:3]}"
