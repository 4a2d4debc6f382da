"""What a shared cache may keep carries no cookie (issue #20, finding 3): a response marked
`public` (the series feed, a published summary's photo) is the same for everyone, so it
never starts or refreshes a session, whoever asks: a visitor, a signed-in user, or one
holding only the "remember me" cookie. A proxy keeping such a response would otherwise
hand that person's session to everyone after them."""

from __future__ import annotations

from coordapp.models import Role
from tests.conftest import login_as
from tests.factories import make_user
from tests.test_access import build_url, routes, walk_app, world  # noqa: F401
from tests.test_auth import log_in
from tests.test_outcomes import build_world, jpeg_with_gps, publish, save, start, summary_for


def _cached_with_a_cookie(response) -> bool:
    return response.cache_control.public and "Set-Cookie" in response.headers


def _clients(app, asking=None):
    """A visitor, a signed-in user, and one holding only the remember cookie (logged in
    through the form on `app`, the cookies then used on `asking`)."""
    make_user(Role.MEMBER, email="reader@example.org")
    asking = asking or app
    clients = {}
    for who, remember in (("signed in", False), ("remember cookie only", True)):
        browser = app.test_client()
        assert log_in(browser, "reader@example.org", remember=remember).status_code == 302
        reader = asking.test_client()
        names = ["remember_token"] if remember else ["session"]
        for name in names:
            reader.set_cookie(name, browser.get_cookie(name).value)
        clients[who] = reader
    return {"visitor": asking.test_client(), **clients}


def test_the_feed_and_photo_never_set_a_cookie_whoever_asks(app, client):
    summary_world = build_world()
    login_as(client, summary_world.secretariat)
    start(client, summary_world.meeting)
    save(client, summary_world.meeting, photo=jpeg_with_gps(), photo_alt="A room")
    assert publish(client, summary_world.meeting).status_code == 302
    slug = summary_for(summary_world.meeting).slug
    public_urls = [
        f"/outcomes/series/{summary_world.series.id}/feed.atom",
        f"/outcomes/{slug}/photo",
    ]
    for who, reader in _clients(app).items():
        for url in public_urls:
            response = reader.get(url)
            assert response.status_code == 200, (who, url)
            assert response.cache_control.public, (who, url)
            assert "Set-Cookie" not in response.headers, (who, url)


def test_no_response_of_any_route_is_public_and_sets_a_cookie(app, world):  # noqa: F811
    walker = walk_app()
    try:
        clients = _clients(app, walker)
        found = []
        for rule, method in routes(walker):
            if method != "GET":
                continue
            url = build_url(rule, world.ids)
            for who, reader in clients.items():
                response = reader.get(url)
                if _cached_with_a_cookie(response):
                    found.append(f"{who} {url}")
        assert not found, "public and Set-Cookie: " + ", ".join(found)
    finally:
        from coordapp.extensions import db

        with walker.app_context():
            db.session.remove()
            db.engine.dispose()
