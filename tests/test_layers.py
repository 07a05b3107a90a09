"""Layers run one way: each package imports only the packages below it (docs/architecture.md, "Layers").

Read from the source with an AST walk (imports inside functions count too), so a lazy import cannot hide a
dependency that runs the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("algorithms", "api", "cypher", "exports", "graph", "loaders")

#: (importing module prefix, imported module prefix, why it must not). The first matching prefix of the importer
#: decides; an import is allowed when no rule forbids it or an exception in ``ALLOWED`` names it.
FORBIDDEN: tuple[tuple[str, str, str], ...] = (
    ("cypher", "", "the statement registry is a leaf: the stores import it, never the other way"),
    ("graph", "algorithms", "the store layer sits below the analytics"),
    ("graph", "api", "the store layer sits below the surfaces"),
    ("graph", "exports", "the store layer sits below the exporters"),
    ("graph", "loaders", "the store layer sits below the loaders"),
    ("loaders.domain", "loaders", "the domain layer imports nothing else from loaders"),
    ("loaders.domain", "algorithms", "the domain layer sits below the analytics"),
    ("loaders.domain", "api", "the domain layer sits below the surfaces"),
    ("loaders.domain", "exports", "the domain layer sits below the exporters"),
    ("loaders", "algorithms", "loaders write what files say; computed values are the analytics' (hooks invert it)"),
    ("loaders", "api", "loaders sit below the surfaces"),
    ("loaders", "exports", "loaders sit below the exporters"),
    ("algorithms", "loaders", "analytics share domain rules through loaders.domain only"),
    ("algorithms", "api", "analytics sit below the surfaces"),
    ("algorithms", "exports", "analytics sit below the exporters"),
    ("exports", "loaders", "exporters share domain rules through loaders.domain only"),
    ("exports", "api", "exporters are pure functions the surfaces call"),
)
#: (importer prefix, imported prefix): exceptions to ``FORBIDDEN``, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("cypher", "cypher"): "its own modules",
    ("loaders.domain", "loaders.domain"): "the domain layer's own modules",
    ("algorithms", "loaders.domain"): "domain rules, normalisers, reference tables",
    ("exports", "loaders.domain"): "reference tables (state names and points for reports)",
    ("loaders", "exports.csv_safe"): "rejects files are CSVs that leave: formula-safe like every other CSV",
    ("loaders", "exports.tlp"): "reading STIX markings needs the one TLP policy (marking ids, levels)",
    ("loaders", "exports.stix_extensions"): "reading STIX needs our extension definitions (ids, the firearm SDO)",
    ("loaders", "exports.taxii_filters"): "polling TAXII compares its timestamps the one way the server does",
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in one file, relative imports resolved."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from loaders import parsing`` imports the module loaders.parsing
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def _under(name: str, prefix: str) -> bool:
    return prefix == "" or name == prefix or name.startswith(prefix + ".")


def violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """One line per import that runs the wrong way: ``file:line: importer -> imported (why)``."""
    problems: list[str] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            importer = _module_name(path, root)
            rules = [r for r in FORBIDDEN if _under(importer, r[0])]
            if not rules:
                continue
            specific = max(len(prefix) for prefix, _, _ in rules)  # the most specific importer's rules decide
            rules = [r for r in rules if len(r[0]) == specific]
            seen: set[int] = set()
            for line, imported in imports_of(path, root):
                if line in seen or imported.split(".")[0] not in packages:
                    continue
                if any(_under(importer, a) and _under(imported, b) for a, b in ALLOWED):
                    continue
                why = next((why for _, target, why in rules if _under(imported, target)), None)
                if why is not None:
                    seen.add(line)
                    problems.append(f"{path.relative_to(root)}:{line}: {importer} -> {imported} ({why})")
    return problems


def test_every_import_runs_one_way() -> None:
    assert violations(ROOT) == []


def _module_graph(root: Path) -> dict[str, set[str]]:
    modules = {_module_name(path, root): path for package in PACKAGES for path in (root / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # ``from loaders import geo`` names both loaders and loaders.geo: keep the longest that is a module
        graph[name] = {target for _, target in imports_of(path, root) if target in modules and target != name}
    return graph


def cycles_across_packages(root: Path) -> list[list[str]]:
    """Strongly connected groups of modules that span more than one top-level package (Tarjan)."""
    graph = _module_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len({m.split(".")[0] for m in group}) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_spans_two_packages() -> None:
    assert cycles_across_packages(ROOT) == []


def test_cypher_and_graph_do_not_import_each_other() -> None:
    graph_to_cypher = any(_under(m, "cypher") for p in (ROOT / "graph").rglob("*.py") for _, m in imports_of(p, ROOT))
    cypher_to_graph = any(m.split(".")[0] in set(PACKAGES) - {"cypher"} for p in (ROOT / "cypher").rglob("*.py")
                          for _, m in imports_of(p, ROOT))
    assert graph_to_cypher and not cypher_to_graph  # the stores read the registry; the registry reads only itself


@pytest.mark.parametrize(("importer", "source", "expected"), [
    ("cypher/__init__.py", "from graph.schema import SCHEMA\n", "cypher -> graph.schema"),
    ("graph/store.py", "def f():\n    from api import app\n", "graph.store -> api"),
    ("loaders/traces.py", "from algorithms.stolen_hits import mark_hits\n", "loaders.traces -> algorithms"),
    ("loaders/domain/rules.py", "from loaders import base\n", "loaders.domain.rules -> loaders"),
    ("loaders/domain/rules.py", "from .. import geo\n", "loaders.domain.rules -> loaders"),
    ("algorithms/x.py", "import loaders.geo\n", "algorithms.x -> loaders.geo"),
    ("exports/x.py", "from loaders.traces import TracesLoader\n", "exports.x -> loaders.traces"),
    ("algorithms/x.py", "from loaders.domain import parsing\n", None),
    ("loaders/base.py", "from exports.csv_safe import SafeWriter\n", None),
    ("loaders/base.py", "from exports.stix import bundle\n", "loaders.base -> exports.stix"),
    ("graph/embedded_store.py", "from cypher import registry\n", None),
])
def test_the_check_catches_a_wrong_way_import(tmp_path: Path, importer: str, source: str,
                                              expected: str | None) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / importer).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / importer).write_text(source)
    found = violations(tmp_path)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_the_cycle_check_finds_a_cycle_between_packages(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "loaders" / "base.py").write_text("from exports import csv_safe\n")
    (tmp_path / "exports" / "csv_safe.py").write_text("def f():\n    from loaders.base import run_load\n")
    (tmp_path / "exports" / "tlp.py").write_text("import graph\n")
    assert cycles_across_packages(tmp_path) == [["exports.csv_safe", "loaders.base"]]
