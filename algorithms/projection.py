"""In-memory projections of the stored graph: one igraph graph plus aligned NumPy arrays.

A projection is built once per analysis run (pulling ~5M edges out of Kùzu takes ~5 s) and reused by every
algorithm, the way Neo4j GDS projects a named graph before it computes. Keys are mapped to vertex ids with
Arrow's hash kernels (``unique`` + ``index_in``); no per-edge Python.

Vertices are grouped by label: the vertices of ``labels[i]`` are the contiguous ids
``offsets[i] .. offsets[i + 1] - 1``. Edge ``e`` of the igraph graph is row ``e`` of ``edge_type``,
``edge_date`` and every array in ``edge_properties``.

Dates are held as ``datetime64[D]`` with ``NaT`` for "undated".

Reference: Neo4j Graph Data Science, "Projecting graphs" (native projections); Csardi & Nepusz, "The igraph
software package for complex network research", InterJournal Complex Systems 1695 (2006).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from algorithms.frames import distinct_strings
from graph.errors import InvalidInput
from graph.store import GraphStore


@dataclass(frozen=True)
class EdgeSpec:
    """One relationship type between two labels to project; ``date_property`` names the relationship's date
    (e.g. ``sale_date`` on ``SOLD``), ``properties`` any further relationship properties to carry."""

    rel_type: str
    from_label: str
    to_label: str
    properties: tuple[str, ...] = ()
    date_property: str | None = None


@dataclass(frozen=True)
class Projection:
    """An igraph graph with vertex keys/labels and edge types/dates as aligned arrays.

    >>> p = from_edge_tables([("SOLD", "Dealer", "Firearm",
    ...                        pd.DataFrame({"src": ["d1"], "dst": ["f1"]}))])
    >>> p.graph.vcount(), p.graph.ecount(), p.vertex_id("Firearm", "f1"), p.key_of(0)
    (2, 1, 1, ('Dealer', 'd1'))
    """

    graph: ig.Graph
    labels: tuple[str, ...]
    offsets: np.ndarray
    vertex_key: np.ndarray
    edge_types: tuple[str, ...]
    edge_type: np.ndarray
    edge_date: np.ndarray
    vertex_date: np.ndarray
    edge_properties: Mapping[str, np.ndarray] = field(default_factory=dict)
    _positions: dict[str, dict[str, int]] = field(default_factory=dict, compare=False, repr=False)

    def vertex_label(self, vertex: int) -> str:
        return self.labels[int(np.searchsorted(self.offsets, vertex, side="right")) - 1]

    def vertex_labels(self) -> np.ndarray:
        """Label index (into ``labels``) of every vertex."""
        return np.repeat(np.arange(len(self.labels)), np.diff(self.offsets))

    def key_of(self, vertex: int) -> tuple[str, str]:
        return self.vertex_label(vertex), str(self.vertex_key[vertex])

    def vertex_id(self, label: str, key: str) -> int | None:
        """The vertex of ``label`` with ``key``, or ``None`` when the projection does not hold it."""
        if label not in self.labels:
            return None
        positions = self._positions.get(label)
        if positions is None:
            positions = self._key_positions(label)
        position = positions.get(str(key))
        if position is None:
            return None
        return int(self.offsets[self.labels.index(label)] + position)

    def index_keys(self) -> None:
        """Build the key lookup of every label now rather than at the first :meth:`vertex_id` of each (a server
        does it at start-up so no request pays for it). A dict probe costs well under 1 µs; a pandas 3 string
        ``Index.get_indexer([key])`` ~170 µs per call."""
        for label in self.labels:
            if label not in self._positions:
                self._key_positions(label)

    def _key_positions(self, label: str) -> dict[str, int]:
        i = self.labels.index(label)
        keys = self.vertex_key[self.offsets[i]:self.offsets[i + 1]].tolist()
        positions = {str(k): position for position, k in enumerate(keys)}
        self._positions[label] = positions
        return positions

    def edge_type_of(self, edge: int) -> str:
        return self.edge_types[int(self.edge_type[edge])]


def _arrow_column(table: pa.Table | pd.DataFrame, name: str) -> pa.ChunkedArray:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table[[name]], preserve_index=False)
    return table.column(name)


def _dates(column: pa.ChunkedArray | None, length: int) -> np.ndarray:
    if column is None:
        return np.full(length, np.datetime64("NaT"), dtype="datetime64[D]")
    if not pa.types.is_date(column.type) and not pa.types.is_timestamp(column.type):
        try:
            column = pc.cast(column, pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InvalidInput(f"cannot read {column.type} as a date") from exc
    return np.asarray(column.to_pandas(), dtype="datetime64[D]")


def _positions(keys: pa.ChunkedArray, value_set: pa.Array) -> np.ndarray:
    """Position of each key in ``value_set`` (-1 for null / absent)."""
    found = pc.index_in(pc.cast(keys, pa.string()), value_set=value_set)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def from_edge_tables(
    edges: Sequence[tuple[str, str, str, pa.Table | pd.DataFrame]],
    *,
    nodes: Mapping[str, pa.Table | pd.DataFrame] | None = None,
    date_columns: Mapping[str, str] | None = None,
    node_date_columns: Mapping[str, str] | None = None,
    directed: bool = True,
) -> Projection:
    """Build a projection from in-memory tables.

    ``edges``: ``(rel_type, from_label, to_label, table)`` with columns ``src``, ``dst`` (endpoint keys) and any
    properties; ``date_columns`` maps a rel_type to the column holding its date. ``nodes``: optional
    ``label -> table`` with a ``key`` column (and the column named in ``node_date_columns``) so that vertices
    without edges are present too. Every other edge column becomes an entry of ``edge_properties`` (missing
    where another type lacks it: NaN / None).
    """
    nodes = nodes or {}
    date_columns = date_columns or {}
    node_date_columns = node_date_columns or {}
    labels: list[str] = []
    for _, src_label, dst_label, _table in edges:
        for label in (src_label, dst_label):
            if label not in labels:
                labels.append(label)
    for label in nodes:
        if label not in labels:
            labels.append(label)

    # Keys of each label: node table keys first (stable order), then endpoint keys not in the node table.
    keys_by_label: dict[str, pa.Array] = {}
    for label in labels:
        parts: list[pa.ChunkedArray] = []
        if label in nodes:
            parts.append(pc.cast(_arrow_column(nodes[label], "key"), pa.string()))
        for _, src_label, dst_label, table in edges:
            if src_label == label:
                parts.append(pc.cast(_arrow_column(table, "src"), pa.string()))
            if dst_label == label:
                parts.append(pc.cast(_arrow_column(table, "dst"), pa.string()))
        keys_by_label[label] = distinct_strings(*parts)
    sizes = [len(keys_by_label[label]) for label in labels]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    vertex_key = np.concatenate([np.asarray(keys_by_label[label].to_pylist(), dtype=object) for label in labels]) \
        if labels else np.array([], dtype=object)

    vertex_date = np.full(len(vertex_key), np.datetime64("NaT"), dtype="datetime64[D]")
    for label, column in node_date_columns.items():
        if label not in nodes:
            continue
        i = labels.index(label)
        table_keys = _arrow_column(nodes[label], "key")
        where = _positions(table_keys, keys_by_label[label])
        values = _dates(_arrow_column(nodes[label], column), len(table_keys))
        vertex_date[offsets[i] + where[where >= 0]] = values[where >= 0]

    edge_types = tuple(dict.fromkeys(rel for rel, *_ in edges))
    sources, targets, types, dates = [], [], [], []
    props_per_table: list[tuple[int, dict[str, np.ndarray]]] = []
    for rel, src_label, dst_label, table in edges:
        si, di = labels.index(src_label), labels.index(dst_label)
        src = _positions(_arrow_column(table, "src"), keys_by_label[src_label])
        dst = _positions(_arrow_column(table, "dst"), keys_by_label[dst_label])
        valid = (src >= 0) & (dst >= 0)  # rows with a null endpoint key are not edges
        n = int(valid.sum())
        sources.append(offsets[si] + src[valid])
        targets.append(offsets[di] + dst[valid])
        types.append(np.full(n, edge_types.index(rel), dtype=np.int16))
        date_col = date_columns.get(rel)
        dates.append(_dates(_arrow_column(table, date_col) if date_col else None, len(valid))[valid])
        columns = table.column_names if isinstance(table, pa.Table) else list(table.columns)
        props_per_table.append((n, {
            name: np.asarray(_arrow_column(table, name).to_pandas(), dtype=object)[valid]
            for name in columns if name not in ("src", "dst")}))
    names = list(dict.fromkeys(name for _, table_props in props_per_table for name in table_props))
    edge_properties = {
        name: np.concatenate([table_props.get(name, np.full(n, None, dtype=object))
                              for n, table_props in props_per_table])
        for name in names}

    src_all = np.concatenate(sources) if sources else np.array([], dtype=np.int64)
    dst_all = np.concatenate(targets) if targets else np.array([], dtype=np.int64)
    graph = ig.Graph(n=len(vertex_key), directed=directed)
    if len(src_all):
        graph.add_edges(np.column_stack([src_all, dst_all]))
    return Projection(
        graph=graph,
        labels=tuple(labels),
        offsets=offsets,
        vertex_key=vertex_key,
        edge_types=edge_types,
        edge_type=np.concatenate(types) if types else np.array([], dtype=np.int16),
        edge_date=np.concatenate(dates) if dates else np.array([], dtype="datetime64[D]"),
        vertex_date=vertex_date,
        edge_properties=edge_properties,
    )


def project(
    store: GraphStore,
    edges: Sequence[EdgeSpec | tuple[str, str, str, tuple[str, ...]]],
    *,
    node_labels: Sequence[str] = (),
    node_dates: Mapping[str, str] | None = None,
    directed: bool = True,
) -> Projection:
    """Pull the given relationship types out of a store (``store.edge_list``) into one projection.

    ``node_labels``: labels whose every node is included even without edges (needed where "exists but
    unconnected" must differ from "unknown", e.g. paths). ``node_dates``: ``label -> date property`` read into
    ``vertex_date`` (e.g. ``{"Recovery": "recovery_date"}``).
    """
    specs = [e if isinstance(e, EdgeSpec) else EdgeSpec(e[0], e[1], e[2], tuple(e[3])) for e in edges]
    node_dates = dict(node_dates or {})
    tables: list[tuple[str, str, str, pa.Table | pd.DataFrame]] = []
    date_columns: dict[str, str] = {}
    for spec in specs:
        wanted = tuple(dict.fromkeys((*spec.properties, *([spec.date_property] if spec.date_property else []))))
        tables.append((spec.rel_type, spec.from_label, spec.to_label,
                       store.edge_list(spec.rel_type, spec.from_label, spec.to_label, wanted)))
        if spec.date_property:
            date_columns[spec.rel_type] = spec.date_property
    nodes: dict[str, pa.Table | pd.DataFrame] = {}
    for label in dict.fromkeys((*node_labels, *node_dates)):
        date_prop = node_dates.get(label)
        nodes[label] = store.node_table(label, (date_prop,) if date_prop else ())
    return from_edge_tables(tables, nodes=nodes, date_columns=date_columns, node_date_columns=node_dates,
                            directed=directed)


# --- person–person projection ----------------------------------------------------------------------------------

#: Default weight of one tie in each layer. A joint purchase (same dealer, same day) and a gun passing from its
#: purchaser to the person it was recovered from are direct evidence of acting together; a shared address or a
#: common possessor is weaker (families, dealers' regular customers). A NIBIN link ties two persons through a
#: shooting their guns are linked to, as a common possessor ties them through a person: the same weight (it was 0.5,
#: "ties the guns, not the people"; 1.0 on the sensitivity study's tuning seeds held rings that hide together
#: better in the worst cells, docs/accuracy.md, fourth round).
PERSON_LAYERS: Mapping[str, float] = {
    "shared_address": 1.0,
    "joint_purchase": 2.0,
    "purchaser_possessor": 2.0,
    "common_possessor": 1.0,
    "nibin_link": 1.0,
    "supply_line": 1.0,
    "supply_state": 1.0,
    "recovered_together": 0.5,
    "corridor": 0.5,
    "same_counter": 0.5,
}


@dataclass(frozen=True)
class PersonProjection:
    """An undirected, simple person–person graph whose edges add up ties from several layers.

    ``layer_counts[e, i]`` is the number of ties of layer ``layers[i]`` between the two persons of edge ``e``;
    the edge attribute ``weight`` is ``layer_counts @ layer_weights``.
    """

    graph: ig.Graph
    person_key: np.ndarray
    layers: tuple[str, ...]
    layer_weights: tuple[float, ...]
    layer_counts: np.ndarray
    _positions: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def weight(self) -> np.ndarray:
        return np.asarray(self.layer_counts @ np.asarray(self.layer_weights, dtype=float), dtype=float)

    def vertex_id(self, person_key: str) -> int | None:
        if not self._positions and len(self.person_key):
            self._positions.update({str(k): i for i, k in enumerate(self.person_key.tolist())})
        return self._positions.get(str(person_key))

    def layer_graph(self, layer: str) -> ig.Graph:
        """The same vertex set with only this layer's ties; edge attribute ``weight`` = tie count."""
        column = self.layers.index(layer)
        keep = np.flatnonzero(self.layer_counts[:, column] > 0)
        edges = np.asarray(self.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)[keep]
        graph = ig.Graph(n=self.graph.vcount(), directed=False)
        if len(edges):
            graph.add_edges(edges)
        graph.es["weight"] = self.layer_counts[keep, column].astype(float).tolist()
        return graph


def person_projection(
    tables: Mapping[str, pd.DataFrame],
    *,
    weights: Mapping[str, float] | None = None,
    persons: Sequence[str] = (),
) -> PersonProjection:
    """Combine person–person tie tables into one weighted undirected graph.

    ``tables`` maps a layer name (see :data:`PERSON_LAYERS`) to a DataFrame with columns ``person_a``,
    ``person_b`` (person keys) and optionally ``count`` (ties between the pair in that layer, default 1).
    Pairs are unordered, self-ties are dropped and duplicates summed. ``weights`` overrides the default weight
    per layer; ``persons`` adds persons without ties (and fixes the vertex order: listed persons come first).

    >>> pp = person_projection({"joint_purchase": pd.DataFrame({"person_a": ["a", "b"], "person_b": ["b", "a"]}),
    ...                         "shared_address": pd.DataFrame({"person_a": ["b"], "person_b": ["c"]})})
    >>> pp.graph.ecount(), [float(w) for w in pp.weight]
    (2, [4.0, 1.0])
    """
    layer_weights = dict(PERSON_LAYERS)
    unknown = [name for name in (weights or {}) if name not in tables and name not in PERSON_LAYERS]
    if unknown:
        raise InvalidInput(f"weights given for unknown layers {unknown}")
    layer_weights.update(weights or {})
    layers = tuple(tables)
    for name in layers:
        if name not in layer_weights:
            raise InvalidInput(f"layer {name!r} has no weight; pass weights={{{name!r}: ...}}")
        missing = {"person_a", "person_b"} - set(tables[name].columns)
        if missing:
            raise InvalidInput(f"layer {name!r} lacks columns {sorted(missing)}")

    frames = []
    for i, name in enumerate(layers):
        table = tables[name]
        count = table["count"].to_numpy(dtype=float) if "count" in table.columns else np.ones(len(table))
        frames.append(pd.DataFrame({"a": table["person_a"].astype(object), "b": table["person_b"].astype(object),
                                    "layer": i, "count": count}))
    ties = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["a", "b", "layer", "count"])
    ties = ties.dropna(subset=["a", "b"])
    everything = pd.concat([pd.Series(list(persons), dtype=object), ties["a"], ties["b"]], ignore_index=True)
    codes, uniques = pd.factorize(everything)
    n = len(uniques)
    a = codes[len(persons):len(persons) + len(ties)].astype(np.int64)
    b = codes[len(persons) + len(ties):].astype(np.int64)
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    pair, inverse = np.unique(lo * max(n, 1) + hi, return_inverse=True)
    counts = np.zeros((len(pair), len(layers)), dtype=float)
    np.add.at(counts, (inverse, ties["layer"].to_numpy(dtype=np.int64)[keep]), ties["count"].to_numpy()[keep])

    graph = ig.Graph(n=n, directed=False)
    if len(pair):
        graph.add_edges(np.column_stack([pair // max(n, 1), pair % max(n, 1)]))
    projection = PersonProjection(graph=graph, person_key=np.asarray(uniques, dtype=object), layers=layers,
                                  layer_weights=tuple(float(layer_weights[name]) for name in layers),
                                  layer_counts=counts)
    graph.es["weight"] = projection.weight.tolist()
    return projection
