"""Approval of the minutes by the chairs: submit, approve, return, approve for good, amend.

No PDF is rendered or signed here: the worker's two tasks are replaced by recorders, and
a signature is simulated by setting the approval SIGNED, as the signing task does before
it calls `finish_if_all_signed`.
"""

from __future__ import annotations

import types

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_login import login_user

from coordapp.approval import service
from coordapp.approval.forms import AmendForm, SubmitForm
from coordapp.auth.sessions import start_session
from coordapp.extensions import db
from coordapp.links import rsvp_url
from coordapp.minutes import service as minutes_service
from coordapp.models import (
    AuditEvent,
    Invitation,
    InvitationStatus,
    MeetingChair,
    MeetingStatus,
    OutgoingMessage,
    Role,
    utcnow,
)
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    MinutesReturn,
    SignatureStatus,
)
from coordapp.models.invitation import Attendance
from coordapp.models.minutes import MinutesItem, MinutesStatus, MinutesVersion
from coordapp.web import get_meeting_or_404
from tests.conftest import count_queries, login_as
from tests.factories import make_contact, make_meeting, make_user
from tests.outbox import written
from tests.pdf_hooks import Recorder, answer_pdf_hooks
from tests.waiting import assert_done_waiting, assert_waits


@pytest.fixture
def pdf_tasks(app, monkeypatch):
    """The worker's rendering and signing tasks, replaced by recorders."""
    render, sign = Recorder(), Recorder()
    answer_pdf_hooks(app, monkeypatch, render, sign)
    return types.SimpleNamespace(render=render, sign=sign)


class World(types.SimpleNamespace):
    pass


@pytest.fixture
def world(app, secretariat_client, pdf_tasks):
    """A held meeting with two co-chairs, two agenda items with minutes, version 1 draft."""
    chair1 = make_user(Role.MEMBER, email="rc@example.org", name="Rita Coordinator")
    chair2 = make_user(Role.MEMBER, email="iom@example.org", name="Ivan Agency")
    meeting = make_meeting(
        title="Fourth extended meeting",
        status=MeetingStatus.HELD,
        chairs=[(chair1, "UN Resident Coordinator"), (chair2, "Chief of Mission")],
    )
    agenda = [
        AgendaItem(
            meeting_id=meeting.id,
            position=n,
            title=title,
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=20,
        )
        for n, title in enumerate(["Opening remarks", "Migration data"])
    ]
    db.session.add_all(agenda)
    db.session.commit()
    version = minutes_service.current_version(meeting, by=secretariat_client.user)
    version.opening_summary = "The co-chairs opened the meeting."
    db.session.commit()
    items = minutes_service.minutes_items(version)
    items[1].text = "The statistics office presented the dashboard."
    items[1].decisions = ["Publish the migration data dashboard by Q2."]
    db.session.commit()
    return World(
        client=secretariat_client,
        secretariat=secretariat_client.user,
        chair1=chair1,
        chair2=chair2,
        meeting=meeting,
        version=version,
        items=items,
        tasks=pdf_tasks,
    )


def text_of(response) -> str:
    return response.get_data(as_text=True)


def as_user(world, user):
    login_as(world.client, user)
    return world.client


def submit(world):
    return as_user(world, world.secretariat).post(f"/meetings/{world.meeting.id}/minutes/submit")


def approve(world, chair):
    return as_user(world, chair).post(f"/minutes/versions/{world.version.id}/approve")


def return_with(world, chair, comment):
    return as_user(world, chair).post(
        f"/minutes/versions/{world.version.id}/return", data={"comment": comment}
    )


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def approvals_of(version) -> list[MinutesApproval]:
    return list(
        db.session.scalars(
            sa.select(MinutesApproval)
            .where(MinutesApproval.version_id == version.id)
            .order_by(MinutesApproval.position)
        )
    )


