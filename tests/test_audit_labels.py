"""Every action the app writes to the audit log has a label a reader understands, in
their language — no raw action codes on the meeting page."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from coordapp.extensions import db
from coordapp.features import FEATURES
from coordapp.models import AuditEvent
from tests.factories import make_meeting

PACKAGE = Path(__file__).resolve().parent.parent / "coordapp"


def _recorded_actions() -> dict[str, str]:
    """{action code: where} for every string literal given as the first argument of an
    `audit.record(...)` or `audit.record_now(...)` call (including `"a" if x else "b"` and
    the code on the next line)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("record", "record_now")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                continue
            action = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg == "action":
                    action = keyword.value
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            codes = [
                part.value
                for part in (ast.walk(action) if action is not None else ())
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            ]
            assert codes, f"{where}: audit.record without a literal action code"
            for code in codes:
                found.setdefault(code, where)
    return found


def test_the_scan_finds_the_audited_actions():
    actions = _recorded_actions()
    # Both spellings: the code on the call's line, and on the next line.
    assert "meetings.update" in actions
    assert "approval.chair_approve" in actions
    # Both branches of a conditional code.
    assert {"admin.user_reactivate", "admin.user_deactivate"} <= actions.keys()
    # The one-statement form of busy requests.
    assert "invitations.answer" in actions


def test_every_audited_action_has_a_label():
    labels = {code for feature in FEATURES for code in feature.audit_labels}
    missing = {code: where for code, where in _recorded_actions().items() if code not in labels}
    assert not missing, f"Audit actions without a label in any feature's record: {missing}"


def test_the_meeting_page_shows_audit_actions_in_russian(secretariat_client):
    secretariat_client.user.language = "ru"
    meeting = make_meeting(title="Busy meeting")
    for n, action in enumerate(
        ["invitations.answer", "approval.chair_approve", "attendance.update"]
    ):
        db.session.add(
            AuditEvent(
                action=action,
                object_type="meeting",
                object_id=meeting.id,
                meeting_id=meeting.id,
                at=datetime(2027, 1, 1, n, tzinfo=UTC),
            )
        )
    db.session.commit()

    for url in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/audit"):
        page = secretariat_client.get(url).get_data(as_text=True)
        audit = page[page.index('id="audit"') :] if 'id="audit"' in page else page
        assert "Ответил(а) на приглашение" in audit
        assert "Утвердил(а) протокол (председатель)" in audit
        assert "Изменил(а) отметки о присутствии" in audit
        for code in ("invitations.answer", "approval.chair_approve", "attendance.update"):
            assert code not in audit


def test_an_unknown_action_is_shown_as_its_code(secretariat_client):
    meeting = make_meeting()
    db.session.add(
        AuditEvent(
            action="something_old",
            object_type="meeting",
            object_id=meeting.id,
            meeting_id=meeting.id,
        )
    )
    db.session.commit()
    page = secretariat_client.get(f"/meetings/{meeting.id}/audit").get_data(as_text=True)
    assert "something_old" in page


def test_every_action_code_is_its_feature_a_dot_and_a_verb():
    """One style: `<feature name>.<verb>`, the feature being the one whose record labels
    it (no more `meeting_created` beside `poll.slot_add`)."""
    wrong = [
        f"{feature.name}: {code}"
        for feature in FEATURES
        for code in feature.audit_labels
        if not re.fullmatch(rf"{re.escape(feature.name)}\.[a-z][a-z_]*", code)
    ]
    assert wrong == []
    assert all(re.fullmatch(r"[a-z_]+\.[a-z][a-z_]*", code) for code in _recorded_actions())


def test_the_migration_renames_every_old_code_to_a_labelled_one():
    """Migration 9d3e5b7a2c18 rewrites stored events: each new code has a label, each old
    code is gone from the app."""
    path = PACKAGE.parent / "migrations" / "versions" / "9d3e5b7a2c18_audit_codes_feature_verb.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    renamed = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "RENAMED"
    )
    labels = {code for feature in FEATURES for code in feature.audit_labels}
    assert {new for _, new in renamed} <= labels
    assert {old for old, _ in renamed}.isdisjoint(labels | set(_recorded_actions()))
