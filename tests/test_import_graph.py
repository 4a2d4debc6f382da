"""One honest dependency graph: counting every import (function-level ones included),
no module of coordapp reaches itself again, no package does, and no module names
another of the app's modules in a string to import it behind the tools' back."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "coordapp"


def _cycles(nodes, edges) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def module_cycles(graph) -> list[list[str]]:
    modules = graph.modules
    return _cycles(modules, {m: graph.find_modules_directly_imported_by(m) for m in modules})


def package_cycles(graph) -> list[list[str]]:
    """Cycles between the children of each package, a child standing for everything
    under it (what import-linter's acyclic_siblings contract checks, all imports counted)."""
    found = []
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    for package in sorted(graph.modules):
        children = graph.find_children(package)
        if not children:
            continue

        def child_of(module: str, children=children) -> str | None:
            parts = module.split(".")
            for length in range(len(parts), 0, -1):
                if ".".join(parts[:length]) in children:
                    return ".".join(parts[:length])
            return None

        edges: dict[str, set[str]] = {}
        for importer, imported in imports.items():
            source = child_of(importer)
            for target in map(child_of, imported):
                if source and target and source != target:
                    edges.setdefault(source, set()).add(target)
        found += _cycles(children, edges)
    return found


def build_graph():
    # Function-level (lazy) imports are counted: grimp records every import statement.
    return grimp.build_graph("coordapp", include_external_packages=False, cache_dir=None)


@pytest.fixture(scope="module")
def graph():
    return build_graph()


def test_no_module_imports_itself_through_others(graph):
    assert module_cycles(graph) == []


def test_no_package_imports_itself_through_others(graph):
    assert package_cycles(graph) == []


def test_function_level_imports_are_counted(graph):
    """create_app imports the feature list inside the function: the graph has it."""
    details = graph.get_import_details(importer="coordapp", imported="coordapp.features")
    assert details


def test_the_check_finds_a_cycle_once_one_is_added():
    """What the removed string import did (approval starting the PDF job by naming
    coordapp.minutes_pdf.tasks) and the app factory imported from jobs.py: both found."""
    graph = build_graph()
    graph.add_import(importer="coordapp.approval.service", imported="coordapp.minutes_pdf.tasks")
    assert [
        "coordapp.approval.service",
        "coordapp.minutes_pdf.signing",
        "coordapp.minutes_pdf.tasks",
    ] in module_cycles(graph)
    assert ["coordapp.approval", "coordapp.minutes_pdf"] in package_cycles(graph)
    graph.add_import(importer="coordapp.jobs", imported="coordapp")
    assert any("coordapp.jobs" in cycle and "coordapp" in cycle for cycle in module_cycles(graph))


DYNAMIC_IMPORTS = {"import_module", "__import__", "import_string", "find_spec"}


def test_no_module_is_imported_by_name_in_a_string():
    """importlib/werkzeug imports would hide an edge from the graph above. A plug-in
    point that needs one must say so here and in a comment at the call."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in DYNAMIC_IMPORTS:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            elif isinstance(node, ast.Import) and any(a.name == "importlib" for a in node.names):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert found == []
