"""One CLI writer (api/cli/output.py): every data-printing command follows the same rules in table, CSV and JSON,
checked on their real output — on a simulated world and on a store loaded from real public files (ATF state
tables, ATF FFL list and inspection reports: tests/data/PROVENANCE.md).

Rules: JSON is plain nested JSON (no NaN, no JSON text inside a string: a straw item's ``indicators`` is a list);
missing values are null in JSON and empty in CSV; dates are ISO 8601; CSV and JSON carry the same rows; CSV is
formula-safe; a table prints the same columns.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from exports.csv_safe import FORMULA_STARTS
from graph.errors import InvalidInput
from tests.worlds import copy_store, demo

DATA = Path(__file__).resolve().parents[1] / "data"
PROFILE_DATA = DATA / "dealer_profile"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?)?$")
DATE_COLUMNS = re.compile(r"(^|_)(date|dob|recovery|first_recovery|last_recovery|as_of)$|_date$")
NC_DEALER = "1-56-059-01-6F-21093"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables print 250 columns wide. COLUMNS alone does not say so: the CLI's console takes its width when it is
    made, and under pytest-xdist a worker may make it inside another test's narrower CliRunner environment."""
    from rich.console import Console

    monkeypatch.setattr("api.cli.common.out", Console(emoji=False, width=250))


def run(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout_bytes.decode("utf-8")  # (.stdout turns CRLF into LF)


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text.strip().splitlines()[-1], parse_constant=refuse)


