"""Trace corridors an earlier analysis left behind, put into a store for the tests of algorithms/flow_writes.py
(tests/analytics/test_flow_writes.py, tests/neo4j/test_daily_neo4j.py)."""

from __future__ import annotations

import pandas as pd

from algorithms.flow_writes import TRACES
from graph.store import GraphStore

#: the count and score the left-behind corridors are given (a fit gives no such score)
COUNT, SCORE = 3, 9.5
FLOW = ("year", "level", "basis", "firearms", "score")
Key = tuple[str, str, int, str]


def flows(store: GraphStore) -> pd.DataFrame:
    return store.edge_list("FLOW", "Location", "Location", FLOW).to_pandas()


def keys(frame: pd.DataFrame) -> set[Key]:
    return set(zip(frame["src"], frame["dst"], frame["year"].astype(int), frame["basis"], strict=True))


def leave_behind(store: GraphStore) -> set[Key]:
    """For each level the store's trace corridors have, one corridor between two of that level's places that no
    corridor joins, in the level's last year, with :data:`COUNT` and :data:`SCORE` (as a corridor of a place that
    left the level's modelled set stays after an upsert); returns their keys."""
    ours = flows(store)
    ours = ours[ours["basis"] == TRACES]
    rows = []
    for level in sorted(set(ours["level"])):
        at = ours[ours["level"] == level]
        places = sorted(set(at["src"]) | set(at["dst"]))
        held = set(zip(at["src"], at["dst"], strict=True))
        pair = next(((a, b) for a in places for b in places if a != b and (a, b) not in held), None)
        if pair is not None:
            rows.append({"from_key": pair[0], "to_key": pair[1], "year": int(at["year"].max()), "level": level,
                         "basis": TRACES, "firearms": COUNT, "score": SCORE, "expected": 0.4})
    assert rows, "the store has trace corridors with two places not joined"
    store.upsert_relationships("FLOW", "Location", "Location", pd.DataFrame(rows))
    return {(r["from_key"], r["to_key"], r["year"], TRACES) for r in rows}


def left(store: GraphStore) -> set[Key]:
    """The stored corridors with the left-behind count and score."""
    found = flows(store)
    return keys(found[(found["firearms"] == COUNT) & (found["score"] == SCORE)])
