"""Ranked lists with cursor pagination (straw review queue, dealer anomalies) and corridors.

Cursors are opaque to clients: base64url of ``{"s": score, "k": key}`` of the last item served. The next page
starts strictly after that position in the order (score descending, key ascending), so every item is served
exactly once even when pages are requested at different times."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import numpy as np

from api.security import Principal
from api.services import models as m
from api.services.release import Release, indicators
from api.services.snapshot import ApiContext, RankedList
from graph.errors import InvalidInput
from graph.schema import SCHEMA

FLOW_PROPERTIES = frozenset(SCHEMA.relationship("FLOW").property_names)


def encode_cursor(score: float, key: str) -> str:
    raw = json.dumps({"s": score, "k": key}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API issued") from None
    if (not isinstance(value, dict) or not isinstance(value.get("s"), int | float)
            or isinstance(value.get("s"), bool) or not isinstance(value.get("k"), str)):
        raise InvalidInput("cursor is not one this API issued")
    return float(value["s"]), value["k"]


def _page(ranked: RankedList, *, filters: dict[str, str | bool | None], min_score: float | None, cursor: str | None,
          limit: int) -> tuple[list[str], int, str | None]:
    mask = np.ones(len(ranked.keys), dtype=bool)
    for name, wanted in filters.items():
        if wanted is not None:
            mask &= ranked.filters[name] == wanted
    if min_score is not None:
        mask &= ranked.scores >= min_score
    total = int(mask.sum())
    if cursor:
        score, key = decode_cursor(cursor)
        mask &= (ranked.scores < score) | ((ranked.scores == score) & (ranked.keys > key))
    positions = np.flatnonzero(mask)[: limit + 1]
    more = len(positions) > limit
    positions = positions[:limit]
    keys = [str(k) for k in ranked.keys[positions]]
    following = encode_cursor(float(ranked.scores[positions[-1]]), keys[-1]) if more else None
    return keys, total, following


def straw_queue(context: ApiContext, principal: Principal, *, state: str | None, min_score: float | None,
                network_id: str | None, cursor: str | None, limit: int) -> m.StrawPage:
    release = Release(principal)
    snapshot = context.snapshot
    keys, total, following = _page(snapshot.straw, filters={"state": state, "network_id": network_id},
                                   min_score=min_score, cursor=cursor, limit=limit)
    items: list[Any] = []
    for row in snapshot.nodes["Person"].many(keys):
        shown = release.node("Person", {**row, "indicators": indicators(row.get("straw_indicators"))})
        if shown is not None and "straw_score" in shown:
            items.append(m.PersonNode.model_validate(shown))
    return m.StrawPage(items=items, total=total, next_cursor=following)


def networks(context: ApiContext, principal: Principal, *, everything: bool, min_score: float | None,
             cursor: str | None, limit: int) -> m.NetworkPage:
    """Detected networks by score: by default only those passing the minimum evidence rule (the review list,
    ``algorithms/networks.py``); ``everything`` pages through the full partition."""
    release = Release(principal)
    keys, total, following = _page(context.snapshot.networks, filters={"reviewable": None if everything else True},
                                   min_score=min_score, cursor=cursor, limit=limit)
    items = [m.NetworkNode.model_validate(shown) for row in context.snapshot.nodes["Network"].many(keys)
             if (shown := release.node("Network", row)) is not None]
    return m.NetworkPage(items=items, total=total, next_cursor=following)


def dealer_anomalies(context: ApiContext, principal: Principal, *, state: str | None, min_score: float | None,
                     cursor: str | None, limit: int) -> m.AnomalyPage:
    release = Release(principal)
    snapshot = context.snapshot
    keys, total, following = _page(snapshot.anomalies, filters={"state": state}, min_score=min_score,
                                   cursor=cursor, limit=limit)
    items: list[Any] = []
    for row in snapshot.nodes["Dealer"].many(keys):
        shown = release.node("Dealer", {**row, "indicators": indicators(row.get("anomaly_indicators"))})
        if shown is not None and "anomaly_score" in shown:  # scores are AMBER: gone below that clearance
            items.append(m.DealerNode.model_validate(shown))
    return m.AnomalyPage(items=items, total=total, next_cursor=following)


def corridors(context: ApiContext, principal: Principal, *, into: str | None = None,
              from_places: str | None = None, year: int | None = None, years: str | None = None,
              basis: str | None = None, level: str | None = "state", top: int = 25) -> m.CorridorList:
    """The snapshot's flows through :func:`algorithms.corridor_query.select_corridors` (what the CLI calls too),
    then released to the caller."""
    from algorithms.corridor_query import (
        TREND_TEST,
        CorridorQuery,
        empty_answer,
        parse_places,
        parse_years,
        records,
        select_corridors,
    )

    query = CorridorQuery(into=parse_places(into, "into"), from_places=parse_places(from_places, "from"),
                          years=parse_years(year, years), basis=basis, level=level, top=top)
    release = Release(principal)
    snapshot = context.snapshot
    locations = snapshot.nodes["Location"]
    rows = snapshot.flows.to_pylist()
    for row in rows:
        for side in ("src", "dst"):
            place = locations.get(row[side]) or {}
            row[f"{side}_name"], row[f"{side}_state"] = place.get("name"), place.get("state")
    picked = select_corridors(rows, query)

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
