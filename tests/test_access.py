"""Every route enforces the access level it declares.

The walk is generic: it goes over the whole URL map, so a route added by any
blueprint is checked without touching this file. Arguments are filled with the
ids of real objects where the argument's name says what it points to; fake
arguments may well give 404/400/405/409, which is fine, but never a 500.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask, got_request_exception
from flask_login import user_unauthorized
from werkzeug.routing import Rule
from werkzeug.routing.converters import (
    AnyConverter,
    FloatConverter,
    IntegerConverter,
    UUIDConverter,
)

from coordapp import create_app
from coordapp.access import ADMIN, LOGGED_IN, PUBLIC, SECRETARIAT, access_level_of
from coordapp.extensions import db
from coordapp.models import (
    AgendaItem,
    Commitment,
    Invitation,
    Poll,
    PollRespondent,
    PollSlot,
    Role,
    utcnow,
)
from coordapp.models.document import DocumentStatus
from coordapp.models.report import ReportDocument
from tests import vnu
from tests.conftest import login_as, test_config
from tests.factories import make_contact, make_meeting, make_organisation, make_series, make_user

ROLES = ["anonymous", "member", "secretariat", "admin"]
METHODS = ["GET", "POST"]
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class Account:
    """Enough of a user to log in as (`login_as`), without holding on to a DB session."""

    id: int


@dataclass
class World:
    accounts: dict[str, Account]
    ids: dict[str, int]  # kind of object -> id of one that exists


@pytest.fixture
def world(app) -> World:
    member = make_user(Role.MEMBER, email="walk-member@example.org")
    secretariat = make_user(Role.SECRETARIAT, email="walk-secretariat@example.org")
    admin = make_user(Role.ADMIN, email="walk-admin@example.org")
    # A separate account for routes that act on "a user", so that e.g. a deactivation
    # during the walk never logs out one of the walkers.
    target = make_user(Role.MEMBER, email="walk-target@example.org")
    organisation = make_organisation()
    contact = make_contact(organisation)
    series = make_series()
    # Everyone chairs the meeting, so chair-only pages are not refused for that reason.
    meeting = make_meeting(
        series=series,
        number=4,
        chairs=[(member, "Co-chair"), (secretariat, "Co-chair"), (admin, "Co-chair")],
    )
    # A stored report PDF of the series, so its pages answer for real (not 404).
    report = ReportDocument(
        series_id=series.id,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
        status=DocumentStatus.READY,
        filename="report.pdf",
        data=b"%PDF-1.7",
        size=8,
    )
    db.session.add(report)
    # A scheduling poll with a slot and a person asked: the poll's pages open for real.
    poll = Poll(meeting=meeting, deadline=utcnow() + timedelta(days=7))
    slot = PollSlot(
        poll=poll,
        starts_at=utcnow() + timedelta(days=20),
        ends_at=utcnow() + timedelta(days=20, hours=2),
    )
    db.session.add_all([poll, slot, PollRespondent(poll=poll, contact=contact)])
    # Pages with a form per row (invitations, attendance, agenda, commitments) show two
    # rows: the HTML checker sees what repeats (ids…).
    second = make_contact(organisation, email="walk-second@example.org")
    item = AgendaItem(meeting=meeting, title="Opening", position=1)
    commitments = [
        Commitment(meeting=meeting, description=f"Share the data {n}", responsible=c)
        for n, c in enumerate((contact, second))
    ]
    invitations = [Invitation(meeting=meeting, contact=c) for c in (contact, second)]
    db.session.add_all(
        [item, AgendaItem(meeting=meeting, title="Other", position=2), *commitments, *invitations]
    )
    db.session.commit()
    world = World(
        accounts={
            "member": Account(member.id),
            "secretariat": Account(secretariat.id),
            "admin": Account(admin.id),
        },
        ids={
            "meeting": meeting.id,
            "series": series.id,
            "contact": contact.id,
            "organisation": organisation.id,
            "org": organisation.id,
            "user": target.id,
            "report": report.id,
            "slot": slot.id,
            "item": item.id,
            "commitment": commitments[0].id,
            "invitation": invitations[0].id,
        },
    )
    db.session.close()  # no open transaction while other apps use the database
    return world


def _id_for(rule: Rule, arg: str, ids: dict[str, int]) -> int:
    """A real id for `meeting_id`, `series_id`... or for `id` after `/meetings/`."""
    if arg.endswith("_id"):
        return ids.get(arg[: -len("_id")], 1)
    if arg == "id":
        before = rule.rule.split("<", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        for kind, object_id in ids.items():
            if before.startswith(kind):
                return object_id
    return 1


def build_url(rule: Rule, ids: dict[str, int], **overrides) -> str:
    """A URL of `rule` with real ids where known (`overrides` for given arguments)."""
    values = {}
    for arg in rule.arguments:
        if rule.defaults and arg in rule.defaults:
            continue
        if arg in overrides:
            values[arg] = overrides[arg]
            continue
        converter = rule._converters.get(arg)
        if isinstance(converter, IntegerConverter):
            values[arg] = _id_for(rule, arg, ids)
        elif isinstance(converter, FloatConverter):
            values[arg] = 1.0
        elif isinstance(converter, UUIDConverter):
            values[arg] = uuid.uuid4()
        elif isinstance(converter, AnyConverter):
            values[arg] = sorted(converter.items)[0]
        else:
            values[arg] = "x"
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build a URL for {rule.rule}"
    return built[1]


def routes(app: Flask):
    """(rule, method) for every route but static, for the methods the walk uses."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in METHODS:
            if method in (rule.methods or ()):
                yield rule, method


