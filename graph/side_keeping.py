"""The side table's keeper (:mod:`graph.side_table`): every write of :class:`graph.embedded_store.EmbeddedStore`
is told to its :class:`Keeper` (a follower of :mod:`graph.write_following`), which follows the write (its keys
become the next delta part, read after the commit) or deletes the files before it writes. Why that keeps a stale
row from ever being read: the module docstring of :mod:`graph.side_table`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from graph import side_delta, side_table
from graph.side_table import (
    KEEPS,
    KEYED,
    KEYED_TYPE,
    NODE_COLUMNS,
    RELATIONSHIPS,
    SCORES,
    current,
    drop,
    folder,
)
from graph.store import FROM_KEY, TO_KEY, companion, conform_nodes, to_arrow
from graph.write_following import Write

if TYPE_CHECKING:
    from graph.embedded_store import EmbeddedStore

class Keeper:
    """An embedded store's writes, as the side table sees them (told by :mod:`graph.write_following`)."""

    def __init__(self, store: Path) -> None:
        self.path = store
        self.depth = 0  # nested writes: an upsert inside a transaction is part of it
        self.manifest: dict[str, Any] | None = None  # the files were current when the outermost write began
        self.touched: dict[str, set[str]] = {}
        self.keyed: dict[str, list[pa.Table]] = {}  # the straw lookup keys' entries written (table -> src, dst)
        self.created: dict[str, set[str]] = {}  # label -> keys the transaction's upserts created (side_delta._asked)
        self.linked: dict[tuple[str, str, str], set[str]] = {}  # (type, label, src|dst) -> keys its upserts named
        self.beside = False  # the delta after a commit is read in a thread of its own (delta_beside)
        self.scored: set[str] = set()  # persons whose stored scores (side_table.SCORES) it wrote, or it created
        self.written: list[pa.Table] = []  # upserted rows that set every one of a person's scores (key, SCORES)

    def begin(self) -> None:
        self.depth += 1
        if self.depth == 1:
            self.touched = {}
            self.keyed = {}
            self.created = {}
            self.linked = {}
            self.scored = set()
            self.written = []
            self.manifest = current(self.path) if folder(self.path).exists() else None

    def lose(self) -> None:
        """A write the files cannot follow: delete them now, before it writes."""
        self.manifest = None
        drop(self.path)

    def touch(self, label: str, keys: pa.Array | pa.ChunkedArray) -> None:
        if self.manifest is None:
            self.lose()
            return
        if label not in NODE_COLUMNS:  # a dealer's SOLD rows change with their guns, which are touched
            return
        self.touched.setdefault(label, set()).update(k for k in keys.to_pylist() if isinstance(k, str))

    def create(self, label: str, keys: pa.Array | pa.ChunkedArray | None) -> None:
        """Nodes an upsert created (keys that did not exist before it: :func:`graph.side_delta._asked`)."""
        if self.manifest is not None and label in NODE_COLUMNS and keys is not None and len(keys):
            self.created.setdefault(label, set()).update(k for k in keys.to_pylist() if isinstance(k, str))
            if label == "Person":  # (a new person's scores are null: the files must hold them too)
                self.score(keys)

    def score(self, keys: pa.Array | pa.ChunkedArray) -> None:
        """Persons whose stored scores an upsert wrote (or created): their current ones go in the next part."""
        if self.manifest is not None:
            self.scored.update(k for k in keys.to_pylist() if isinstance(k, str))

    def scores_written(self, rows: pa.Table, key: str) -> None:
        """A Person upsert's rows (as the store conformed them: cast, duplicate keys folded) that name scores: a
        row with every one of them is what the store holds after it (an upsert's nulls never erase, its values
        always set), so it goes in the next part as it is, unless a later upsert names the person again without
        every score; the others' persons are read back after the commit."""
        if self.manifest is None:
            return
        named = [c for c in SCORES if c in rows.column_names]
        whole = None
        if len(named) == len(SCORES):
            whole = functools.reduce(pc.and_, [pc.is_valid(rows[c]) for c in SCORES])
            self.written.append(rows.filter(whole).select([key, *SCORES]).rename_columns(["key", *SCORES]))
        self.score(rows.filter(pc.invert(whole))[key] if whole is not None else rows[key])

    def link(self, rel: str, source: str, target: str, rows: pa.Table) -> None:
        """Relationships of ``rel`` an upsert wrote (or found stored): the keys it named at each end."""
        if self.manifest is None:
            return
        for label, column, side in ((source, FROM_KEY, "src"), (target, TO_KEY, "dst")):
            if label in NODE_COLUMNS:
                self.linked.setdefault((rel, label, side), set()).update(
                    k for k in rows.column(column).to_pylist() if isinstance(k, str))

    def add_keyed(self, label: str, rows: pa.Table) -> None:
        """Straw lookup key entries written (the upsert succeeded: every one of them is in the store now)."""
        names = [name for name, (owner, _statement) in KEYED.items() if owner == label]
        if self.manifest is None or not names:
            self.lose()
            return
        entries = pa.table({"src": rows.column(FROM_KEY), "dst": rows.column(TO_KEY)})
        self.keyed.setdefault(names[0], []).append(entries)

    def end(self, store: EmbeddedStore, committed: bool) -> None:
        self.depth -= 1
        if self.depth:
            return
        manifest, self.manifest = self.manifest, None
        if manifest is None:
            return
        if not committed:
            drop(self.path)
            return
        self.depth += 1  # the delta's reads are not writes
        try:
            scored, written = (self.scored, self.written) if manifest.get("scores") else (set(), [])
            if any(self.touched.values()) or self.keyed or scored or written:
                if not (self.beside and side_delta.append_beside(store, manifest, self.touched, self.keyed,
                                                                 self.created, self.linked, scored, written)):
                    side_delta._append(store, manifest, self.touched, self.keyed, self.created, self.linked,
                                       scored, written)
            else:
                side_table._write_manifest(self.path, manifest["parts"], scores=bool(manifest.get("scores")))
        except OSError:  # the folder went meanwhile (a reader found the stamp moving mid-commit): no files
            drop(self.path)
        finally:
            self.depth -= 1

    def before(self, store: EmbeddedStore, write: Write) -> Callable[[Any], None] | None:
        self.begin()
        if write.method == "batch":  # the transaction's upserts are followed one by one, its commit at the end
            return None
        return _before(self, store, write.method, write.args)

    def after(self, store: EmbeddedStore, write: Write, committed: bool) -> None:
        self.end(store, committed)


