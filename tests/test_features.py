"""One place where a feature plugs in (coordapp/feature.py, coordapp/features.py): a new
feature is one package and one line in the list, and the app, the worker, the pages and
the audit log find everything it contributes there — nothing else to edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from coordapp import create_app, features
from coordapp.access import public
from coordapp.extensions import db
from coordapp.feature import Feature, Section
from coordapp.feature import installed as features_installed
from coordapp.jobs import huey
from coordapp.links import rsvp_token
from coordapp.mail.compose import Email
from coordapp.mail.queue import Recipient, queue
from coordapp.mail.writers import Writer, write
from coordapp.models import AuditEvent, Invitation, MessageKind
from tests.conftest import forget_cached_user_before_each_request, login_as, test_config
from tests.factories import make_contact, make_meeting

PACKAGE = Path(__file__).resolve().parent.parent / "coordapp"

# --- a feature written for this test: everything a record can hold ---------------------------

TEMPLATES = Path(__file__).resolve().parent / "feature_templates"
bp = Blueprint("noticeboard", __name__, template_folder=str(TEMPLATES))


@bp.get("/noticeboard")
@public
def board():
    return "the noticeboard"


def _write_notice(row) -> Email:
    return Email(subject="A notice", text=f"Notice {row.params['n']}")


NOTICE = Writer("notice", _write_notice, MessageKind.OTHER)
swept: list[str] = []


def _sweep() -> list[int]:
    swept.append("noticeboard")
    return [7]


NOTICEBOARD = Feature(
    name="noticeboard",
    blueprints=[bp],
    emails=[NOTICE],
    sweeps={"notices": _sweep},
    audit_labels={"noticeboard.pin": _l("Pinned a notice")},
    meeting_sections=[
        Section("noticeboard/_meeting.html", lambda meeting, viewer: f"{viewer.name} sees")
    ],
    rsvp_sections=[Section("noticeboard/_rsvp.html", lambda invitation: invitation.contact.name)],
)


@pytest.fixture
def app_with_noticeboard(app, monkeypatch):
    """The app as it is once one line adds the feature to coordapp/features.py."""
    monkeypatch.setattr(features, "FEATURES", [*features.FEATURES, NOTICEBOARD])
    extra = create_app(test_config())
    forget_cached_user_before_each_request(extra)
    return extra


def test_a_feature_plugs_in_with_one_line_in_the_list(app_with_noticeboard, make_user):
    from coordapp.models import Role

    client = app_with_noticeboard.test_client()
    assert client.get("/noticeboard").get_data(as_text=True) == "the noticeboard"

    meeting = make_meeting()
    contact = make_contact(name="Olga Invitee")
    invitation = Invitation(meeting=meeting, contact=contact)
    db.session.add(invitation)
    db.session.add(
        AuditEvent(action="noticeboard.pin", object_type="meeting", meeting_id=meeting.id)
    )
    db.session.commit()
    user = make_user(role=Role.SECRETARIAT, name="Sam Secretariat")
    login_as(client, user)

    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert '<section id="noticeboard">Sam Secretariat sees</section>' in page
    # After the features listed before it, before the audit log.
    assert (
        page.index('id="commitments"') < page.index('id="noticeboard"') < page.index('id="audit"')
    )
    assert "Pinned a notice" in page and "noticeboard.pin" not in page

    rsvp = client.get(f"/rsvp/{rsvp_token(invitation)}").get_data(as_text=True)
    assert '<section id="noticeboard-rsvp">For Olga Invitee</section>' in rsvp

    with app_with_noticeboard.app_context():
        row = queue(NOTICE, Recipient(email="a@example.org", params={"n": 3}))
        assert write(row).text == "Notice 3"
        from coordapp.tasks import requeue_stalled_jobs

        assert requeue_stalled_jobs.call_local()["notices"] == [7]


def test_an_app_without_the_line_knows_nothing_of_the_feature(app, client):
    assert client.get("/noticeboard").status_code == 404
    from coordapp.tasks import requeue_stalled_jobs

    assert "notices" not in requeue_stalled_jobs.call_local()


def test_a_feature_listed_twice_or_two_labels_for_one_code_are_refused(app, monkeypatch):
    monkeypatch.setattr(features, "FEATURES", [*features.FEATURES, NOTICEBOARD, NOTICEBOARD])
    with pytest.raises(ValueError, match="noticeboard"):
        create_app(test_config())
    twin = Feature(name="twin", audit_labels={"noticeboard.pin": _l("Pinned")})
    monkeypatch.setattr(features, "FEATURES", [*features.FEATURES[:-2], NOTICEBOARD, twin])
    with pytest.raises(ValueError, match="noticeboard.pin"):
        create_app(test_config())


def test_every_blueprint_comes_from_a_feature_record(app):
    listed = {bp.name for feature in features.FEATURES for bp in feature.blueprints}
    assert set(app.blueprints) == listed


def test_the_worker_runs_exactly_the_periodic_jobs_the_records_list():
    """A periodic job outside every record would run in the worker while the list says
    nothing of it (and one listed but not made with jobs.periodic_task would never run)."""
    from coordapp import worker  # noqa: F401  (builds the app as the worker does)

    listed = {task.task_class for feature in features.FEATURES for task in feature.periodic_tasks}
    running = set(huey._registry._periodic_tasks)
    assert listed == running
    assert {"purge_old_login_attempts", "send_due_reminders_job", "sweep_outbox"} <= {
        task.__name__ for task in listed
    }


def test_every_feature_package_has_a_record_in_the_list():
    listed = {feature.name for feature in features.FEATURES}
    packages = {path.parent.name for path in PACKAGE.glob("*/feature.py")}
    assert packages <= listed


def test_a_hook_needs_exactly_one_feature_answering_it(app):
    """A feature below asks one above through a Hook (approval → minutes PDF); a hook
    nobody answers fails loudly instead of doing nothing."""
    from coordapp.approval import service as approval
    from coordapp.feature import Hook

    unanswered = Hook("noticeboard.pin")
    with app.app_context(), pytest.raises(LookupError):
        unanswered(1)
    with app.app_context():
        answering = [f.name for f in features_installed() if approval.RENDER_PDF in f.hooks]
    assert answering == ["minutes_pdf"]
