"""The workspace's link chart (issue 19): a node's neighbourhood and the path between two nodes, as the nodes and
edges a graph view draws, released to the caller.

Nodes are named ``<label>:<key>`` in the workspace's words: ``Person``, ``Dealer``, ``Firearm``, ``Network``,
``Trace`` (a Recovery: its key is the trace id) and ``Place`` (a Location). A masked person's key is the caller's
pseudonym for it, and the same pseudonym names it in the next request (expanding a node is the same call on it).

The neighbourhood walks the snapshot's path index (the relationships :data:`algorithms.paths.PATH_EDGES` projects,
without the ``IN`` containment hierarchy) plus ``MEMBER_OF`` (person -- network). It never walks through a node the
caller may not receive: such nodes are counted in ``withheld`` and their edges left out, so a partner learns no
link it cannot see. ``since`` / ``until`` drop dated edges outside the window (undated ones are kept).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from pydantic import Field

from algorithms.paths import DEFAULT_EXCLUDED_TYPES, PathNode
from api.security import Principal
from api.services import path
from api.services.models import Out
from api.services.port import SnapshotPort
from api.services.ranking import parse_indicators
from api.services.release import Release
from api.services.snapshot import ApiContext, Snapshot
from graph.errors import Forbidden, InvalidInput, NotFound

#: workspace label -> schema label
LABELS: dict[str, str] = {"Person": "Person", "Dealer": "Dealer", "Firearm": "Firearm", "Network": "Network",
                          "Trace": "Recovery", "Place": "Location"}
SHOWN: dict[str, str] = {schema: shown for shown, schema in LABELS.items()}
_REFERENCE = {"Person": "person", "Dealer": "dealer", "Firearm": "firearm", "Recovery": "recovery",
              "Location": "location"}
_SCORES = {"Person": "straw_score", "Dealer": "anomaly_score", "Network": "score"}

Node = tuple[str, str]  # (schema label, stored key)


class ChartNode(Out):
    id: str = Field(description="<label>:<key>")
    label: str = Field(description="Person | Dealer | Firearm | Network | Trace | Place")
    key: str = Field(description="the key as released (a masked person's pseudonym)")
    caption: str
    score: float | None = Field(description="straw score (Person), anomaly score (Dealer), network score "
                                            "(Network), else null; null when scores are not released")
    masked: bool = Field(description="personal data removed by the release policy")
    props: dict[str, Any] = Field(description="the node's properties as released")


class ChartEdge(Out):
    id: str
    source: str
    target: str
    type: str
    date: dt.date | None


class LinkChart(Out):
    nodes: list[ChartNode]
    edges: list[ChartEdge]
    truncated: bool = Field(description="more nodes were in reach than the limit")
    withheld: int = Field(0, description="nodes in reach that the caller's clearance does not cover (left out "
                                         "with their edges, and not walked through)")


# --- keys as the caller sees them ---------------------------------------------------------------------------------

def _pseudonyms(snapshot: Snapshot, salt: str) -> dict[str, str]:
    """pseudonym -> person key for one caller's salt (built once per snapshot and salt)."""
    name = f"pseudonyms:{hashlib.sha256(salt.encode()).hexdigest()[:16]}"
    found = snapshot.derived.get(name)
    if found is None:
        from exports.tlp import pseudonym

        with snapshot.derived_lock:
            found = snapshot.derived.get(name)
            if found is None:
                keys = snapshot.nodes["Person"].rows
                found = snapshot.derived[name] = {pseudonym(k, salt): k for k in keys}
    return found


def stored_key(snapshot: Snapshot, release: Release, label: str, key: str) -> str:
    """The stored key of a node named as the caller sees it (404 if there is none the caller may name)."""
    if label == "Person" and not release.full_persons:
        real = _pseudonyms(snapshot, release.principal.pseudonym_salt).get(key)
        if real is None:
            raise NotFound("no Person with that key")
        return real
    if label == "Dealer":
        key = snapshot.licenses.get(key.strip().upper(), key)
    if snapshot.nodes[label].get(key) is None:
        raise NotFound(f"no {SHOWN[label]} with that key")
    return key


def parse_node_id(text: str) -> tuple[str, str]:
    """``Label:key`` -> (schema label, key as given)."""
    shown, sep, key = text.partition(":")
    if not sep or shown not in LABELS or not key.strip():
        raise InvalidInput(f"a node is named <label>:<key> with label one of {', '.join(LABELS)}")
    return LABELS[shown], key.strip()