def mail_to(address: str) -> list[OutgoingMessage]:
    return [
        written(m)
        for m in db.session.scalars(
            sa.select(OutgoingMessage)
            .where(OutgoingMessage.to_email == address)
            .order_by(OutgoingMessage.id)
        )
    ]


def sign(approval: MinutesApproval) -> None:
    """What the signing task does once the signature is in the PDF."""
    approval.status = SignatureStatus.SIGNED
    approval.signed_at = utcnow()
    db.session.flush()


def approve_and_sign_all(world, order) -> bool:
    """Both chairs approve (through the page), then the worker signs in `order`."""
    for chair in (world.chair1, world.chair2):
        assert approve(world, chair).status_code == 302
    db.session.expire_all()
    approvals = {a.user_id: a for a in approvals_of(world.version)}
    results = []
    for chair in order:
        sign(approvals[chair.id])
        results.append(service.finish_if_all_signed(reload(world.version)))
        db.session.commit()
    return results


# --- submitting ---------------------------------------------------------------------------


def test_submitting_freezes_the_minutes_and_emails_each_chair(world):
    response = submit(world)

    assert response.status_code == 302
    version = reload(world.version)
    assert version.status is MinutesStatus.SUBMITTED
    assert version.submitted_by_id == world.secretariat.id
    assert version.submitted_at is not None
    document = db.session.scalar(
        sa.select(MinutesDocument).where(MinutesDocument.version_id == version.id)
    )
    assert document.status is DocumentStatus.PENDING
    assert world.tasks.render.calls == [version.id]

    for chair in (world.chair1, world.chair2):
        [message] = mail_to(chair.email)
        assert "For your approval" in message.subject
        assert f"/minutes/versions/{version.id}" in message.text_body
        assert f"/minutes/versions/{version.id}" in message.html_body
        assert "Dear " + chair.name in message.text_body

    # Content frozen: the minutes editor refuses a save.
    item = world.items[1]
    response = world.client.post(
        f"/minutes/items/{item.id}",
        data={"text": "A late change", "decisions": "", "lock_version": str(item.lock_version)},
    )
    assert response.status_code == 409
    assert reload(item).text == "The statistics office presented the dashboard."

    # The chair finds the frozen document with the two buttons.
    page = as_user(world, world.chair1).get(f"/minutes/versions/{version.id}")
    assert page.status_code == 200
    html = text_of(page)
    assert "Approve and sign" in html
    assert "Return with a comment" in html
    assert "The statistics office presented the dashboard." in html
    assert "Publish the migration data dashboard by Q2." in html


def test_submitting_twice_is_refused_with_a_message(world):
    assert submit(world).status_code == 302

    response = submit(world)

    assert response.status_code == 409
    assert "already submitted for approval" in text_of(response)
    assert len(mail_to(world.chair1.email)) == 1


@pytest.mark.parametrize("problem", ["not_held", "no_chairs", "missing_item"])
def test_submit_is_refused_until_the_minutes_can_be_approved(world, problem):
    meeting = world.meeting
    if problem == "not_held":
        meeting.status = MeetingStatus.SCHEDULED
        expected = "once the meeting is marked as held"
    elif problem == "no_chairs":
        meeting.chairs.clear()
        expected = "has no chairs"
    else:
        db.session.add(
            AgendaItem(
                meeting_id=meeting.id,
                position=5,
                title="Any other business",
                kind=AgendaItemKind.DISCUSSION,
            )
        )
        expected = "“Any other business”"
    db.session.commit()

    response = submit(world)

    assert response.status_code == 409
    assert expected in text_of(response)
    assert reload(world.version).status is MinutesStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count(OutgoingMessage.id))) == 0
    assert world.tasks.render.calls == []


# --- approving ----------------------------------------------------------------------------


