"""Objectives of the Global Compact for Migration (GCM) beside the SDGs: the series
setting, the commitment form's picker, the tracker's filter and chart, the CSV, the demo."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from coordapp.extensions import db
from coordapp.gcm import GCM_OBJECTIVES, gcm_label, gcm_title, sdg_label
from coordapp.models import AuditEvent, Commitment, CommitmentGCM, Series
from tests.factories import make_meeting, make_organisation, make_series
from tests.test_commitments import _form, _only_commitment, add_commitment

OBJECTIVE_5 = "Enhance availability and flexibility of pathways for regular migration"


def tag(commitment: Commitment, *objectives: int) -> Commitment:
    commitment.gcm = [CommitmentGCM(objective=n) for n in objectives]
    db.session.commit()
    return commitment


# --- the objectives ------------------------------------------------------------------------


def test_the_23_objectives_have_their_official_titles(app):
    assert list(GCM_OBJECTIVES) == list(range(1, 24))
    with app.test_request_context():
        assert gcm_title(5) == OBJECTIVE_5
        assert gcm_label(5) == f"Objective 5: {OBJECTIVE_5}"
        assert gcm_label(23) == (
            "Objective 23: Strengthen international cooperation and global partnerships for "
            "safe, orderly and regular migration"
        )
        assert sdg_label(10) == "SDG 10 — Reduced inequalities"
        assert gcm_title(24) == ""


def test_the_objectives_speak_russian_and_belarusian(app):
    with app.test_request_context():
        with force_locale("ru"):
            assert gcm_label(5) == (
                "Цель 5: Повышение доступности и гибкости путей легальной миграции"
            )
            assert sdg_label(10) == "ЦУР 10 — Уменьшение неравенства"
        with force_locale("be"):
            assert gcm_label(5) == (
                "Мэта 5: Павышэнне даступнасці і гнуткасці шляхоў легальнай міграцыі"
            )
        for locale in ("ru", "be"):
            with force_locale(locale):
                for n in GCM_OBJECTIVES:
                    assert gcm_title(n) != str(GCM_OBJECTIVES[n]._args[0]), (locale, n)


def test_the_database_refuses_an_objective_outside_1_to_23_and_a_duplicate(app):
    commitment = add_commitment(make_meeting(), [make_organisation()])
    for bad in ([24], [0], [5, 5]):
        with pytest.raises(sa.exc.IntegrityError):
            with db.session.begin_nested():
                db.session.add_all(
                    CommitmentGCM(commitment_id=commitment.id, objective=n) for n in bad
                )
                db.session.flush()
        db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommitmentGCM)) == 0


# --- the series setting --------------------------------------------------------------------


def test_secretariat_turns_the_gcm_on_for_a_series_and_it_is_audited(secretariat_client):
    series = make_series(name="Country Network on Migration")
    assert series.uses_gcm is False
    form_page = secretariat_client.get(f"/series/{series.id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="uses_gcm"[^>]*type="checkbox"', form_page)
    assert '<label for="uses_gcm">' in form_page

    response = secretariat_client.post(
        f"/series/{series.id}/edit", data={"name": series.name, "uses_gcm": "y"}
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Series, series.id).uses_gcm is True
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "meetings.series_update")
    ).one()
    assert event.changes["uses_gcm"] == [False, True]
    page = secretariat_client.get(f"/series/{series.id}").get_data(as_text=True)
    assert "objectives of the Global Compact for Migration" in page
    form_page = secretariat_client.get(f"/series/{series.id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*id="uses_gcm"|id="uses_gcm"[^>]*checked', form_page)

    secretariat_client.post(f"/series/{series.id}/edit", data={"name": series.name})
    db.session.expire_all()
    assert db.session.get(Series, series.id).uses_gcm is False


def test_a_new_series_does_not_use_the_gcm_unless_asked(secretariat_client):
    secretariat_client.post("/series/new", data={"name": "Water Group"})
    secretariat_client.post("/series/new", data={"name": "Migration Network", "uses_gcm": "y"})
    assert dict(db.session.execute(sa.select(Series.name, Series.uses_gcm)).all()) == {
        "Water Group": False,
        "Migration Network": True,
    }


# --- the commitment form -------------------------------------------------------------------


@pytest.fixture
def gcm_meeting(app):
    return make_meeting(series=make_series(name="Migration Network", uses_gcm=True), number=1)


def test_the_form_offers_gcm_objectives_only_in_a_series_that_uses_them(
    secretariat_client, gcm_meeting
):
    page = secretariat_client.get(f"/meetings/{gcm_meeting.id}/commitments").get_data(as_text=True)
    fieldset = re.search(
        r"<legend>Global Compact for Migration objectives</legend>(.*?)</fieldset>", page, re.S
    )
    assert fieldset, "no GCM fieldset"
    boxes = re.findall(
        r'<input id="(gcm_objectives-\d+)" name="gcm_objectives" type="checkbox" value="(\d+)">'
        r'\s*<label for="(gcm_objectives-\d+)">([^<]+)</label>',
        fieldset.group(1),
    )
    assert [int(value) for _id, value, _for, _label in boxes] == list(range(1, 24))
    assert all(box_id == label_for for box_id, _v, label_for, _l in boxes)
    assert html.unescape(boxes[4][3]) == f"Objective 5: {OBJECTIVE_5}"

    other = make_meeting(series=make_series(name="Water Group"))
    for meeting in (other, make_meeting()):  # another series; no series at all
        page = secretariat_client.get(f"/meetings/{meeting.id}/commitments").get_data(as_text=True)
        assert "gcm_objectives" not in page and "Global Compact" not in page


def test_secretariat_tags_a_commitment_with_gcm_objectives(secretariat_client, gcm_meeting):
    org = make_organisation("IOM")
    response = secretariat_client.post(
        f"/meetings/{gcm_meeting.id}/commitments",
        data=_form([org], goals=["10"], gcm_objectives=["16", "5"]),
    )

    assert response.status_code == 303
    commitment = _only_commitment()
    assert commitment.gcm_objectives == [5, 16]
    assert commitment.goals == [10]
    created = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "commitments.create")
    ).one()
    assert created.changes["gcm_objectives"] == [None, [5, 16]]

    listing = secretariat_client.get(f"/meetings/{gcm_meeting.id}/commitments").get_data(
        as_text=True
    )
    assert re.search(
        rf'<abbr class="badge sdg-badge gcm-badge" title="{OBJECTIVE_5}">GCM 5</abbr>', listing
    )
    shown = secretariat_client.get(f"/commitments/{commitment.id}").get_data(as_text=True)
    assert f"<li>Objective 5: {OBJECTIVE_5}</li>" in shown


@pytest.mark.parametrize("bad", ["24", "0", "-3", "99999999999"])
def test_an_unknown_objective_is_refused_with_a_message_and_nothing_is_saved(
    secretariat_client, gcm_meeting, bad
):
    response = secretariat_client.post(
        f"/meetings/{gcm_meeting.id}/commitments",
        data=_form([make_organisation()], description="Keep this text", gcm_objectives=["5", bad]),
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Commitment.id))) == 0
    assert "Keep this text" in page  # what was typed is not lost
    fieldset = re.search(
        r"<legend>Global Compact for Migration objectives</legend>(.*?)</fieldset>", page, re.S
    ).group(1)
    if bad == "99999999999":  # not even a number the database could hold
        assert '<p class="error">' in fieldset
    else:
        assert (
            "The Global Compact for Migration has objectives 1 to 23 only: "
            f"{bad} is not one of them."
        ) in html.unescape(fieldset)


def test_editing_changes_the_objectives_and_is_audited(secretariat_client, gcm_meeting):
    org = make_organisation()
    commitment = tag(add_commitment(gcm_meeting, [org]), 1)
    edit_page = secretariat_client.get(f"/commitments/{commitment.id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked id="gcm_objectives-0"[^>]*value="1"', edit_page)

    response = secretariat_client.post(
        f"/commitments/{commitment.id}/edit", data=_form([org], gcm_objectives=["3", "23"])
    )

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Commitment, commitment.id).gcm_objectives == [3, 23]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "commitments.update")
    ).one()
    assert event.changes["gcm_objectives"] == [[1], [3, 23]]


def test_turning_the_gcm_off_keeps_the_objectives_already_given(secretariat_client, gcm_meeting):
    org = make_organisation()
    commitment = tag(add_commitment(gcm_meeting, [org], goals=[10]), 7)
    gcm_meeting.series.uses_gcm = False
    db.session.commit()

    edit_page = secretariat_client.get(f"/commitments/{commitment.id}/edit").get_data(as_text=True)
    assert "gcm_objectives" not in edit_page
    response = secretariat_client.post(
        f"/commitments/{commitment.id}/edit",
        data=_form([org], description="Edited", gcm_objectives=["9"]),
    )

    assert response.status_code == 303
    db.session.expire_all()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.description == "Edited"
    assert commitment.gcm_objectives == [7]
    # Lists still show what was tagged.
    listing = secretariat_client.get(f"/meetings/{gcm_meeting.id}/commitments").get_data(
        as_text=True
    )
    assert ">GCM 7</abbr>" in listing


# --- the tracker and the CSV ---------------------------------------------------------------


@pytest.fixture
def tagged(app):
    migration = make_series(name="Migration Network", uses_gcm=True)
    water = make_series(name="Water Group")
    meeting = make_meeting(series=migration, number=1)
    org = make_organisation("IOM")
    return {
        "migration": migration,
        "water": water,
        "data": tag(add_commitment(meeting, [org], description="Data", goals=[17]), 1, 5),
        "pathways": tag(add_commitment(meeting, [org], description="Pathways"), 5),
        "plain": add_commitment(meeting, [org], description="Plain"),
        "wells": add_commitment(make_meeting(series=water), [org], description="Wells"),
    }


def _listed(page: str) -> set[str]:
    return set(re.findall(r'<a href="/commitments/\d+">([^<]+)</a>', page))


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, re.S)


def test_the_tracker_filters_by_gcm_objective(member_client, tagged):
    assert _listed(member_client.get("/commitments?gcm=5").get_data(as_text=True)) == {
        "Data",
        "Pathways",
    }
    assert _listed(member_client.get("/commitments?gcm=1").get_data(as_text=True)) == {"Data"}
    assert _listed(member_client.get("/commitments?gcm=2").get_data(as_text=True)) == set()
    water = tagged["water"].id
    page = member_client.get(f"/commitments?gcm=5&series={water}").get_data(as_text=True)
    assert _listed(page) == set()

    bad = member_client.get("/commitments?gcm=24")
    assert bad.status_code == 200
    page = bad.get_data(as_text=True)
    assert _listed(page) == {"Data", "Pathways", "Plain", "Wells"}
    assert re.search(r'<label for="gcm">GCM objective</label>.*?Not a valid choice', page, re.S)


def test_the_tracker_charts_commitments_by_gcm_objective(member_client, tagged):
    page = member_client.get("/commitments").get_data(as_text=True)

    by_gcm = [svg for svg in _svgs(page) if "Commitments by GCM objective" in svg]
    assert len(by_gcm) == 1
    labels = re.findall(
        r'class="bar-label">([^<]+)</text>.*?class="bar-count">(\d+)</text>', by_gcm[0], re.S
    )
    assert [(html.unescape(label), int(count)) for label, count in labels] == [
        (gcm_label_en(1), 1),
        (f"Objective 5: {OBJECTIVE_5}", 2),
    ]
    assert "By objective of the Global Compact for Migration" in page
    # The GCM column of the table.
    assert '<abbr title="Global Compact for Migration objectives">GCM</abbr>' in page

    # Within a series that does not use the GCM, nothing to chart.
    water = tagged["water"].id
    page = member_client.get(f"/commitments?series={water}").get_data(as_text=True)
    assert not [svg for svg in _svgs(page) if "GCM" in svg]


def gcm_label_en(n: int) -> str:
    return f"Objective {n}: {GCM_OBJECTIVES[n]._args[0]}"


def test_no_gcm_filter_chart_or_column_where_no_series_uses_it(member_client, app):
    add_commitment(make_meeting(series=make_series()), [make_organisation()], goals=[10])

    page = member_client.get("/commitments?gcm=5").get_data(as_text=True)

    assert 'name="gcm"' not in page and "GCM" not in page
    assert _listed(page) == {"A commitment"}  # the ignored filter hides nothing


def test_the_csv_has_gcm_objectives_as_numbers_and_titles(member_client, tagged):
    response = member_client.get("/commitments.csv?sort=created")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    data = next(row for row in rows if row["description"] == "Data")
    plain = next(row for row in rows if row["description"] == "Plain")

    assert data["gcm_objectives"] == "1 5"
    assert data["gcm_titles"] == f"{gcm_label_en(1)}; Objective 5: {OBJECTIVE_5}"
    assert data["sdgs"] == "17" and data["sdg_titles"] == "SDG 17 — Partnerships for the goals"
    assert plain["gcm_objectives"] == "" and plain["gcm_titles"] == ""

    filtered = member_client.get("/commitments.csv?gcm=1").get_data(as_text=True)
    assert [row["description"] for row in csv.DictReader(io.StringIO(filtered[1:]))] == ["Data"]


def test_the_csv_titles_follow_the_readers_language(member_client, tagged):
    text = member_client.get("/commitments.csv", headers={"Accept-Language": "ru"}).get_data(
        as_text=True
    )
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    data = next(row for row in rows if row["description"] == "Data")
    assert data["gcm_titles"].startswith("Цель 1: ")


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_network_uses_the_gcm_and_tags_its_commitments(app):
    from coordapp.demo import SERIES_NAME

    app.test_cli_runner().invoke(args=["seed-demo"])
    series = db.session.scalar(sa.select(Series).filter_by(name=SERIES_NAME))
    assert series.uses_gcm is True
    tagged = db.session.scalars(
        sa.select(Commitment).where(Commitment.gcm.any()).order_by(Commitment.id)
    ).all()
    assert [c.gcm_objectives for c in tagged] == [[16, 23], [1]]
