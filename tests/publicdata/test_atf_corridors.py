"""ATF's published state tables alone, as a researcher uses them: init, load, analyze, ask for corridors.

Real files (tests/data/PROVENANCE.md): ATF's 2013 and 2016 "Firearms Sourced and Recovered" spreadsheets (2013
transposed), ATF's 2011 sheet and the SandyHook project's transcription of the same 2011 table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.cli_run import tracegraph

DATA = Path(__file__).resolve().parents[1] / "data"
ATF_2013 = DATA / "loaders" / "final_source_recovery_by_state-cy_2013.xlsx"
ATF_2016 = DATA / "loaders" / "final_source_recovery_by_state-cy_2016.xlsx"
ATF_2011 = DATA / "publicdata" / "final_source_recovery_by_state-cy_2011.xlsx"
SANDYHOOK_2011 = DATA / "publicdata" / "2011tracingdatabystate.csv"
IRON_PIPELINE = {"GA", "VA", "SC", "NC", "FL"}
TRACEGRAPH = [sys.executable, "-c", "from api.cli import main; main()"]


def tg(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in this process (tests/cli_run.py); the demo below runs the installed entry point."""
    return tracegraph("--db", db, *args, env={**os.environ, "COLUMNS": "200"})


def ok(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = tg(db, *args)
    assert done.returncode == 0, done.stderr
    return done


def sources(rows: list[dict[str, object]]) -> list[str]:
    return [str(r["src"]).removeprefix("state:US-") for r in rows]


@pytest.fixture(scope="module")
def atf_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("atf") / "graph.lbug"
    ok(db, "init")
    for path in (ATF_2016, ATF_2013):
        ok(db, "load", "state-traces", str(path))
    done = ok(db, "analyze")
    assert "skipped straw_features, straw_scores, networks: needs purchases" in done.stderr
    return db


def corridors_json(db: Path, *args: str) -> list[dict[str, object]]:
    return json.loads(ok(db, "corridors", *args, "--format", "json").stdout)


def test_iron_pipeline_into_new_york(atf_store: Path) -> None:
    for year in ("2016", "2013"):
        rows = corridors_json(atf_store, "--into", "NY", "--year", year, "--top", "5")
        assert len(rows) == 5 and all(r["dst"] == "state:US-NY" and r["basis"] == "atf_table" for r in rows)
        assert len(IRON_PIPELINE & set(sources(rows))) >= 3, sources(rows)
        scores = [float(str(r["score"])) for r in rows]
        assert scores == sorted(scores, reverse=True)


def test_indiana_and_mississippi_into_illinois(atf_store: Path) -> None:
    for year in ("2016", "2013"):
        assert {"IN", "MS"} <= set(sources(corridors_json(atf_store, "--into", "IL", "--year", year, "--top", "5")))


def test_in_state_flows_are_not_ranked_but_reported(atf_store: Path) -> None:
    done = ok(atf_store, "corridors", "--into", "NY", "--year", "2016", "--top", "60", "--format", "csv")
    assert "state:US-NY,state:US-NY" not in done.stdout
    assert "in-state flows, not ranked: New York 1,433 (2016, atf_table)" in done.stderr


def test_from_and_years_filters(atf_store: Path) -> None:
    rows = corridors_json(atf_store, "--from", "GA", "--years", "2013-2016", "--top", "200")
    assert rows and all(r["src"] == "state:US-GA" for r in rows)
    assert {r["year"] for r in rows} == {2013, 2016}
    backwards = tg(atf_store, "corridors", "--years", "2016-2013")
    assert backwards.returncode == 2 and "runs backwards" in backwards.stderr


def test_the_csv_the_reality_check_reads(atf_store: Path) -> None:
    lines = ok(atf_store, "corridors", "--into", "NY", "--year", "2016", "--top", "5",
               "--format", "csv").stdout.strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("rank,basis,year,src,dst")


@pytest.fixture(scope="module")
def api(atf_store: Path) -> Iterator[tuple[TestClient, str]]:
    from api.app import create_app
    from api.security import KeyFile
    from api.settings import Settings

    settings = Settings(db=atf_store)
    record, secret = KeyFile.for_settings(settings).create("analyst", "public data test", None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, f"{record.key_id}.{secret}"


def test_api_gives_the_same_ranking_as_the_cli(atf_store: Path, api: tuple[TestClient, str]) -> None:
    client, key = api
    for question in ({"into": "NY", "year": "2016", "top": "5"}, {"into": "IL", "year": "2013", "top": "5"},
                     {"from": "GA", "years": "2013-2016", "top": "10"}):
        answer = client.get("/api/v1/corridors", params=question, headers={"X-API-Key": key})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        args = [part for name, value in question.items() for part in (f"--{name}", value)]
        cli = corridors_json(atf_store, *args)
        assert [(c["src"]["key"], c["dst"]["key"], c["year"]) for c in body["items"]] == [
            (r["src"], r["dst"], r["year"]) for r in cli]
        assert [c["score"] for c in body["items"]] == pytest.approx([r["score"] for r in cli], abs=1e-4)
        assert body["bases"] == ["atf_table"] and "least-squares" in body["trend_test"]
    five = client.get("/api/v1/corridors?into=NY&year=2016&top=5", headers={"X-API-Key": key}).json()
    assert len(IRON_PIPELINE & {c["src"]["key"].removeprefix("state:US-") for c in five["items"]}) >= 3
    assert [c["src"]["key"] for c in five["in_state"]] == ["state:US-NY"]


def test_api_bad_filter_is_a_problem_document(api: tuple[TestClient, str]) -> None:
    client, key = api
    answer = client.get("/api/v1/corridors?into=New%20York", headers={"X-API-Key": key})
    assert answer.status_code in (400, 422) and answer.headers["content-type"].startswith("application/problem+json")


def test_corridor_report_from_state_tables_alone(atf_store: Path, tmp_path: Path) -> None:
    done = ok(atf_store, "report", "corridors", "--region", "NY", "--year", "2016", "--out", str(tmp_path),
              "--no-pdf", "--json")
    written = json.loads(done.stdout.strip().splitlines()[-1])
    html = Path(written["reports"][0]["html"]).read_text(encoding="utf-8")
    assert written["reports"][0]["basis"] == "atf_table"
    assert "Basis: <b>atf_table</b>" in html
    assert 'id="inbound"' in html and 'id="outbound"' in html and "into NY" in html and "out of NY" in html
    assert 'id="ttc-absent"' in html and 'id="ttc"' not in html  # no trace-level time-to-crime in ATF's tables
    assert 'id="trend"' in html and "South Carolina" in html


def test_second_table_for_the_same_cells_keeps_the_official_one(tmp_path: Path) -> None:
    db = tmp_path / "graph.lbug"
    ok(db, "init")
    ok(db, "load", "state-traces", str(ATF_2011))
    loaded = json.loads(ok(db, "load", "state-traces", str(SANDYHOOK_2011), "--json").stdout.strip().splitlines()[-1])
    assert loaded["details"]["basis"] == "table:2011tracingdatabystate"
    ok(db, "analyze")
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(db) as store:
        flows = store.edge_list("FLOW", "Location", "Location", ("year", "basis", "dataset", "firearms")).to_pandas()
    per_basis = flows.groupby("basis").size().to_dict()
    assert per_basis["atf_table"] >= 2500 and per_basis["table:2011tracingdatabystate"] >= 2500  # both kept
    assert set(flows.loc[flows["basis"] == "atf_table", "dataset"]) == {ATF_2011.name}
    default = corridors_json(db, "--into", "NY", "--year", "2011", "--top", "10")
    assert {r["basis"] for r in default} == {"atf_table"}  # the official table for its cells
    other = corridors_json(db, "--into", "NY", "--year", "2011", "--top", "10", "--basis",
                           "table:2011tracingdatabystate")
    assert other and {r["basis"] for r in other} == {"table:2011tracingdatabystate"}


def test_before_analyze_and_on_an_empty_store_the_answer_says_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "graph.lbug"
    ok(db, "init")
    empty = ok(db, "corridors", "--into", "NY")
    assert empty.stdout == "" and "needs corridors: load state tables with `tracegraph load state-traces" in \
        empty.stderr
    ok(db, "load", "state-traces", str(ATF_2016))
    unscored = ok(db, "corridors", "--into", "NY", "--year", "2016", "--top", "3")
    assert "not scored yet (ranked by volume): run `tracegraph analyze`" in unscored.stderr
    assert len(unscored.stdout.strip().splitlines()) == 4


def test_geojson_and_stix_carry_scored_interstate_corridors_with_their_basis(atf_store: Path, tmp_path: Path) -> None:
    ok(atf_store, "export", "geojson", "--out", str(tmp_path / "c.geojson"), "--year", "2016", "--layers",
       "corridors")
    features = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))["features"]
    lines = [f["properties"] for f in features if f["properties"]["layer"] == "corridors"]
    assert lines and all(p["basis"] == "atf_table" for p in lines)
    assert all(p["firearms"] > 0 and p["source"] != p["destination"] for p in lines)  # no zero or in-state rows
    assert all(p["score"] is not None for p in lines)
    ga_ny = [p for p in lines if (p["source"], p["destination"]) == ("state:US-GA", "state:US-NY")]
    assert len(ga_ny) == 1 and ga_ny[0]["firearms"] == 438
    ok(atf_store, "export", "stix", "--out", str(tmp_path / "b.json"), "--tlp", "amber", "--recipient",
       "Regional task force", "--purpose", "corridor analysis")
    bundle = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    corridors = [ext for o in bundle["objects"] if o.get("type") == "relationship"
                 for name, ext in (o.get("extensions") or {}).items() if name.startswith("extension-definition")
                 and isinstance(ext, dict) and "basis" in ext]
    assert corridors and {c["basis"] for c in corridors} == {"atf_table"}
    assert all(c["source_key"] != c["destination_key"] and c["firearms"] > 0 for c in corridors)


def test_demo_public_writes_the_iron_pipeline_products(tmp_path: Path) -> None:
    done = subprocess.run([*TRACEGRAPH, "demo", "--public", "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=900, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr[-2000:]
    products = tmp_path / "products"
    reports = sorted(p.name for p in (products / "reports").glob("*.html"))
    assert reports == ["corridors_state_IL_2017_atf-table.html", "corridors_state_NY_2017_atf-table.html"]
    ny = (products / "corridors_into_NY_2017.csv").read_text(encoding="utf-8").splitlines()
    top5 = {line.split(",")[3].removeprefix("state:US-") for line in ny[1:6]}
    assert len(IRON_PIPELINE & top5) >= 4
    profiles = json.loads((products / "dealer_profiles_inspected.json").read_text(encoding="utf-8"))
    assert len(profiles) == 1907
    geojson = json.loads((products / "corridors_atf_state.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["basis"] for f in geojson["features"]} == {"atf_table"}
    five = sum(1 for p in profiles for i in p["verified"]["inspections"] for v in i["violations"]
               if v["zero_tolerance_category"])
    assert five == 702
