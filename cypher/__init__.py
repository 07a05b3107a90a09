"""Every hand-written Cypher statement, one per ``<name>.cypher`` file, loaded once.

Where the dialects differ, ``<name>.embedded.cypher`` / ``<name>.neo4j.cypher`` sit beside (or instead of) the
shared text and win for their backend. Statements take values only as ``$parameters``;
:func:`graph.statements.check_statement` (run over every file by the tests) rejects labels, relationship types or
properties the schema lacks.

This package is a leaf: it imports nothing from the project (the stores in ``graph/`` import it, never the other
way; ``tests/test_layers.py`` enforces it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from cypher.effects import without_comments

BACKENDS = ("embedded", "neo4j")


@dataclass(frozen=True)
class Registry:
    statements: dict[tuple[str, str | None], str]

    def names(self) -> list[str]:
        return sorted({name for name, _ in self.statements})

    def get(self, name: str, backend: str) -> str:
        for variant in ((name, backend), (name, None)):
            if variant in self.statements:
                return self.statements[variant]
        raise KeyError(f"no Cypher statement named {name!r} for {backend}")

    def items(self) -> list[tuple[str, str | None, str]]:
        return [(n, b, t) for (n, b), t in sorted(self.statements.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]


@functools.cache
def registry() -> Registry:
    statements: dict[tuple[str, str | None], str] = {}
    for entry in resources.files(__name__).iterdir():
        if not entry.name.endswith(".cypher"):
            continue
        stem = entry.name[: -len(".cypher")]
        name, _, backend = stem.partition(".")
        if backend and backend not in BACKENDS:
            raise ValueError(f"cypher/{entry.name}: unknown backend {backend!r}")
        statements[(name, backend or None)] = _strip_comments(entry.read_text(encoding="utf-8"))
    return Registry(statements)


def _strip_comments(text: str) -> str:
    lines = [line.rstrip() for line in without_comments(text).splitlines()]
    return "\n".join(line for line in lines if line).strip().rstrip(";")
