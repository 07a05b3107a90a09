"""One small simulated world loaded into both stores: every answer the product gives must be the same on Neo4j.

The world is simulated once (``tracegraph simulate --scale small``), every input kind is loaded through the loaders
into the embedded store and into the session's Neo4j server, ``analyze`` writes back into each with the same seed,
then the commands, every Cypher statement in the registry, the exports, the reports and the HTTP API run against
both and their answers are compared: equal rankings and counts, values equal to float precision.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from api.cli.demo import LOADS
from cypher import registry
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput
from graph.neo4j_store import Neo4jStore
from graph.store import GraphStore
from loaders.entities import block_keys
from tests.neo4j_support import Neo4jServer
from tests.worlds import simulated

pytestmark = pytest.mark.neo4j

SEED = 3


@dataclass
class Twins:
    root: Path
    lbug: Path
    server: Neo4jServer
    loads: dict[str, list[tuple[str, int, int, int]]]  # backend -> (kind, read, loaded, rejected) per file
    summaries: dict[str, dict[str, Any]]
    results: dict[str, Any]  # backend -> the AnalysisResult written back (the GDS test writes Neo4j's back again)

    def env(self, backend: str) -> dict[str, str]:
        if backend == "neo4j":  # the db path only places the installation's files (the export salt) beside it
            return {**self.server.env(), "TRACEGRAPH_DB": str(self.lbug)}
        return {"TRACEGRAPH_STORE": "embedded", "TRACEGRAPH_DB": str(self.lbug)}

    def open(self, backend: str) -> GraphStore:
        if backend == "neo4j":
            return Neo4jStore(self.server.uri, self.server.user, self.server.password)
        return EmbeddedStore(self.lbug)

    def cli(self, backend: str, *args: str) -> str:
        result = CliRunner().invoke(app, list(args), env=self.env(backend))
        assert result.exit_code == 0, (backend, args, result.output[-2000:], result.exception)
        return result.stdout


def _load_and_analyze(store: GraphStore, inputs: Path, rejects: Path) -> tuple[list[tuple[str, int, int, int]],
                                                                                Any]:
    from algorithms.analyze import analyze, write_back
    from api.services.store_file import checkpoint
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for

    store.init_schema()
    reports = []
    for kind, name in LOADS:
        report = run_load(loader_for(kind), store, inputs / name, LoadOptions(rejects_dir=rejects))
        reports.append((kind, report.read, report.loaded, report.rejected))
    result = analyze(store, seed=SEED)
    write_back(store, result, started_at=datetime(2026, 1, 1, tzinfo=UTC))
    checkpoint(store)  # as a full `tracegraph analyze` ends; else every embedded open replayed the whole load's log
    return reports, result


@pytest.fixture(scope="module")
def twins(neo4j_server: Neo4jServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    root = tmp_path_factory.mktemp("twins")
    inputs = simulated(tmp_path_factory, "small", SEED)  # the session's `tracegraph simulate --scale small --seed 3`
    loads, results = {}, {}
    with EmbeddedStore(root / "graph.lbug") as embedded:
        loads["embedded"], results["embedded"] = _load_and_analyze(embedded, inputs, root / "rej-e")
    with neo4j_server.store() as neo:
        loads["neo4j"], results["neo4j"] = _load_and_analyze(neo, inputs, root / "rej-n")
    yield Twins(root, root / "graph.lbug", neo4j_server, loads,
                {name: dict(result.summary) for name, result in results.items()}, results)


def both(twins: Twins, func: Any) -> tuple[Any, Any]:
    out = []
    for backend in ("embedded", "neo4j"):
        with twins.open(backend) as store:
            out.append(func(store))
    return out[0], out[1]


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal, with floats equal to 1e-9 relative (sums in a different order may differ in the last bits)."""
    if (isinstance(a, float) and isinstance(b, float | int)) or (isinstance(b, float) and isinstance(a, int)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            if key != "timings":  # wall-clock seconds of each analysis step
                same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), f"{where}: {len(a)} rows != {len(b)} rows"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, str) and isinstance(b, str) and a[:1] in "[{" and a != b:
        try:
            same(json.loads(a), json.loads(b), where)
        except json.JSONDecodeError:
            assert a == b, f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# --- loads and analysis ---------------------------------------------------------------------------------------

