"""A horizontal bar chart as inline SVG, drawn on the server: no JavaScript, readable by
screen readers (a <title>, a <desc>, and every label and number written out)."""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

FONT_SIZE = 13
# Each row: its label on a line of its own, the bar below it with the number after it.
# Labels start at x = 0 and run right, so a long one ("SDG 11 — Sustainable cities and
# communities") widens the chart instead of running off its left edge.
LABEL_HEIGHT = 18
BAR_HEIGHT = 16
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + 8
BAR_WIDTH = 220
NUMBER_WIDTH = 50
# A generous average advance of a glyph at FONT_SIZE (sans-serif averages about 0.55 em):
# the chart is made wide enough for its longest label at this width.
CHAR_WIDTH = 8
_ids = itertools.count(1)


def label_width(label: str) -> int:
    return len(label) * CHAR_WIDTH


def bar_chart(title: str, rows: list[tuple[str, int]], *, css_class: str = "bar-chart") -> Markup:
    """An SVG bar chart of `rows` ((label, count) pairs), titled `title`."""
    chart_id = f"chart-{next(_ids)}"
    width = max([BAR_WIDTH + NUMBER_WIDTH] + [label_width(label) for label, _count in rows])
    height = max(len(rows), 1) * ROW_HEIGHT
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
        top = index * ROW_HEIGHT
        bar = round(BAR_WIDTH * count / largest) if count else 0
        bar_top = top + LABEL_HEIGHT
        parts.append(
            f'<g class="bar-row">'
            f'<text x="0" y="{top + LABEL_HEIGHT - 5}" font-size="{FONT_SIZE}" '
            f'fill="#1d2633" class="bar-label">{escape(label)}</text>'
            f'<rect x="0" y="{bar_top}" width="{bar}" height="{BAR_HEIGHT}" '
            f'fill="#1f5fa8"></rect>'
            f'<text x="{bar + 6}" y="{bar_top + BAR_HEIGHT - 3}" font-size="{FONT_SIZE}" '
            f'fill="#1d2633" class="bar-count">{count}</text>'
            f"</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