def test_only_the_chairs_can_approve(world, member_client):
    submit(world)
    url = f"/minutes/versions/{world.version.id}"

    # A member who does not chair the meeting sees neither the page nor the button.
    login_as(world.client, member_client.user)
    assert world.client.get(url).status_code == 403
    assert world.client.post(url + "/approve").status_code == 403
    assert world.client.post(url + "/return", data={"comment": "No"}).status_code == 403
    # The secretariat reads the version but is not a chair.
    secretariat = as_user(world, world.secretariat)
    page = secretariat.get(url)
    assert page.status_code == 200
    assert "Approve and sign" not in text_of(page)
    assert secretariat.post(url + "/approve").status_code == 403

    assert approvals_of(world.version) == []
    assert world.tasks.sign.calls == []
    assert reload(world.version).status is MinutesStatus.SUBMITTED


def test_chair_approves_once_and_the_signature_is_requested(world):
    submit(world)

    response = approve(world, world.chair2)

    assert response.status_code == 302
    [approval] = approvals_of(world.version)
    assert approval.user_id == world.chair2.id
    assert approval.status is SignatureStatus.PENDING
    assert (approval.role_label, approval.position) == ("Chief of Mission", 1)
    assert world.tasks.sign.calls == [approval.id]

    # While the worker signs, the page says so and looks again by itself.
    page = world.client.get(f"/minutes/versions/{world.version.id}")
    html = text_of(page)
    assert "Your signature is being added…" in html
    assert_waits(page)
    assert "Approve and sign" not in html

    # A second click is refused clearly; nothing doubles.
    again = approve(world, world.chair2)
    assert again.status_code == 409
    assert "already approved this version" in text_of(again)
    assert len(approvals_of(world.version)) == 1
    assert world.tasks.sign.calls == [approval.id]
    with pytest.raises(service.ApprovalError):
        service.approve(reload(world.version), world.chair2)
    db.session.rollback()

    # A failed signature shows its error and a way to try again.
    approval.status = SignatureStatus.FAILED
    approval.error = "The CA is not set up."
    db.session.commit()
    html = text_of(world.client.get(f"/minutes/versions/{world.version.id}"))
    assert "The CA is not set up." in html
    assert f"/minutes/approvals/{approval.id}/retry-signature" in html

    # Once the worker has signed, the page shows when.
    sign(approval)
    db.session.commit()
    page = world.client.get(f"/minutes/versions/{world.version.id}")
    html = text_of(page)
    assert "Signed at " in html
    assert "(Europe/Minsk)" in html
    assert_done_waiting(page)
    assert "Your signature is being added" not in html


def test_approving_a_draft_is_refused(world):
    response = approve(world, world.chair1)

    assert response.status_code == 409
    assert "is not submitted for approval" in text_of(response)
    assert approvals_of(world.version) == []


# --- returning ----------------------------------------------------------------------------


def test_chair_returns_with_a_comment_and_the_secretariat_resubmits(world):
    submit(world)
    approve(world, world.chair1)
    first_approval_id = approvals_of(world.version)[0].id

    # A comment is required; the version stays submitted.
    empty = return_with(world, world.chair2, "   ")
    assert empty.status_code == 400
    assert "Please write a comment" in text_of(empty)
    assert reload(world.version).status is MinutesStatus.SUBMITTED

    comment = "Please add the figures of the statistics office to item 2."
    response = return_with(world, world.chair2, comment)

    assert response.status_code == 302
    version = reload(world.version)
    assert version.status is MinutesStatus.DRAFT
    assert version.submitted_at is None
    assert approvals_of(version) == []
    assert db.session.scalar(sa.select(MinutesDocument.id)) is None
    [returned] = db.session.scalars(sa.select(MinutesReturn)).all()
    assert (returned.user_id, returned.comment) == (world.chair2.id, comment)
    # The audit log still says that chair 1 had approved.
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.meeting_id == world.meeting.id)
    ).all()
    assert "approval.chair_approve" in actions
    assert "approval.return" in actions
    approved_event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "approval.chair_approve")
    )
    assert approved_event.object_id == first_approval_id
    # The secretariat is emailed the comment.
    [message] = mail_to(world.secretariat.email)
    assert "returned" in message.subject.lower()
    assert comment in message.text_body
    assert world.chair2.name in message.text_body

    # The secretariat sees the comment with the minutes, edits and resubmits.
    page = as_user(world, world.secretariat).get(f"/minutes/versions/{version.id}")
    assert comment in text_of(page)
    assert "Submit for approval" in text_of(page)
    item = reload(world.items[1])
    saved = world.client.post(
        f"/minutes/items/{item.id}",
        data={
            "text": "The statistics office presented 2026 figures.",
            "decisions": "",
            "lock_version": str(item.lock_version),
        },
    )
    assert saved.status_code == 302
    assert submit(world).status_code == 302
    assert reload(world.version).status is MinutesStatus.SUBMITTED
    assert world.tasks.render.calls == [version.id, version.id]
    assert len(mail_to(world.chair1.email)) == 2
    # Chair 1 approves again: the earlier approval does not count twice.
    assert approve(world, world.chair1).status_code == 302
    assert [a.user_id for a in approvals_of(world.version)] == [world.chair1.id]


