"""The read model the API serves from: node tables, lookup indexes and the path index, built once at startup.

Why in memory: an embedded-store connection serves one thread at a time, so per-request Cypher would queue 50
concurrent clients behind one lock. (Kùzu 0.11.3 also planned a match on a parameter key as a full scan, 10-19 ms
per lookup at 1M nodes; LadybugDB uses the key index, 0.07 ms, so the lock is what remains.) A snapshot answers a
key lookup with a dict probe and an Arrow slice (tens of microseconds) and is safe to read from every worker
thread. The server owns the embedded store while it runs (the engine locks its file), so nothing else can change
the graph under it; after writes through another route (Neo4j), an admin rebuilds it with
``POST /api/v1/admin/snapshot``.

The firearm chain reads the chain's relationships (with their properties) from :class:`ChainIndex`; what still
goes to the store (TAXII and export scopes) is serialised by :attr:`ApiContext.lock`.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from algorithms.paths import PathIndex, path_index, path_projection
from api.services.port import snapshot_ranked
from api.services.ranking import Ranked
from api.settings import Settings
from graph.errors import StoreBusy, TracegraphError
from graph.schema import SCHEMA
from graph.store import GraphStore

#: Labels the API reads whole.
SNAPSHOT_LABELS = ("Person", "Dealer", "Firearm", "Recovery", "Location", "Network", "Inspection", "Violation")


class Rows:
    """An Arrow table plus its columns as Python lists: one row as a dict costs a few microseconds, where
    ``table.slice(i, 1).to_pylist()`` costs one Arrow call per column (~100 µs for a wide label). Memory: one
    Python object per non-null cell (fine at state scale; the Arrow table stays for vectorised filters)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.names = tuple(table.column_names)
        self._columns = [table.column(name).to_pylist() for name in self.names]

    def row(self, position: int) -> dict[str, Any]:
        return {name: column[position] for name, column in zip(self.names, self._columns, strict=True)}

    def take(self, positions: list[int] | np.ndarray) -> list[dict[str, Any]]:
        return [self.row(int(p)) for p in positions]


