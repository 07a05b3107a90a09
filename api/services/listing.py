"""The ranked lists both surfaces show, one function each: the straw-purchaser review queue, dealers by anomaly
score, detected networks. Order, ranks and paging: :mod:`api.services.ranking`; rows: :class:`ReadPort`.

``tracegraph straw --top N`` is ``straw_queue(StorePort(store), limit=N)``; ``GET /api/v1/straw-queue?limit=N``
is ``straw_queue(SnapshotPort(snapshot), limit=N)`` released to the caller. Same for ``dealers`` /
``/dealer-anomalies`` and ``communities`` / ``/networks``.
"""

from __future__ import annotations

from api.services.port import LISTS, ListName, ReadPort
from api.services.ranking import Listed, ListPage, page, parse_indicators


def _listed(port: ReadPort, name: ListName, *, filters: dict[str, str | bool | None], min_score: float | None,
            cursor: str | None, limit: int | None, indicators: str | None) -> ListPage:
    ranked = port.ranked(name)
    found = page(ranked, filters=filters, min_score=min_score, cursor=cursor, limit=limit)
    key = LISTS[name][1]
    details = {str(row[key]): row for row in port.details(name, found.keys)}
    items = [Listed(rank=int(position) + 1, key=k, score=float(ranked.scores[position]),
                    indicators=parse_indicators(details[k].get(indicators)) if indicators else None,
                    properties=details[k])
             for position, k in zip(found.positions, found.keys, strict=True) if k in details]
    return ListPage(items=items, total=found.total, next_cursor=found.next_cursor)


def straw_queue(port: ReadPort, *, state: str | None = None, min_score: float | None = None,
                network_id: str | None = None, cursor: str | None = None, limit: int | None = 50) -> ListPage:
    """Persons by straw score (highest first, then person_key); ``network_id`` filters on MEMBER_OF."""
    return _listed(port, "straw", filters={"state": state, "network_id": network_id}, min_score=min_score,
                   cursor=cursor, limit=limit, indicators="straw_indicators")


def dealer_anomalies(port: ReadPort, *, state: str | None = None, min_score: float | None = None,
                     cursor: str | None = None, limit: int | None = 50) -> ListPage:
    """Dealers by anomaly score (highest first, then dealer_key); ``state`` is the premises state."""
    return _listed(port, "anomalies", filters={"state": state}, min_score=min_score, cursor=cursor, limit=limit,
                   indicators="anomaly_indicators")


def networks(port: ReadPort, *, everything: bool = False, min_score: float | None = None, cursor: str | None = None,
             limit: int | None = 50) -> ListPage:
    """Detected networks by score (highest first, then network_id): by default only those passing the minimum
    evidence rule (the review list, ``algorithms/networks.py``), ``everything`` for the full partition."""
    return _listed(port, "networks", filters={"reviewable": None if everything else True}, min_score=min_score,
                   cursor=cursor, limit=limit, indicators=None)
