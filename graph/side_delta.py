"""A write transaction's delta part of the side table (:mod:`graph.side_table`), read back after its commit and
written by the side table's keeper (:class:`graph.side_keeping.Keeper`): the current rows of every key the
transaction touched, the straw lookup keys it added, the stored scores it wrote, and the touched keys themselves.
Written in the caller's thread (:func:`_append`) or in a thread of its own beside the caller
(:func:`append_beside`), which every reader and writer of the files waits for (:func:`graph.side_table.settled`).
"""

from __future__ import annotations

import threading
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from graph.side_index import KeyIndex, first_rows
from graph.side_table import (
    DOMAINS,
    KEYED,
    TABLES,
    Beside,
    _in_store_order,
    _index_path,
    _once,
    _places_of,
    _write,
    _write_manifest,
    drop,
    folder,
    stamp,
    writing_beside,
)
from graph.store import read_on_two, reader

if TYPE_CHECKING:
    from graph.embedded_store import EmbeddedStore


def _append(store: EmbeddedStore, manifest: dict[str, Any], touched: dict[str, set[str]],
            keyed: dict[str, list[pa.Table]], created: dict[str, set[str]] | None = None,
            linked: dict[tuple[str, str, str], set[str]] | None = None, scored: set[str] | None = None,
            written: list[pa.Table] | None = None, *, stamped: list[int] | None = None) -> None:
    """Add a delta part: the current rows of every key ``touched`` (label -> keys) and the keys themselves, and
    the straw lookup keys' entries written (``keyed``: table -> src/dst rows). ``created`` (label -> keys the
    transaction created) and ``linked`` ((type, label, column) -> keys its upserts of a relationship type named
    in that column): a relationship table is not read at a key created in the transaction that none of its
    upserts of the type named there (:func:`_asked`). ``scored``: the persons whose stored scores the transaction
    wrote or who it created, read back; ``written``: rows (key and :data:`SCORES`) that are what the store holds of
    persons not in ``scored``, the last of a person's counting (together the part's scores file, when the files
    keep them: :meth:`graph.side_keeping.Keeper.scores_written`). ``stamped``: the store's stamp at the commit
    (default: when the part is written)."""
    parts = list(manifest["parts"])
    part = f"delta{len(parts)}"
    side = folder(store.path)
    asked = {(table, column): keys for (table, column), (label, _statement) in DOMAINS.items()
             if (keys := _asked(table, column, label, touched, created or {}, linked or {}))}
    reads = [(DOMAINS[domain][1], sorted(keys)) for domain, keys in asked.items()]
    kept = bool(manifest.get("scores"))
    if kept and scored:  # (in the order the store holds them: algorithms/store_order.py)
        base_persons = feather.read_table(side / f"{parts[0]}-persons.arrow", memory_map=True)["key"]
        reads.append(("straw_stored_scores", _in_store_order(
            KeyIndex(_index_path(side, "persons", "key")), base_persons, _places_of(side), sorted(scored))))
    read = _read_back(store, reads)
    by_domain = dict(zip(asked, read[:len(asked)], strict=True))
    if kept:
        base = feather.read_table(side / f"{parts[0]}-scores.arrow", memory_map=True).slice(0, 0)
        found = [read[-1].select(base.column_names).cast(base.schema)] if scored else []
        if written:
            rows = pa.concat_tables([t.cast(base.schema) for t in written])
            last = len(rows) - 1 - first_rows([rows["key"].take(pa.array(np.arange(len(rows) - 1, -1, -1)))])
            rows = rows.take(pa.array(np.sort(last)))
            found.insert(0, rows.filter(pc.invert(pc.is_in(rows["key"], value_set=pa.array(sorted(scored or ()),
                                                                                            pa.string())))))
        _write(side / f"{part}-scores.arrow", _once(pa.concat_tables(found)) if found else base)
    for name in TABLES:
        found = []
        for (table, column) in DOMAINS:
            got = by_domain.get((table, column)) if table == name else None
            if got is not None:
                found.append(got.select([c for c in got.column_names if c in _columns(name)]))
        base = _empty(side, parts[0], name)  # a delta's columns and types are the base's (a null column is typed)
        rows = _distinct(pa.concat_tables([t.select(base.column_names).cast(base.schema) for t in found])) \
            if found else base
        _write(side / f"{part}-{name}.arrow", rows)
    for name in KEYED:
        base = _empty(side, parts[0], name)
        entries = [t.cast(base.schema) for t in keyed.get(name, [])]
        _write(side / f"{part}-{name}.arrow", _distinct(pa.concat_tables(entries)) if entries else base)
    _write(side / f"{part}-touched.arrow", pa.table({
        "label": pa.array([label for label, keys in touched.items() for _ in keys], pa.string()),
        "key": pa.array([key for keys in touched.values() for key in sorted(keys)], pa.string())}))
    parts.append(part)
    _write_manifest(store.path, parts, stamped, scores=kept)