class NodeTable:
    """All nodes of one label with every declared property; ``get`` returns one node as a dict."""

    def __init__(self, label: str, table: pa.Table, rows: dict[str, int]) -> None:
        self.label = label
        self.table = table
        self.rows = rows
        self._data = Rows(table)

    @classmethod
    def load(cls, store: GraphStore, label: str) -> NodeTable:
        node = SCHEMA.node(label)
        # internal lookup keys (graph.schema.Property.internal: identity blocks, address keys) are never shown,
        # so the snapshot does not hold them (three strings per person at national scale)
        props = tuple(p.name for p in node.properties if p.name != node.key and not p.internal)
        table = store.node_table(label, props)
        table = table.rename_columns([node.key, *props])
        keys = table.column(node.key).to_pylist()
        return cls(label, table, {str(k): i for i, k in enumerate(keys)})

    def get(self, key: str) -> dict[str, Any] | None:
        row = self.rows.get(key)
        if row is None:
            return None
        return self._data.row(row)

    def take(self, positions: list[int] | np.ndarray) -> list[dict[str, Any]]:
        return self._data.take(positions)

    def many(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.take([self.rows[k] for k in keys if k in self.rows])

    def column(self, name: str) -> np.ndarray:
        return np.asarray(self.table.column(name).to_pandas(), dtype=object)

    def __len__(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True)
class EdgeIndex:
    """Relationships of one type (``src, dst, <properties>``) grouped by one end, for per-key reads."""

    data: Rows
    rows_of: dict[str, list[int]]

    @classmethod
    def build(cls, table: pa.Table, by: str) -> EdgeIndex:
        return cls(Rows(table), _index(table.column(by).to_pylist()))

    def rows(self, key: str) -> list[dict[str, Any]]:
        return self.data.take(self.rows_of.get(key, []))


@dataclass(frozen=True)
class ChainIndex:
    """What a firearm's trace chain needs beyond nodes: the chain's relationships with their properties."""

    sold: EdgeIndex          # by firearm
    purchased: EdgeIndex     # by firearm
    recovered: EdgeIndex     # by firearm
    possessed: EdgeIndex     # by recovery
    nibin_from: EdgeIndex    # by source recovery
    nibin_to: EdgeIndex      # by target recovery

    @classmethod
    def load(cls, store: GraphStore) -> ChainIndex:
        def edges(rel: str, source: str, target: str) -> pa.Table:
            return store.edge_list(rel, source, target, SCHEMA.relationship(rel).property_names)

        nibin = edges("NIBIN_LINK", "Recovery", "Recovery")
        return cls(sold=EdgeIndex.build(edges("SOLD", "Dealer", "Firearm"), "dst"),
                   purchased=EdgeIndex.build(edges("PURCHASED", "Person", "Firearm"), "dst"),
                   recovered=EdgeIndex.build(edges("RECOVERED_IN", "Firearm", "Recovery"), "src"),
                   possessed=EdgeIndex.build(edges("POSSESSED_BY", "Recovery", "Person"), "src"),
                   nibin_from=EdgeIndex.build(nibin, "src"), nibin_to=EdgeIndex.build(nibin, "dst"))


@dataclass(frozen=True)
class Snapshot:
    nodes: dict[str, NodeTable]
    flows: pa.Table
    inspections_of: dict[str, list[str]]
    violations_of: dict[str, list[str]]
    members_of: dict[str, list[str]]   # network -> persons (MEMBER_OF)
    network_of: dict[str, str]         # person -> network (MEMBER_OF, the one membership fact)
    serials: dict[str, list[int]]
    licenses: dict[str, str]
    last_names: dict[str, list[int]]
    straw: Ranked        # the ranked lists, ordered by api.services.ranking (what the CLI's StorePort uses too)
    anomalies: Ranked
    networks: Ranked
    paths: PathIndex
    chains: ChainIndex
    built_seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    #: Straw-queue review decisions by person (api/services/reviews.py), appended to when the API records one.
    reviews: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Tables derived from this snapshot on first use (e.g. dealer estimates), dropped with it on rebuild.
    derived: dict[str, Any] = field(default_factory=dict)
    derived_lock: threading.Lock = field(default_factory=threading.Lock)


def _grouped(table: pa.Table) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for src, dst in zip(table.column("src").to_pylist(), table.column("dst").to_pylist(), strict=True):
        groups[str(src)].append(str(dst))
    return {k: sorted(v) for k, v in groups.items()}


def _index(values: list[Any], transform: Any = str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = defaultdict(list)
    for position, value in enumerate(values):
        if value is not None and value != "":
            index[transform(value)].append(position)
    return dict(index)


def _with_key_lookup(index: PathIndex) -> PathIndex:
    index.projection.index_keys()  # the first path request would otherwise build them
    return index


def _with_membership(persons: NodeTable, network_of: dict[str, str]) -> NodeTable:
    """Persons with ``network_id`` read from MEMBER_OF (the one membership fact), whatever the property holds."""
    column = pa.array([network_of.get(str(k)) for k in persons.table.column("person_key").to_pylist()],
                      type=pa.string())
    table = persons.table.set_column(persons.table.column_names.index("network_id"), "network_id", column)
    return NodeTable(persons.label, table, persons.rows)


def _with_ranks(persons: NodeTable, straw: Ranked) -> NodeTable:
    """Persons with ``straw_rank`` derived from the straw queue's order (never stored: algorithms/straw_rank.py),
    whatever an older store's property holds."""
    position = {str(k): i + 1 for i, k in enumerate(straw.keys.tolist())}
    column = pa.array([position.get(str(k)) for k in persons.table.column("person_key").to_pylist()],
                      type=pa.int64())
    table = persons.table.set_column(persons.table.column_names.index("straw_rank"), "straw_rank", column)
    return NodeTable(persons.label, table, persons.rows)


def build_snapshot(store: GraphStore) -> Snapshot:
    started = time.perf_counter()
    nodes = {label: NodeTable.load(store, label) for label in SNAPSHOT_LABELS}
    flow = SCHEMA.relationship("FLOW")
    flows = store.edge_list("FLOW", "Location", "Location", flow.property_names)
    members = store.edge_list("MEMBER_OF", "Person", "Network")
    dealers = nodes["Dealer"]
    licenses = {str(n): str(k) for n, k in zip(dealers.table.column("license_number").to_pylist(),
                                                  dealers.table.column("dealer_key").to_pylist(), strict=True)
                if n is not None}
    network_of = {str(p): str(n) for p, n in zip(members.column("src").to_pylist(), members.column("dst").to_pylist(),
                                                 strict=True)}
    nodes["Person"] = _with_membership(nodes["Person"], network_of)
    ranked = snapshot_ranked(nodes)
    nodes["Person"] = _with_ranks(nodes["Person"], ranked["straw"])
    snapshot = Snapshot(
        nodes=nodes,
        flows=flows,
        inspections_of=_grouped(store.edge_list("INSPECTED", "Dealer", "Inspection")),
        violations_of=_grouped(store.edge_list("CITED", "Inspection", "Violation")),
        members_of=_grouped(members.select(["dst", "src"]).rename_columns(["src", "dst"])),
        network_of=network_of,
        serials=_index(nodes["Firearm"].table.column("serial_normalized").to_pylist()),
        licenses=licenses,
        last_names=_index(nodes["Person"].table.column("last_name").to_pylist(), lambda v: str(v).strip().upper()),
        straw=ranked["straw"],
        anomalies=ranked["anomalies"],
        networks=ranked["networks"],
        paths=_with_key_lookup(path_index(path_projection(store))),
        chains=ChainIndex.load(store),
        built_seconds=0.0,
    )
    object.__setattr__(snapshot, "built_seconds", round(time.perf_counter() - started, 3))
    object.__setattr__(snapshot, "counts", {label: len(table) for label, table in nodes.items()})
    object.__setattr__(snapshot, "reviews", _reviews(store))
    return snapshot


def _reviews(store: GraphStore) -> dict[str, list[dict[str, Any]]]:
    """Review decisions by person (a store from before reviews existed has none)."""
    from api.services.port import StorePort

    try:
        rows = StorePort(store).reviews()
    except (TracegraphError, RuntimeError):
        return {}
    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        held[str(row["person_key"])].append(row)
    return dict(held)


class ApiContext:
    """What request handlers share: settings, the store (one owner, used under ``lock``) and the snapshot.

    The snapshot follows the store's change stamp (:func:`algorithms.retention.change_stamp`, moved by every
    purge, hold or subject change): at most every ``api_change_check_s`` seconds a request compares it with the
    stamp the snapshot was built at and rebuilds on a change, so a purge made through another process (a daily
    ``retention apply`` against Neo4j) leaves no copy of a removed identity in a running server."""

    def __init__(self, settings: Settings, store: GraphStore) -> None:
        self.settings = settings
        self.store = store
        self.lock = threading.Lock()
        self._checking = threading.Lock()
        self._checked = time.monotonic()
        with self.lock:
            self._stamp = _change_stamp(store)
            self._snapshot = build_snapshot(store)
        _warm(self._snapshot, settings.hotspot_rule)
        _freeze()

    @property
    def snapshot(self) -> Snapshot:
        if time.monotonic() - self._checked >= self.settings.api_change_check_s:
            self.refresh_if_changed()
        return self._snapshot

    def refresh_if_changed(self) -> bool:
        """Rebuild when the store's change stamp moved since the snapshot was built (one thread checks; the
        others keep answering from the current snapshot meanwhile). True if it rebuilt."""
        if not self._checking.acquire(blocking=False):
            return False
        try:
            self._checked = time.monotonic()
            with self.lock:
                stamp = _change_stamp(self.store)
            if stamp == self._stamp:
                return False
            self.rebuild()
            self._stamp = stamp
            return True
        finally:
            self._checking.release()

    @contextmanager
    def writing(self) -> Iterator[GraphStore]:
        """The store, writable, for one of the API's few writes (subjects), under the lock. The server opens an
        embedded file read-only (several workers may share it); for a write it closes it, opens it for writing,
        and opens it read-only again after. With ``serve --workers N`` the other workers hold the file, so the
        write is refused as busy (one line: use the CLI); Neo4j takes writes as it is. The snapshot follows at
        the next change check (the write moves the store's change stamp)."""
        with self.lock:
            if not getattr(self.store, "read_only", False):
                yield self.store
                return
            self.store.close()
            try:
                writable = self.settings.open_store()
            except StoreBusy:
                self.store = self.settings.open_store(read_only=True)
                raise StoreBusy("the store is shared by several server workers (serve --workers N): make this "
                                "change with the CLI") from None
            try:
                yield writable
            finally:
                writable.close()
                self.store = self.settings.open_store(read_only=True)
            self._checked = 0.0  # look at the change stamp at the next request

    def rebuild(self) -> Snapshot:
        with self.lock:
            fresh = build_snapshot(self.store)
        _warm(fresh, self.settings.hotspot_rule)
        self._snapshot = fresh
        _freeze()
        return fresh


def _change_stamp(store: GraphStore) -> Any:
    from algorithms.retention import change_stamp

    return change_stamp(store)


def _warm(snapshot: Snapshot, hotspot_rule: str | None) -> None:
    """Derived tables requests read, computed with the snapshot rather than on the first request (which stalled
    every request in flight for the ~0.4 s the dealer estimates take at state scale)."""
    from api.services.port import SnapshotPort

    SnapshotPort(snapshot).dealer_estimates(hotspot_rule)


def _freeze() -> None:
    """Move the snapshot's millions of long-lived objects out of the cyclic GC's reach: without it every full
    collection walks them all (hundreds of ms, stalling every request in flight)."""
    gc.collect()
    gc.freeze()
