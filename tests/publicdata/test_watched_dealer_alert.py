"""A watched dealer from the real ATF FFL list (Virginia, January 2025 excerpt: tests/data/PROVENANCE.md) gets an
alert when a new short time-to-crime trace names it, through the command line a user runs:
``load ffl`` -> ``load traces`` (history) -> ``analyze`` -> ``watch add`` -> ``load traces`` (today's batch,
which runs the incremental analysis by default) -> ``alerts``. The traces are made up (no trace data is public);
the dealers are real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from graph.embedded_store import EmbeddedStore
from tests.cli_run import tracegraph

TRACEGRAPH = [sys.executable, "-c", "from api.cli import main; main()"]
DATA = Path(__file__).resolve().parents[1] / "data" / "loaders"
HEADER = ("trace_id,request_date,recovery_date,recovery_street,recovery_city,recovery_state,recovery_zip,"
          "recovery_country,recovery_lat,recovery_lon,crime_code,agency_ori,agency_name,serial_number,"
          "obliterated_serial,manufacturer,importer,model,caliber,weapon_type,country_of_manufacture,trace_status,"
          "dealer_ffl,purchase_date,multiple_sale_report_id,purchaser_last_name,purchaser_first_name,"
          "purchaser_middle_name,purchaser_dob,purchaser_street,purchaser_city,purchaser_state,purchaser_zip,"
          "possessor_last_name,possessor_first_name,possessor_dob,possessor_street,possessor_city,possessor_state,"
          "possessor_zip")
COLD_DEAD_HANDS = "1-54-107-01-5A-20000"  # COLD DEAD HANDS LLC, Aldie VA (real licensee)
PHALANGE = "1-54-107-07-6B-20001"         # PHALANGE ARMS, Aldie VA (real licensee)


def _trace(trace: str, recovered: str, city: str, state: str, serial: str, ffl: str, bought: str, buyer: str
           ) -> str:
    return (f"{trace},{recovered},{recovered},,{city},{state},,US,,,WEAPON OFFENSE,,,{serial},N,GLOCK,,G19,9MM,"
            f"PISTOL,US,COMPLETED,{ffl},{bought},,{buyer},ANN,,1980-01-01,1 OAK ST,ALDIE,VA,20105,ROE,RICK,"
            "1990-02-02,5 ELM ST,BALTIMORE,MD,21201")


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = tracegraph("--db", db, *args)
    assert result.returncode == 0, result.stderr
    return result


def test_a_watched_real_dealer_alerts_on_its_new_short_ttc_trace(tmp_path: Path) -> None:
    db = tmp_path / "va.lbug"
    history = tmp_path / "history.csv"
    history.write_text("\n".join([HEADER,
                                  _trace("T-1", "2023-03-01", "BALTIMORE", "MD", "BXA100", COLD_DEAD_HANDS,
                                         "2022-11-01", "DOE"),
                                  _trace("T-2", "2023-04-01", "RICHMOND", "VA", "BXA200", PHALANGE, "2015-01-01",
                                         "POE")]) + "\n")
    today = tmp_path / "today.csv"
    today.write_text("\n".join([HEADER,
                                _trace("T-3", "2024-06-01", "BALTIMORE", "MD", "BXA777", COLD_DEAD_HANDS,
                                       "2024-01-10", "LOE"),
                                _trace("T-4", "2024-06-02", "RICHMOND", "VA", "QQ9001", PHALANGE, "2010-01-01",
                                       "MOE")]) + "\n")
    run(db, "init")
    run(db, "load", "ffl", str(DATA / "0125-ffl-list-va-excerpt.txt"))
    first = run(db, "load", "traces", str(history))
    assert "not analysed: no analysis in this store yet" in first.stderr
    run(db, "analyze")
    watch_id = run(db, "watch", "add", "dealer", "1-54-20000", "--note", "two quick traces last year").stdout.strip()
    run(db, "watch", "add", "serial", "*XA7*")
    loaded = run(db, "load", "traces", str(today), "--json")
    summary = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert summary["analysis"]["alerts"] >= 2 and "new alert(s)" in loaded.stderr
    again = json.loads(run(db, "analyze", "--incremental", "--json").stdout.strip().splitlines()[-1])
    assert again["summary"]["new_traces"] == 0 and again["alerts"] == 0  # the load's own analysis took them
    alerts = json.loads(run(db, "alerts", "--format", "json").stdout)
    dealer = [a for a in alerts if a["rule"] == "watched_dealer"]
    assert len(dealer) == 1 and dealer[0]["watch_id"] == watch_id and dealer[0]["subject_key"] == "1-54-20000"
    assert dealer[0]["evidence"]["trace_id"] == "T-3"  # the old Phalange gun (14 years) is no lead
    serial = [a for a in alerts if a["rule"] == "watched_serial"]
    assert [a["evidence"]["trace_id"] for a in serial] == ["T-3"]
    csv_out = run(db, "alerts", "--rule", "watched_dealer").stdout
    assert "T-3" in csv_out and csv_out.splitlines()[0].startswith("alert_id")


def test_load_analyze_none_leaves_the_batch_to_analyze_incremental(tmp_path: Path) -> None:
    db = tmp_path / "va.lbug"
    history, today = tmp_path / "history.csv", tmp_path / "today.csv"
    history.write_text("\n".join([HEADER, _trace("T-1", "2023-03-01", "BALTIMORE", "MD", "BXA100", COLD_DEAD_HANDS,
                                                 "2022-11-01", "DOE")]) + "\n")
    today.write_text("\n".join([HEADER, _trace("T-3", "2024-06-01", "BALTIMORE", "MD", "BXA777", COLD_DEAD_HANDS,
                                               "2024-01-10", "LOE")]) + "\n")
    run(db, "init")
    run(db, "load", "ffl", str(DATA / "0125-ffl-list-va-excerpt.txt"))
    run(db, "load", "traces", str(history))
    run(db, "analyze")
    run(db, "watch", "add", "dealer", "1-54-20000")
    bad = subprocess.run([*TRACEGRAPH, "--db", str(db), "load", "traces", str(today), "--analyze", "later"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--analyze must be one of incremental, none" in bad.stderr
    loaded = json.loads(run(db, "load", "traces", str(today), "--analyze", "none", "--json").stdout.splitlines()[-1])
    assert loaded["loaded"] == 1 and loaded["analysis"] is None
    assert json.loads(run(db, "alerts", "--format", "json").stdout) == []
    later = json.loads(run(db, "analyze", "--incremental", "--json").stdout.strip().splitlines()[-1])
    assert later["summary"]["new_traces"] == 1 and later["alerts"] >= 1
    # a new FFL list calls for a full analysis: the load says so, and decides it without importing the analysis
    # (scipy, igraph: ~1 CPU second, most of a small load's cost)
    probe = ("import atexit, sys; atexit.register(lambda: print('analysis imported:', 'algorithms.incremental' in "
             "sys.modules, file=sys.stderr)); from api.cli import main; main()")
    ffl = subprocess.run([sys.executable, "-c", probe, "--db", str(db), "load", "ffl",
                          str(DATA / "0225-ffl-list-va-excerpt.txt")], capture_output=True, text=True, timeout=300)
    assert ffl.returncode == 0, ffl.stderr
    assert "not analysed: new ffl load(s) since the last analysis" in ffl.stderr
    assert "analysis imported: False" in ffl.stderr


def test_a_day_without_purchase_dates_or_known_possessors_is_analysed_like_a_full_run(tmp_path: Path) -> None:
    """Real traces often lack the purchase date (an incomplete trace). A day whose only trace has none, recovered
    from a possessor the graph has never seen, used to stop the incremental run with an internal error (an empty,
    untyped purchase table for the possessor); it is analysed, and the stored scores are what a full analysis
    writes."""
    db = tmp_path / "va.lbug"
    history, today = tmp_path / "history.csv", tmp_path / "today.csv"
    history.write_text("\n".join([HEADER, _trace("T-1", "2023-03-01", "BALTIMORE", "MD", "BXA100", COLD_DEAD_HANDS,
                                                 "2022-11-01", "DOE"),
                                  _trace("T-2", "2023-04-01", "RICHMOND", "VA", "BXA200", PHALANGE, "2015-01-01",
                                         "POE")]) + "\n")
    undated = _trace("T-3", "2024-06-01", "BALTIMORE", "MD", "BXA777", COLD_DEAD_HANDS, "", "LOE")
    today.write_text("\n".join([HEADER, undated.replace("ROE,RICK,1990-02-02,5 ELM ST",
                                                        "ZOE,ZED,1991-03-03,9 PINE ST")]) + "\n")
    run(db, "init")
    run(db, "load", "ffl", str(DATA / "0125-ffl-list-va-excerpt.txt"))
    run(db, "load", "traces", str(history))
    run(db, "analyze")
    loaded = run(db, "load", "traces", str(today), "--json")
    summary = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert summary["analysis"]["run_id"].startswith("analysis-inc-") and "internal error" not in loaded.stderr
    with EmbeddedStore(db, read_only=True) as store:
        incremental = store.node_table("Person", ("straw_score",)).to_pylist()
    run(db, "analyze")
    with EmbeddedStore(db, read_only=True) as store:
        full = store.node_table("Person", ("straw_score",)).to_pylist()
    assert sorted(incremental, key=lambda r: r["key"]) == sorted(full, key=lambda r: r["key"])
    assert any(r["straw_score"] is not None for r in full)
