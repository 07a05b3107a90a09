"""`tracegraph alerts` and GET /api/v1/alerts on a store holding only the real public files (the ATF FFL list,
Virginia excerpt, and ATF's 2012 state source/recovery table: tests/data/PROVENANCE.md): no rule can fire there,
and both faces say so, one line per missing input naming the load that provides it. Loading what a line names
removes it; the hand-written trace and lost/stolen rows of tests/data/stolen then raise a stolen-record alert."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.security import KeyFile
from api.settings import Settings
from tests.cli_run import tracegraph

DATA = Path(__file__).resolve().parents[1] / "data"


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = tracegraph("--db", db, *args, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    return result


def notes(db: Path) -> tuple[list[dict[str, object]], list[str]]:
    listed = run(db, "alerts", "--format", "json")
    return json.loads(listed.stdout), [line for line in listed.stderr.splitlines() if ": " in line]


def api_notes(db: Path) -> list[str]:
    settings = Settings(db=db)
    record, secret = KeyFile.for_settings(settings).create("analyst", "test analyst", None, purpose="tests")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        page = client.get("/api/v1/alerts", headers={"X-API-Key": f"{record.key_id}.{secret}"})
    assert page.status_code == 200, page.text
    unavailable: list[str] = page.json()["unavailable"]
    return unavailable


def test_alerts_on_the_public_files_name_the_loads_the_rules_need(tmp_path: Path) -> None:
    db = tmp_path / "public.lbug"
    run(db, "init")
    run(db, "load", "ffl", str(DATA / "loaders" / "0125-ffl-list-va-excerpt.txt"))
    run(db, "load", "state-traces", str(DATA / "loaders" / "source_recovery_by_state_2012.csv"))
    run(db, "analyze")
    alerts, lines = notes(db)
    assert alerts == []
    assert len(lines) == 4, lines
    traces, persons, stolen, watches = lines
    assert traces.startswith("watched_person, watched_dealer, ") and "corridor_significant: no trace rows" in traces
    assert "`tracegraph load traces FILE` provides them" in traces
    assert persons.startswith("straw_threshold, ") and "`tracegraph load multiple-sales FILE`" in persons
    assert stolen.startswith("stolen_recovered: ") and "`tracegraph load stolen FILE`" in stolen
    assert watches.startswith("watched_*: ") and "`tracegraph watch add KIND VALUE`" in watches
    assert api_notes(db) == lines  # the HTTP face says the same, from the same service

    run(db, "load", "stolen", str(DATA / "stolen" / "stolen.csv"))
    run(db, "watch", "add", "dealer", "1-54-20000")
    assert [line.split(":")[0] for line in notes(db)[1]] == [traces.split(":")[0], persons.split(":")[0]]
    loaded = run(db, "load", "traces", str(DATA / "stolen" / "traces.csv"), "--json")
    assert json.loads(loaded.stdout.strip().splitlines()[-1])["analysis"]["alerts"] >= 1
    alerts, lines = notes(db)
    assert lines == [] and api_notes(db) == []
    stolen_hits = [a for a in alerts if a["rule"] == "stolen_recovered"]
    assert stolen_hits and all(a["evidence"]["reported_date"] <= a["evidence"]["recovery_date"]
                               for a in stolen_hits)