def test_every_input_kind_loads_the_same_rows_and_graph(twins: Twins) -> None:
    assert twins.loads["embedded"] == twins.loads["neo4j"]
    assert {kind for kind, *_ in twins.loads["neo4j"]} == {kind for kind, _ in LOADS}
    assert all(loaded > 0 for _, _, loaded, _ in twins.loads["neo4j"])
    embedded, neo = both(twins, lambda s: s.counts())
    assert embedded == neo
    assert neo["nodes"]["Recovery"] > 1000 and neo["relationships"]["FLOW"] > 0


def test_analysis_finds_the_same_networks_and_scores(twins: Twins) -> None:
    same(twins.summaries["embedded"], twins.summaries["neo4j"], "summary")
    embedded, neo = both(twins, lambda s: sorted(s.node_table("Person", ("straw_score", "network_id", "pagerank"))
                                                 .to_pylist(), key=lambda r: r["key"]))
    same(embedded, neo, "persons")


# --- every statement in the registry ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def params(twins: Twins) -> dict[str, Any]:
    """A value for every $parameter the registry's statements take, chosen so that each returns rows."""
    with twins.open("embedded") as store:
        nets = store._execute("MATCH (n:Network) RETURN n.network_id AS id ORDER BY n.size DESC, id LIMIT 1").rows()
        chain = store._execute("MATCH (f:Firearm)-[:RECOVERED_IN]->(r:Recovery) MATCH (p:Person)-[:PURCHASED]->(f) "
                               "RETURN f.firearm_key AS fk, f.serial_number AS s, p.last_name AS n, r.trace_id AS t, "
                               "p.person_key AS pk "
                               "ORDER BY fk LIMIT 1").rows()[0]
        dealer = store._execute("MATCH (d:Dealer) WHERE d.anomaly_score IS NOT NULL RETURN d.license_number AS l, "
                                "d.premise_state AS s ORDER BY d.anomaly_score DESC, l LIMIT 1").rows()[0]
        runs = store._execute("MATCH (r:AnalysisRun) RETURN r.run_id AS r").arrow().column(0).to_pylist()
        cells = store._execute("MATCH (c:CorridorCell) RETURN c.cell_id AS id ORDER BY id LIMIT 5").arrow().column(
            0).to_pylist()
        loads = store._execute("MATCH (r:LoadRun) RETURN r.run_id AS r").arrow().column(0).to_pylist()
        blocks = store._execute("MATCH (p:Person) WHERE p.block_dob <> '' AND p.block_street <> '' "
                                "RETURN p.block_dob AS d, p.block_street AS s ORDER BY p.person_key LIMIT 3").rows()
        sale = store._execute("MATCH (x:Dealer)-[:SOLD]->(f:Firearm)<-[u:PURCHASED]-(p:Person) "
                              "MATCH (f)-[:RECOVERED_IN]->(:Recovery)-[:AT]->(l:Location) WHERE l.kind = 'city' "
                              "AND p.address_key <> '' RETURN x.dealer_key AS d, u.purchase_date AS day, "
                              "l.location_key AS city, p.address_key AS address ORDER BY d, day LIMIT 1").rows()[0]
        groups = store._execute("MATCH (s:SerialGroup) RETURN s.group_key AS g ORDER BY s.size DESC, g LIMIT 3"
                                ).arrow().column(0).to_pylist()
        numbers = store._execute("MATCH (:Firearm)-[r:IN_GROUP]->(s:SerialGroup) WHERE s.group_key IN $groups "
                                 "RETURN DISTINCT r.number AS n ORDER BY n LIMIT 5", {"groups": groups}
                                 ).arrow().column(0).to_pylist()
        big = store._execute("MATCH (s:StrawGroup) RETURN s.group_id AS g ORDER BY g LIMIT 2").arrow().column(
            0).to_pylist()
        assert big  # the full analysis stored the straw groups too big to tie (algorithms/straw_groups.py)
        msr = store._execute("MATCH (p:Person)-[u:PURCHASED]->(f:Firearm) WHERE u.source = 'multiple_sales' "
                             "RETURN u.sale_id AS s, f.firearm_key AS f, p.person_key AS p ORDER BY s LIMIT 1"
                             ).rows()[0]
        lead = store._execute("MATCH (a:Recovery)-[n:NIBIN_LINK]->(b:Recovery) RETURN n.lead_id AS l, "
                              "a.trace_id AS a, b.trace_id AS b ORDER BY l LIMIT 1").rows()[0]
        inspection = store._execute("MATCH (:Dealer)-[:INSPECTED]->(n:Inspection) RETURN n.inspection_id AS i "
                                    "ORDER BY i LIMIT 1").rows()[0]["i"]
        theft = store._execute("MATCH (t:TheftReport) RETURN t.report_id AS r ORDER BY r LIMIT 2").arrow().column(
            0).to_pylist()
        # a recovered gun reported stolen (the stolen hits a load's own transaction wrote: algorithms/stolen_hits.py)
        hits = store._execute("MATCH (r:Recovery)<-[:RECOVERED_IN]-(f:Firearm)-[:REPORTED_STOLEN]->(t:TheftReport) "
                              "RETURN r.trace_id AS trace_id, f.firearm_key AS firearm_key, t.report_id AS report_id "
                              "ORDER BY trace_id, report_id LIMIT 2").rows()
        assert hits  # the twins' world holds stolen guns recovered (else the comparison below reads nothing)
    return {"limit": 25, "level": "state", "source": "traces", "basis": "traces", "year": -1, "kind": "state",
            "run_ids": runs,
            "case_id": "case-1", "key": chain["fk"], "evidence_id": "ev-1", "firearm_key": chain["fk"],
            "network_id": nets[0]["id"], "state": dealer["s"], "license": dealer["l"], "serial": chain["s"],
            "name": chain["n"], "last": str(chain["n"]).upper(), "n": 25, "nodes": [], "trace_id": chain["t"],
            "surnames": [str(chain["n"]).upper()], "keys": [chain["t"], chain["fk"], chain["pk"], sale["d"],
                                                                 sale["city"], sale["address"], nets[0]["id"],
                                                                 *big, "no-such-trace"],
            "person_key": chain["pk"], "cell_ids": [*cells, "no-such-cell"], "runs": loads,
            "run": loads[0],  # a stored load run (graph/run_keys.py: whether a run is in the store already)
            # the straw neighbourhood's statements (cypher/straw_*.cypher) take $keys of their own start label
            "dealers": [{"dealer": sale["d"], "days": [sale["day"]]}], "quick_days": 1095,
            "dob_blocks": [blocks[0]["d"], "NOBODY|1"], "street_blocks": [b["s"] for b in blocks[1:]],
            "person_keys": [chain["pk"], "no-such-person"],
            "blocks": block_keys([blocks[0]["d"], "NOBODY|1"], [b["s"] for b in blocks[1:]]),
            # the dealer counts, serial groups and alert outbox (algorithms/dealer_counts.py, serial_groups.py,
            # api/services/outbox.py)
            "dealer_keys": [sale["d"], "no-such-dealer"], "groups": [*groups, "no-such-group"], "group_key": groups[0],
            "numbers": [*numbers, -1.0],  # serial-group members' numbers (IN_GROUP.number)
            "traces": [chain["t"], "no-such-trace"], "now": datetime(2026, 6, 1),
            "ids": [chain["t"], "no-such-trace"],  # the stored versions of re-loaded trace records
            # ... and of re-loaded multiple-sale rows, NIBIN leads and lost/stolen reports (loaders/corrections.py)
            "firearms": [msr["f"], chain["fk"]], "sale_ids": [msr["s"], "msr:no-such-report:X"],
            "persons": [msr["p"], "no-such-person"],
            "lead_traces": [lead["b"], "no-such-trace"], "lead_ids": [lead["l"], "no-such-lead"],
            "report_ids": [*theft, "no-such-report"],
            "rows": [*hits, {"trace_id": "no-such-trace", "firearm_key": chain["fk"], "report_id": theft[0]}],
            "inspection_ids": [inspection, "no-such-inspection"]}


