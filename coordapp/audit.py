"""Writing the audit log. Call `record` in the same transaction as the change.

Each feature names its action codes, and the label the log shows for each, in its
record (`Feature.audit_labels`, coordapp/feature.py): `action_label` reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from coordapp.extensions import db
from coordapp.models import AuditEvent, User, utcnow

_LABELS = "coordapp.audit_labels"


def install_labels(app: Flask, label_sets: Iterable[Mapping[str, Any]]) -> None:
    """The labels of every feature's action codes; a code claimed twice is an error."""
    labels: dict[str, Any] = {}
    for label_set in label_sets:
        for code, label in label_set.items():
            if code in labels:
                raise ValueError(f"two labels for the audit action {code!r}")
            labels[code] = label
    app.extensions[_LABELS] = labels


def action_label(code: str) -> str:
    """What the audit log says for `code`, in the reader's language; an unknown code
    (an event older than its feature's label) is shown as it is."""
    label = current_app.extensions[_LABELS].get(code)
    return code if label is None else str(label)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The values of `fields` on `obj`, in a JSON-friendly form."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        field: [before.get(field), after.get(field)]
        for field in after
        if before.get(field) != after.get(field)
    }


def record(
    action: str,
    obj: Any,
    *,
    meeting_id: int | None = None,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
    by: User | None = None,
    user_id: int | None = None,
) -> AuditEvent:
    """Add an audit event for `obj` to the session (flushes to get the object's id).

    Who acted is `by` (or `user_id`), passed in by the caller; nobody means the system.
    """
    if getattr(obj, "id", None) is None:
        db.session.flush()
    if user_id is None and by is not None:
        user_id = by.id
    event = AuditEvent(**_columns(action, obj, meeting_id, changes, note, user_id))
    db.session.add(event)
    return event


def _columns(action, obj, meeting_id, changes, note, user_id) -> dict[str, Any]:
    return {
        "action": action,
        "object_type": type(obj).__name__,
        "object_id": getattr(obj, "id", None),
        "meeting_id": meeting_id,
        "changes": changes or None,
        "note": note,
        "user_id": user_id,
    }


_INSERT = sa.insert(AuditEvent.__table__)


def record_now(
    action: str,
    obj: Any,
    *,
    meeting_id: int | None = None,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
    user_id: int | None = None,
) -> None:
    """`record` as one INSERT sent right away, with nothing added to the session: for
    the one event of a busy request (an RSVP answer), where the unit of work's flush
    costs more than the row. `obj` must have its id. In loops use `record`: the session
    sends many events in few statements."""
    db.session.execute(
        _INSERT, {"at": utcnow(), **_columns(action, obj, meeting_id, changes, note, user_id)}
    )
