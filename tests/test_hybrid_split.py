"""Issue #22: the in-person / online split where a held hybrid meeting is told, through the
pages people read: the public summary's pre-filled text, the minutes' attendance list and
the periodic report ("3 in person, 2 online, of whom 2 from local government"), in
English and in Russian."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import (
    Attendance,
    AttendanceMode,
    Category,
    Invitation,
    InvitationStatus,
    OutcomeSummary,
    Role,
)
from tests.conftest import login_as
from tests.factories import (
    make_approved_meeting,
    make_contact,
    make_organisation,
    make_series,
    make_user,
)

STARTS = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)


@pytest.fixture
def held_hybrid(app, client):
    """A held hybrid meeting, minutes approved: 5 present — Grodno's three (two online),
    the Ministry's two in person — and one absent."""
    series = make_series(name="UN Country Network on Migration")
    meeting = make_approved_meeting(series=series, venue="UN House, Minsk", starts_at=STARTS)
    meeting.online_url = "https://meet.example.org/cnm4"
    grodno = make_organisation(
        "Grodno Regional Executive Committee", None, Category.LOCAL_GOVERNMENT
    )
    ministry = make_organisation("Ministry of Labour", None, Category.NATIONAL_GOVERNMENT)
    people = [
        (grodno, Attendance.PRESENT, AttendanceMode.ONLINE),
        (grodno, Attendance.PRESENT, AttendanceMode.ONLINE),
        (grodno, Attendance.PRESENT, AttendanceMode.IN_PERSON),
        (ministry, Attendance.PRESENT, AttendanceMode.IN_PERSON),
        (ministry, Attendance.PRESENT, AttendanceMode.IN_PERSON),
        (ministry, Attendance.ABSENT, None),
    ]
    for organisation, attendance, mode in people:
        db.session.add(
            Invitation(
                meeting_id=meeting.id,
                contact_id=make_contact(organisation).id,
                status=InvitationStatus.ACCEPTED,
                attendance_mode=mode,
                attendance=attendance,
                present_mode=mode,
            )
        )
    db.session.commit()
    assert meeting.is_hybrid
    login_as(client, make_user(Role.SECRETARIAT, email="sec@example.org"))
    return meeting


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.get_data(as_text=True).split())


@pytest.mark.parametrize(
    ("language", "total", "split", "local"),
    [
        (
            "en",
            "5 participants, from 2 organisations:",
            "3 in person, 2 online.",
            "- Local government: 3 (online: 2)",
        ),
        ("ru", "5", "3 очно, 2 онлайн.", "- Местные органы власти: 3 (онлайн: 2)"),
    ],
)
def test_the_public_summary_is_prefilled_with_the_split(
    held_hybrid, client, language, total, split, local
):
    response = client.post(f"/meetings/{held_hybrid.id}/summary", data={"language": language})
    assert response.status_code == 302
    body = db.session.scalar(
        sa.select(OutcomeSummary.body).where(OutcomeSummary.meeting_id == held_hybrid.id)
    )
    assert total in body and split in body, body
    assert local in body, body
    # The national government came in person only: no "(online: 0)".
    assert "0)" not in body.split(local)[1].split("\n")[1]
    # The draft page shows the same, rendered.
    page = _text(client.get(f"/meetings/{held_hybrid.id}/summary"))
    assert split in page


@pytest.mark.parametrize(
    ("language", "split"),
    [("en", "In person: 3; online: 2."), ("ru", "Очно: 3; онлайн: 2.")],
)
def test_the_minutes_attendance_list_shows_the_split(held_hybrid, client, language, split):
    page = _text(
        client.get(
            f"/meetings/{held_hybrid.id}/minutes/preview", headers={"Accept-Language": language}
        )
    )
    assert f'<p class="minutes-split">{split}</p>' in page


@pytest.mark.parametrize(
    ("language", "split"),
    [
        ("en", "3 in person, 2 online, of whom 2 from local government."),
        ("ru", "3 очно, 2 онлайн, из них 2 — местные органы власти."),
    ],
)
def test_the_periodic_report_shows_the_split_by_category(held_hybrid, client, language, split):
    page = _text(
        client.get(
            f"/series/{held_hybrid.series_id}/report?year=2026",
            headers={"Accept-Language": language},
        )
    )
    assert split in page, page[page.find("participation-format") - 200 :][:600]