def _rows(result: Any) -> list[dict[str, Any]]:
    return result.rows()


def _canonical(rows: list[dict[str, Any]], root: Path) -> list[dict[str, Any]]:
    """Rows as comparable values: the wall-clock times of the two loads and the two stores' rejects folders
    masked, lists inside a row compared as sets."""
    return [{k: _plain(v, str(root)) for k, v in row.items()} for row in rows]


_STARTED = datetime.now()


def _plain(value: Any, root: str) -> Any:
    if isinstance(value, datetime) and abs((value.replace(tzinfo=None) - _STARTED).total_seconds()) < 86_400:
        return "<load time>"
    if isinstance(value, str) and root in value:
        return re.sub(r"rej-[en]", "rej", value.replace(root, "<root>"))
    if isinstance(value, list):
        items = [_plain(v, root) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, dict):
        # timings: wall-clock seconds of each step; date_added: when each load wrote the node (its version stamp)
        return {k: "<load time>" if k == "date_added" and v else _plain(v, root)
                for k, v in value.items() if k != "timings"}
    return value


# Written by analyze's write-back and `firearms batches` on both stores above (their results are compared there).
_WRITES = {"networks_clear", "persons_network_clear", "firearms_batches_clear", "corridor_cells_clear",
           "straw_groups_clear",
           # the retention purge: run on both stores, results compared, in tests/neo4j/test_retention_neo4j.py
           "retention_unlink_sales", "retention_delete_persons", "retention_lapse_subjects",
           "retention_delete_reviews",
           # a corrected trace record's earlier relationships: tests/neo4j/test_trace_corrections_neo4j.py
           "trace_drop_purchases", "trace_drop_recovered_in", "trace_drop_possessors", "trace_drop_places",
           # ... and of a corrected multiple-sale row, NIBIN lead and lost/stolen report:
           # tests/neo4j/test_record_corrections_neo4j.py
           "sale_drop_sold", "nibin_drop_links", "theft_drop_guns", "theft_drop_reporters", "theft_unflag",
           "dealer_drop_places", "inspection_drop_dealers", "inspection_drop_violations",
           # ... each bound at its other end too (loaders/corrections.TWINS; the same tests)
           "trace_drop_purchases_at_person", "sale_drop_sold_at_gun", "nibin_drop_links_at_to",
           "theft_drop_guns_at_report", "theft_drop_reporters_at_report", "trace_drop_possessors_at_person",
           "trace_drop_recovered_in_at_recovery",
           # the trace corridors deleted before a refit writes its own: tests/neo4j/test_daily_neo4j.py
           "flows_of_basis_delete"}
