"""A firearm's trace chain (sales, purchases, recoveries with possessors, NIBIN links), one function for
``tracegraph firearms chain`` and ``GET /api/v1/firearms/{key}``: :func:`algorithms.chain.chain_from_row` over the
row the port gives (``cypher/firearm_chain.cypher`` on the store; the same row assembled from the snapshot's
relationship indexes under ``serve``, :mod:`api.services.chain_view`). Order: :func:`chain_from_row`."""

from __future__ import annotations

from algorithms.chain import FirearmChain, chain_from_row, firearm_key
from algorithms.paths import EntityRef
from api.services.port import ReadPort
from graph.errors import NotFound


def firearm_chain(port: ReadPort, firearm: str | EntityRef) -> FirearmChain:
    """The chain of ``firearm`` (``firearm:KEY`` or a bare key); NotFound when there is no such firearm."""
    row = port.chain_row(firearm_key(firearm))
    if row is None:
        raise NotFound("no Firearm with that key")
    return chain_from_row(row)
