"""Every `next` (where to go back to) goes through the one links.safe_next_url: after
logging in, after choosing a language, after retrying a message. Targets that a browser
would take off-site ("/\\t/evil.example/" becomes "//evil.example/" once the browser drops
the tab) stay on this site, and a line break is not a 500 (issue #20, finding 6)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from coordapp.links import safe_next_url
from coordapp.models import MessageStatus, Role
from tests.conftest import login_as
from tests.factories import PASSWORD, make_user
from tests.test_mail_pages import queue, set_state

HOSTILE = [
    "/\t/evil.example/",
    "/\n/x",
    "/\r\n/evil.example/",
    "/ /evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "  //evil.example",
]


def _stays_on_site(response) -> None:
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    # What a browser does with the header: drop tabs and line breaks, "\" as "/".
    as_browser = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    parts = urlsplit(as_browser)
    assert not parts.netloc and not parts.scheme, location
    assert as_browser.startswith("/") and not as_browser.startswith("//"), location


@pytest.mark.parametrize("target", HOSTILE)
def test_logging_in_never_leaves_the_site(client, target):
    make_user(email="chair@example.org")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "chair@example.org", "password": PASSWORD},
    )
    _stays_on_site(response)
    # Already logged in, the login page sends on to `next` too.
    _stays_on_site(client.get("/login", query_string={"next": target}))


@pytest.mark.parametrize("target", HOSTILE)
def test_choosing_a_language_never_leaves_the_site(client, target):
    response = client.post("/language", data={"language": "ru", "next": target})
    _stays_on_site(response)


@pytest.mark.parametrize("target", HOSTILE)
def test_retrying_a_message_never_leaves_the_site(client, target):
    login_as(client, make_user(Role.SECRETARIAT, email="sec@example.org"))
    message = queue()
    set_state(message, status=MessageStatus.FAILED, last_error="550 no")
    response = client.post(f"/mail/{message.id}/retry", data={"next": target})
    _stays_on_site(response)


def test_a_target_on_this_site_is_kept_and_made_ascii():
    assert safe_next_url("/mail?status=failed") == "/mail?status=failed"
    assert safe_next_url("/directory/contacts?q=Ірына") == (
        "/directory/contacts?q=%D0%86%D1%80%D1%8B%D0%BD%D0%B0"
    )


def test_every_next_the_code_reads_goes_through_safe_next_url():
    source = Path(__file__).resolve().parent.parent / "coordapp"
    reads = re.compile(r"""(request\.(args|form|values)\.get\(\s*["']next["']|form\.next\.data)""")
    unchecked = [
        f"{path.relative_to(source)}:{number}"
        for path in source.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reads.search(line) and "safe_next_url(" not in line
    ]
    assert not unchecked, "a next that does not go through safe_next_url: " + ", ".join(unchecked)
