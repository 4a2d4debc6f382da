"""The RSVP page and its answer are the busiest requests (every invitee, within minutes
of the invitation): a fixed, small number of queries, whatever the meeting holds, and
only the columns the page shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from markupsafe import Markup
from wtforms.widgets.core import html_params as wtforms_html_params

from coordapp.extensions import db
from coordapp.inputs import html_params
from coordapp.links import rsvp_token
from coordapp.models import Invitation, InvitationStatus, MessageKind, OutgoingMessage
from coordapp.models.audit import AuditEvent
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_organisation, make_series, make_user
from tests.test_agenda import fill_agenda

STARTS = datetime(2030, 3, 7, 7, 0, tzinfo=UTC)
_worlds = 0


def _world(chairs: int = 1):
    global _worlds
    _worlds += 1
    meeting = make_meeting(
        starts_at=STARTS,
        series=make_series(f"Country Network {_worlds}"),
        number=4,
        chairs=[
            (make_user(name=f"Chair {n}", email=f"chair{n}.{_worlds}@example.org"), "Co-chair")
            for n in range(chairs)
        ],
    )
    invitation = Invitation(
        meeting=meeting,
        contact=make_contact(name="Irina Invitee", email=f"irina{_worlds}@example.org"),
    )
    db.session.add(invitation)
    db.session.commit()
    return meeting, invitation, f"/rsvp/{rsvp_token(invitation)}"


def _more_invitations(meeting, count: int) -> None:
    organisation = make_organisation()
    for n in range(count):
        db.session.add(
            Invitation(
                meeting=meeting,
                contact=make_contact(organisation, email=f"other{n}.{meeting.id}@example.org"),
                status=InvitationStatus.ACCEPTED,
            )
        )
    db.session.commit()


def _get(client, url: str):
    db.session.expunge_all()  # the request loads what it uses, as in production
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, queries.statements


def _post(client, url: str, status: str):
    db.session.expunge_all()
    with count_queries() as queries:
        response = client.post(url, data={"status": status, "needs": "", "comment": ""})
    assert response.status_code == 303
    return [s for s in queries.statements if not s.lstrip().upper().startswith("COMMIT")]


def test_the_rsvp_page_reads_the_same_few_queries_whatever_the_meeting_holds(client):
    meeting, invitation, url = _world(chairs=1)
    fill_agenda(meeting.id, 2)
    response, few = _get(client, url)
    assert "Item 1" in response.get_data(as_text=True)

    meeting, invitation, url = _world(chairs=6)
    fill_agenda(meeting.id, 40)
    _more_invitations(meeting, 30)
    response, many = _get(client, url)
    page = response.get_data(as_text=True)
    assert "Item 39" in page and "doc-39.pdf" in page and "Chair 5" in page

    # The invitation with its meeting, series, chairs, contact and organisation; the
    # agenda's items, presenters and attachments. No minutes are looked for before the
    # meeting is held (none can be approved before), which is when invitees answer.
    assert len(few) == len(many) == 4, many
    assert not any("minutes_versions" in s for s in many)


def test_the_rsvp_page_reads_only_the_columns_it_shows(client):
    _meeting, _invitation, url = _world(chairs=2)
    _response, statements = _get(client, url)
    [invitation_query] = [s for s in statements if "FROM invitations" in s]
    columns = re.split(r"\sFROM\s", invitation_query)[0]
    # Nothing about the chairs' accounts but their names; none of the invitation's
    # bookkeeping (reminders, attendance, who invited); no substitute's invitation.
    for column in ("password_hash", "reminders_sent", "attendance", "invited_by_id", "link_id"):
        assert not re.search(rf"\b{column}\b", columns), column  # attendance_mode is shown
    assert "invitations_1" not in invitation_query  # the substitute is not joined


def test_the_page_of_a_delegated_invitation_names_the_substitute(client):
    meeting, invitation, url = _world()
    substitute = Invitation(meeting=meeting, contact=make_contact(name="Sergei Substitute"))
    db.session.add(substitute)
    db.session.flush()
    invitation.status = InvitationStatus.DELEGATED
    invitation.substitute_id = substitute.id
    db.session.commit()

    response, _statements = _get(client, url)
    assert "Delegated to Sergei Substitute" in response.get_data(as_text=True)


def test_an_answer_takes_four_statements_whatever_the_meeting_holds(client):
    meeting, _invitation, url = _world(chairs=1)
    few = _post(client, url, "accepted")

    meeting, invitation, url = _world(chairs=6)
    fill_agenda(meeting.id, 40)
    _more_invitations(meeting, 30)
    invitation_id = invitation.id
    many = _post(client, url, "accepted")

    # The invitation read with its meeting row locked (one query: FOR SHARE, so that
    # answers to a meeting without a capacity, which count no seats, go on side by side),
    # the audit row, the answer, the confirmation queued for the worker.
    assert len(few) == len(many) == 4, many
    assert "FOR SHARE OF meetings" in many[0] or db.engine.dialect.name == "sqlite"
    db.session.expire_all()
    assert db.session.get(Invitation, invitation_id).status == InvitationStatus.ACCEPTED
    assert db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == "invitations.answer", AuditEvent.object_id == invitation_id
        )
    )
    assert db.session.scalar(
        db.select(db.func.count(OutgoingMessage.id)).where(
            OutgoingMessage.kind == MessageKind.CONFIRMATION,
            OutgoingMessage.invitation_id == invitation_id,
        )
    )


def test_form_fields_render_as_wtforms_renders_them(client):
    """The RSVP form's fields go through a faster `html_params`: the same HTML."""
    samples = [
        {"name": "status", "id": "status-0", "type": "radio", "value": "accepted"},
        {"checked": True, "disabled": False, "class_": "a b", "for_": "x"},
        {"value": "say \"hi\" <b>&</b> 'now'", "data_role_name": 1, "aria_describedby": "h"},
        {"value": Markup('<i title="q">ok</i>'), "rows": 3, "placeholder": None},
        {},
    ]
    for params in samples:
        assert html_params(**params) == wtforms_html_params(**params)
        assert isinstance(html_params(**params), Markup)

    _meeting, _invitation, url = _world()
    page = client.get(url).get_data(as_text=True)
    assert re.search(
        r'<input id="status-0" name="status" required type="radio" value="accepted">', page
    )
    assert '<textarea aria-describedby="needs-hint" aria-invalid="false" id="needs"' in page


