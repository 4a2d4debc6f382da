"""No input gives a 500: generated values in every form field and query parameter of
every route (Hypothesis), on SQLite and PostgreSQL.

The walk finds the routes in the URL map and their fields in the pages themselves: every
<form> of every page (its action, method, input, textarea and select names), plus the
query parameters the code reads (`request.args.get("…")`). Each form and each GET route
is sent first the values the review found (a NUL byte, 30 digits, 10^40, years 0001 and
9999, no file at all…) in every field at once, then values Hypothesis generates. A
refusal (400, 404, 409…) is right; a 500 or an exception is not.

Every id in a URL is also sent beyond what the database's INTEGER holds (2^31 and up,
Hypothesis again), signed in and not: a 404, never a 500 (coordapp/inputs.IdConverter).

Bounded: a few examples per target, derandomised, no shrinking (a failure names its
values anyway), so the run takes well under two minutes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule

from coordapp.calendar.routes import series_feed_token
from coordapp.commitments.notifications import status_token
from coordapp.extensions import db
from coordapp.inputs import INT_MAX, IdConverter
from coordapp.links import rsvp_token
from coordapp.models import Commitment, CommitmentStatus, CommitmentUpdate, Invitation, Series
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from tests.conftest import login_as
from tests.factories import make_contact
from tests.test_access import build_url, routes, walk_app, world  # noqa: F401

SOURCE = Path(__file__).resolve().parent.parent / "coordapp"
EXAMPLES_PER_TARGET = 4
# What the review sent, in every field at once.
EDGE_VALUES = [
    "a\x00b",
    "\x00",
    "line\x0bbreak\x1b[31m",
    "9" * 30,
    "1" + "0" * 40,
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "[" * 5000,
    "x" * 20_000,
    "",
]
NUMBERS_TOO_LARGE = [str(2**31), "99999999999", str(-(2**31) - 1)]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
VALUE = st.one_of(
    TEXT,
    st.integers().map(str),
    st.integers(min_value=-(10**45), max_value=10**45).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
    st.sampled_from(EDGE_VALUES),
)
# Destructive actions go last, so that the others still find their objects.
LAST = re.compile(r"delete|cancel|withdraw|deactivate|logout|remove|approve|submit", re.I)


@dataclass
class Target:
    method: str
    url: str
    fields: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    # What the page's form posts as it stands (selected options, values filled in).
    defaults: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """The forms of a page: action, method and the names of their fields."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Target] = []
        self._form: Target | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            action = attributes.get("action") or self.page_url
            method = (attributes.get("method") or "get").upper()
            self._form = Target(method, urlsplit(action).path or self.page_url)
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button"):
            name = attributes.get("name")
            self._select = name if tag == "select" else None
            if not name or name == "csrf_token":
                return
            if attributes.get("type") == "file":
                self._form.files.add(name)
                return
            self._form.fields.add(name)
            kind = attributes.get("type")
            if tag == "input" and (kind not in ("checkbox", "radio") or "checked" in attributes):
                self._form.defaults.setdefault(name, attributes.get("value") or "")
        elif self._form is not None and tag == "option" and getattr(self, "_select", None):
            value = attributes.get("value") or ""
            if "selected" in attributes:
                self._form.defaults[self._select] = value
            else:
                self._form.defaults.setdefault(self._select, value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def query_parameters_the_code_reads() -> set[str]:
    names = set()
    for path in SOURCE.rglob("*.py"):
        names |= set(re.findall(r"request\.args\.get\(\s*\"(\w+)\"", path.read_text()))
    return names


def _rich_world(world):  # noqa: F811
    """The access walk's world, plus what personal links and item pages need."""
    meeting_id = world.ids["meeting"]
    contact = make_contact(name="Fuzz Invitee", email="fuzz-invitee@example.org")
    invitation = Invitation(meeting_id=meeting_id, contact=contact)
    item = AgendaItem(
        meeting_id=meeting_id, position=0, title="Fuzzed item", kind=AgendaItemKind.DISCUSSION
    )
    commitment = Commitment(
        meeting_id=meeting_id,
        description="Fuzzed commitment",
        responsible=contact,
        status=CommitmentStatus.OPEN,
        sdgs=[],
        updates=[CommitmentUpdate(status=CommitmentStatus.OPEN)],
    )
    db.session.add_all([invitation, item, commitment])
    db.session.commit()

    series = db.session.get(Series, world.ids["series"])
    world.ids.update(invitation=invitation.id, item=item.id, commitment=commitment.id)
    tokens = {
        "rsvp": rsvp_token(invitation),
        "commitments.status_form": status_token(commitment),
        "calendar": series_feed_token(series),
    }
    db.session.close()
    return tokens


def _url(rule: Rule, ids: dict[str, int], tokens: dict[str, str], **overrides: int) -> str:
    url = build_url(rule, ids, **overrides)
    if "<token>" in rule.rule:
        token = tokens.get(rule.endpoint) or tokens.get(rule.endpoint.split(".")[0])
        token = token or tokens["rsvp"]
        url = url.replace("/x", f"/{token}", 1)
    return url


def _targets(app: Flask, client, ids, tokens) -> list[Target]:
    adapter = app.url_map.bind("localhost")
    query_names = query_parameters_the_code_reads()
    found: dict[tuple[str, str], Target] = {}
    for rule, method in routes(app):
        url = _url(rule, ids, tokens)
        target = found.setdefault((method, url), Target(method, url))
        if method == "GET":
            target.fields |= query_names
            response = client.get(url)
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            parser = _Forms(url)
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                try:
                    adapter.match(form.url, method=form.method)
                except HTTPException:
                    continue  # a form to another site or a method the route lacks
                known = found.setdefault((form.method, form.url), Target(form.method, form.url))
                known.fields |= form.fields
                known.files |= form.files
                known.defaults = {**form.defaults, **known.defaults}
    return sorted(found.values(), key=lambda t: (bool(LAST.search(t.url)), t.url, t.method))


def _send(app: Flask, account, target: Target, values: dict[str, str | None]):
    client = app.test_client()
    login_as(client, account)
    app.walk_errors.clear()
    present = {name: value for name, value in values.items() if value is not None}
    if target.method == "GET":
        return client.get(target.url, query_string=present)
    data = {name: value for name, value in present.items() if name not in target.files}
    for name in target.files:
        if values.get(name) is not None:  # else: no file at all
            data[name] = (io.BytesIO(values[name].encode("utf-8", "replace")), "upload.pdf")
    return client.post(
        target.url, data=data, content_type="multipart/form-data" if target.files else None
    )


def _fuzz(app: Flask, account, target: Target, failures: list[str]) -> None:
    names = sorted(target.fields | target.files)

    def check(values: dict[str, str | None]) -> None:
        response = _send(app, account, target, values)
        if response.status_code >= 500 or app.walk_errors:
            shown = {k: (v[:40] + "…" if v and len(v) > 40 else v) for k, v in values.items()}
            failures.append(
                f"{target.method} {target.url} {shown}: {response.status_code} "
                f"{app.walk_errors[:1]}"
            )
            raise AssertionError("server error")

    try:
        for edge in EDGE_VALUES:
            check(dict.fromkeys(names, edge))
        check(dict.fromkeys(names))  # nothing at all (no file either)
        # Each number field (an id to choose, a count…) in turn too large to store, the
        # others as the page fills them in: the form validates and the number reaches the
        # code that uses it.
        numeric = [n for n, v in target.defaults.items() if re.fullmatch(r"-?\d+", v)]
        for name in sorted(numeric):
            for number in NUMBERS_TOO_LARGE:
                check({**target.defaults, name: number})
    except AssertionError:
        return
    if not names:
        return

    @settings(
        max_examples=EXAMPLES_PER_TARGET,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries({name: st.one_of(st.none(), VALUE) for name in names}))
    def generated(values):
        check(values)

    try:
        generated()
    except AssertionError:
        pass


def test_no_generated_input_in_any_field_or_query_parameter_gives_a_500(app, world):  # noqa: F811
    tokens = _rich_world(world)
    fuzz_app = walk_app()
    try:
        account = world.accounts["admin"]
        client = fuzz_app.test_client()
        login_as(client, account)
        targets = _targets(fuzz_app, client, world.ids, tokens)
        assert len(targets) > 60, "the walk found too few routes and forms"
        assert sum(len(t.fields) for t in targets if t.method == "POST") > 50
        failures: list[str] = []
        for target in targets:
            _fuzz(fuzz_app, account, target, failures)
    finally:
        with fuzz_app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures)


