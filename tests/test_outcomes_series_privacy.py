"""A series' public page and feed exist only once it has published a summary (issue #20,
finding 9): before that an anonymous visitor gets 404, so the names of series that never
published anything cannot be listed by walking the ids."""

from __future__ import annotations

from tests.conftest import login_as
from tests.test_outcomes import build_world, public_get, publish, start, text


def test_a_series_with_nothing_published_is_not_found(app, client):
    world = build_world()
    pages = [f"/outcomes/series/{world.series.id}", f"/outcomes/series/{world.series.id}/feed.atom"]
    for url in pages:
        response = public_get(app, url)
        assert response.status_code == 404, url
        assert world.series.name not in text(response)

    login_as(client, world.secretariat)
    start(client, world.meeting)
    assert publish(client, world.meeting).status_code == 302
    for url in pages:
        response = public_get(app, url)
        assert response.status_code == 200, url
        assert world.series.name in text(response)

    # Taken down again: the feed's readers get an empty feed, not an error.
    assert client.post(f"/meetings/{world.meeting.id}/summary/unpublish").status_code == 302
    for url in pages:
        assert public_get(app, url).status_code == 200, url


def test_a_draft_summary_does_not_open_the_series_pages(app, client):
    world = build_world()
    login_as(client, world.secretariat)
    start(client, world.meeting)
    assert public_get(app, f"/outcomes/series/{world.series.id}").status_code == 404
