"""The commitments tracker: filters, sorting, CSV export, the charts, constant queries."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from coordapp.commitments import chart
from coordapp.extensions import db
from coordapp.models import Category, CommitmentGCM, CommitmentSDG
from coordapp.models.commitment import Commitment, CommitmentStatus, CommitmentUpdate
from tests.conftest import count_queries
from tests.factories import make_contact, make_meeting, make_organisation, make_series
from tests.test_commitments import add_commitment

PAST = date.today() - timedelta(days=30)
FUTURE = date.today() + timedelta(days=300)


@pytest.fixture
def world(app):
    migration = make_series(name="Country Network on Migration")
    water = make_series(name="Water Group")
    third = make_meeting(
        title="Third meeting",
        series=migration,
        number=3,
        starts_at=datetime(2026, 3, 1, 8, tzinfo=UTC),
    )
    fourth = make_meeting(
        title="Fourth extended meeting",
        series=migration,
        number=4,
        starts_at=datetime(2026, 9, 1, 8, tzinfo=UTC),
    )
    water_meeting = make_meeting(
        title="Water meeting", series=water, number=1, starts_at=datetime(2026, 6, 1, 8, tzinfo=UTC)
    )
    stats = make_organisation("Statistics Office", category=Category.NATIONAL_GOVERNMENT)
    iom = make_organisation("IOM", category=Category.UN_AGENCY)
    city = make_organisation("City of Brest", category=Category.LOCAL_GOVERNMENT)
    c = {
        "dashboard": add_commitment(
            third, [stats], description="Dashboard", goals=[17], due_date=PAST
        ),
        "plans": add_commitment(
            third,
            [iom, city],
            description="Local plans",
            goals=[10, 17],
            status=CommitmentStatus.IN_PROGRESS,
            due_date=FUTURE,
        ),
        "survey": add_commitment(
            fourth,
            [stats],
            description="Survey",
            goals=[10],
            status=CommitmentStatus.DONE,
            due_date=PAST,
        ),
        "wells": add_commitment(
            water_meeting, [city], description="Wells", status=CommitmentStatus.DROPPED
        ),
    }
    return {
        "series": {"migration": migration, "water": water},
        "orgs": {"stats": stats, "iom": iom, "city": city},
        "c": c,
    }


def _listed(response) -> list[str]:
    """The commitment descriptions in the tracker table, in order."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return re.findall(r'<a href="/commitments/\d+">([^<]+)</a>', page)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Dashboard", "Local plans", "Survey", "Wells"}),
        ("status=in_progress", {"Local plans"}),
        ("status=done", {"Survey"}),
        ("category=local_government", {"Local plans", "Wells"}),
        ("category=un_agency", {"Local plans"}),
        ("sdg=10", {"Local plans", "Survey"}),
        ("sdg=17", {"Dashboard", "Local plans"}),
        ("overdue=y", {"Dashboard"}),
        ("sdg=17&category=national_government", {"Dashboard"}),
    ],
)
def test_filters(member_client, world, query, expected):
    assert set(_listed(member_client.get(f"/commitments?{query}"))) == expected


def test_filter_by_series_and_by_organisation(member_client, world):
    migration = world["series"]["migration"].id
    water = world["series"]["water"].id
    city = world["orgs"]["city"].id
    assert set(_listed(member_client.get(f"/commitments?series={migration}"))) == {
        "Dashboard",
        "Local plans",
        "Survey",
    }
    assert set(_listed(member_client.get(f"/commitments?series={water}"))) == {"Wells"}
    assert set(_listed(member_client.get(f"/commitments?organisation={city}"))) == {
        "Local plans",
        "Wells",
    }


def test_bad_filter_values_are_reported_not_a_server_error(member_client, world):
    assert "Not a valid choice" not in member_client.get("/commitments").get_data(as_text=True)

    response = member_client.get("/commitments?status=nonsense&sdg=99&series=abc&sort=drop")
    assert response.status_code == 200
    assert set(_listed(response)) == {"Dashboard", "Local plans", "Survey", "Wells"}
    page = response.get_data(as_text=True)
    assert re.search(r'<label for="status">.*?Not a valid choice', page, re.S)
    assert re.search(r'<label for="sdg">.*?Not a valid choice', page, re.S)


