"""The report's participation chart: one stacked bar per meeting, a segment per category
of stakeholder, as inline SVG drawn on the server (no JavaScript; the same markup goes
into the page and the PDF). Screen readers get a <title> and a <desc> with every number;
the page and the PDF show the same numbers in a table beside it."""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

from coordapp.models import Category

FONT_SIZE = 12
LABEL_HEIGHT = 16
BAR_HEIGHT = 14
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + 8
BAR_WIDTH = 300
NUMBER_WIDTH = 44
LEGEND_ROW = 18
CHAR_WIDTH = 7
# One colour per category, told apart by lightness too (and named in the legend).
COLOURS = {
    Category.UN_AGENCY: "#1f5fa8",
    Category.NATIONAL_GOVERNMENT: "#b3541e",
    Category.LOCAL_GOVERNMENT: "#e0a526",
    Category.CIVIL_SOCIETY: "#2e8b57",
    Category.INTERNATIONAL_ORGANISATION: "#7b4fa0",
    Category.DEVELOPMENT_PARTNER: "#0f8a8a",
    Category.ACADEMIA: "#c2467e",
    Category.PRIVATE_SECTOR: "#6b6b6b",
    Category.OTHER: "#a9a9a9",
}
_ids = itertools.count(1)


def participation_chart(
    title: str,
    meetings: list[tuple[str, dict[Category, int]]],
    categories: list[Category],
) -> Markup:
    """Stacked bars: for each (label, {category: people present}) a bar split by category,
    its total after it; the legend names the categories below."""
    chart_id = f"participation-{next(_ids)}"
    totals = [sum(counts.get(c, 0) for c in categories) for _label, counts in meetings]
    largest = max(totals, default=0) or 1
    label_width = max((len(label) * CHAR_WIDTH for label, _counts in meetings), default=0)
    legend_width = max((len(c.label) * CHAR_WIDTH + 20 for c in categories), default=0)
    width = max(BAR_WIDTH + NUMBER_WIDTH, label_width, legend_width)
    bars_height = max(len(meetings), 1) * ROW_HEIGHT
    height = bars_height + len(categories) * LEGEND_ROW + 4
    summary = "; ".join(
        f"{label}: {total} ("
        + ", ".join(f"{c.label} {counts.get(c, 0)}" for c in categories if counts.get(c, 0))
        + ")"
        for (label, counts), total in zip(meetings, totals, strict=True)
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart participation-chart" '
        f'role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    for index, ((label, counts), total) in enumerate(zip(meetings, totals, strict=True)):
        top = index * ROW_HEIGHT
        bar_top = top + LABEL_HEIGHT
        parts.append(
            f'<text x="0" y="{top + LABEL_HEIGHT - 4}" font-size="{FONT_SIZE}" '
            f'fill="#1d2633">{escape(label)}</text>'
        )
        x = 0.0
        for category in categories:
            count = counts.get(category, 0)
            if not count:
                continue
            segment = BAR_WIDTH * count / largest
            parts.append(
                f'<rect x="{x:.1f}" y="{bar_top}" width="{segment:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{COLOURS[category]}"></rect>'
            )
            x += segment
        parts.append(
            f'<text x="{x + 6:.1f}" y="{bar_top + BAR_HEIGHT - 2}" font-size="{FONT_SIZE}" '
            f'fill="#1d2633">{total}</text>'
        )
    for index, category in enumerate(categories):
        top = bars_height + 4 + index * LEGEND_ROW
        parts.append(
            f'<rect x="0" y="{top}" width="12" height="12" fill="{COLOURS[category]}"></rect>'
            f'<text x="18" y="{top + 11}" font-size="{FONT_SIZE}" fill="#1d2633">'
            f"{escape(category.label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def meeting_label(meeting) -> str:
    """ "No. 4 · 4 Mar 2027" (the day on the meeting's own clock)."""
    from flask_babel import gettext as _

    from coordapp.timefmt import local_day

    day = local_day(meeting.local_day)
    if meeting.number:
        return _("No. %(number)s · %(day)s", number=meeting.number, day=day)
    return day


def report_charts(report) -> dict[str, Markup | None]:
    """The charts of a report (`service.Report`): participation per meeting, and the
    commitments made per tag of each framework ({"participation": …, "sdg": …})."""
    from flask_babel import gettext as _

    from coordapp.commitments.chart import bar_chart

    charts: dict[str, Markup | None] = {
        "participation": participation_chart(
            _("People present at each meeting, by category"),
            [
                (meeting_label(m), {c: m.present(c) for c in report.categories})
                for m in report.meetings
            ],
            report.categories,
        )
        if report.meetings
        else None
    }
    for breakdown in report.breakdowns:
        charts[breakdown.key] = (
            bar_chart(breakdown.title, [(row.label, row.tally.made) for row in breakdown.rows])
            if breakdown.rows
            else None
        )
    return charts