def is_login_redirect(response) -> bool:
    return (
        response.status_code in REDIRECTS
        and urlsplit(response.headers.get("Location", "")).path == "/login"
    )


# Routes on an object that belongs to one user of the meeting: once the walk has made one
# (a chair's approval of the minutes), the view refuses the other roles (403) for that
# reason, whatever the route's access level.
ONE_USERS_OWN = {"minutes_pdf.sign_with_certificate"}


def problem_with(
    level: str, role: str, response, sent_to_login: bool, endpoint: str = ""
) -> str | None:
    """What is wrong with this answer for this role, or None if it is right.

    `sent_to_login` says the access guard asked for a login (Flask-Login's
    `user_unauthorized`); a view's own redirect to /login, like after logging
    out, is not a refusal.
    """
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if level == PUBLIC:
        if status == 403 or sent_to_login:
            return f"public route refused ({status} {response.headers.get('Location', '')})"
        return None
    if role == "anonymous":
        if status != 302 or not is_login_redirect(response) or not sent_to_login:
            return f"anonymous not sent to /login (got {status})"
        return None
    allowed_roles = {
        LOGGED_IN: {"member", "secretariat", "admin"},
        SECRETARIAT: {"secretariat", "admin"},
        ADMIN: {"admin"},
    }[level]
    if role in allowed_roles:
        if status == 403 and endpoint in ONE_USERS_OWN and not sent_to_login:
            return None
        if status == 403 or sent_to_login:
            return f"allowed role refused ({status} {response.headers.get('Location', '')})"
    elif status != 403:
        return f"expected 403, got {status}"
    return None


def walk_app(**config) -> Flask:
    app = create_app(test_config(TESTING=False, PROPAGATE_EXCEPTIONS=False, **config))
    app.walk_errors = []
    app.walk_unauthorized = []

    def remember_exception(sender, exception, **extra):
        sender.walk_errors.append(repr(exception))

    def remember_unauthorized(sender, **extra):
        sender.walk_unauthorized.append(True)

    got_request_exception.connect(remember_exception, app, weak=False)
    user_unauthorized.connect(remember_unauthorized, app, weak=False)
    return app


def walk(
    world: World, methods=METHODS, pages: dict | None = None, **config
) -> tuple[list[str], int]:
    """Every route, with `methods`, as every role: (access problems, requests made). The
    HTML pages answered 200 are added to `pages` ("role GET url" -> HTML)."""
    failures = []
    checked = 0
    for role in ROLES:
        # A fresh app per role: nothing cached by one role can help another.
        role_app = walk_app(**config)
        try:
            for rule, method in routes(role_app):
                if method not in methods:
                    continue
                level = access_level_of(role_app, rule.endpoint)
                url = build_url(rule, world.ids)
                client = role_app.test_client()  # fresh session for every request
                if role != "anonymous":
                    login_as(client, world.accounts[role])
                role_app.walk_errors.clear()
                role_app.walk_unauthorized.clear()
                response = client.open(url, method=method)
                checked += 1
                problem = problem_with(
                    level, role, response, bool(role_app.walk_unauthorized), rule.endpoint
                )
                if role_app.walk_errors:
                    problem = f"exception {role_app.walk_errors[0]}"
                if problem:
                    where = f"{method} {url} [{rule.endpoint}, {level}] as {role}"
                    failures.append(f"{where}: {problem}")
                if (
                    pages is not None
                    and method == "GET"
                    and response.status_code == 200
                    and response.mimetype == "text/html"
                ):
                    pages[f"{role} GET {url}"] = response.get_data(as_text=True)
        finally:
            with role_app.app_context():
                db.session.remove()
                db.engine.dispose()
    return failures, checked


