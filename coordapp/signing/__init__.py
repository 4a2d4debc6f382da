"""PAdES signing of minutes PDFs and their verification.

- ca.py: the deployment's signing CA (in the database, or configured from files) and the
  encryption of private keys at rest;
- identities.py: the chairs' certificates (issued on first use, or uploaded as PKCS#12);
- pdfsign.py: signature fields and PAdES B-B signatures, one incremental update each;
- verify.py: what a PDF's signatures say, for the public verification page;
- cli.py: `flask signing init-ca`.

This module stays light (no pyHanko import) so that the CLI can be registered cheaply.
"""

from __future__ import annotations

from coordapp.errors import DomainError


class SigningError(DomainError):
    """Signing could not be done; the message says why."""

    status = 400


class SigningConfigError(SigningError):
    """The signing set-up (CA, key passphrase, files) is missing or inconsistent."""

    status = 503


class CAAlreadyExists(SigningError):
    """An active CA exists; creating another needs `force`."""

    status = 409


class InvalidCertificateFile(DomainError):
    """An uploaded PKCS#12 file cannot be used; the message is meant for the user."""

    status = 400


def gettext_anywhere(message: str, **variables) -> str:
    """flask_babel's gettext, also usable without an app (then untranslated). In the
    worker and the CLI it speaks the forced locale (the meeting's, for a signature
    stamp), else the app's default."""
    from flask import has_app_context
    from flask_babel import gettext

    if not has_app_context():
        return message % variables if variables else message
    return gettext(message, **variables)


def outside_event_loop(fn, *args, **kwargs):
    """Call `fn`, which may use asyncio.run inside (pyHanko's sync API does), also from a
    thread where an event loop is already running (e.g. under a Playwright test or an
    async server): then it runs in a short-lived thread of its own."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()
