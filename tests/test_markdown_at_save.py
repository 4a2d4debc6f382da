"""Markdown is rendered once, when it is saved; pages show the stored, sanitised HTML.

A hostile text (100,000 `[`, about a second to render) used to be rendered on every
view of every page that shows it, eight fields making the minutes preview run 30 s."""

from __future__ import annotations

import time
from unittest import mock

import pytest
import sqlalchemy as sa

from coordapp import richtext
from coordapp.extensions import db
from coordapp.minutes import service
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.minutes import MinutesItem, MinutesRevision
from tests.factories import make_meeting
from tests.test_migrations import _flask, empty_database_url  # noqa: F401  (a fixture)

HOSTILE = "[" * service.MAX_TEXT_LENGTH


@pytest.fixture
def meeting(app):
    meeting = make_meeting(title="Hostile text meeting")
    db.session.add_all(
        AgendaItem(
            meeting_id=meeting.id,
            position=n,
            title=title,
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=15,
            description="Read the **annex**." if n == 0 else None,
        )
        for n, title in enumerate(["Opening", "Budget"])
    )
    db.session.commit()
    return meeting


def _items(meeting) -> list[MinutesItem]:
    version = service.current_version(meeting, by=None)
    db.session.commit()
    return sorted(version.items, key=lambda item: item.agenda_item.position)


def _save_item(client, item: MinutesItem, text: str):
    return client.post(
        f"/minutes/items/{item.id}",
        data={"text": text, "decisions": "", "lock_version": str(item.lock_version)},
    )


def _pages(meeting, item: MinutesItem) -> list[str]:
    return [
        f"/meetings/{meeting.id}/minutes",
        f"/meetings/{meeting.id}/minutes/preview",
        f"/minutes/items/{item.id}/history",
        f"/meetings/{meeting.id}/minutes/history",
        f"/meetings/{meeting.id}/agenda",
        f"/meetings/{meeting.id}/agenda/print",
    ]


def _renders():
    """Count the Markdown parser's renders, whoever calls it (filter, service, listener)."""
    return mock.patch.object(richtext._md, "render", side_effect=richtext._md.render)


def test_pages_show_the_html_stored_at_save_and_never_render(secretariat_client, meeting):
    first, _second = _items(meeting)
    assert _save_item(secretariat_client, first, "We *agreed*.").status_code == 302
    assert _save_item(secretariat_client, db.session.get(MinutesItem, first.id), "We **agreed**.")
    response = secretariat_client.post(
        f"/meetings/{meeting.id}/minutes/meeting-fields",
        data={
            "opening_summary": "The chair **opened**.",
            "closing_summary": "",
            "next_meeting_note": "",
            "lock_version": "1",
            "version_id": str(first.version_id),
        },
    )
    assert response.status_code == 302

    with _renders() as render:
        pages = {url: secretariat_client.get(url) for url in _pages(meeting, first)}
    assert render.call_count == 0, "a page rendered Markdown"
    for url, page in pages.items():
        assert page.status_code == 200, url
    text = {url: page.get_data(as_text=True) for url, page in pages.items()}
    preview = text[f"/meetings/{meeting.id}/minutes/preview"]
    assert "We <strong>agreed</strong>." in preview
    assert "The chair <strong>opened</strong>." in preview
    # The history shows each saved state as it was rendered then.
    history = text[f"/minutes/items/{first.id}/history"]
    assert "We <strong>agreed</strong>." in history and "We <em>agreed</em>." in history
    assert "Read the <strong>annex</strong>." in text[f"/meetings/{meeting.id}/agenda"]
    assert "Read the <strong>annex</strong>." in text[f"/meetings/{meeting.id}/agenda/print"]