def test_overdue_rows_are_marked_with_a_word_not_only_a_colour(member_client, world):
    page = member_client.get("/commitments").get_data(as_text=True)
    dashboard = world["c"]["dashboard"].id
    row = re.search(rf'<tr id="commitment-{dashboard}" class="overdue">.*?</tr>', page, re.S)
    assert row and "Overdue" in row.group(0)
    # The done one is past its date too, but not overdue.
    survey = world["c"]["survey"].id
    row = re.search(rf'<tr id="commitment-{survey}"[^>]*>.*?</tr>', page, re.S)
    assert 'class="overdue"' not in row.group(0) and "Overdue" not in row.group(0)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["Dashboard", "Survey", "Local plans", "Wells"]),  # no due date last
        ("status", ["Dashboard", "Local plans", "Survey", "Wells"]),
        ("organisation", ["Local plans", "Wells", "Dashboard", "Survey"]),
        ("meeting", ["Dashboard", "Local plans", "Wells", "Survey"]),
        ("created", ["Dashboard", "Local plans", "Survey", "Wells"]),
    ],
)
def test_sorting(member_client, world, sort, expected):
    assert _listed(member_client.get(f"/commitments?sort={sort}")) == expected
    reverse = _listed(member_client.get(f"/commitments?sort={sort}&dir=desc"))
    if sort == "due":
        assert reverse == ["Local plans", "Survey", "Dashboard", "Wells"]
    else:
        assert reverse == list(reversed(expected))


def test_csv_export_has_the_filtered_set(member_client, world):
    response = member_client.get("/commitments.csv?sdg=17&sort=due")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["description"] for row in rows] == ["Dashboard", "Local plans"]
    dashboard, plans = rows
    assert dashboard["overdue"] == "yes" and plans["overdue"] == ""
    assert (
        plans["organisations"] == "IOM; City of Brest"
        or plans["organisations"] == "City of Brest; IOM"
    )
    assert plans["sdgs"] == "10 17"
    assert plans["status"] == "in_progress"
    assert plans["series"] == "Country Network on Migration"


