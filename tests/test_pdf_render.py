"""The PDF renderer: our fonts and layout, Cyrillic names, page footer, signature box
positions, and a renderer that loads nothing but data: URLs and the app's own assets.

Rendering costs seconds, so one document is rendered for the whole module (with hostile
references mixed into its content) and the tests below assert on it.
"""

from __future__ import annotations

import builtins
import http.server
import io
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin

import pytest
from flask import render_template_string
from flask_babel import force_locale

from coordapp import PROJECT_ROOT, create_app
from tests.conftest import test_config

NAMES = ["Аляксандр Лукашэвіч", "Ўўў", "Ірына", "Щёлково"]

DOCUMENT = """{% extends "pdf/base.html" %}
{% block content %}
<h2>Participants</h2>
<table>
  <thead><tr><th>Name</th><th>Organisation</th></tr></thead>
  <tbody>
  {% for name in names %}<tr><td>{{ name }}</td><td><em>Ministry</em> <strong>ЎЎ</strong></td></tr>
  {% endfor %}
  </tbody>
</table>
<p>{{ hostile_text }}</p>
<img alt="" src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'
  width='4' height='4'%3E%3C/svg%3E">
{{ hostile_html|safe }}
<section class="signature-page">
  <div class="signature-block">
    <p class="signatory">Chair Onefirst</p>
    <div class="signature-box" id="signature-1"></div>
  </div>
  <div class="signature-block">
    <p class="signatory">Chair Twosecond</p>
    <div class="signature-box" id="signature-2"></div>
  </div>
</section>
{% endblock %}
"""