# --- nodes --------------------------------------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _caption(label: str, props: dict[str, Any], key: str) -> str:
    def joined(*names: str, sep: str = " ") -> str:
        return sep.join(str(props[n]) for n in names if props.get(n) not in (None, ""))

    if label == "Person":
        if props.get("masked"):
            return key
        return joined("last_name", "first_name", sep=", ") or key
    if label == "Dealer":
        name = props.get("business_name") or props.get("license_name") or key
        where = joined("premise_city", "premise_state")
        return f"{name} ({where})" if where else str(name)
    if label == "Firearm":
        return joined("manufacturer", "model", "serial_number") or key
    if label == "Recovery":
        where = joined("recovery_city", "recovery_state")
        return f"trace {key}" + (f" ({where})" if where else "")
    if label == "Location":
        name = props.get("name") or key
        return f"{name}, {props['state']}" if props.get("kind") == "city" and props.get("state") else str(name)
    if label == "Network":
        return f"network {key}" + (f" ({props['size']} members)" if props.get("size") else "")
    return key


def chart_node(snapshot: Snapshot, release: Release, label: str, key: str) -> ChartNode | None:
    """One node as the caller may receive it, or None."""
    stored = snapshot.nodes[label].get(key)
    if stored is None:
        return None
    released = release.node(label, stored)
    if released is None:
        return None
    masked = bool(released.pop("masked", False))
    shown_key = release.key(label, key) or key
    props: dict[str, Any] = {}
    for name, value in released.items():
        if name.endswith("_indicators") and isinstance(value, str):
            value = parse_indicators(value)
        props[name] = _clean(value)
    score = props.get(_SCORES.get(label, ""))
    return ChartNode(id=f"{SHOWN[label]}:{shown_key}", label=SHOWN[label], key=shown_key,
                     caption=_caption(label, {**props, "masked": masked}, shown_key),
                     score=float(score) if isinstance(score, (int, float)) else None, masked=masked, props=props)


# --- the neighbourhood --------------------------------------------------------------------------------------------

def _neighbours(snapshot: Snapshot, node: Node, skip: Callable[[int], bool] | None = None
                ) -> Iterator[tuple[Node | None, str, bool, dt.date | None]]:
    """(neighbour, type, whether ``node`` is the stored source, date) of every relationship at ``node`` the chart
    follows. A projection neighbour ``skip`` says the chart cannot take (it is full, and the vertex is not in it) is
    yielded as None without being looked up: a hub's hundred thousand edges then cost integer probes."""
    label, key = node
    if label == "Network":
        for person in snapshot.members_of.get(key, []):
            yield ("Person", person), "MEMBER_OF", False, None
        return
    if label == "Person" and key in snapshot.network_of:
        yield ("Network", snapshot.network_of[key]), "MEMBER_OF", True, None
    index = snapshot.paths
    projection = index.projection
    vertex = projection.vertex_id(label, key)
    if vertex is None:
        return
    excluded = {i for i, name in enumerate(projection.edge_types) if name in DEFAULT_EXCLUDED_TYPES}
    lo, hi = int(index.indptr[vertex]), int(index.indptr[vertex + 1])
    for neighbour, edge in zip(index.neighbour[lo:hi].tolist(), index.edge[lo:hi].tolist(), strict=True):
        type_index = int(projection.edge_type[edge])
        if type_index in excluded:
            continue
        date = projection.edge_date[edge]
        day = None if np.isnat(date) else date.astype(object)
        other = None if skip is not None and skip(neighbour) else projection.key_of(neighbour)
        yield other, projection.edge_types[type_index], int(index.edge_source[edge]) == vertex, day


def _in_window(date: dt.date | None, since: dt.date | None, until: dt.date | None) -> bool:
    if date is None:
        return True
    return (since is None or date >= since) and (until is None or date <= until)


