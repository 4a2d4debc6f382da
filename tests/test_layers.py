"""Where things live: services know nothing of the web request, and a feature never
reaches into another feature's views."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "coordapp"

# What only a view may read: the request, the logged-in user, the session, HTTP aborts.
WEB_ONLY = {
    ("flask", "request"),
    ("flask", "abort"),
    ("flask", "session"),
    ("flask", "g"),
    ("flask_login", "current_user"),
}

SERVICE_MODULES = sorted(
    [*PACKAGE.glob("*/service.py"), PACKAGE / "audit.py", *PACKAGE.glob("invitations/*.py")],
)


def _imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


@pytest.mark.parametrize(
    "path", [p for p in SERVICE_MODULES if p.name != "routes.py"], ids=lambda p: str(p.name)
)
def test_services_never_read_the_request_or_the_logged_in_user(path):
    assert [name for name in _imports(path) if name in WEB_ONLY] == []


def test_no_feature_imports_another_features_routes():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        own = path.relative_to(PACKAGE).parts[0]
        for module, name in _imports(path):
            target = f"{module}.{name}" if name else module
            parts = target.split(".")
            if len(parts) >= 3 and parts[0] == "coordapp" and parts[2] == "routes":
                if parts[1] != own:
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert offenders == []


def test_pages_get_their_sections_from_the_views_not_from_template_queries(app):
    """Templates only format: the functions that loaded data behind a view's back are gone."""
    retired = {
        "public_agenda",
        "follow_up_commitments",
        "latest_review_at",
        "follow_up_form",
        "downloadable_minutes",
        "minutes_approval_box",
    }
    assert retired.isdisjoint(app.jinja_env.globals)
    assert {"sdg_name", "commitment_is_overdue"} <= set(app.jinja_env.globals)


def test_no_private_attributes_of_flask_extensions_are_touched():
    """`g._flask_babel` (Flask-Babel's) and `g._login_user` (Flask-Login's) are theirs to
    change in any release: the app keeps its own names in `g` and uses their public API."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "g"
                and node.attr.startswith("_")
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} g.{node.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "getattr",
                "setattr",
            ):
                args = node.args
                if (
                    len(args) >= 2
                    and isinstance(args[0], ast.Name)
                    and args[0].id == "g"
                    and isinstance(args[1], ast.Constant)
                    and str(args[1].value).startswith("_")
                ):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert found == []


def test_mail_mentions_no_feature_model():
    """Mail is infrastructure: it knows its outbox rows (coordapp/models/outbox.py) and
    nothing of the features (an invitation marks itself sent through its writer's
    `on_sent` hook; a message's category comes from its writer)."""
    import re

    from coordapp import models

    own = {"coordapp.models.outbox", "coordapp.models.base"}
    # A stored PDF (coordapp/pdf/stored.py) is infrastructure too: mail attaches one by
    # its row, whichever feature's document it is (its subclasses stay off limits).
    infrastructure = {"StoredDocument", "DocumentStatus"}
    feature_models = {
        name
        for name in models.__all__
        if isinstance(getattr(models, name), type)
        and getattr(models, name).__module__.startswith("coordapp.models")
        and getattr(models, name).__module__ not in own
        and name not in infrastructure
    }
    assert {"Invitation", "Meeting", "Contact", "PollRespondent"} <= feature_models
    mentions = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted((PACKAGE / "mail").rglob("*.py"))
        for name in feature_models
        if re.search(rf"\b{name}\b", path.read_text(encoding="utf-8"))
    }
    assert mentions == set()