# Everything a rich-text field might smuggle in. A <base> first, so that relative
# references point at the listening server too (and cannot redirect our own stylesheet).
HOSTILE_HTML = """
<base href="http://127.0.0.1:{port}/base/">
<img src="file:///etc/passwd">
<img src="http://127.0.0.1:{port}/x.png">
<img src="/etc/passwd">
<img src="../../../../etc/passwd">
<img src="https://coordapp-assets.invalid/static/../../../../etc/passwd">
<img src="https://coordapp-assets.invalid/static/%2e%2e/%2e%2e/etc/passwd">
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="stylesheet" href="http://127.0.0.1:{port}/linked.css">
<link rel="attachment" href="file:///etc/passwd">
<object data="file:///etc/passwd"></object>
<style>
@import url(http://127.0.0.1:{port}/y.css);
@font-face {{ font-family: Evil; src: local("DejaVu Sans"), url(file:///etc/passwd); }}
.evil {{ background: url(/etc/passwd); font-family: Evil; }}
.evil2 {{ background: url(file:///etc/passwd); }}
</style>
<p class="evil evil2">styled</p>
<svg width="10" height="10">
  <image href="http://127.0.0.1:{port}/z.svg" width="10" height="10"/>
</svg>
"""


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def listening_server():
    _CountingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def rendered(listening_server, tmp_path_factory):
    """Render the sample once, recording what the fetcher was asked for, which files were
    opened and which sockets connected while WeasyPrint worked."""
    from coordapp.pdf import fetcher as fetcher_module
    from coordapp.pdf.render import render_pdf_with_boxes

    port = listening_server.server_address[1]
    app = create_app(test_config())
    with app.app_context(), force_locale("en"):
        html = render_template_string(
            DOCUMENT,
            network_name="Сетка па міграцыі",
            title="Fourth extended meeting — Ірына",
            names=NAMES,
            hostile_text=f"file:///etc/passwd http://127.0.0.1:{port}/text",
            hostile_html=HOSTILE_HTML.format(port=port),
        )

    fetched: list[tuple[str, str]] = []
    opened: list[str] = []
    connected: list[object] = []
    original_fetch = fetcher_module.SafeURLFetcher.fetch
    original_open = builtins.open
    original_connect = socket.socket.connect

    def recording_fetch(self, url, headers=None):
        try:
            response = original_fetch(self, url, headers)
        except fetcher_module.RefusedURL:
            fetched.append((url, "refused"))
            raise
        fetched.append((url, "served"))
        return response

    def recording_open(file, *args, **kwargs):
        opened.append(str(file))
        return original_open(file, *args, **kwargs)

    def recording_connect(sock, address):
        connected.append(address)
        return original_connect(sock, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fetcher_module.SafeURLFetcher, "fetch", recording_fetch)
        patch.setattr(builtins, "open", recording_open)
        patch.setattr(io, "open", recording_open)
        patch.setattr(socket.socket, "connect", recording_connect)
        pdf, boxes = render_pdf_with_boxes(html, ["signature-1", "signature-2"])

    path = tmp_path_factory.mktemp("pdf") / "sample.pdf"
    path.write_bytes(pdf)
    return {
        "pdf": pdf,
        "path": path,
        "boxes": boxes,
        "fetched": fetched,
        "opened": opened,
        "connected": connected,
        "port": port,
    }


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _page_count(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", str(path)), re.M).group(1))


def test_pdf_shows_cyrillic_names_header_and_page_x_of_y(rendered):
    path = str(rendered["path"])
    assert rendered["pdf"].startswith(b"%PDF-")
    assert _page_count(rendered["path"]) == 2
    text = _run("pdftotext", "-layout", path, "-")
    for name in NAMES:
        assert name in text
    last_page = _run("pdftotext", "-layout", "-f", "2", "-l", "2", path, "-")
    assert "Page 2 of 2" in last_page
    assert "Сетка па міграцыі" in last_page  # running header, from string-set
    assert "Fourth extended meeting — Ірына" in last_page
    assert "Page 1 of 2" in _run("pdftotext", "-layout", "-f", "1", "-l", "1", path, "-")


def test_pdf_embeds_only_the_vendored_font_family(rendered):
    rows = _run("pdffonts", str(rendered["path"])).splitlines()[2:]
    fonts = {row.split()[0].split("+")[-1]: row.split()[-5] for row in rows}
    # Regular, bold and italic, all our own files, all embedded: no system font, even for
    # the hostile `local("DejaVu Sans")` face.
    assert fonts == {
        "Coordapp-Sans": "yes",
        "Coordapp-Sans-Bold": "yes",
        "Coordapp-Sans-Italic": "yes",
    }


def test_hostile_references_are_refused_and_nothing_is_read_or_requested(rendered):
    port = rendered["port"]
    refused = {url for url, outcome in rendered["fetched"] if outcome == "refused"}
    served = {url for url, outcome in rendered["fetched"] if outcome == "served"}

    # The renderer did try them, and the fetcher said no…
    assert "file:///etc/passwd" in refused
    assert f"http://127.0.0.1:{port}/x.png" in refused
    assert f"http://127.0.0.1:{port}/y.css" in refused
    assert f"http://127.0.0.1:{port}/etc/passwd" in refused  # /etc/passwd against <base>
    assert "https://coordapp-assets.invalid/static/../../../../etc/passwd" in refused
    # …while our stylesheet, fonts and data: URLs were served.
    assert "https://coordapp-assets.invalid/static/pdf/print.css" in served
    assert "https://coordapp-assets.invalid/static/fonts/DejaVuSans.ttf" in served
    assert any(url.startswith("data:image/svg+xml") for url in served)
    assert all(
        url.startswith(("data:", "https://coordapp-assets.invalid/static/")) for url in served
    )

    # Nothing outside was read or contacted.
    assert _CountingHandler.requests == []
    assert rendered["connected"] == []
    assert not [path for path in rendered["opened"] if path.startswith("/etc")]


def test_signature_boxes_are_located_on_the_last_page(rendered):
    boxes = rendered["boxes"]
    last_page = _page_count(rendered["path"]) - 1
    first, second = boxes["signature-1"], boxes["signature-2"]
    assert first.page_index == second.page_index == last_page

    mm = 72 / 25.4
    x1, y1, x2, y2 = first.rect
    assert x1 == pytest.approx(20 * mm, abs=0.5)  # left page margin
    assert x2 - x1 == pytest.approx(80 * mm, abs=0.5)
    assert y2 - y1 == pytest.approx(30 * mm, abs=0.5)
    assert 0 < y1 < y2 < 297 * mm
    assert second.rect[1] < second.rect[3] < y1  # the second box is lower on the page

    # Cross-check the coordinates with poppler: the signatory's name sits just above
    # its box (pdftotext's y runs down from the top of the page).
    bbox = _run(
        "pdftotext",
        "-bbox",
        "-f",
        str(last_page + 1),
        "-l",
        str(last_page + 1),
        str(rendered["path"]),
        "-",
    )
    word = re.search(
        r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">Onefirst', bbox
    )
    name_bottom = 297 * mm - float(word.group(1))
    assert 0 < name_bottom - y2 < 10 * mm


def test_vendored_fonts_cover_belarusian_and_russian_names():
    from fontTools.ttLib import TTFont

    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"):
        cmap = TTFont(PROJECT_ROOT / "static" / "fonts" / name).getBestCmap()
        missing = {char for char in "".join(NAMES) if ord(char) not in cmap and char != " "}
        assert missing == set(), name


def test_render_pdf_with_boxes_fails_loudly_for_a_missing_box():
    from coordapp.pdf.render import render_pdf_with_boxes

    with pytest.raises(ValueError, match="nowhere"):
        render_pdf_with_boxes("<p>no boxes here</p>", ["nowhere"])


def test_importing_the_renderer_does_not_import_weasyprint():
    # Web processes import modules that import coordapp.pdf.render; only rendering may
    # pay the seconds WeasyPrint takes to import.
    code = "import sys, coordapp.pdf.render; print('weasyprint' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "False"


# --- The fetcher on its own (fast) -------------------------------------------------------


@pytest.fixture
def fetcher():
    from coordapp.pdf.fetcher import SafeURLFetcher

    return SafeURLFetcher()


@pytest.fixture
def nothing_opened(monkeypatch):
    """Fail the test if anything is opened from disk or over the network."""
    opened: list[str] = []

    def refuse(*args, **kwargs):
        opened.append(repr(args))
        raise AssertionError(f"opened {args!r}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return opened


def test_fetcher_serves_data_urls(fetcher, nothing_opened):
    response = fetcher.fetch("data:text/plain;base64,0IbQsNC5")
    assert response.read() == "Іай".encode()
    assert response.content_type == "text/plain"
    assert fetcher.fetch("data:text/css,p%20%7B%7D").read() == b"p {}"


def test_fetcher_serves_the_apps_static_files(fetcher):
    from coordapp.pdf.fetcher import asset_url

    css = fetcher.fetch(asset_url("pdf/print.css"))
    assert css.content_type == "text/css"
    assert css.read() == (PROJECT_ROOT / "static" / "pdf" / "print.css").read_bytes()
    # As WeasyPrint resolves url(../fonts/…) inside print.css:
    font_url = urljoin(asset_url("pdf/print.css"), "../fonts/DejaVuSans-Bold.ttf")
    font = fetcher.fetch(font_url)
    assert font.read() == (PROJECT_ROOT / "static" / "fonts" / "DejaVuSans-Bold.ttf").read_bytes()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.org/static/pdf/print.css",
        "ftp://example.org/x",
        "/etc/passwd",
        "../../../../etc/passwd",
        "pdf/print.css",  # relative: WeasyPrint always resolves against our base first
        "https://coordapp-assets.invalid/etc/passwd",
        "https://coordapp-assets.invalid/static/../../../../etc/passwd",
        "https://coordapp-assets.invalid/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "https://coordapp-assets.invalid/static/pdf/..%2f..%2f..%2fetc%2fpasswd",
        "https://coordapp-assets.invalid/static/%2fetc%2fpasswd",
        "https://coordapp-assets.invalid/static//etc/passwd",
        "https://coordapp-assets.invalid/static/..\\..\\etc\\passwd",
        "https://coordapp-assets.invalid/static/pdf/print.css%00.png",
        "https://user@coordapp-assets.invalid/static/pdf/print.css",
        "https://coordapp-assets.invalid:8443/static/pdf/print.css",
        "http://coordapp-assets.invalid/static/pdf/print.css",
    ],
)
def test_fetcher_refuses_anything_else_without_touching_disk_or_network(
    fetcher, nothing_opened, url
):
    from coordapp.pdf.fetcher import RefusedURL

    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert nothing_opened == []


def test_fetcher_refuses_symlinks_and_directories_out_of_static(tmp_path):
    from coordapp.pdf.fetcher import RefusedURL, SafeURLFetcher, asset_url

    static = tmp_path / "static"
    (static / "pdf").mkdir(parents=True)
    (static / "pdf" / "ok.css").write_text("p {}")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (static / "pdf" / "link.css").symlink_to(secret)
    (static / "outside").symlink_to(tmp_path)
    fetcher = SafeURLFetcher(static_folder=static)

    assert fetcher.fetch(asset_url("pdf/ok.css")).read() == b"p {}"
    for relative in ("pdf/link.css", "outside/secret.txt", "pdf", "pdf/missing.css"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(asset_url(relative))
