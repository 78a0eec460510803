"""The shape of the code that keeps it easy to change, checked so that it stays that way.

* no import cycles between Casework's modules (module-level imports; ``TYPE_CHECKING`` blocks
  and imports inside functions are not part of the import-time graph);
* views commit through one unit of work (``casework/blueprints/work.py``), never by hand;
* every ``flask`` command is registered in one place (``casework/cli``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "casework"

# The one view that commits twice, on purpose: a failed import is rolled back, then its failure
# is recorded in a transaction of its own so the history shows the attempt.
HAND_COMMITS_ALLOWED = {"blueprints/imports/views.py": 2}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    nodes: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            nodes.append(node)
        elif isinstance(node, ast.Try):
            nodes.extend(n for n in node.body if isinstance(n, ast.Import | ast.ImportFrom))
    return nodes


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in _module_level_imports(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level or not node.module:
                    continue
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph[name].add(full if full in modules else node.module)
            else:
                graph[name].update(alias.name for alias in node.names)
        graph[name] = {m for m in graph[name] if m in modules and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_there_are_no_import_cycles():
    assert _cycles(_import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above would see one (so its silence means something)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_views_commit_only_through_the_unit_of_work():
    counts = {}
    for path in (PACKAGE / "blueprints").rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "blueprints/work.py":
            continue
        text = path.read_text("utf-8")
        if "session.commit()" in text:
            counts[relative] = text.count("session.commit()")
    assert counts == HAND_COMMITS_ALLOWED


def test_every_flask_command_is_registered_in_one_place():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("cli/"):
            continue
        text = path.read_text("utf-8")
        if "cli.add_command(" in text or ".cli.command(" in text:
            offenders.append(relative)
    assert offenders == []


def test_the_indicator_package_depends_one_way():
    """periods <- definition <- store <- figures <- the package: no module of
    ``casework.indicators`` imports one above it, so the definition exists once, below all."""
    layers = ["casework.indicators.periods", "casework.indicators.definition",
              "casework.indicators.store", "casework.indicators.figures"]
    graph = _import_graph()
    for position, module in enumerate(layers):
        above = set(layers[position + 1:]) | {"casework.indicators"}
        assert not graph[module] & above, (module, graph[module] & above)
