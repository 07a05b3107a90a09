"""The shortest path between two entity references, one function for ``tracegraph path`` and
``GET /api/v1/paths``: :func:`algorithms.paths.shortest_path` over the port's path index (built from the store
for the CLI, kept in the snapshot under ``serve``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from algorithms.paths import PathResult, shortest_path
from api.services.port import ReadPort

DEFAULT_MAX_HOPS = 6  # one default for the CLI's `path` and GET /paths


def find_path(port: ReadPort, source: str, target: str, *, max_hops: int = DEFAULT_MAX_HOPS,
              types: Iterable[str] | None = None, since: dt.date | None = None) -> PathResult:
    """Fewest hops from ``source`` to ``target`` (``person:KEY``, ``dealer:LICENSE``, ...), following ``types``
    (default: every type but the excluded ones, :data:`algorithms.paths.DEFAULT_EXCLUDED_TYPES`), ignoring what
    is dated before ``since``; ties go to the path :func:`shortest_path` documents."""
    wanted = frozenset(t.strip().upper() for t in types or () if t.strip()) or None
    return shortest_path(port.path_index(), source, target, max_hops=max_hops, types=wanted, since=since)
