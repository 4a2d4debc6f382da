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

A view may set a stricter header of its own (an attachment's `sandbox` policy, the mail
preview's frame); these are the defaults it does not have to repeat.

No library: flask-talisman (the usual choice) has had no release since 2023, rewrites
`app.config` on every request and redirects to HTTPS by itself, which a deployment
behind a TLS-terminating proxy already does.
"""

from __future__ import annotations

from flask import Flask, Response, request

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


def register(app: Flask) -> None:
    production = app.config.get("ENV_NAME") == "production"

    @app.after_request
    def _secure_headers(response: Response) -> Response:
        return secure_headers(response, production=production)
