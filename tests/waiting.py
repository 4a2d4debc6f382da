"""What a page that waits for the worker looks like to a client (templates/_waiting.html):
no HTTP Refresh (a browser running script polls instead: static/js/waiting.js), a
refresh every `seconds` only for browsers without script, a live status and a "Check
again" link."""

from __future__ import annotations


def assert_waits(response, seconds: int = 3) -> None:
    html = response.get_data(as_text=True)
    assert "Refresh" not in response.headers
    assert f'<noscript><meta http-equiv="refresh" content="{seconds}"></noscript>' in html
    assert "js/waiting.js" in html and "data-waiting " in html
    assert 'aria-live="polite"' in html and "Check again" in html


def assert_done_waiting(response) -> None:
    html = response.get_data(as_text=True)
    assert "Refresh" not in response.headers
    assert 'http-equiv="refresh"' not in html and "data-waiting " not in html