def test_csv_cells_cannot_run_as_formulas(member_client, app):
    add_commitment(make_meeting(), [make_organisation()], description='=HYPERLINK("x")')
    rows = list(
        csv.reader(
            io.StringIO(
                member_client.get("/commitments.csv").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    assert rows[1][rows[0].index("description")] == '\'=HYPERLINK("x")'


def test_charts_show_counts_by_status_and_sdg(member_client, world):
    page = member_client.get("/commitments").get_data(as_text=True)

    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 2
    by_status, by_sdg = svgs
    assert "<title" in by_status and "Commitments by status" in by_status
    for label in ("Open", "In progress", "Done", "Dropped"):
        assert re.search(rf">{label}</text>.*?class=\"bar-count\">1</text>", by_status, re.S)
    assert re.search(r"SDG 10 — Reduced inequalities</text>.*?\"bar-count\">2</text>", by_sdg, re.S)
    assert re.search(
        r"SDG 17 — Partnerships for the goals</text>.*?\"bar-count\">2</text>", by_sdg, re.S
    )


def test_charts_follow_the_filters(member_client, world):
    page = member_client.get("/commitments?status=done").get_data(as_text=True)
    by_status = re.findall(r"<svg.*?</svg>", page, re.S)[0]
    assert re.search(r">Done</text>.*?\"bar-count\">1</text>", by_status, re.S)
    assert re.search(r">Open</text>.*?\"bar-count\">0</text>", by_status, re.S)


def test_bar_chart_escapes_labels_and_scales_bars():
    svg = chart.bar_chart("A <b>title</b>", [("<script>", 4), ("half", 2), ("none", 0)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    widths = [int(w) for w in re.findall(r'<rect [^>]*width="(\d+)"', svg)]
    assert widths == [chart.BAR_WIDTH, chart.BAR_WIDTH // 2, 0]


def test_tracker_query_count_is_constant(secretariat_client):
    migration = make_series(uses_gcm=True)  # with the GCM filter, chart and column
    meetings = [make_meeting(series=migration, number=n) for n in (1, 2)]
    orgs = [
        make_organisation(category=category)
        for category in (Category.UN_AGENCY, Category.CIVIL_SOCIETY, Category.ACADEMIA)
    ]
    contact = make_contact(orgs[0])

    def add(n):
        for i in range(n):
            db.session.add(
                Commitment(
                    meeting=meetings[i % 2],
                    description=f"C{i}",
                    organisations=orgs[: 1 + i % 3],
                    responsible=contact if i % 2 else None,
                    status=list(CommitmentStatus)[i % 4],
                    due_date=date(2024, 1, 1) + timedelta(days=i),
                    sdgs=[CommitmentSDG(goal=goal) for goal in {1 + i % 17, 1 + (i * 7) % 17}],
                    gcm=[CommitmentGCM(objective=n) for n in {1 + i % 23, 1 + (i * 5) % 23}],
                    updates=[CommitmentUpdate(status=CommitmentStatus.OPEN)],
                )
            )
        db.session.commit()

    def queries(url: str) -> int:
        db.session.expire_all()
        with count_queries() as counter:
            assert secretariat_client.get(url).status_code == 200
        return counter.count

    urls = [
        "/commitments",
        "/commitments?sort=organisation&overdue=y",
        "/commitments?sdg=3&sort=meeting&dir=desc",
        "/commitments?gcm=5&sort=status",
        "/commitments.csv",
    ]
    add(10)
    few = [queries(url) for url in urls]
    add(490)
    assert [queries(url) for url in urls] == few


def test_sdg_chart_labels_and_numbers_stay_inside_the_chart(member_client):
    """Long SDG names no longer run off the left edge ("— Sustainable cities and
    communities" with the number lost): every label starts at x >= 0 and, at a generous
    glyph width, ends inside the viewBox; every count is drawn."""
    meeting = make_meeting()
    for goals in ([11, 16], [16]):
        commitment = Commitment(
            meeting_id=meeting.id, description="Plan", status=CommitmentStatus.OPEN
        )
        commitment.sdgs = [CommitmentSDG(goal=goal) for goal in goals]
        db.session.add(commitment)
    db.session.commit()

    page = member_client.get("/commitments").get_data(as_text=True)
    by_sdg = [svg for svg in re.findall(r"<svg.*?</svg>", page, re.S) if "by SDG" in svg][0]
    view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', by_sdg).group(1))
    texts = re.findall(r"<text ([^>]*)>([^<]*)</text>", by_sdg)
    labels = {
        html.unescape(text): attributes
        for attributes, text in texts
        if "bar-count" not in attributes
    }
    assert set(labels) == {
        "SDG 11 — Sustainable cities and communities",
        "SDG 16 — Peace, justice and strong institutions",
    }
    for attributes, text in texts:
        x = float(re.search(r'\bx="([-\d.]+)"', attributes).group(1))
        width = len(html.unescape(text)) * 0.6 * 13  # a generous width at 13 px
        start = x - width if 'text-anchor="end"' in attributes else x
        assert 0 <= start and start + width <= view_width, text
    counts = [text for attributes, text in texts if "bar-count" in attributes]
    assert counts == ["1", "2"]


def test_the_tracker_shows_sdgs_as_compact_badges(member_client, world):
    page = member_client.get("/commitments").get_data(as_text=True)
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    badges = re.findall(r'<abbr class="badge sdg-badge" title="([^"]+)">SDG (\d+)</abbr>', row)
    assert ("Partnerships for the goals", "17") in badges
    assert "SDG 17</abbr>," not in row  # no comma to wrap on
    css = (Path(__file__).parent.parent / "static/css/app.css").read_text()
    assert re.search(r"\.sdg-badge\s*\{[^}]*white-space:\s*nowrap", css)
