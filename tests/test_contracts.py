"""The architecture contracts (pyproject.toml, `make lint`) check what the README says:
each is run here on a copy of the tree with one deliberate violation, and must fail on
it, so a contract cannot silently stop checking (a typo in a module name, a wildcard
that no longer matches anything)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.sqlite_only  # no database involved


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of coordapp/ and pyproject.toml, for violations not to touch the real tree."""
    base = tmp_path_factory.mktemp("contracts")
    shutil.copytree(
        ROOT / "coordapp", base / "coordapp", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", base / "pyproject.toml")
    return base


def lint_imports(tree: Path) -> dict[str, str]:
    """Run lint-imports on `tree`: {contract name: "KEPT" or "BROKEN"}, and its output."""
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    # Long names wrap: join each "... KEPT/BROKEN" paragraph of the summary into one line.
    summary = output.split("Contracts\n---------", 1)[-1].split("\nContracts: ")[0]
    verdicts = {}
    for paragraph in re.split(r"(?<=KEPT)\n|(?<=BROKEN)\n", summary):
        text = " ".join(paragraph.split())
        match = re.search(r"(?:-+ )?(.+) (KEPT|BROKEN)$", text)
        if match:
            verdicts[match.group(1).split("dependencies. ")[-1].lstrip("- ")] = match.group(2)
    return {"verdicts": verdicts, "output": output, "returncode": result.returncode}


def contract_names() -> dict[str, str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


@pytest.fixture
def violate(tree):
    """Append `code` to the module at `path` (created if new) in the copy; undone after."""
    changed: list[tuple[Path, str | None]] = []

    def add(path: str, code: str) -> None:
        target = tree / path
        before = target.read_text(encoding="utf-8") if target.exists() else None
        changed.append((target, before))
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.parent != tree / "coordapp" and not (target.parent / "__init__.py").exists():
            (target.parent / "__init__.py").write_text("")
            changed.append((target.parent / "__init__.py", None))
        target.write_text((before or "") + "\n" + code + "\n", encoding="utf-8")

    yield add
    for target, before in reversed(changed):
        if before is None:
            target.unlink()
        else:
            target.write_text(before, encoding="utf-8")


def broken(tree) -> set[str]:
    names = {name: cid for cid, name in contract_names().items()}
    run = lint_imports(tree)
    verdicts = {names.get(name, name): verdict for name, verdict in run["verdicts"].items()}
    assert set(verdicts) == set(names.values()), run["output"]
    found = {cid for cid, verdict in verdicts.items() if verdict == "BROKEN"}
    assert (run["returncode"] != 0) == bool(found), run["output"]
    return found


def test_the_real_tree_keeps_every_contract(tree):
    assert broken(tree) == set()


# (what the violation is, the file, the code added, the contracts it must break)
VIOLATIONS = [
    (
        "a service imports coordapp.web",
        "coordapp/polls/service.py",
        "def _page():\n    from coordapp import web  # noqa\n",
        {"web-for-routes"},
    ),
    (
        "a service imports its own routes",
        "coordapp/reports/service.py",
        "def _page():\n    from coordapp.reports import routes  # noqa\n",
        {"within-feature", "routes-protected"},
    ),
    (
        "a form imports its feature's routes",
        "coordapp/meetings/forms.py",
        "from coordapp.meetings import routes  # noqa\n",
        {"within-feature", "routes-protected"},
    ),
    (
        "a service imports its feature's forms",
        "coordapp/minutes/service.py",
        "from coordapp.minutes import forms  # noqa\n",
        {"within-feature"},
    ),
    (
        "a feature imports a feature above it",
        "coordapp/auth/service.py",
        "from coordapp.minutes import service as minutes  # noqa\n",
        {"layers"},
    ),
    (
        "a feature imports one of its row",
        "coordapp/admin/service.py",
        "from coordapp.agenda import service as agenda  # noqa\n",
        {"layers"},
    ),
    (
        "infrastructure imports a feature",
        "coordapp/mail/delivery.py",
        "from coordapp.invitations import service as invitations  # noqa\n",
        {"layers"},
    ),
    (
        "a new routes module imports another feature's routes",
        "coordapp/noticeboard/routes.py",
        "from coordapp.polls.routes import answers  # noqa\n",
        {"routes-independent", "routes-protected", "layers"},
    ),
    (
        "a module of a feature's routes package imports another feature's routes",
        "coordapp/polls/routes/overview.py",
        "from coordapp.rsvp import routes  # noqa\n",
        {"routes-independent", "routes-protected", "layers"},
    ),
    (
        "approval starts the PDF job by importing it (the cycle issue #18 found)",
        "coordapp/approval/service.py",
        "def _render():\n    from coordapp.minutes_pdf import tasks  # noqa\n",
        {"acyclic", "layers"},
    ),
]


@pytest.mark.parametrize(
    "path, code, expected", [v[1:] for v in VIOLATIONS], ids=[v[0] for v in VIOLATIONS]
)
def test_each_contract_fails_on_a_violation(tree, violate, path, code, expected):
    violate(path, code)
    assert expected <= broken(tree)


def test_every_contract_is_proved_by_a_violation():
    proved = set().union(*(v[3] for v in VIOLATIONS))
    assert proved == set(contract_names())


def test_a_new_package_must_be_placed_in_the_layers(tree, violate):
    violate("coordapp/noticeboard/service.py", "X = 1\n")
    assert broken(tree) == {"layers"}


def test_blueprints_live_in_routes_modules():
    """The contracts find routes by name: `<feature>.routes` or `<feature>/routes/*.py`."""
    outside = []
    for path in sorted((ROOT / "coordapp").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint":
                parts = module.split(".")
                if len(parts) < 3 or parts[2] != "routes":
                    outside.append(module)
    assert outside == []


def test_the_readme_shows_the_features_in_the_contracts_order():
    """README "Architecture" lists the features row by row as the layers contract does,
    and every feature of coordapp/features.py is there."""
    import tomllib

    from coordapp.features import FEATURES

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [
        c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"
    ]
    rows = []
    for layer in layers[1 : layers.index("web")]:
        names = {name.strip().split(".")[0] for name in re.split(r"[|:]", layer)}
        if rows and names <= set().union(*rows):
            continue  # calendar.routes under calendar.feature: one feature
        rows.append(names)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| top |") : readme.index("\n\n", readme.index("| bottom |"))]
    shown = [set(re.findall(r"`([a-z_]+)`", line)) for line in table.splitlines() if "`" in line]
    assert shown == rows
    assert set().union(*shown) == {f.name for f in FEATURES} - {"upkeep"}
