"""The API's face of the ranked lists (straw review queue, dealer anomalies, networks) and corridors: the shared
services (:mod:`api.services.listing`, :mod:`api.services.corridors`) over the snapshot, released to the caller.

Order and cursor paging: :mod:`api.services.ranking` (score descending, key ascending; a page is a slice of that
one list), the same the CLI prints."""

from __future__ import annotations

from typing import Any

from api.security import Principal
from api.services import listing, reviews
from api.services import models as m
from api.services.port import SnapshotPort
from api.services.release import Release
from api.services.snapshot import ApiContext
from graph.schema import SCHEMA

FLOW_PROPERTIES = frozenset(SCHEMA.relationship("FLOW").property_names)


def _port(context: ApiContext) -> SnapshotPort:
    return SnapshotPort(context.snapshot)


def straw_queue(context: ApiContext, principal: Principal, *, state: str | None, min_score: float | None,
                network_id: str | None, cursor: str | None, limit: int) -> m.StrawPage:
    release = Release(principal)
    answer = listing.straw_queue(_port(context), state=state, min_score=min_score, network_id=network_id,
                                 cursor=cursor, limit=limit)
    items: list[Any] = []
    port = _port(context)
    for item in answer.items:
        shown = release.node("Person", {**item.properties, "indicators": item.indicators})
        if shown is not None and "straw_score" in shown:
            latest = reviews.history(port, item.key)
            shown["last_review"] = reviews.last_review(release, latest[0] if latest else None)
            items.append(m.StrawItem.model_validate(shown))
    return m.StrawPage(items=items, total=answer.total, next_cursor=answer.next_cursor)


def networks(context: ApiContext, principal: Principal, *, everything: bool, min_score: float | None,
             cursor: str | None, limit: int) -> m.NetworkPage:
    """Detected networks by score: by default only those passing the minimum evidence rule (the review list,
    ``algorithms/networks.py``); ``everything`` pages through the full partition."""
    release = Release(principal)
    answer = listing.networks(_port(context), everything=everything, min_score=min_score, cursor=cursor,
                              limit=limit)
    items = [m.NetworkNode.model_validate(shown) for item in answer.items
             if (shown := release.node("Network", item.properties)) is not None]
    return m.NetworkPage(items=items, total=answer.total, next_cursor=answer.next_cursor)


def dealer_anomalies(context: ApiContext, principal: Principal, *, state: str | None, min_score: float | None,
                     cursor: str | None, limit: int) -> m.AnomalyPage:
    release = Release(principal)
    answer = listing.dealer_anomalies(_port(context), state=state, min_score=min_score, cursor=cursor, limit=limit)
    items: list[Any] = []
    for item in answer.items:
        shown = release.node("Dealer", {**item.properties, "indicators": item.indicators})
        if shown is not None and "anomaly_score" in shown:  # scores are AMBER: gone below that clearance
            items.append(m.DealerNode.model_validate(shown))
    return m.AnomalyPage(items=items, total=answer.total, next_cursor=answer.next_cursor)


def corridors(context: ApiContext, principal: Principal, *, into: str | None = None,
              from_places: str | None = None, year: int | None = None, years: str | None = None,
              basis: str | None = None, level: str | None = "state", top: int = 25) -> m.CorridorList:
    """The snapshot's flows through :func:`algorithms.corridor_query.select_corridors` (what the CLI calls too),
    then released to the caller."""
    from algorithms.corridor_query import TREND_TEST, CorridorQuery, empty_answer, parse_places, parse_years, records
    from api.services.corridors import corridors as ask

    query = CorridorQuery(into=parse_places(into, "into"), from_places=parse_places(from_places, "from"),
                          years=parse_years(year, years), basis=basis, level=level, top=top)
    release = Release(principal)
    picked = ask(_port(context), query)

    def released(frame: Any) -> list[m.Corridor]:
        items: list[m.Corridor] = []
        for row in records(frame):
            props = release.relationship("FLOW", {k: v for k, v in row.items() if k in FLOW_PROPERTIES})
            src, dst = release.key("Location", row["src"]), release.key("Location", row["dst"])
            if props is None or src is None or dst is None:
                continue
            items.append(m.Corridor(
                rank=row.get("rank"), src=m.NodeRef(label="Location", key=src),
                dst=m.NodeRef(label="Location", key=dst), src_name=row.get("src_name"),
                dst_name=row.get("dst_name"), year=props.get("year"), level=props.get("level"),
                basis=props.get("basis"), dataset=props.get("dataset"),
                firearms=None if props.get("firearms") is None else int(props["firearms"]),
                expected=props.get("expected"), ratio=row.get("ratio") if "expected" in props else None,
                score=props.get("score"), z=props.get("z"), trend=props.get("trend"),
                trend_slope=props.get("trend_slope"), median_ttc_days=props.get("median_ttc_days")))
        return items

    return m.CorridorList(items=released(picked.ranked), in_state=released(picked.in_state.head(top)),
                          bases=list(picked.bases), scored=picked.scored, total=picked.total,
                          note=empty_answer(picked, query), trend_test=TREND_TEST)