class _Chart:
    """Nodes and edges collected in order, each once; edge ids stable across calls."""

    def __init__(self, snapshot: Snapshot, release: Release) -> None:
        self.snapshot = snapshot
        self.release = release
        self.nodes: dict[Node, ChartNode] = {}
        self.hidden: set[Node] = set()
        self.vertices: set[int] = set()  # projection vertices of the nodes admitted
        self.edges: dict[tuple[str, str, str, dt.date | None], ChartEdge] = {}

    def admit(self, node: Node) -> ChartNode | None:
        if node in self.nodes:
            return self.nodes[node]
        if node in self.hidden:
            return None
        shown = chart_node(self.snapshot, self.release, *node)
        if shown is None:
            self.hidden.add(node)
            return None
        self.nodes[node] = shown
        vertex = self.snapshot.paths.projection.vertex_id(*node)
        if vertex is not None:
            self.vertices.add(vertex)
        return shown

    def link(self, rel_type: str, source: Node, target: Node, date: dt.date | None) -> None:
        a, b = self.nodes.get(source), self.nodes.get(target)
        if a is None or b is None:
            return
        identity = (rel_type, a.id, b.id, date)
        if identity not in self.edges:
            edge_id = f"{a.id}|{rel_type}|{b.id}" + (f"|{date.isoformat()}" if date else "")
            self.edges[identity] = ChartEdge(id=edge_id, source=a.id, target=b.id, type=rel_type, date=date)

    def result(self, truncated: bool) -> LinkChart:
        return LinkChart(nodes=list(self.nodes.values()), edges=list(self.edges.values()), truncated=truncated,
                         withheld=len(self.hidden))


def neighbourhood(context: ApiContext, principal: Principal, label: str, key: str, *, depth: int = 1,
                  limit: int = 300, since: dt.date | None = None, until: dt.date | None = None) -> LinkChart:
    """Everything within ``depth`` relationships of the node (at most ``limit`` nodes, nearest first)."""
    if since is not None and until is not None and until < since:
        raise InvalidInput("until is before since")
    snapshot = context.snapshot
    release = Release(principal)
    schema_label = LABELS[label]
    if not release.visible(schema_label):
        raise Forbidden(f"{label} objects are not released at your clearance (TLP ceiling "
                        f"{release.clearance.ceiling})")
    start: Node = (schema_label, stored_key(snapshot, release, schema_label, key))
    chart = _Chart(snapshot, release)
    if chart.admit(start) is None:
        raise Forbidden(f"this {label} is not released at your clearance")
    frontier = [start]
    truncated = False

    def full(vertex: int) -> bool:
        return len(chart.nodes) >= limit and vertex not in chart.vertices

    for _ in range(depth):
        following: list[Node] = []
        for node in frontier:
            for other, rel_type, forward, date in _neighbours(snapshot, node, full):
                if not _in_window(date, since, until):
                    continue
                if other is None:  # the chart is full and this neighbour is not in it
                    truncated = True
                    continue
                if other not in chart.nodes:
                    if other in chart.hidden:
                        continue
                    if len(chart.nodes) >= limit:
                        truncated = True
                        continue
                    if chart.admit(other) is None:
                        continue
                    following.append(other)
                chart.link(rel_type, *((node, other) if forward else (other, node)), date)
        frontier = following
        if not frontier:
            break
    return chart.result(truncated)


def find_path(context: ApiContext, principal: Principal, source: str, target: str, *,
              max_hops: int) -> LinkChart:
    """The shortest path (the existing path service, :func:`api.services.path.find_path`) as chart nodes and edges;
    404 when there is none within ``max_hops``, 403 when it passes through what the caller may not receive."""
    snapshot = context.snapshot
    release = Release(principal)
    ends = []
    for text in (source, target):
        label, key = parse_node_id(text)
        if label == "Network":
            raise InvalidInput("paths run between persons, dealers, firearms, traces and places, not networks")
        if not release.visible(label):
            raise Forbidden(f"{SHOWN[label]} objects are not released at your clearance")
        ends.append(f"{_REFERENCE[label]}:{stored_key(snapshot, release, label, key)}")
    result = path.find_path(SnapshotPort(snapshot), ends[0], ends[1], max_hops=max_hops)
    if not result.found:
        raise NotFound(f"no path of at most {max_hops} relationships between these two")
    chart = _Chart(snapshot, release)

    def admit(node: PathNode) -> None:
        if chart.admit((node.label, node.key)) is None:
            raise Forbidden(f"the path passes through {SHOWN.get(node.label, node.label)} objects your clearance "
                            "does not cover")

    for node in result.nodes:
        admit(node)
    for relationship in result.relationships:
        chart.link(relationship.type, (relationship.start.label, relationship.start.key),
                   (relationship.end.label, relationship.end.key), relationship.date)
    return chart.result(False)
