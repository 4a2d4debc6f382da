"""The only way the PDF renderer may load anything: `data:` URLs and the app's own static files.

WeasyPrint resolves every reference in a document (stylesheets, `@import`, fonts, images,
`<object>`, attachments, SVG `href`s) against the document's base URL and hands the result
to its URL fetcher. Documents are rendered with `ASSET_BASE_URL` as base, so
`href="pdf/print.css"` and `href="/static/pdf/print.css"` both become
`https://coordapp-assets.invalid/static/pdf/print.css`, which `SafeURLFetcher` maps to
`static/pdf/print.css`. The host is under the reserved `.invalid` top-level domain, and the
fetcher never opens a connection anyway: anything that is not a `data:` URL or a file
strictly inside the static folder is refused before a file is opened or a socket created.

This module does not import WeasyPrint at import time beyond the small `weasyprint.urls`
module it subclasses from; callers import it lazily (see `coordapp.pdf.render`).
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_HOST = "coordapp-assets.invalid"
STATIC_URL_PATH = "/static/"
ASSET_BASE_URL = f"https://{ASSET_HOST}{STATIC_URL_PATH}"
# The app's own assets (coordapp/pdf/fetcher.py -> the project root's static/).
STATIC_FOLDER = Path(__file__).resolve().parents[2] / "static"

# mimetypes does not know every font type on every system; WeasyPrint sniffs fonts and
# images anyway, but it insists on text/css for linked stylesheets.
_CONTENT_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
}


class RefusedURL(ValueError):
    """The renderer asked for something that is not a `data:` URL or one of our assets."""


def asset_url(relative_path: str) -> str:
    """The URL under which a document refers to `static/<relative_path>`."""
    return ASSET_BASE_URL + relative_path.lstrip("/")


class SafeURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves `data:` URLs and files inside `static_folder`.

    Everything else raises `RefusedURL`; WeasyPrint logs it and skips the resource, so a
    hostile reference in user text costs a warning, never a read or a request.
    """

    def __init__(self, static_folder: Path | str = STATIC_FOLDER) -> None:
        # The parent builds urllib handlers (file, http, ftp…) that `fetch` below never
        # uses; redirects are off and no protocol is allowed there, to be doubly sure.
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.static_root = Path(static_folder).resolve(strict=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            return self._fetch_data(url)
        path = self.resolve_asset(url)
        content_type = _CONTENT_TYPES.get(path.suffix.lower()) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    def resolve_asset(self, url: str) -> Path:
        """The file inside the static folder that `url` names, or `RefusedURL`.

        Checks the URL lexically first (scheme, host, path prefix, no `..`, no
        backslashes or NUL), so a hostile URL never reaches the file system; then resolves
        symlinks and checks the real path is still inside the static folder.
        """
        try:
            parts = urlsplit(url)
        except ValueError as error:
            raise RefusedURL(f"malformed URL refused: {url!r}") from error
        if parts.scheme.lower() != "https" or parts.netloc.lower() != ASSET_HOST:
            raise RefusedURL(f"only data: URLs and the app's own assets may load: {url!r}")
        path = unquote(parts.path)
        if not path.startswith(STATIC_URL_PATH):
            raise RefusedURL(f"not under {STATIC_URL_PATH}: {url!r}")
        relative = path[len(STATIC_URL_PATH) :]
        segments = relative.split("/")
        if (
            not relative
            or "\\" in relative
            or "\x00" in relative
            or any(segment in ("", ".", "..") for segment in segments)
            or posixpath.isabs(relative)
        ):
            raise RefusedURL(f"path refused: {url!r}")
        try:
            real = (self.static_root / relative).resolve(strict=True)
        except (OSError, RuntimeError) as error:
            raise RefusedURL(f"no such asset: {url!r}") from error
        if not real.is_relative_to(self.static_root) or not real.is_file():
            raise RefusedURL(f"not a file inside the static folder: {url!r}")
        return real

    @staticmethod
    def _fetch_data(url: str) -> URLFetcherResponse:
        # urllib's DataHandler decodes in memory (base64 or percent-encoded); no I/O.
        try:
            response = DataHandler().data_open(Request(url))
        except ValueError as error:
            raise RefusedURL("malformed data: URL") from error
        return URLFetcherResponse(url, body=response.read(), headers=dict(response.headers))