# --- ids in URLs ---------------------------------------------------------------------------

EDGE_IDS = [INT_MAX + 1, 2**32, 2**63 - 1, 2**63, 2**64, 10**30]
IDS_PER_ARGUMENT = 3


def _id_arguments(rule: Rule) -> list[str]:
    return [
        arg
        for arg, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter) and arg not in (rule.defaults or {})
    ]


def _generated_ids(check) -> None:
    @settings(
        max_examples=IDS_PER_ARGUMENT,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.integers(min_value=INT_MAX + 1, max_value=10**40))
    def generated(number):
        check(number)

    generated()


def test_every_integer_in_a_route_is_a_bounded_id(app):
    unbounded = [
        f"{rule.rule} ({arg})"
        for rule in app.url_map.iter_rules()
        for arg, converter in rule._converters.items()
        if isinstance(converter, IntegerConverter) and not isinstance(converter, IdConverter)
    ]
    assert not unbounded, "use <id:…> for these: " + ", ".join(unbounded)


def test_no_id_beyond_what_the_database_stores_gives_a_500(app, world):  # noqa: F811
    tokens = _rich_world(world)
    fuzz_app = walk_app()
    failures: list[str] = []
    try:
        clients = {"anonymous": fuzz_app.test_client(), "admin": fuzz_app.test_client()}
        login_as(clients["admin"], world.accounts["admin"])
        checked = 0
        for rule, method in routes(fuzz_app):
            for arg in _id_arguments(rule):

                def check(number: int, rule=rule, arg=arg, method=method) -> None:
                    nonlocal checked
                    url = _url(rule, world.ids, tokens, **{arg: number})
                    for role, client in clients.items():
                        fuzz_app.walk_errors.clear()
                        response = client.open(url, method=method)
                        checked += 1
                        if response.status_code >= 500 or fuzz_app.walk_errors:
                            failures.append(
                                f"{role} {method} {url}: {response.status_code} "
                                f"{fuzz_app.walk_errors[:1]}"
                            )

                for number in EDGE_IDS:
                    check(number)
                _generated_ids(check)
        assert checked > 400, "the walk found too few ids in URLs"
    finally:
        with fuzz_app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures[:40])
