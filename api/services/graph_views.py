"""Graph-shaped answers: a person's neighbourhood and the shortest path between two references.

Both run on the snapshot's path index (``algorithms.paths``: an undirected CSR copy of the trace graph), so
they cost what they visit. The ``IN`` containment hierarchy is not followed (it would join everything in a
state within a few hops)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from algorithms.paths import DEFAULT_EXCLUDED_TYPES, EntityRef, PathNode, resolve
from api.security import Principal
from api.services import models as m
from api.services import path
from api.services.port import SnapshotPort
from api.services.release import Release
from api.services.snapshot import ApiContext, Snapshot
from graph.errors import Forbidden


def _ref(release: Release, label: str, key: str) -> m.NodeRef | None:
    shown = release.key(label, key)
    if shown is None:
        return None
    return m.NodeRef(label=label, key=shown, masked=shown != key)


def neighbourhood(snapshot: Snapshot, release: Release, ref: EntityRef, *, depth: int, limit: int) -> m.Neighbourhood:
    """Everything within ``depth`` relationships of ``ref`` (at most ``limit`` nodes, nearest first)."""
    index = snapshot.paths
    projection = index.projection
    start = resolve(projection, ref)
    excluded = {i for i, name in enumerate(projection.edge_types) if name in DEFAULT_EXCLUDED_TYPES}
    seen = {start: 0}
    frontier = [start]
    edges: set[int] = set()
    truncated = False
    for level in range(1, depth + 1):
        following: list[int] = []
        for vertex in frontier:
            lo, hi = int(index.indptr[vertex]), int(index.indptr[vertex + 1])
            for neighbour, edge in zip(index.neighbour[lo:hi].tolist(), index.edge[lo:hi].tolist(), strict=True):
                if int(projection.edge_type[edge]) in excluded:
                    continue
                if neighbour not in seen:
                    if len(seen) >= limit:
                        truncated = True
                        continue
                    seen[neighbour] = level
                    following.append(neighbour)
                edges.add(edge)
        frontier = following
        if not frontier:
            break
    nodes: dict[int, m.NodeRef] = {}
    withheld = 0
    for vertex in sorted(seen, key=lambda v: (seen[v], v)):
        shown = _ref(release, *projection.key_of(vertex))
        if shown is None:
            withheld += 1
        else:
            nodes[vertex] = shown
    relationships = []
    for edge in sorted(edges):
        a, b = int(index.edge_source[edge]), int(index.edge_target[edge])
        if a in nodes and b in nodes:
            date = projection.edge_date[edge]
            relationships.append(m.Edge(type=projection.edge_type_of(edge), start=nodes[a], end=nodes[b],
                                        date=None if np.isnat(date) else date.astype(object)))
    return m.Neighbourhood(depth=depth, nodes=list(nodes.values()), relationships=relationships,
                           truncated=truncated, withheld=withheld)


def find_path(context: ApiContext, principal: Principal, source: str, target: str, *, max_hops: int,
              types: list[str] | None, since: dt.date | None) -> m.PathOut:
    release = Release(principal)
    result = path.find_path(SnapshotPort(context.snapshot), source, target, max_hops=max_hops, types=types,
                            since=since)

    def shown(node: PathNode) -> m.NodeRef:
        ref = _ref(release, node.label, node.key)
        if ref is None:
            raise Forbidden(f"the path passes through {node.label} objects your clearance does not cover")
        return ref

    nodes = [shown(n) for n in result.nodes]
    relationships = [m.Edge(type=r.type, start=shown(r.start), end=shown(r.end), date=r.date)
                     for r in result.relationships]
    for end in (result.source, result.target):
        shown(PathNode(end.label, end.key))
    return m.PathOut(source=str(release.key(result.source.label, result.source.key)),
                     target=str(release.key(result.target.label, result.target.key)), found=result.found,
                     hops=result.hops, nodes=nodes, relationships=relationships, max_hops=max_hops,
                     types=list(result.params["types"]), since=since)
