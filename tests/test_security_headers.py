"""Security headers on every route, for every role (coordapp/headers.py), and templates
that the Content-Security-Policy leaves working: no inline script, event handler or style.

The walk reuses the access test's: every rule of the URL map, GET and POST, as anonymous,
member, secretariat and admin; whatever the answer (200, redirect, 403, 404…), its
headers must be there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Response

from coordapp import create_app
from coordapp.extensions import db
from coordapp.headers import CONTENT_SECURITY_POLICY, secure_headers
from coordapp.models import MessageKind
from tests.conftest import login_as, test_config
from tests.outbox import queue_email, written
from tests.test_access import ROLES, build_url, routes, walk_app, world  # noqa: F401

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Emails (their own documents) and PDF templates (read by WeasyPrint, not a browser).
NOT_BROWSER_PAGES = (
    "mail/",
    "pdf/",
    "agenda/pdf.html",
    "minutes_pdf/",
    "reports/pdf.html",
    "nominations/letter.html",  # a PDF the worker renders, never served to a browser
)


# What is published for everyone and may be kept a few minutes by readers and proxies.
PUBLIC_CACHE = {"outcomes.feed", "outcomes.photo"}


def header_problems(response, endpoint: str | None = None) -> list[str]:
    headers = response.headers
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    if "frame-ancestors" not in csp or "default-src" not in csp:
        problems.append(f"Content-Security-Policy {csp!r}")
    if "script-src 'self'" in csp and "unsafe-inline" in csp:
        problems.append(f"inline script or style allowed: {csp!r}")
    if headers.get("X-Frame-Options") not in ("DENY", "SAMEORIGIN"):
        problems.append(f"X-Frame-Options {headers.get('X-Frame-Options')!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options {headers.get('X-Content-Type-Options')!r}")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    cache = headers.get("Cache-Control", "")
    if "no-store" not in cache and not (endpoint in PUBLIC_CACHE and cache.startswith("public")):
        problems.append(f"Cache-Control {cache!r}")
    return problems


def test_every_route_answers_with_the_security_headers_for_every_role(app, world):  # noqa: F811
    failures = []
    checked = 0
    for role in ROLES:
        role_app = walk_app()
        try:
            for rule, method in routes(role_app):
                url = build_url(rule, world.ids)
                client = role_app.test_client()
                if role != "anonymous":
                    login_as(client, world.accounts[role])
                response = client.open(url, method=method)
                checked += 1
                for problem in header_problems(response, rule.endpoint):
                    failures.append(f"{method} {url} as {role} ({response.status_code}): {problem}")
        finally:
            with role_app.app_context():
                db.session.remove()
                db.engine.dispose()
    assert checked >= 10 * len(ROLES)
    assert not failures, "missing security headers:\n" + "\n".join(failures[:40])


def test_pages_forbid_framing_inline_script_and_other_sites(client):
    response = client.get("/login")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # not in development


def test_static_files_may_be_cached_but_not_sniffed(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


@pytest.mark.parametrize(
    "own, sent",
    [
        (None, "no-store"),
        ("private, max-age=0", "no-store"),  # a browser could still keep it: not enough
        ("no-cache", "no-store"),
        ("private, no-store", "private, no-store"),
        ("public, max-age=300", "public, max-age=300"),  # published on purpose
    ],
)
def test_only_what_a_view_marks_public_may_be_cached(app, own, sent):
    response = Response("page")
    if own:
        response.headers["Cache-Control"] = own
    with app.test_request_context("/outcomes/x/feed.atom"):
        assert secure_headers(response, production=False).headers["Cache-Control"] == sent


def test_production_sends_hsts(app):
    production = create_app(test_config(ENV_NAME="production"))
    response = production.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_mail_preview_frames_the_email_with_its_own_narrow_policy(secretariat_client):
    message = queue_email(
        to_email="ana@example.org",
        to_name="Ana",
        subject="Invitation",
        text_body="Hello",
        html_body='<p style="color: #123456">Hello</p><script>alert(1)</script>',
        kind=MessageKind.INVITATION,
    )
    db.session.flush()
    written(message)
    db.session.commit()

    page = secretariat_client.get(f"/mail/{message.id}")
    assert f'<iframe sandbox="" src="/mail/{message.id}/html"' in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY

    framed = secretariat_client.get(f"/mail/{message.id}/html")
    assert framed.status_code == 200
    assert framed.get_data(as_text=True).startswith('<p style="color: #123456">Hello</p>')
    csp = framed.headers["Content-Security-Policy"]
    # The email's inline styles apply; its scripts never run; only our page frames it.
    assert "style-src 'unsafe-inline'" in csp and "script-src" not in csp
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert "frame-ancestors 'self'" in csp
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in framed.headers["Cache-Control"]


def _browser_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if not name.startswith(NOT_BROWSER_PAGES) and name not in NOT_BROWSER_PAGES:
            yield name, path.read_text(encoding="utf-8")


def test_templates_have_no_inline_script_event_handler_or_style():
    """What the policy would block (and so silently break) in a browser."""
    problems = []
    for name, text in _browser_templates():
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                problems.append(f"{name}: inline {match.group(0)}")
        # Jinja's own expressions ({{ _("…", online=n) }}) are not HTML attributes.
        markup = re.sub(r"{{.*?}}|{%.*?%}", " ", text, flags=re.S)
        for pattern in (r"<style\b", r"\son[a-z]+\s*=", r"\sstyle\s*=", r"javascript:"):
            for match in re.finditer(pattern, markup, re.I):
                problems.append(f"{name}: {match.group(0).strip()}")
    assert not problems, "\n".join(problems)
