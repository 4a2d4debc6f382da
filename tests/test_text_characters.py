"""One rule for the characters stored text may hold: XML 1.0's Char production
(coordapp/inputs.py). What breaks a feed, a calendar file or a PDF (U+FFFE, U+FFFF,
control characters) is refused where it is typed, with a message; everything else is
stored and the series' Atom feed stays well-formed whatever a summary holds."""

from __future__ import annotations

import feedparser
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from coordapp.extensions import db
from coordapp.models import Contact, Invitation
from tests.conftest import login_as
from tests.test_csv_import import HEADER, _upload
from tests.test_outcomes import build_world, public_get, publish, save, start, summary_for
from tests.test_rsvp import invite, url

NOT_TEXT_MESSAGE = "a character that is not text"
CONTROL_MESSAGE = "invisible control character"


def _feed_is_well_formed(app, series_id) -> bytes:
    body = public_get(app, f"/outcomes/series/{series_id}/feed.atom").get_data()
    etree.fromstring(body)  # strict: raises on any character XML forbids
    parsed = feedparser.parse(body)
    assert parsed.bozo is False, parsed.get("bozo_exception")
    return body


def test_a_summary_title_with_u_ffff_is_refused_and_the_feed_stays_readable(app, client):
    world = build_world()
    login_as(client, world.secretariat)
    start(client, world.meeting)
    publish(client, world.meeting)
    for bad in ("Meeting \uffff", "Meeting \ufffe", "Bell \x07"):
        response = save(client, world.meeting, title=bad)
        assert response.status_code == 400, repr(bad)
        page = response.get_data(as_text=True)
        assert NOT_TEXT_MESSAGE in page or CONTROL_MESSAGE in page
        response = save(client, world.meeting, body=f"Body {bad}")
        assert response.status_code == 400, repr(bad)
    assert "\uffff" not in summary_for(world.meeting).title
    publish(client, world.meeting)
    _feed_is_well_formed(app, world.series.id)


def test_whatever_a_summary_holds_the_feed_stays_well_formed(app, client):
    world = build_world()
    login_as(client, world.secretariat)
    start(client, world.meeting)
    assert publish(client, world.meeting).status_code == 302
    any_text = st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30
    )

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(title=any_text, body=any_text)
    @example(title="\uffff", body="\ufffe")
    @example(title="\x0c", body="]]> </content> &amp; \x85 \u2028")
    def check(title, body):
        response = save(client, world.meeting, title=f"T {title}", body=f"B {body}")
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 302:
            assert publish(client, world.meeting).status_code == 302
        _feed_is_well_formed(app, world.series.id)

    check()
    # Some made it through: the rule refuses only what XML cannot carry.
    assert summary_for(world.meeting).status.value == "published"


def test_the_rule_holds_on_every_form_and_query_parameter(client, secretariat_client):
    invitation = invite()
    response = client.post(
        url(invitation), data={"status": "accepted", "needs": "", "comment": "Hello \uffff"}
    )
    assert response.status_code == 400
    assert NOT_TEXT_MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).comment in (None, "")
    response = secretariat_client.get("/directory/contacts", query_string={"q": "x\ufffe"})
    assert response.status_code == 400
    # Letters of any script, emoji, and characters beyond the BMP are text.
    response = client.post(
        url(invitation), data={"status": "accepted", "needs": "", "comment": "Дзякуй 🎉 𝔸"}
    )
    assert response.status_code in (200, 302, 303)


def test_an_imported_csv_with_a_non_character_is_refused_with_a_message(secretariat_client):
    for bad in ("\uffff", "\x1b"):
        response = _upload(secretariat_client, HEADER + f"Anna{bad},,anna@iom.int,,en,IOM,IOM,\n")
        assert response.status_code == 400, repr(bad)
        assert "Please remove it and upload the file again" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
