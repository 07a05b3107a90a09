"""The daily step on a real Neo4j: a small simulated world's history loaded and analysed in full, then its daily
batches loaded as `tracegraph load day` loads them (one transaction, api/services/daily.py) and analysed
incrementally with their alerts (a watched place, a watched partial serial, and the new-lead rules) — the same
loads, the same changed persons, scores, networks and alerts as the embedded store gives for the same days."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from algorithms.analyze import analyze, write_back
from api.cli.demo import LOADS
from api.services import daily, watches
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from graph.store import GraphStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic import simulate
from loaders.synthetic.params import Params, Scale
from loaders.synthetic.stream import BATCH_KINDS, Stream, split
from tests import flow_support
from tests.neo4j_support import Neo4jServer

pytestmark = pytest.mark.neo4j

#: a world small enough to load into Neo4j in seconds, with a few rings (a straw queue and networks to compare)
TINY = Params(scale=Scale("tiny", traces=1_200, dealers=500, serial_batches=1), seed=5)


def _watched(batch: Path) -> list[tuple[str, str]]:
    """A place and a partial serial the batch's first recoveries name (each raises a watched-item alert)."""
    with open(batch / "traces.csv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["recovery_state"] and len(r["serial_number"]) >= 6]
    return [("place", f"state:US-{rows[0]['recovery_state']}"), ("serial", rows[1]["serial_number"][:5] + "*")]


def _days(store: GraphStore, stream: Stream, rejects: Path) -> dict[str, Any]:
    options = LoadOptions(rejects_dir=rejects)
    for kind, name in LOADS:
        run_load(loader_for(kind), store, stream.history / name, options)
    write_back(store, analyze(store, seed=3))
    stale = flow_support.leave_behind(store)  # corridors an earlier analysis left (algorithms/flow_writes.py)
    for kind, value in _watched(stream.batches[-1]):
        watches.add(store, kind, value)
    days = []
    for batch in stream.batches:
        reports = daily.load_files(store, [(kind, batch / name) for kind, name in BATCH_KINDS], options,
                                   one_transaction=True)
        record, why = daily.after_load(store, Settings(), "incremental")
        assert record is not None, why
        days.append({"loaded": [(r.kind, r.read, r.loaded, r.rejected) for r in reports],
                     "summary": {k: v for k, v in record["summary"].items() if isinstance(v, int)},
                     "alerts": record["alerts"]})
    alerts = store.node_table("Alert", ("rule", "subject_key", "watch_id")).to_pylist()
    persons = store.node_table("Person", ("straw_score", "network_id")).to_pylist()
    scored = sorted(((p["key"], round(p["straw_score"], 9)) for p in persons if p["straw_score"]),
                    key=lambda kv: (-kv[1], kv[0]))
    corridors = flow_support.flows(store)
    return {"days": days, "stale": sorted(stale), "stale_left": sorted(flow_support.left(store)),
            "corridors": sorted(flow_support.keys(corridors[corridors["basis"] == "traces"])),
            "alerts": sorted((a["rule"], a["subject_key"], a["watch_id"] or "") for a in alerts),
            "queue": scored[:40], "networks": sorted((p["key"], p["network_id"]) for p in persons if p["network_id"])}


def test_daily_batches_on_neo4j_give_the_embedded_answers(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    simulate("tiny", TINY.seed, tmp_path / "world", params=TINY)
    stream = split(tmp_path / "world", tmp_path / "stream", batches=2, batch_traces=60)
    answers = {}
    with EmbeddedStore(tmp_path / "e.lbug") as embedded, neo4j_server.store() as neo:
        embedded.init_schema()
        for name, store in (("embedded", embedded), ("neo4j", neo)):
            answers[name] = _days(store, stream, tmp_path / f"rejects-{name}")
    assert answers["neo4j"] == answers["embedded"]
    embedded_answer = answers["embedded"]
    assert all(day["alerts"] for day in embedded_answer["days"])  # every day raised alerts, on both stores
    rules = {rule for rule, _subject, _watch in embedded_answer["alerts"]}
    assert {"watched_place", "watched_serial"} <= rules, rules
    assert embedded_answer["queue"] and embedded_answer["networks"]
    # the days' refits deleted the corridors the models no longer hold, on both stores (cypher/flows_of_basis_delete)
    assert embedded_answer["stale"] and not embedded_answer["stale_left"]