_BY_LOAD_TIME = {"load_runs"}  # ordered by when each file was loaded: the two loads ran at different times
# where each node is stored: the embedded store's node offsets, Neo4j's none (algorithms/store_order.py)
_STORE_PLACES = {"persons_in_store_order", "person_places"}


def _shared_names() -> list[str]:
    """Statements both stores have (Bloom's and Graph Data Science's exist only in Neo4j's dialect)."""
    reg = registry()
    return [n for n in reg.names() if not n.startswith(("bloom_", "gds_")) and n not in _WRITES]


@pytest.mark.parametrize("name", _shared_names())
def test_every_statement_answers_the_same_on_both_stores(twins: Twins, params: dict[str, Any], name: str) -> None:
    text = registry().get(name, "neo4j")
    wanted = {p: params[p] for p in set(re.findall(r"\$(\w+)", text))}
    embedded, neo = both(twins, lambda s: _canonical(_rows(s.query(name, wanted)), twins.root))
    if name in _STORE_PLACES:
        embedded, neo = ([{k: v for k, v in row.items() if k != "place"} for row in rows] for rows in (embedded, neo))
    ordered = "ORDER BY" in text.upper() and name not in _BY_LOAD_TIME
    if not ordered:
        key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
        embedded, neo = sorted(embedded, key=key), sorted(neo, key=key)
    same(embedded, neo, name)


