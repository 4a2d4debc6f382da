"""HTML → PDF with WeasyPrint, loading nothing but `data:` URLs and the app's own assets,
and using no font but the vendored ones (`coordapp.pdf.fonts`).

WeasyPrint is imported inside the functions: importing it takes about a second and pulls
in Pango, so only the worker that renders documents should pay for it, never the web
process (which imports this module's callers).

Typical use (in the worker, inside an app context):

    html = render_template("minutes/pdf.html", network_name=..., title=..., ...)
    pdf, boxes = render_pdf_with_boxes(html, ["signature-1", "signature-2"])
"""

from __future__ import annotations

from typing import NamedTuple

# CSS pixels (1/96 in) → PDF points (1/72 in); WeasyPrint renders at zoom 1.
PT_PER_PX = 0.75


class BoxPosition(NamedTuple):
    """Where an element landed: page index (0-based) and its border box in PDF points,
    origin at the bottom-left corner of the page, as pyHanko's `box=(x1, y1, x2, y2)`."""

    page_index: int
    rect: tuple[float, float, float, float]


def render_pdf(html: str, *, pdf_variant: str | None = None) -> bytes:
    """Render an HTML document (e.g. from templates/pdf/base.html) to PDF bytes.

    `pdf_variant` is passed to WeasyPrint, e.g. "pdf/a-3b"; None gives plain PDF 1.7.
    """
    return _layout(html).write_pdf(pdf_variant=pdf_variant)


def render_pdf_with_boxes(
    html: str, box_ids: list[str] | tuple[str, ...], *, pdf_variant: str | None = None
) -> tuple[bytes, dict[str, BoxPosition]]:
    """Render like `render_pdf` and report where the elements with the given ids landed.

    Lays the document out once. For an element split across pages the first fragment
    counts (`.signature-box` never splits). Raises ValueError if an id is not in the
    laid-out document, so a template that lost a signature box fails loudly.
    """
    document = _layout(html)
    positions = find_boxes(document, box_ids)
    missing = [box_id for box_id in box_ids if box_id not in positions]
    if missing:
        raise ValueError(f"elements not found in the rendered document: {missing}")
    return document.write_pdf(pdf_variant=pdf_variant), positions


def find_boxes(document, box_ids) -> dict[str, BoxPosition]:
    """Page and rectangle (PDF points, origin bottom-left) of each laid-out element whose
    id is in `box_ids`, in a WeasyPrint `Document`."""
    wanted = set(box_ids)
    positions: dict[str, BoxPosition] = {}
    for page_index, page in enumerate(document.pages):
        for box in _walk(page._page_box):
            element = box.element
            if element is None or box.element_tag is None:
                continue
            box_id = element.get("id")
            if box_id not in wanted or box_id in positions:
                continue
            x = box.border_box_x()
            y = box.border_box_y()
            left = x * PT_PER_PX
            right = (x + box.border_width()) * PT_PER_PX
            top = (page.height - y) * PT_PER_PX
            bottom = (page.height - y - box.border_height()) * PT_PER_PX
            positions[box_id] = BoxPosition(
                page_index, (round(left, 2), round(bottom, 2), round(right, 2), round(top, 2))
            )
    return positions


def _walk(box):
    # Pre-order, so an element's own (principal) box comes before anonymous boxes
    # that share its element.
    stack = [box]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(getattr(current, "children", None) or ()))


def _layout(html: str):
    from weasyprint import HTML

    from coordapp.pdf.fetcher import ASSET_BASE_URL, SafeURLFetcher
    from coordapp.pdf.fonts import IsolatedFontConfiguration

    document = HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=SafeURLFetcher())
    return document.render(font_config=IsolatedFontConfiguration())