# --- approved for good --------------------------------------------------------------------


def test_minutes_are_approved_only_when_every_chair_has_signed(world):
    present = make_contact(name="Present Person", email="present@example.org")
    accepted = make_contact(name="Accepted Person", email="accepted@example.org")
    declined = make_contact(name="Declined Person", email="declined@example.org")
    withdrawn = make_contact(name="Withdrawn Person", email="withdrawn@example.org")
    meeting_id = world.meeting.id
    db.session.add_all(
        [
            Invitation(
                meeting_id=meeting_id,
                contact_id=present.id,
                status=InvitationStatus.PENDING,
                attendance=Attendance.PRESENT,
            ),
            Invitation(
                meeting_id=meeting_id, contact_id=accepted.id, status=InvitationStatus.ACCEPTED
            ),
            Invitation(
                meeting_id=meeting_id, contact_id=declined.id, status=InvitationStatus.DECLINED
            ),
            Invitation(
                meeting_id=meeting_id,
                contact_id=withdrawn.id,
                status=InvitationStatus.ACCEPTED,
                withdrawn_at=utcnow(),
            ),
        ]
    )
    db.session.commit()
    submit(world)

    # The second chair's signature lands first: order does not matter.
    results = approve_and_sign_all(world, order=[world.chair2, world.chair1])

    assert results == [False, True]
    version = reload(world.version)
    assert version.status is MinutesStatus.APPROVED
    assert version.approved_at is not None
    assert reload(world.meeting).status is MeetingStatus.CLOSED
    # Calling it again changes nothing.
    assert service.finish_if_all_signed(version) is False

    [to_secretariat] = mail_to(world.secretariat.email)
    assert "Approved minutes" in to_secretariat.subject
    assert f"/meetings/{meeting_id}" in to_secretariat.text_body
    for contact in (present, accepted):
        [message] = mail_to(contact.email)
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.contact_id == contact.id)
        )
        assert rsvp_url(invitation) in message.text_body
    assert mail_to(declined.email) == []
    assert mail_to(withdrawn.email) == []


def test_one_signature_is_not_enough(world):
    submit(world)
    approve(world, world.chair1)
    approve(world, world.chair2)
    db.session.expire_all()
    first = next(a for a in approvals_of(world.version) if a.user_id == world.chair1.id)
    sign(first)

    assert service.finish_if_all_signed(reload(world.version)) is False
    db.session.commit()
    assert reload(world.version).status is MinutesStatus.SUBMITTED
    assert reload(world.meeting).status is MeetingStatus.HELD