def keeper(store: EmbeddedStore) -> Keeper | None:
    """The store's keeper (None for a read-only store)."""
    return companion(store, "_side_keeper", Keeper)


@contextmanager
def delta_beside(store: object, wanted: bool = True) -> Iterator[None]:
    """Inside (``wanted``): the delta part of a transaction the store commits is read and written in a thread of
    its own (:func:`graph.side_delta.append_beside`) while the caller goes on; the next reader of the files or
    writer of the store waits for it. The daily load's commit, when the analysis follows: only its person lane
    reads the part, and the trace lane starts beside it. Nothing for Neo4j or a read-only store."""
    found = keeper(cast("EmbeddedStore", store)) if wanted and getattr(store, "backend", None) == "embedded" else None
    if found is None:
        yield
        return
    found.beside = True
    try:
        yield
    finally:
        found.beside = False


def _before(keeper: Keeper, store: EmbeddedStore, method: str, args: tuple[Any, ...]) -> Callable[[Any], None]:
    """Follow (or lose the files to) one write; returns what to note after it succeeded."""
    if method == "query":  # (a write statement: a read does not come here)
        if args[0] not in KEEPS:
            keeper.lose()
        return lambda _result: None
    if method == "upsert_nodes" and args[0] in NODE_COLUMNS:
        label, rows = args[0], to_arrow(args[1])
        key = store.schema.node(label).key
        def noted(result: Any) -> None:
            if label == "Person" and set(SCORES) & set(rows.column_names):
                if key not in rows.column_names:
                    keeper.lose()
                    return
                keeper.scores_written(conform_nodes(store.schema.node(label), rows), key)
            if NODE_COLUMNS[label] & set(rows.column_names):
                if key not in rows.column_names:
                    keeper.lose()
                    return
                keeper.touch(label, rows.column(key))
            else:
                keeper.touch(label, pa.array(result.created_keys or [], pa.string()))
            keeper.create(label, result.created_keys)
        return noted
    if method == "upsert_relationships" and args[0] == KEYED_TYPE:
        rows = to_arrow(args[3])
        if FROM_KEY not in rows.column_names or TO_KEY not in rows.column_names:
            keeper.lose()
            return lambda _result: None
        return lambda _result: keeper.add_keyed(args[1], rows)
    if method == "upsert_relationships" and args[0] in RELATIONSHIPS:
        rows = to_arrow(args[3])
        if FROM_KEY not in rows.column_names or TO_KEY not in rows.column_names:
            keeper.lose()
            return lambda _result: None
        def both(_result: Any) -> None:
            keeper.touch(args[1], rows.column(FROM_KEY))
            keeper.touch(args[2], rows.column(TO_KEY))
            keeper.link(args[0], args[1], args[2], rows)
        return both
    # (a migration adds tables and null columns, and renames none of these: the rows stay; checkpoint and close
    # move the stamp, not the rows)
    return lambda _result: None