def test_every_route_enforces_its_access_level(app, world):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert len(rules) >= 10, "the URL map looks too small to be the whole app"

    failures, checked = walk(world)
    assert checked >= 10 * len(ROLES)
    assert not failures, "access problems:\n" + "\n".join(failures)


def test_every_page_of_the_walk_is_valid_html(app, world):
    """The Nu Html Checker finds no error on any page the walk renders, for any role, with
    the CSRF tokens in the forms as in production (one run of the checker for all)."""
    why_not = vnu.missing()
    if why_not:
        pytest.skip(why_not)
    pages: dict[str, str] = {}
    walk(world, methods=["GET"], pages=pages, WTF_CSRF_ENABLED=True)
    assert len(pages) >= 20, sorted(pages)
    errors = vnu.html_errors(pages)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)


def test_every_post_route_requires_a_csrf_token(app, world):
    csrf_app = create_app(test_config(WTF_CSRF_ENABLED=True))
    try:
        failures = []
        posts = [rule for rule, method in routes(csrf_app) if method == "POST"]
        assert posts, "no POST routes found"
        for rule in posts:
            client = csrf_app.test_client()
            login_as(client, world.accounts["admin"])
            url = build_url(rule, world.ids)
            response = client.post(url, data={"name": "x"})
            if response.status_code != 400:
                failures.append(f"POST {url} [{rule.endpoint}] answered {response.status_code}")
        assert not failures, "POST without a CSRF token accepted:\n" + "\n".join(failures)

        anonymous = csrf_app.test_client()
        response = anonymous.post(
            "/login", data={"email": "walk-admin@example.org", "password": "correct horse battery"}
        )
        assert response.status_code == 400
        assert b"Your form expired" in response.data
    finally:
        with csrf_app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- a scheduling poll's results: the secretariat and the meeting's chairs ----------------


@pytest.mark.parametrize(
    ("who", "page", "choose"),
    [
        ("anonymous", "login", "login"),
        ("member", 403, 403),  # a member who does not chair this meeting
        ("chair", 200, 403),  # a chair reads the results; only the secretariat chooses
        ("secretariat", 200, 303),
        ("admin", 200, 303),
    ],
)
def test_poll_results_are_for_the_secretariat_and_the_meetings_chairs(app, who, page, choose):
    from datetime import timedelta

    from coordapp.models import MeetingStatus, Poll, PollSlot, utcnow

    users = {
        role: make_user(getattr(Role, role.upper() if role != "chair" else "MEMBER"))
        for role in ("member", "chair", "secretariat", "admin")
    }
    meeting = make_meeting(status=MeetingStatus.DRAFT, chairs=[(users["chair"], "Chair")])
    poll = Poll(meeting=meeting, deadline=utcnow() + timedelta(days=3))
    slot = PollSlot(
        poll=poll,
        starts_at=utcnow() + timedelta(days=9),
        ends_at=utcnow() + timedelta(days=9, hours=2),
    )
    db.session.add_all([poll, slot])
    db.session.commit()
    client = app.test_client()
    if who != "anonymous":
        login_as(client, users[who])
    base = f"/meetings/{meeting.id}/poll"
    for url, expected in (
        (f"{base}/results", page),
        (f"{base}/results.csv", page),
    ):
        response = client.get(url)
        if expected == "login":
            assert is_login_redirect(response), url
        else:
            assert response.status_code == expected, url
    response = client.post(f"{base}/choose", data={"slot_id": slot.id})
    if choose == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == choose
    db.session.expire_all()
    chosen = db.session.get(Poll, poll.id).chosen_slot_id
    assert chosen == (slot.id if choose == 303 else None)