def test_bloom_statements_run_on_neo4j(twins: Twins, params: dict[str, Any]) -> None:
    """The Bloom search phrases and scene actions exist only in Neo4j's dialect; each runs."""
    names = [n for n in registry().names() if n.startswith("bloom_")]
    assert len(names) >= 10
    import neo4j

    answered = 0
    with neo4j.GraphDatabase.driver(twins.server.uri, auth=(twins.server.user, twins.server.password),
                                    notifications_min_severity="OFF") as driver:
        for name in names:  # Bloom runs these itself and draws nodes and paths: read them as the driver gives them
            text = registry().get(name, "neo4j")
            wanted = {p: params[p] for p in set(re.findall(r"\$(\w+)", text))}
            answered += bool(driver.execute_query(text, wanted).records)
    assert answered >= len(names) // 2


# --- commands, exports, reports, the HTTP API -----------------------------------------------------------------

def _parsed(text: str, root: Path) -> Any:
    try:
        return _plain(json.loads(text), str(root))
    except json.JSONDecodeError:
        return text


@pytest.mark.parametrize("args", [
    ("straw", "--top", "100", "--format", "json"),
    ("dealers", "--top", "100", "--format", "json"),
    ("corridors", "--top", "50", "--format", "json"),
    ("corridors", "--level", "city", "--top", "50", "--format", "json"),
    ("communities", "--format", "json"),
    ("chokepoints", "--top", "20", "--format", "json"),
    ("firearms", "batches", "--format", "json"),
    ("stolen", "hits", "--format", "json"),
    ("stats", "--json"),
], ids=["straw", "dealers", "corridors", "corridors-city", "communities", "chokepoints", "batches", "stolen-hits",
        "stats"])
def test_analyst_commands_rank_the_same(twins: Twins, args: tuple[str, ...]) -> None:
    embedded, neo = (_parsed(twins.cli(b, *args), twins.root) for b in ("embedded", "neo4j"))
    assert embedded, args
    same(embedded, neo, " ".join(args))


def test_path_and_firearm_chain_are_the_same(twins: Twins, params: dict[str, Any]) -> None:
    with twins.open("embedded") as store:
        row = store._execute("MATCH (p:Person)-[:PURCHASED]->(f:Firearm)<-[:SOLD]-(d:Dealer) "
                             "WHERE p.straw_score IS NOT NULL RETURN p.person_key AS p, d.license_number AS d "
                             "ORDER BY p.straw_score DESC, p.person_key LIMIT 1").rows()[0]
    args = ("path", f"person:{row['p']}", f"dealer:{row['d']}")
    embedded, neo = (twins.cli(b, *args) for b in ("embedded", "neo4j"))
    assert row["p"] in embedded
    assert embedded == neo


WRITTEN_AT = ("date_added", "finished_at")  # wall-clock stamps of when each store wrote a row