def append_beside(store: EmbeddedStore, manifest: dict[str, Any], touched: dict[str, set[str]],
                  keyed: dict[str, list[pa.Table]], created: dict[str, set[str]],
                  linked: dict[tuple[str, str, str], set[str]], scored: set[str] | None = None,
                  written: list[pa.Table] | None = None) -> bool:
    """:func:`_append` in a thread of its own, on readers of the store (its connection is the caller's), just after
    the commit (False when the store gives no reader: the caller appends). Whoever reads the files or writes the
    store next waits for it (:func:`settled`), so no write comes between the commit and the part's reads: they see
    what the commit left, stamped as the commit left the store. The daily step's analysis starts meanwhile: its
    trace lane reads no side table, its person lane waits for the part (docs/performance.md, side30)."""
    stamped = stamp(store.path)
    readers = ExitStack()
    handle = readers.enter_context(reader(store, threads=1))
    if handle is None:
        readers.close()
        return False
    other = cast("EmbeddedStore", handle)  # (a copy of the store reading through its own connection)
    beside = Beside()

    def append() -> None:
        try:
            _append(other, manifest, touched, keyed, created, linked, scored, written, stamped=stamped)
        except OSError:  # the folder went meanwhile: no files (as Keeper.end)
            drop(store.path)
        except BaseException as exc:  # no part: no files, and the next reader or writer hears of it
            drop(store.path)
            beside.error = exc
        finally:
            readers.close()

    beside.thread = threading.Thread(target=append, name="side-delta")
    writing_beside(store.path, beside)
    beside.thread.start()
    return True


def _read_back(store: EmbeddedStore, reads: list[tuple[str, list[str]]]) -> list[pa.Table]:
    """The rows of each (statement, keys) of ``reads``, in that order: the delta's keyed reads of what was just
    committed, shared between the store's connection and a reader's (:func:`graph.store.read_on_two`: a national
    day's 13 reads, ~0.5 CPU s, mostly the engine's). Both connections see the same committed rows: nothing writes
    meanwhile. Each takes one of the engine's workers (graph.store.read_on_two). Beside the caller
    (:func:`append_beside`) ``store`` is itself a reader's handle: two readers then."""
    with reader(store, threads=1) if len(reads) > 1 else nullcontext(None) as other:
        found = read_on_two(store, other, [(statement, {"keys": keys}) for statement, keys in reads])
    return [result.arrow() for result in found]


def _asked(name: str, column: str, label: str, touched: dict[str, set[str]], created: dict[str, set[str]],
           linked: dict[tuple[str, str, str], set[str]]) -> set[str]:
    """The keys of ``label`` whose rows of table ``name`` the delta reads by ``column``: every touched key, but of
    a relationship table not a key created in the transaction that no upsert of its type named in that column. A
    node that did not exist when the transaction began had no relationships then, and every relationship written
    since at it was written by an upsert the keeper followed (any other write loses the files): a day's 2,300 new
    recoveries have no NIBIN links but the leads'."""
    keys = touched.get(label, set())
    spec = TABLES[name]
    if not keys or not (len(spec) > 1 and spec[0].isupper()) or not created.get(label):
        return keys
    unlinked = created[label] - linked.get((spec[0], label, column), set())
    return keys - unlinked if unlinked else keys


def _columns(name: str) -> list[str]:
    spec = TABLES[name]
    if len(spec) > 1 and spec[0].isupper():
        return ["src", "dst", *spec[3:]] + (["reported_date"] if name == "stolen" else [])
    return ["key", *spec[1:]]


def _distinct(table: pa.Table) -> pa.Table:
    """Each row once (a relationship read from both of its ends comes twice)."""
    return table.group_by(table.column_names, use_threads=False).aggregate([]) if table.num_rows else table


def _empty(side: Path, base: str, name: str) -> pa.Table:
    return feather.read_table(side / f"{base}-{name}.arrow", memory_map=True).slice(0, 0)
