"""Security headers on every response, set in one place.

- Content-Security-Policy: scripts and styles only from our own static files (no inline
  script, no inline style, no event-handler attributes), nothing framed from or by other
  sites, forms post only to us.
- X-Frame-Options DENY (older browsers), X-Content-Type-Options nosniff.
- Referrer-Policy same-origin: personal links carry their token in the URL, so no other
  site may see it in a Referer; our own pages keep it (Flask-WTF checks the Referer of a
  form posted over HTTPS, so `no-referrer` would refuse every form there).
- Cache-Control no-store on every page and download: they carry personal data (contacts,
  invitations and their links, mail, exports). Only static files and what a view marks
  `public` (the published outcomes' feed and photos) may be cached.
- Strict-Transport-Security in production.
- A response that may be cached (`public`) never carries a cookie: a proxy would hand
  it, session and all, to everyone after. Public responses neither start nor refresh a
  session (`SessionInterface`); should anything else set a cookie on one (the "remember
  me" cookie), it is no longer public.

A view may set a stricter header of its own (an attachment's `sandbox` policy, the mail
preview's frame); these are the defaults it does not have to repeat.

No library: flask-talisman (the usual choice) has had no release since 2023, rewrites
`app.config` on every request and redirects to HTTPS by itself, which a deployment
behind a TLS-terminating proxy already does.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def secure_headers(response: Response, *, production: bool) -> Response:
    headers = response.headers
    policy = headers.get("Content-Security-Policy")
    if policy is None:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    elif "frame-ancestors" not in policy:  # a view's own policy: still never framed
        headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
    headers.setdefault("X-Frame-Options", "DENY")
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static" and not (
        response.cache_control.public or response.cache_control.no_store
    ):
        headers["Cache-Control"] = "no-store"
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, never saved on a response that may be cached.

    Saving the session is the last thing Flask does to a response (after every
    `after_request`, Flask-Login's remember cookie included), so this is where a cookie
    and `public` are last seen together."""

    def save_session(self, app, session, response) -> None:
        if response.cache_control.public:
            if "Set-Cookie" not in response.headers:
                return  # the same for everyone: no session started or refreshed
            response.headers["Cache-Control"] = "private, no-store"
        super().save_session(app, session, response)


def register(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"
    app.session_interface = SessionInterface()

    @app.after_request
    def _secure_headers(response: Response) -> Response:
        return secure_headers(response, production=production)