def walk(value: Any, where: str = "") -> None:
    """Plain nested JSON: no string that is itself a JSON list or object; dates in ISO 8601."""
    if isinstance(value, dict):
        for key, item in value.items():
            walk(item, key)
    elif isinstance(value, list):
        for item in value:
            walk(item, where)
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{"):
            try:
                json.loads(text)
            except ValueError:
                pass
            else:
                raise AssertionError(f"{where}: JSON text inside JSON: {value[:60]!r}")
        if DATE_COLUMNS.search(where) and text:
            assert ISO_DATE.match(text), f"{where}: {value!r} is not ISO 8601"
    else:
        assert value is None or isinstance(value, (bool, int, float)), (where, value)


def check_command(db: Path, *args: str, min_rows: int = 1) -> list[dict[str, Any]]:
    """The command's JSON, CSV and table output agree and follow the rules; returns the JSON rows."""
    rows = strict_json(run(db, *args, "--format", "json"))
    assert isinstance(rows, list) and len(rows) >= min_rows, (args, rows)
    walk(rows)
    text = run(db, *args, "--format", "csv")
    assert text.endswith("\r\n") or not rows
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(rows)
    if rows:
        assert list(table[0]) == list(rows[0])
    for json_row, csv_row in zip(rows, table, strict=True):
        for column, value in json_row.items():
            cell = csv_row[column]
            assert cell not in ("nan", "NaN", "None", "NaT", "<NA>", "inf"), (args, column, cell)
            if value is None:
                assert cell == "", (args, column, cell)
            elif isinstance(value, (list, dict)):
                assert json.loads(cell) == value, (args, column, cell)
            elif isinstance(value, bool):
                assert cell in ("True", "False", "true", "false"), (args, column, cell)
            elif isinstance(value, (int, float)):
                assert float(cell) == value, (args, column, cell)
            else:
                assert cell == value or (cell == "'" + value and value.startswith(FORMULA_STARTS)), (column, cell)
    shown = run(db, *args, "--format", "table")
    if rows:
        assert next(iter(rows[0])) in shown
    return rows


def check_profiles(db: Path) -> list[dict[str, str]]:
    """``dealers profiles``: JSON documents (verified / estimated objects), CSV one flat row per dealer."""
    documents = strict_json(run(db, "dealers", "profiles", "--format", "json"))
    walk(documents)
    assert documents and all(isinstance(d["verified"], dict) and isinstance(d["estimated"], dict) for d in documents)
    rows = list(csv.DictReader(io.StringIO(run(db, "dealers", "profiles", "--format", "csv"))))
    assert len(rows) == len(documents)
    assert all(cell not in ("nan", "NaN", "None", "NaT") for row in rows for cell in row.values())
    dated = [c for c in rows[0] if c.endswith("_date") or c.endswith("as_of")]
    assert dated and all(ISO_DATE.match(row[c]) for row in rows for c in dated if row[c]), dated
    return rows


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small simulated world as `tracegraph demo` loads it, analysed (seed 7): the session's, tests/worlds.py."""
    return copy_store(demo(tmp_path_factory).db, tmp_path_factory.mktemp("output_world") / "graph.lbug")


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real public files only: ATF's 2016 and 2013 state tables, an FFL list excerpt, inspection reports."""
    db = tmp_path_factory.mktemp("output_public") / "graph.lbug"
    run(db, "init")
    for path in ("loaders/final_source_recovery_by_state-cy_2016.xlsx",
                 "loaders/final_source_recovery_by_state-cy_2013.xlsx"):
        run(db, "load", "state-traces", str(DATA / path))
    run(db, "load", "ffl", str(PROFILE_DATA / "ffl-list-excerpt.txt"), "--as-of", "2025-01-01")
    run(db, "load", "inspections", str(PROFILE_DATA / "inspections.ndjson"))
    run(db, "load", "inspections", str(PROFILE_DATA / "inspections.csv"))
    run(db, "load", "violations", str(PROFILE_DATA / "violations.csv"))
    run(db, "load", "hotspots", str(PROFILE_DATA / "hotspots.csv"))
    run(db, "analyze")
    return db


def test_straw_queue_indicators_are_nested_json(world: Path) -> None:
    rows = check_command(world, "straw", "--top", "30", min_rows=10)
    assert all(isinstance(r["indicators"], (list, dict)) for r in rows)
    assert any(r["indicators"] for r in rows)
    assert all(r["dob"] is None or ISO_DATE.match(r["dob"]) for r in rows)


def test_ranked_lists_on_the_simulated_world(world: Path) -> None:
    dealers = check_command(world, "dealers", "list", "--top", "20", min_rows=5)
    assert all(isinstance(r["indicators"], (list, dict)) for r in dealers)
    check_command(world, "communities", min_rows=0)
    members = check_command(world, "communities", "--all", min_rows=1)
    assert any(r["network_id"] is not None for r in members)
    check_command(world, "corridors", "--top", "10", min_rows=1)
    chokepoints = check_command(world, "chokepoints", "--top", "3", min_rows=4)
    assert {r["kind"] for r in chokepoints} >= {"dealer", "person"}
    check_command(world, "dealers", "list", "--near-hotspots", "200", min_rows=0)


def test_firearms_stolen_and_profiles_on_the_simulated_world(world: Path) -> None:
    batches = check_command(world, "firearms", "batches", "--min-score", "0", min_rows=1)
    assert all(ISO_DATE.match(r["first_recovery"]) for r in batches if r["first_recovery"])
    hits = check_command(world, "stolen", "hits", min_rows=1)
    assert all(r["recovery_date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["recovery_date"]) for r in hits)
    serial = next(r["serials"] for r in batches if r["serials"])
    first = str(serial[0] if isinstance(serial, list) else serial.split()[0])
    check_command(world, "firearms", "match", "--serial", first[:-1] + "?", min_rows=1)
    assert len(check_profiles(world)) >= 5


def test_public_files_corridors_dealers_and_profiles(public: Path) -> None:
    corridors = check_command(public, "corridors", "--into", "NY", "--year", "2016", "--top", "5", min_rows=5)
    assert all(r["basis"] == "atf_table" and isinstance(r["year"], int) for r in corridors)
    near = check_command(public, "dealers", "list", "--near-hotspots", "100", min_rows=1)
    assert all(isinstance(r["distance_km"], float) for r in near)
    profiles = check_profiles(public)
    assert len(profiles) >= 3 and all(r["verified_license_number"] for r in profiles)
    profile = strict_json(run(public, "dealers", "profile", NC_DEALER))
    walk(profile)
    assert isinstance(profile["verified"], dict) and isinstance(profile["verified"]["inspections"], list)
    assert profile["verified"]["data_as_of"] == "2025-01-01"
    one = list(csv.DictReader(io.StringIO(run(public, "dealers", "profile", NC_DEALER, "--format", "csv"))))
    assert len(one) == 1 and one[0]["verified_license_number"]
    shown = run(public, "dealers", "profile", NC_DEALER, "--format", "table")
    assert "verified_license_number" in shown and NC_DEALER in shown  # one dealer: field | value rows


def test_an_unknown_format_is_refused_before_the_store_is_read(tmp_path: Path) -> None:
    for args in (["straw"], ["dealers", "list"], ["corridors"], ["stolen", "hits"], ["dealers", "profiles"],
                 ["chokepoints"], ["communities"], ["firearms", "batches"]):
        result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.lbug"), *args, "--format", "xml"])
        assert isinstance(result.exception, InvalidInput), (args, result.output)
        assert str(result.exception) == "--format must be one of table, csv, json"
