"""`flask seed-demo` loads the demo network once and prints working logins."""

from coordapp.demo import DEMO_LOGINS, SERIES_NAME
from coordapp.extensions import db
from coordapp.models import Contact, Meeting, Series, User


def test_seed_demo_is_idempotent_and_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    for email, _password, _role in DEMO_LOGINS:
        assert email in first.output
    counts = (db.session.query(Meeting).count(), db.session.query(Contact).count())

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "already there" in second.output
    assert (db.session.query(Meeting).count(), db.session.query(Contact).count()) == counts


def test_demo_has_the_fourth_extended_meeting_with_two_co_chairs(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    series = db.session.scalar(db.select(Series).filter_by(name=SERIES_NAME))
    fourth = db.session.scalar(db.select(Meeting).filter_by(series=series, number=4))
    assert "Fourth extended meeting" in fourth.title
    assert fourth.timezone == "Europe/Minsk"
    assert [c.role_label for c in fourth.chairs] == [
        "Co-chair, UN Resident Coordinator",
        "Co-chair, IOM Chief of Mission",
    ]


def test_demo_logins_work(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    for email, password, _role in DEMO_LOGINS:
        user = db.session.scalar(db.select(User).filter_by(email=email))
        assert user.check_password(password)


def test_demo_has_a_draft_meeting_whose_date_a_poll_is_finding(app, client):
    from coordapp.models import MeetingStatus, OutgoingMessage, Poll, Role
    from tests.conftest import login_as

    app.test_cli_runner().invoke(args=["seed-demo"])
    series = db.session.scalar(db.select(Series).filter_by(name=SERIES_NAME))
    fifth = db.session.scalar(db.select(Meeting).filter_by(series=series, number=5))
    assert fifth.status is MeetingStatus.DRAFT
    poll = db.session.scalar(db.select(Poll).filter_by(meeting_id=fifth.id))
    assert len(poll.slots) == 3 and poll.is_open
    asked = poll.respondents
    assert sum(r.is_chair for r in asked) == 2 and len(asked) > 10
    answered = [r for r in asked if r.answers]
    assert 0 < len(answered) < len(asked)
    assert db.session.query(OutgoingMessage).count() == 0  # a demo writes to nobody
    # The secretariat sees the results and a suggested date.
    login_as(client, db.session.scalar(db.select(User).filter_by(role=Role.SECRETARIAT)))
    page = client.get(f"/meetings/{fifth.id}/poll/results")
    assert page.status_code == 200
    assert "Suggested date" in page.get_data(as_text=True)