def test_an_approved_version_never_changes(world):
    submit(world)
    approve_and_sign_all(world, order=[world.chair1, world.chair2])
    version = reload(world.version)
    assert version.status is MinutesStatus.APPROVED

    with pytest.raises(service.VersionIsFinal):
        service.submit_for_approval(version, world.secretariat)
    with pytest.raises(service.VersionIsFinal):
        service.approve(version, world.chair1)
    with pytest.raises(service.VersionIsFinal):
        service.return_version(version, world.chair1, "Too late")
    db.session.rollback()

    assert approve(world, world.chair1).status_code == 409
    returned = return_with(world, world.chair2, "Too late")
    assert returned.status_code == 409
    assert "never changes" in text_of(returned)
    item = reload(world.items[1])
    saved = as_user(world, world.secretariat).post(
        f"/minutes/items/{item.id}",
        data={"text": "Rewritten", "decisions": "", "lock_version": str(item.lock_version)},
    )
    assert saved.status_code == 409
    assert reload(item).text == "The statistics office presented the dashboard."
    assert reload(world.version).status is MinutesStatus.APPROVED


# --- amendments ---------------------------------------------------------------------------


def test_amendment_copies_the_content_and_supersedes_the_approved_version(world):
    submit(world)
    approve_and_sign_all(world, order=[world.chair1, world.chair2])
    first_id = world.version.id
    url = f"/minutes/versions/{first_id}/amend"
    client = as_user(world, world.secretariat)

    # A reason is required.
    refused = client.post(url, data={"reason": ""})
    assert refused.status_code == 400
    assert "Please give the reason for the amendment." in text_of(refused)

    response = client.post(url, data={"reason": "The dashboard is due in Q3, not Q2."})

    assert response.status_code == 302
    amendment = db.session.scalar(sa.select(MinutesVersion).where(MinutesVersion.number == 2))
    assert amendment.status is MinutesStatus.DRAFT
    assert amendment.amends_id == world.version.id
    assert amendment.amendment_reason == "The dashboard is due in Q3, not Q2."
    assert amendment.opening_summary == "The co-chairs opened the meeting."
    copied = {
        item.agenda_item_id: (item.text, item.decisions)
        for item in db.session.scalars(
            sa.select(MinutesItem).where(MinutesItem.version_id == amendment.id)
        )
    }
    assert copied == {item.agenda_item_id: (item.text, item.decisions) for item in world.items}
    # One amendment at a time.
    second = client.post(url, data={"reason": "Another one"})
    assert second.status_code == 409
    assert "already open" in text_of(second)
    # The editor now edits version 2; version 1 stays as it was.
    editor_item = db.session.scalar(
        sa.select(MinutesItem).where(
            MinutesItem.version_id == amendment.id,
            MinutesItem.agenda_item_id == world.items[1].agenda_item_id,
        )
    )
    saved = client.post(
        f"/minutes/items/{editor_item.id}",
        data={
            "text": "The statistics office presented the dashboard.",
            "decisions": "Publish the migration data dashboard by Q3.",
            "lock_version": "1",
        },
    )
    assert saved.status_code == 302
    assert reload(world.items[1]).decisions == ["Publish the migration data dashboard by Q2."]

    # The closed meeting's amendment goes through the same approval.
    world.version = amendment
    assert submit(world).status_code == 302
    assert approve_and_sign_all(world, order=[world.chair1, world.chair2]) == [False, True]

    assert reload(amendment).status is MinutesStatus.APPROVED
    db.session.expire_all()
    old = db.session.get(MinutesVersion, first_id)
    assert old.status is MinutesStatus.SUPERSEDED
    page = client.get(f"/minutes/versions/{old.id}")
    assert page.status_code == 200
    assert "Superseded by version 2" in text_of(page)
    # Everyone is told that version 2 supersedes version 1.
    latest = mail_to(world.secretariat.email)[-1]
    assert "supersedes" in latest.text_body


# --- the meeting page box and query counts ------------------------------------------------


