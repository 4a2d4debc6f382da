"""A refusal carries its status: the routes that turn a DomainError into a page answer
with `error.status`, never a number of their own beside it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from coordapp.errors import DomainError

PACKAGE = Path(__file__).resolve().parent.parent / "coordapp"
ROUTES = sorted([*PACKAGE.glob("*/routes.py"), *PACKAGE.glob("*/routes/*.py")])


def _resolve(module, node):
    """The object an `except` names (`service.PollError`, `AnswerError`), or None."""
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None) or getattr(__builtins__, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(module, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _hard_coded_statuses(body) -> list[int]:
    found = []
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:  # _render(…, code=409); redirect(…, code=303) is fine
                value = keyword.value
                if keyword.arg in ("code", "status") and isinstance(value, ast.Constant):
                    if type(value.value) is int and value.value >= 400:
                        found.append(node.lineno)
            for arg in node.args:  # abort(409, …), _render(…, 400)
                if isinstance(arg, ast.Constant) and type(arg.value) is int and arg.value >= 400:
                    found.append(node.lineno)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            last = node.value.elts[-1]  # return page, 409
            if isinstance(last, ast.Constant) and type(last.value) is int and last.value >= 400:
                found.append(node.lineno)
    return found


def test_routes_answer_a_refusal_with_its_own_status():
    offenders = []
    handled = 0
    for path in ROUTES:
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        module = importlib.import_module(name.removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler) or node.type is None:
                continue
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            classes = [_resolve(module, t) for t in types]
            if not any(isinstance(c, type) and issubclass(c, DomainError) for c in classes):
                continue
            handled += 1
            offenders += [f"{name}:{line}" for line in _hard_coded_statuses(node.body)]
    assert handled > 40  # the scan finds the routes' refusals
    assert offenders == []
