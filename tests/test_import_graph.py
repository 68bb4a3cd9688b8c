"""Imports flow one way: no circle among attncli's modules, and no view imports a renderer."""

import ast
from pathlib import Path

import attncli

PACKAGE = Path(attncli.__file__).parent
RENDERERS = {"attncli.render_terminal", "attncli.render_pictures", "attncli.render_markdown", "attncli.render_html",
             "attncli.layout", "attncli.presenter", "attncli.deliver"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every attncli module and the attncli modules it imports, at the top or inside a function."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from attncli import core` imports the module core
                    found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, or None (a depth-first search that keeps its path)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_import_graph_has_no_circle():
    graph = imports()
    assert {"attncli.cli", "attncli.views.walkthrough", "attncli.render_terminal"} <= set(graph)
    assert cycle(graph) is None, " → ".join(cycle(graph))


def test_no_view_imports_a_renderer():
    graph = imports()
    for name, targets in graph.items():
        if name.startswith("attncli.views"):
            assert not targets & RENDERERS, (name, targets & RENDERERS)


def test_the_search_finds_a_circle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