def render_status_box(app, user, meeting) -> str:
    with app.test_request_context("/"):
        start_session(user)
        login_user(user)
        meeting = get_meeting_or_404(meeting.id)
        # What the meeting page's view passes to its minutes section.
        return render_template_string(
            '{% include "approval/_status.html" %}',
            meeting=meeting,
            approval_box=service.meeting_section(meeting, user),
            approval_forms={"submit": SubmitForm(formdata=None), "amend": AmendForm(formdata=None)},
        )


def test_status_box_shows_each_chair_and_the_comments(app, world):
    draft_box = render_status_box(app, world.secretariat, world.meeting)
    assert "Submit for approval" in draft_box
    submit(world)
    approve(world, world.chair1)
    return_with(world, world.chair2, "Item 2 needs the figures.")
    submit(world)
    approve(world, world.chair2)

    box = render_status_box(app, world.secretariat, world.meeting)
    assert box.index("Rita Coordinator") < box.index("Ivan Agency")
    assert "not approved yet" in box
    assert "signature being added" in box
    assert "Item 2 needs the figures." in box
    assert "Submit for approval" not in box

    member = make_user(Role.MEMBER, email="someone@example.org")
    member_box = render_status_box(app, member, world.meeting)
    assert "Item 2 needs the figures." not in member_box
    chair_box = render_status_box(app, world.chair1, world.meeting)
    assert "Review and approve the minutes" in chair_box


def test_version_page_runs_a_fixed_number_of_queries(world):
    submit(world)
    client = as_user(world, world.secretariat)
    url = f"/minutes/versions/{world.version.id}"

    def count() -> int:
        db.session.expire_all()
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return queries.count

    few = count()
    version = reload(world.version)
    for n in range(6):
        chair = make_user(Role.MEMBER, email=f"extra-chair{n}@example.org")
        meeting = reload(world.meeting)
        meeting.chairs.append(MeetingChair(user=chair, role_label="Co-chair", position=10 + n))
        db.session.add(MinutesReturn(version_id=version.id, user_id=chair.id, comment=f"C{n}"))
        db.session.add(
            MinutesApproval(
                version_id=version.id,
                user_id=chair.id,
                status=SignatureStatus.SIGNED,
                signed_at=utcnow(),
            )
        )
        db.session.commit()

    assert count() == few


# --- the version page ---------------------------------------------------------------------


def test_a_returned_comment_shows_as_history_once_the_version_is_submitted_again(world):
    submit(world)
    comment = "Please add the figures of the statistics office to item 2."
    return_with(world, world.chair2, comment)

    page = text_of(as_user(world, world.secretariat).get(f"/minutes/versions/{world.version.id}"))
    assert '<li data-state="open">' in page and comment in page
    assert "Resolved" not in page

    submit(world)
    page = text_of(as_user(world, world.chair1).get(f"/minutes/versions/{world.version.id}"))
    returns = page[page.index("Returned by the chairs") :]
    assert '<li data-state="resolved">' in returns
    assert "Ivan Agency returned this version on" in returns and comment in returns
    assert "Resolved: version 1 was corrected and submitted again on" in returns


def test_the_approved_version_page_has_one_download_link(world):
    submit(world)
    # The signed PDF is in place before the last signature approves the version (once
    # approved, the database refuses any change to it).
    document = db.session.scalar(
        sa.select(MinutesDocument).where(MinutesDocument.version_id == world.version.id)
    )
    document.status, document.pdf = DocumentStatus.READY, b"%PDF-1.7 signed"
    document.signature_count = 2
    db.session.commit()
    approve_and_sign_all(world, [world.chair1, world.chair2])

    page = text_of(as_user(world, world.secretariat).get(f"/minutes/versions/{world.version.id}"))
    assert page.count(f'href="/minutes/versions/{world.version.id}/minutes.pdf"') == 1
    # The meeting page, which has no button of its own, still offers it.
    meeting_page = text_of(world.client.get(f"/meetings/{world.meeting.id}"))
    assert f'href="/minutes/versions/{world.version.id}/minutes.pdf"' in meeting_page
