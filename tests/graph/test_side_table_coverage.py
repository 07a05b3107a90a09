"""The embedded store's write methods are wrapped by name (graph/write_following.followed_by), and each write is told
to the side table's keeper and the run records. A write method added to the store without being added there would
change rows the files still hold, and the next incremental run would read stale neighbours. This test makes each
public method of the store either followed (wrapped) or named here as one that writes no row, so a new method
cannot be forgotten."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from graph.embedded_store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[2]

WRITE_NO_ROW = {
    "counts": "a read",
    "edge_list": "a read",
    "node_table": "a read",
    "schema_gaps": "a read",
    "table_counts": "a read",
    "wal_bytes": "a read of the log's size",
    "rows_copied": "a switch for how later writes copy their rows; writes nothing itself",
    "init_schema": "creates missing tables and columns only: no row of the side table's tables changes",
    "engine_meter": "a read of the engine's buffer manager's count, on a connection of its own",
    "node_offsets": "a read",
    "reader": "a handle for reads from another thread: refuses every write (graph/embedded_reader.py)",
    "workers": "how many of the engine's workers the connection's statements take: writes nothing",
    "written_rels": "a read of the rows the open transaction wrote, kept in memory (graph/embedded_tx_rels.py)",
}


def _public_methods() -> set[str]:
    return {name for name, value in vars(EmbeddedStore).items()
            if not name.startswith("_") and inspect.isfunction(value)}


def _kept(function: object) -> bool:
    """Whether ``function`` is (or wraps, or closes over: a context manager's helper) the followers' wrapper
    (graph/write_following.followed or followed_batch)."""
    seen: list[object] = [function]
    while seen:
        current = seen.pop()
        code = getattr(current, "__code__", None)  # (functools.wraps copies the names, not the code)
        if (code is not None and code.co_filename.endswith("write_following.py")
                and code.co_qualname.startswith("followed")):
            return True
        seen.extend(cell.cell_contents for cell in getattr(current, "__closure__", None) or ()
                    if inspect.isfunction(cell.cell_contents))
        if getattr(current, "__wrapped__", None) is not None:
            seen.append(current.__wrapped__)  # type: ignore[attr-defined]
    return False


def test_every_public_method_is_kept_or_writes_no_row() -> None:
    kept = {name for name in _public_methods() if _kept(getattr(EmbeddedStore, name))}
    assert {"query", "upsert_nodes", "upsert_relationships", "batch", "checkpoint", "migrate", "close"} <= kept
    unaccounted = _public_methods() - kept - set(WRITE_NO_ROW)
    assert not unaccounted, (f"EmbeddedStore methods neither followed (graph/write_following.followed_by) nor "
                             f"listed as writing no row: {sorted(unaccounted)}")
    assert not kept & set(WRITE_NO_ROW), "a kept method is also listed as writing no row: drop it from the list"


def test_no_module_writes_around_the_store_methods() -> None:
    """The engine's connection is reached only inside graph/embedded_store.py: a module calling ``_execute`` or the
    connection itself would write past the keeper."""
    pattern = re.compile(r"\._execute\(|\._conn\b|\._db\b")
    offenders = []
    for folder in ("algorithms", "api", "exports", "graph", "loaders", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "embedded_store.py":
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"modules reaching the engine past the store's methods: {offenders}"