def test_hostile_markdown_costs_one_render_at_save_and_no_render_per_view(
    secretariat_client, meeting
):
    first, second = _items(meeting)
    with _renders() as render:
        assert _save_item(secretariat_client, first, HOSTILE).status_code == 302
        assert _save_item(secretariat_client, second, HOSTILE).status_code == 302
    assert render.call_count == 2
    # One character past the bound is refused with the form again.
    too_long = _save_item(secretariat_client, db.session.get(MinutesItem, first.id), HOSTILE + "[")
    assert too_long.status_code == 400

    with _renders() as render:
        for url in _pages(meeting, first):
            started = time.perf_counter()
            response = secretariat_client.get(url)
            assert response.status_code == 200, url
            assert time.perf_counter() - started < 1.0, url
    assert render.call_count == 0


def test_the_renderer_sets_the_html_whenever_the_markdown_is_set(app, meeting):
    item = db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.position == 0)
    ).one()
    assert item.description_html == "<p>Read the <strong>annex</strong>.</p>\n"
    item.description = None
    assert item.description_html is None
    first, _second = _items(meeting)
    service.save_item(first, "*one*", "", first.lock_version, by=None)
    db.session.flush()
    revision = db.session.scalars(
        sa.select(MinutesRevision).where(MinutesRevision.minutes_item_id == first.id)
    ).one()
    assert first.text_html == "<p><em>one</em></p>\n"
    assert revision.content["text_html"] == ""  # the state it replaced: empty


def test_the_migration_fills_in_the_html_of_existing_rows(empty_database_url):  # noqa: F811
    before = _flask("db", "upgrade", "b7e4d2a91c05-1", database_url=empty_database_url)
    assert before.returncode == 0, before.stderr
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as conn:
        for statement in (
            "INSERT INTO meetings (id, title, kind, starts_at, ends_at, timezone, language, "
            "status, created_at, updated_at, ics_sequence, reminder_days) VALUES (1, 'M', "
            "'regular', '2027-01-01 10:00:00', '2027-01-01 12:00:00', 'UTC', 'en', 'held', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 3)",
            "INSERT INTO agenda_items (id, meeting_id, position, title, kind, description, "
            "duration_minutes, created_at) VALUES "
            "(1, 1, 0, 'Opening', 'opening', 'See **this**', 10, '2026-01-01 00:00:00')",
            # Written as a draft, then approved: the triggers refuse edits from then on,
            # yet the migration fills the HTML in.
            "INSERT INTO minutes_versions (id, meeting_id, number, status, lock_version, "
            "created_at, opening_summary) VALUES "
            "(1, 1, 1, 'draft', 2, '2026-01-01 00:00:00', 'Signed *text*')",
            "INSERT INTO minutes_items (id, version_id, agenda_item_id, text, decisions, "
            "lock_version, updated_at) VALUES (1, 1, 1, 'Said **it**', '[]', 2, "
            "'2026-01-01 00:00:00')",
            "INSERT INTO minutes_revisions (id, version_id, minutes_item_id, content, "
            "lock_version, edited_at) VALUES (1, 1, 1, "
            """'{"text": "First *try*", "decisions": []}', 1, '2026-01-01 00:00:00')""",
            "UPDATE minutes_versions SET status = 'approved' WHERE id = 1",
        ):
            conn.execute(sa.text(statement))
    after = _flask("db", "upgrade", "head", database_url=empty_database_url)
    assert after.returncode == 0, after.stderr
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT description_html FROM agenda_items")).scalar() == (
            "<p>See <strong>this</strong></p>\n"
        )
        assert conn.execute(sa.text("SELECT text_html FROM minutes_items")).scalar() == (
            "<p>Said <strong>it</strong></p>\n"
        )
        assert conn.execute(
            sa.text("SELECT opening_summary_html FROM minutes_versions")
        ).scalar() == ("<p>Signed <em>text</em></p>\n")
        content = conn.execute(sa.text("SELECT content FROM minutes_revisions")).scalar()
    if isinstance(content, str):
        import json

        content = json.loads(content)
    assert content["text_html"] == "<p>First <em>try</em></p>\n"
    # The approved item is frozen again.
    with pytest.raises(sa.exc.DatabaseError, match="approved minutes never change"):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE minutes_items SET text = 'Rewritten' WHERE id = 1"))
    engine.dispose()