def test_stix_and_geojson_exports_are_the_same(twins: Twins) -> None:
    """What an export reads from the store is the same on both: ``collect_scope(store, "all")``, every network,
    person, firearm, recovery, dealer, location, corridor and run of the whole graph (the export commands read
    nothing else from it; the bundle is a pure function of these records). Then the commands end to end on both
    stores: the whole graph's GeoJSON and one state's STIX bundle. (The whole graph's STIX bundle, 96k objects,
    cost ~35 CPU s a store to build from the same records; tests/sharing covers the bundle's building.)"""
    from collections import Counter

    from exports.stix_scope import collect_scope

    records = {}
    for backend in ("embedded", "neo4j"):
        with twins.open(backend) as store:
            collected = collect_scope(store, "all")
        # less when each store stamped its rows (as the bundles' created / modified / first_seen / last_seen)
        rows_of = {name: [{k: v for k, v in row.items() if k not in WRITTEN_AT} for row in rows]
                   for name, rows in vars(collected).items()}
        records[backend] = {name: sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
                            for name, rows in rows_of.items()}
    assert len(records["embedded"]["persons"]) > 1000 and len(records["embedded"]["flows"]) > 100
    same(records["embedded"], records["neo4j"], "collect_scope")
    state, _ = Counter(d.get("premise_state") for d in records["embedded"]["dealers"]).most_common(1)[0]

    outputs = {}
    for backend in ("embedded", "neo4j"):
        stix, geo = twins.root / f"{backend}.stix.json", twins.root / f"{backend}.geojson"
        twins.cli(backend, "export", "stix", "--tlp", "amber", "--role", "analyst", "--scope", f"state:{state}",
                  "--out", str(stix))
        twins.cli(backend, "export", "geojson", "--layers", "corridors,hubs,dealers,recoveries", "--role",
                  "investigator", "--out", str(geo))
        bundle = json.loads(stix.read_text())
        objects = sorted((o["type"], o["id"], json.dumps({k: v for k, v in o.items() if k not in (
            "created", "modified", "first_seen", "last_seen", "published")}, sort_keys=True))
            for o in bundle["objects"] if o["type"] not in ("identity", "marking-definition", "extension-definition"))
        outputs[backend] = (objects, json.loads(geo.read_text()))
    (e_stix, e_geo), (n_stix, n_geo) = outputs["embedded"], outputs["neo4j"]
    assert len(e_stix) > 1000, (state, len(e_stix))
    assert [o[:2] for o in e_stix] == [o[:2] for o in n_stix]
    assert e_stix == n_stix
    assert len(e_geo["features"]) > 10
    same(e_geo, n_geo, "geojson")


def test_corridor_report_is_the_same(twins: Twins) -> None:
    tables = {}
    for backend in ("embedded", "neo4j"):
        out = twins.root / f"report-{backend}"
        listing = twins.cli(backend, "report", "corridors", "--region", "VA,NY", "--no-pdf", "--json",
                            "--out", str(out))
        html = sorted(out.rglob("*.html"))
        assert html, listing
        text = html[0].read_text()
        tables[backend] = re.findall(r"<td[^>]*>(.*?)</td>", text, flags=re.S)
    assert len(tables["embedded"]) > 10
    assert tables["embedded"] == tables["neo4j"]


def test_http_api_serves_the_same_answers_from_neo4j(twins: Twins, params: dict[str, Any]) -> None:
    from api.app import create_app
    from api.security import KeyFile
    from api.settings import Settings

    answers = {}
    for backend in ("embedded", "neo4j"):
        extra = ({"store": "neo4j", "neo4j_uri": twins.server.uri, "neo4j_user": twins.server.user,
                  "neo4j_password": twins.server.password} if backend == "neo4j" else {"db": twins.lbug})
        folder = twins.root / f"api-{backend}"
        settings = Settings(**extra, api_keys_file=folder / "keys.json", audit_log=folder / "audit.log",
                            evidence_dir=folder / "evidence", key_dir=folder / "keys")
        record, secret = KeyFile.for_settings(settings).create("investigator", "test")
        headers = {"X-API-Key": f"{record.key_id}.{secret}"}
        got = []
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for url in ("/api/v1/straw-queue?limit=50", "/api/v1/dealer-anomalies?limit=50", "/api/v1/corridors?top=50",
                        f"/api/v1/firearms/{params['firearm_key']}", f"/api/v1/networks/{params['network_id']}",
                        f"/api/v1/paths?source=firearm:{params['firearm_key']}&target=recovery:{params['trace_id']}",
                        "/api/v1/exports/geojson?layers=corridors,hubs"):
                response = client.get(url, headers=headers)
                got.append((url, response.status_code, _plain(response.json(), str(twins.root))))
        answers[backend] = got
    assert [status for _, status, _ in answers["neo4j"]][:6] == [200] * 6, [(u, s) for u, s, _ in answers["neo4j"]]
    straw_e, straw_n = answers["embedded"][0][2], answers["neo4j"][0][2]
    assert len(straw_e["items"]) == 50
    # the page is ranked by the float score itself, then the key: the same persons in the same order on both stores
    assert [i["person_key"] for i in straw_e["items"]] == [i["person_key"] for i in straw_n["items"]]
    same(answers["embedded"], answers["neo4j"], "api")


