"""The domain packages import each other in one direction only, and at the top of a module.

Reads every ``import`` of every module of every domain package (``licensing/<domain>/``),
including imports inside functions: an import inside a function that would close a cycle is a
cycle, just hidden. Fails on any cycle between domains, naming it and the files behind it; and
on any import of another domain inside a function or class body ("an import inside a function
to dodge a cycle is a cycle: fix the direction instead", docs/architecture.md).
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "licensing"


def domains() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def imported_domains(tree: ast.AST, known: set[str]) -> set[str]:
    """Every licensing domain a module's code imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "licensing" and len(parts) > 1 and parts[1] in known:
                found.add(parts[1])
    return found


def _modules(node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        if not node.module or node.level != 0:
            return []
        return [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return [a.name for a in node.names]


def local_imports(tree: ast.Module, own: str, known: set[str]) -> list[tuple[int, str]]:
    """``(line, domain)`` of each import of another domain below the module's top level.

    An import under ``if TYPE_CHECKING:`` at the top level is a top-level import too (it
    still states the direction); one inside a ``def`` or ``class`` is local.
    """
    found = []
    top = {id(node) for node in ast.walk(tree)
           if not any(isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                      for p in _ancestors(tree, node))}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in top:
            continue
        for name in _modules(node):
            parts = name.split(".")
            if (parts[0] == "licensing" and len(parts) > 1 and parts[1] in known
                    and parts[1] != own):
                found.append((node.lineno, parts[1]))
                break
    return found


def _ancestors(tree: ast.AST, target: ast.AST) -> list[ast.AST]:
    parents = _parents(tree)
    chain, node = [], parents.get(id(target))
    while node is not None:
        chain.append(node)
        node = parents.get(id(node))
    return chain


_PARENTS: dict[int, dict[int, ast.AST]] = {}


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    if id(tree) not in _PARENTS:
        _PARENTS[id(tree)] = {id(child): node for node in ast.walk(tree)
                              for child in ast.iter_child_nodes(node)}
    return _PARENTS[id(tree)]


#: Imports of another domain that must stay inside a function, with the reason. Keep it empty.
ALLOWED_LOCAL_IMPORTS: dict[str, str] = {}


def domain_graph() -> dict[str, dict[str, list[str]]]:
    """``{domain: {imported domain: [files]}}``."""
    known = domains()
    graph: dict[str, dict[str, list[str]]] = {d: {} for d in known}
    for domain in known:
        for path in sorted((ROOT / domain).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for other in imported_domains(tree, known) - {domain}:
                graph[domain].setdefault(other, []).append(str(path.relative_to(ROOT.parent)))
    return graph


def find_cycle(graph: dict[str, dict]) -> list[str] | None:
    """Return one cycle as ``[a, b, ..., a]``, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_between_domains():
    graph = domain_graph()
    cycle = find_cycle(graph)
    if cycle:
        edges = [f"{a} -> {b}: {', '.join(graph[a][b])}" for a, b in itertools.pairwise(cycle)]
        pytest.fail("import cycle between domains:\n" + "\n".join(edges))


def test_no_domain_imports_another_inside_a_function():
    known = domains()
    offences = []
    for domain in sorted(known):
        for path in sorted((ROOT / domain).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            rel = str(path.relative_to(ROOT.parent))
            offences += [f"{rel}:{line} imports licensing.{other} inside a function"
                         for line, other in local_imports(tree, domain, known)
                         if rel not in ALLOWED_LOCAL_IMPORTS]
    assert not offences, "\n".join(offences)


def test_a_local_import_is_found_and_a_top_level_one_is_not():
    source = ("from licensing.b.models import y\n"
              "if TYPE_CHECKING:\n    from licensing.b.services import z\n"
              "def f():\n    from licensing.b.services import x\n"
              "    from licensing.a.services import own\n"
              "class C:\n    def m(self):\n        import licensing.b.jobs\n")
    assert local_imports(ast.parse(source), "a", {"a", "b"}) == [(5, "b"), (9, "b")]


def test_the_enforcement_layering_holds():
    graph = domain_graph()
    for lower, higher in (("cases", "supervision"), ("supervision", "supplements"),
                          ("supervision", "enforcement"), ("supplements", "enforcement"),
                          ("cases", "enforcement")):
        assert higher not in graph[lower], f"{lower} imports {higher}: {graph[lower][higher]}"


def test_a_cycle_hidden_in_a_function_is_found():
    source = "def f():\n    from licensing.b.services import x\n"
    assert imported_domains(ast.parse(source), {"a", "b"}) == {"b"}
    assert find_cycle({"a": {"b": []}, "b": {"a": []}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b": []}, "b": {}}) is None
