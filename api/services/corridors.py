"""Corridors into/from some states, years, basis: :func:`algorithms.corridor_query.select_corridors` over the
FLOW rows the port holds (the store under the CLI, the snapshot under ``serve``)."""

from __future__ import annotations

from algorithms.corridor_query import CorridorQuery, CorridorSelection, select_corridors
from api.services.port import ReadPort


def corridors(port: ReadPort, query: CorridorQuery) -> CorridorSelection:
    """The corridors answering ``query``, ranked as the module docstring of ``corridor_query`` says."""
    return select_corridors(port.flows(query.level), query)