# --- Graph Data Science (last: it rewrites the Neo4j twin's networks, then restores them) -----------------------

def test_analyze_with_gds_finds_networks_and_centrality_like_igraph(twins: Twins) -> None:
    """``analyze --engine gds`` runs Leiden, PageRank and sampled betweenness inside Neo4j and writes them back; on
    the same projection GDS's modularity Leiden agrees with igraph's (NMI) and PageRank matches igraph's."""
    import igraph as ig

    from graph.neo4j_server import gds_missing_tools
    from tests.conftest import require

    require(twins.server.local is None or twins.server.local.gds,
            f"building the Graph Data Science extension needs {', '.join(gds_missing_tools())} (a JDK)")

    from algorithms import straw_features
    from algorithms.analyze import NETWORK_LAYERS, write_back
    from algorithms.communities import leiden
    from algorithms.gds import person_networks
    from algorithms.projection import person_projection
    from algorithms.tables import load_tables

    # the projection's ties from the embedded twin's tables (the same as Neo4j's: the tests above), read in process
    with twins.open("embedded") as store:
        pairs = straw_features.compute(load_tables(store)).pairs
    projection = person_projection({layer: pairs.loc[pairs["kind"] == kind, ["a", "b"]].rename(
        columns={"a": "person_a", "b": "person_b"}) for kind, layer in NETWORK_LAYERS.items()
        if (pairs["kind"] == kind).any()})
    with twins.open("neo4j") as store:
        found = person_networks(store, projection, seed=SEED)
    local = leiden(projection.graph, resolution=1.0, seed=SEED, weights=projection.weight)
    assert projection.graph.vcount() > 100 and len(set(found.membership.tolist())) > 10
    assert ig.compare_communities(found.membership.tolist(), local.membership.tolist(), method="nmi") > 0.85
    assert abs(found.modularity - local.quality) < 0.05
    igraph_rank = np.asarray(projection.graph.pagerank(weights=projection.weight.tolist()))
    assert np.corrcoef(found.pagerank, igraph_rank)[0, 1] > 0.99
    assert found.params["gds_version"].startswith("2.")

    try:
        record = json.loads(twins.cli("neo4j", "analyze", "--engine", "gds", "--seed", str(SEED), "--json"))
        assert record["summary"]["networks"] > 0
        with twins.open("neo4j") as store:
            algorithms = store._read("MATCH (n:Network) RETURN DISTINCT n.algorithm AS a").arrow().column(0)
            assert algorithms.to_pylist() == ["gds-leiden"]
            scored = store._read("MATCH (p:Person) WHERE p.pagerank IS NOT NULL AND p.network_id IS NOT NULL "
                                 "RETURN count(p)").scalar()
            assert scored > 100
        embedded = CliRunner().invoke(app, ["analyze", "--engine", "gds"], env=twins.env("embedded"))
        assert isinstance(embedded.exception, InvalidInput) and "neo4j store" in str(embedded.exception)
    finally:  # the twin goes back to the igraph analysis the other tests compared (the same inputs and seed: the
        # analysis the fixture wrote back, written again)
        with twins.open("neo4j") as store:
            write_back(store, twins.results["neo4j"], started_at=datetime(2026, 1, 1, tzinfo=UTC))
