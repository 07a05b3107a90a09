"""Names and addresses that look like spreadsheet formulas load as data but leave every CSV output as text.

A small simulated world whose purchaser names, streets, agency names and dealer names carry formula payloads goes
through the real CLI (load, analyze, every CSV-writing command) and the real HTTP server (profile.csv); every cell
of every CSV it writes either does not start with ``= + - @``, tab or CR, or is a plain number.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.security import KeyFile
from api.settings import Settings
from exports.csv_safe import FORMULA_STARTS, neutralise, table_text
from graph.embedded_store import EmbeddedStore
from tests.api.server import serving
from tests.cli_run import tracegraph
from tests.worlds import simulated

PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def unsafe_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell)]


@given(st.text(max_size=30))
def test_a_neutralised_cell_is_never_a_formula_and_keeps_its_text(value: str) -> None:
    cell = neutralise(value)
    assert not (cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell))
    assert cell in (value, "'" + value)
    assert unsafe_cells(table_text(["a"], [{"a": value}])) == []


def test_plain_numbers_stay_numbers() -> None:
    assert [neutralise(v) for v in ("-12", "+3.5", "-1e3", "-", "+1+1", "-2+3")] == [
        "-12", "+3.5", "-1e3", "'-", "'+1+1", "'-2+3"]


def tg(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = tracegraph("--db", db, *args)
    assert done.returncode in (0, 2), done.stderr[-2000:]
    return done


def poison(world: Path) -> None:
    """Formula payloads in the names and addresses of the simulated inputs (as an attacker or a careless clerk
    would put them in a trace or a licence application)."""
    path = world / "traces.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):
        if row["purchaser_last_name"]:
            row["purchaser_last_name"] = '=HYPERLINK("http://x/")&' + row["purchaser_last_name"]
            row["purchaser_street"] = ("+1+" if i % 2 else "@SUM(1) ") + row["purchaser_street"]
        row["agency_name"] = "-2+3 " + row["agency_name"]
        row["possessor_first_name"] = "\t=1+1" if row["possessor_first_name"] else ""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ffl = world / "ffl_list.txt"
    lines = ffl.read_text(encoding="utf-8").split("\n")
    for i in range(2, len(lines)):
        fields = lines[i].split("\t")
        if len(fields) > 8:
            fields[6], fields[7] = "=cmd|'/c calc'!A1 " + fields[6], "@SUM(1) " + fields[7]
            lines[i] = "\t".join(fields)
    ffl.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("poisoned")
    db = root / "g.lbug"
    shutil.copytree(simulated(tmp_path_factory, "small", 3), root / "w")  # a copy: poison() writes into it
    poison(root / "w")
    tg(db, "init")
    for kind, name in (("ffl", "ffl_list.txt"), ("traces", "traces.csv"), ("multiple-sales", "multiple_sales.csv"),
                       ("inspections", "inspections.csv")):
        tg(db, "load", kind, str(root / "w" / name), "--rejects-dir", str(root / "rejects"))
        with EmbeddedStore(db) as store:  # else every later open replays every earlier load's log (~12 CPU s)
            store.checkpoint()
    tg(db, "analyze")
    yield db


def test_every_csv_the_cli_writes_is_formula_safe(poisoned: Path, tmp_path: Path) -> None:
    outputs = {
        "straw": tg(poisoned, "straw", "--format", "csv", "--top", "200").stdout,
        "dealers": tg(poisoned, "dealers", "--format", "csv", "--top", "200").stdout,
        "communities": tg(poisoned, "communities", "--format", "csv").stdout,
    }
    for kind in ("dealer", "person", "city", "corridor"):
        outputs[f"chokepoints {kind}"] = tg(poisoned, "chokepoints", "--kind", kind, "--format", "csv").stdout
    tg(poisoned, "trace-requests", "--out", str(tmp_path / "requests.csv"))
    outputs["trace-requests"] = (tmp_path / "requests.csv").read_text(encoding="utf-8")
    tg(poisoned, "dealer", "profiles", "--out", str(tmp_path / "profiles.csv"))
    outputs["dealer profiles"] = (tmp_path / "profiles.csv").read_text(encoding="utf-8")
    dealer = next(csv.DictReader(io.StringIO(outputs["dealers"])))["license_number"]
    outputs["dealer profile"] = tg(poisoned, "dealer", "profile", dealer, "--format", "csv").stdout
    for name in ("traces.traces", "ffl_list.ffl"):
        outputs[f"rejects {name}"] = (poisoned.parent / "rejects" / f"{name}.rejects.csv").read_text(encoding="utf-8")
    for name, text in outputs.items():
        assert len(text.splitlines()) > 1, name  # the command did write rows
        assert unsafe_cells(text) == [], name
    # the payloads did reach the outputs, as text
    assert "'=HYPERLINK(" in outputs["straw"] and "'@SUM(1)" in outputs["dealers"]
    assert "'-2+3 " in outputs["trace-requests"] and "'=cmd|" in outputs["dealer profile"]


def test_the_api_profile_csv_is_formula_safe(poisoned: Path) -> None:
    settings = Settings(db=poisoned)
    record, secret = KeyFile.for_settings(settings).create("analyst", "csv test", None)
    dealers = tg(poisoned, "dealers", "--format", "csv", "--top", "3").stdout
    license_number = next(csv.DictReader(io.StringIO(dealers)))["license_number"]
    dealer_key = "-".join(license_number.split("-")[i] for i in (0, 1, 5))
    with serving(settings) as base:
        response = httpx.get(f"{base}/api/v1/dealers/{dealer_key}/profile.csv",
                             headers={"X-API-Key": f"{record.key_id}.{secret}"}, timeout=60)
    assert response.status_code == 200, response.text
    assert "'=cmd|" in response.text and unsafe_cells(response.text) == []
