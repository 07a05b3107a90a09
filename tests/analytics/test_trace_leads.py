"""The trace lane's new-lead rules compare this run's scores with what the store held before its write back: a
corridor or dealer that was already significant raises nothing, one that was not (or was not stored) raises one
alert naming its previous score; the stored scores are taken from the dealer stage's read only while no Dealer was
written since."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from algorithms import alerts, dealer_counts
from algorithms.corridors import Corridors
from algorithms.dealers import DealerScores
from graph.embedded_store import EmbeddedStore

STATES = ("TX", "OK", "IL", "NY")


def _store(path: Path) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.init_schema()
    store.upsert_nodes("Location", [{"location_key": f"state:US-{s}", "kind": "state", "state": s} for s in STATES])
    # stored state-level trace corridors: TX>IL significant in 2021, OK>IL not, TX>NY stored without a score; a
    # city-level flow and a table basis flow between the same places with high scores, which do not count
    flows = [("TX", "IL", 2021, "state", "traces", 0.4), ("OK", "IL", 2021, "state", "traces", -0.2),
             ("TX", "NY", 2021, "state", "traces", None), ("OK", "NY", 2021, "state", "atf_table", 0.9),
             ("OK", "IL", 2022, "city", "traces", 0.9)]
    store.upsert_relationships("FLOW", "Location", "Location", pd.DataFrame({
        "from_key": [f"state:US-{f[0]}" for f in flows], "to_key": [f"state:US-{f[1]}" for f in flows],
        "year": [f[2] for f in flows], "level": [f[3] for f in flows], "basis": [f[4] for f in flows],
        "firearms": 3, "score": [f[5] for f in flows]}))
    store.upsert_nodes("Dealer", [{"dealer_key": k, "license_number": k, "anomaly_score": s, "trace_count": 2}
                                  for k, s in (("D1", 0.5), ("D2", -1.0), ("D3", None))])
    return store


def _corridors(rows: list[tuple[str, str, int, float]]) -> dict[str, Corridors]:
    table = pd.DataFrame({"src": [f"state:US-{r[0]}" for r in rows], "dst": [f"state:US-{r[1]}" for r in rows],
                          "year": [r[2] for r in rows], "firearms": 5, "expected": 1.5, "score": [r[3] for r in rows]})
    return {"traces/state": Corridors(table=table, models=(), dropped_rows=0, params={})}


def _dealers(store: EmbeddedStore, scores: dict[str, float]) -> DealerScores:
    _nodes, _per, stored = dealer_counts.stored_rows(store)
    table = pd.DataFrame({"dealer_key": list(scores), "traces": 4, "expected": 1.0, "stopped": 0,
                          "stopped_expected": 0.5, "score": list(scores.values())})
    return DealerScores(table=table, parameters={}, stored=stored)


def test_a_corridor_raises_only_when_it_was_not_significant_before(tmp_path: Path) -> None:
    with _store(tmp_path / "s.lbug") as store:
        found = alerts.trace_leads(store, None, _corridors([
            ("TX", "IL", 2021, 0.6),    # significant before: nothing
            ("OK", "IL", 2021, 0.3),    # below before: raised, previous -0.2
            ("TX", "NY", 2021, 0.2),    # stored without a score: raised, previous None
            ("OK", "NY", 2021, 0.2),    # stored at another basis only: raised, previous None
            ("TX", "IL", 2022, 0.1),    # another year: raised
            ("TX", "TX", 2021, 0.9),    # the same place: never
            ("IL", "TX", 2021, -0.5)]))  # not significant now: nothing
    got = {a["subject_key"] + f"@{json.loads(a['evidence'])['year']}": json.loads(a["evidence"])["previous"]
           for a in found}
    assert got == {"state:US-OK>state:US-IL@2021": -0.2, "state:US-TX>state:US-NY@2021": None,
                   "state:US-OK>state:US-NY@2021": None, "state:US-TX>state:US-IL@2022": None}
    assert {a["rule"] for a in found} == {"corridor_significant"}


def _previous(found: list[dict[str, Any]]) -> dict[str, float | None]:
    return {a["subject_key"]: json.loads(a["evidence"])["previous"] for a in found}


def test_a_dealer_raises_against_its_stored_score_read_again_after_a_dealer_write(tmp_path: Path) -> None:
    with _store(tmp_path / "d.lbug") as store:
        dealers = _dealers(store, {"D1": 0.7, "D2": 0.2, "D3": 0.1, "D4": -0.3})
        first = _previous(alerts.trace_leads(store, dealers, {}))
        assert first == {"D2": -1.0, "D3": None}
        # a Dealer written after the stage read its rows: those rows are stale, the store is read instead
        store.upsert_nodes("Dealer", [{"dealer_key": "D1", "anomaly_score": -2.0}])
        again = _previous(alerts.trace_leads(store, dealers, {}))
        assert again == {"D1": -2.0, "D2": -1.0, "D3": None}
