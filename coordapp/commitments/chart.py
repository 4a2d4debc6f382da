"""A horizontal bar chart as inline SVG, drawn on the server: no JavaScript, readable by
screen readers (a <title>, a <desc>, and every label and number written out)."""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

ROW_HEIGHT = 24
LABEL_WIDTH = 260
BAR_WIDTH = 220
NUMBER_WIDTH = 50
_ids = itertools.count(1)


def bar_chart(title: str, rows: list[tuple[str, int]], *, css_class: str = "bar-chart") -> Markup:
    """An SVG bar chart of `rows` ((label, count) pairs), titled `title`."""
    chart_id = f"chart-{next(_ids)}"
    width = LABEL_WIDTH + BAR_WIDTH + NUMBER_WIDTH
    height = max(len(rows), 1) * ROW_HEIGHT + 8
    largest = max((count for _label, count in rows), default=0) or 1
    summary = "; ".join(f"{label}: {count}" for label, count in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    for index, (label, count) in enumerate(rows):
        y = index * ROW_HEIGHT + 4
        bar = round(BAR_WIDTH * count / largest) if count else 0
        middle = y + ROW_HEIGHT / 2
        parts.append(
            f'<g class="bar-row">'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="13" fill="#1d2633">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{bar}" height="{ROW_HEIGHT - 6}" '
            f'fill="#1f5fa8"></rect>'
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{middle}" dominant-baseline="middle" '
            f'font-size="13" fill="#1d2633" class="bar-count">{count}</text>'
            f"</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