def _page_with_template_line(app, client, url: str, line: str):
    """The RSVP page, its template with `line` added (what a change to it would do)."""
    import jinja2

    original = app.jinja_env.loader.get_source(app.jinja_env, "rsvp/show.html")[0]
    changed = original.replace("{% block content %}", "{% block content %}" + line, 1)
    assert changed != original
    loader = app.jinja_env.loader
    app.jinja_env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"rsvp/show.html": changed}), loader]
    )
    app.jinja_env.cache.clear()
    try:
        db.session.expunge_all()
        return client.get(url)
    finally:
        app.jinja_env.loader = loader
        app.jinja_env.cache.clear()


def test_a_template_touching_what_the_loader_did_not_read_fails_instead_of_querying(app, client):
    """The RSVP page's loader (coordapp/rsvp/pages.py) reads what the page shows and makes
    everything else raise: a template that starts using an unloaded relation or column
    fails here, rather than adding a query to every visit of the busiest page."""
    app.config["PROPAGATE_EXCEPTIONS"] = True
    _meeting, _invitation, url = _world()
    assert _page_with_template_line(app, client, url, "{{ contact.name }}").status_code == 200
    for line in (
        "{{ invitation.represents_organisation }}",  # a relation the loader does not read
        "{{ meeting.series.meetings | length }}",  # one level down
        "{{ contact.organisation.contacts | length }}",
        "{{ invitation.reminders_sent }}",  # a column it does not read
    ):
        with pytest.raises(sa.exc.InvalidRequestError, match="raiseload|lazy"):
            _page_with_template_line(app, client, url, line)
