"""Approved minutes are frozen by the database itself: no item can be added to them, their
signed PDF cannot be overwritten or removed, and the chairs' approvals cannot be edited.
While a version is submitted the signing workflow writes both tables freely."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordapp.extensions import db
from coordapp.models import Role
from coordapp.models.agenda import AgendaItem, AgendaItemKind
from coordapp.models.approval import (
    DocumentStatus,
    MinutesApproval,
    MinutesDocument,
    SignatureStatus,
)
from coordapp.models.minutes import MinutesItem, MinutesStatus, MinutesVersion
from tests.factories import make_meeting, make_user

SIGNED_PDF = b"%PDF-1.7 signed by both chairs"


@pytest.fixture
def submitted(app):
    """A submitted version with one item, its PDF and one chair's approval."""
    chair = make_user(Role.MEMBER, email="chair@example.org", name="Chair")
    meeting = make_meeting(title="Frozen minutes", chairs=[(chair, "Chair")])
    opening, late = (
        AgendaItem(
            meeting_id=meeting.id,
            position=n,
            title=title,
            kind=AgendaItemKind.DISCUSSION,
            duration_minutes=10,
        )
        for n, title in enumerate(["Opening", "Late addition"])
    )
    draft = MinutesVersion(meeting_id=meeting.id, number=2, status=MinutesStatus.DRAFT)
    version = MinutesVersion(meeting_id=meeting.id, number=1, status=MinutesStatus.SUBMITTED)
    db.session.add_all([opening, late, version, draft])
    db.session.flush()
    db.session.add_all(
        [
            MinutesItem(version_id=version.id, agenda_item_id=opening.id, text="Said"),
            MinutesDocument(
                version_id=version.id,
                status=DocumentStatus.READY,
                pdf=b"%PDF-1.7 unsigned",
                sha256="a" * 64,
            ),
            MinutesApproval(version_id=version.id, user_id=chair.id, role_label="Chair"),
        ]
    )
    db.session.commit()
    return {"version": version, "late": late, "chair": chair, "draft": draft}


def test_the_signing_workflow_writes_documents_and_approvals_while_submitted(submitted):
    version = submitted["version"]
    ids = {"version": version.id, "pdf": SIGNED_PDF}

    db.session.execute(
        sa.text(
            "UPDATE stored_documents SET data = :pdf, sha256 = 'b' WHERE version_id = :version"
        ),
        ids,
    )
    db.session.execute(
        sa.text("UPDATE minutes_approvals SET status = 'signed' WHERE version_id = :version"),
        ids,
    )
    db.session.commit()

    approval = db.session.scalar(sa.select(MinutesApproval))
    assert approval.status is SignatureStatus.SIGNED


def test_approved_minutes_refuse_new_items_new_pdf_bytes_and_edited_approvals(submitted):
    version, late = submitted["version"], submitted["late"]
    draft = submitted["draft"]
    stranger = make_user(Role.MEMBER, email="stranger@example.org", name="Stranger")
    draft_item = MinutesItem(version_id=draft.id, agenda_item_id=late.id, text="Draft")
    db.session.add(draft_item)
    version.status = MinutesStatus.APPROVED
    db.session.commit()
    ids = {
        "version": version.id,
        "late": late.id,
        "stranger": stranger.id,
        "draft_item": draft_item.id,
        "forged": b"%PDF-1.7 forged",
    }

    for statement in (
        "INSERT INTO minutes_items (version_id, agenda_item_id, text, decisions, lock_version, "
        "updated_at) VALUES (:version, :late, 'Inserted later', '[]', 1, '2027-01-01 00:00:00')",
        "UPDATE minutes_items SET version_id = :version WHERE id = :draft_item",
        "UPDATE stored_documents SET data = :forged, sha256 = 'c' WHERE version_id = :version",
        "DELETE FROM stored_documents WHERE version_id = :version",
        "INSERT INTO minutes_approvals (version_id, user_id, role_label, position, approved_at, "
        "status) VALUES (:version, :stranger, 'Forged', 1, '2027-01-01 00:00:00', 'signed')",
        "UPDATE minutes_approvals SET role_label = 'Secretary-General' WHERE version_id = :version",
        "UPDATE minutes_approvals SET revision_sha256 = 'd' WHERE version_id = :version",
        "DELETE FROM minutes_approvals WHERE version_id = :version",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="approved minutes never change"):
            with db.session.begin_nested():
                db.session.execute(sa.text(statement), ids)

    db.session.expire_all()
    document = db.session.scalar(sa.select(MinutesDocument))
    assert document.pdf == b"%PDF-1.7 unsigned"
    approval = db.session.scalar(
        sa.select(MinutesApproval).where(MinutesApproval.version_id == version.id)
    )
    assert approval.role_label == "Chair"
    items = db.session.scalars(sa.select(MinutesItem).where(MinutesItem.version_id == version.id))
    assert [item.text for item in items] == ["Said"]
    # The draft version's item stays editable.
    db.session.get(MinutesItem, draft_item.id).text = "Still a draft"
    db.session.commit()


def test_the_html_kept_beside_approved_summaries_cannot_change(submitted):
    """The HTML rendered at save is what pages show: frozen like the Markdown it renders."""
    version = submitted["version"]
    version.opening_summary, version.opening_summary_html = "Opened", "<p>Opened</p>\n"
    db.session.flush()
    version.status = MinutesStatus.APPROVED
    db.session.commit()

    for column in ("opening_summary_html", "closing_summary_html"):
        with pytest.raises(sa.exc.DatabaseError, match="approved minutes never change"):
            with db.session.begin_nested():
                db.session.execute(
                    sa.text(
                        f"UPDATE minutes_versions SET {column} = '<p>Forged</p>' WHERE id = :v"
                    ),
                    {"v": version.id},
                )
    db.session.expire_all()
    assert db.session.get(MinutesVersion, version.id).opening_summary_html == "<p>Opened</p>\n"
