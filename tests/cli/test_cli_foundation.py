"""The command line as a user meets it: init, stats, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graph.schema import SCHEMA

TRACEGRAPH = [sys.executable, "-c", "from api.cli import main; main()"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_init_then_stats_prints_zero_for_every_label_and_type(tmp_path: Path) -> None:
    db = str(tmp_path / "x.lbug")
    first = run("--db", db, "init")
    assert first.returncode == 0 and "retention policy: atf" in first.stderr  # a new store starts on atf
    assert run("--db", db, "init").returncode == 0  # idempotent
    result = run("--db", db, "stats", "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    # the policy the store carries, and the mark that its straw lookup keys are complete (loaders/straw_keys.py)
    nodes = {**dict.fromkeys(SCHEMA.labels, 0), "RetentionPolicy": 1, "StrawKey": 1}
    assert counts == {"nodes": nodes, "relationships": dict.fromkeys(SCHEMA.rel_types, 0)}


def test_db_from_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.lbug"
    assert run("init", env={"TRACEGRAPH_DB": str(db)}).returncode == 0
    assert db.exists()


def test_stats_before_init_is_one_clear_line(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "fresh.lbug"), "stats", "--json")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "tracegraph init" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["no-such-command"], ["--store", "oracle", "stats"], ["stats", "--bogus"]])
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_neo4j_without_uri_is_bad_input(tmp_path: Path) -> None:
    result = run("--store", "neo4j", "stats", env={"TRACEGRAPH_NEO4J_URI": ""})
    assert result.returncode == 2
    assert "URI" in result.stderr


def test_store_held_by_another_process_is_reported_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "held.lbug"
    assert run("--db", str(db), "init").returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, ladybug
            db = ladybug.Database({str(db)!r}); conn = ladybug.Connection(db)
            print("held", flush=True); sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = run("--db", str(db), "stats", "--json")
        assert result.returncode == 2
        assert "in use by another process" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        holder.communicate("", timeout=30)


def test_a_store_an_older_version_wrote_is_refused_in_one_line_until_init(tmp_path: Path) -> None:
    """Upgrading: a store without a property this version stores (here the guns' dealer shares) would fail deep
    in a query; every command says so in one line, names `tracegraph init`, and init brings it up to date."""
    from graph.embedded_store import EmbeddedStore

    db = str(tmp_path / "old.lbug")
    assert run("--db", db, "init").returncode == 0
    with EmbeddedStore(db) as store:  # as an older version left it
        store._execute("ALTER TABLE Firearm DROP dealer_counts")
    for args in (["stats"], ["analyze"]):
        refused = run("--db", db, *args)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().count("\n") == 0 and "Traceback" not in refused.stderr
        assert "Firearm.dealer_counts" in refused.stderr and "`tracegraph init`" in refused.stderr
    assert run("--db", db, "init").returncode == 0
    assert run("--db", db, "stats").returncode == 0


def test_a_load_leaves_with_its_output_written_its_exit_handlers_run_and_its_rows_kept(tmp_path: Path) -> None:
    """`tracegraph load` ends its process as soon as it succeeds (api/cli/root.py ``QUICK_EXIT``): its summary
    reaches a pipe whole, exit handlers still run and what they print is written, and the rows are in the store
    after."""
    db = str(tmp_path / "quick.lbug")
    stolen = Path(__file__).parents[1] / "data" / "stolen" / "stolen.csv"
    code = ("import atexit, sys\natexit.register(lambda: print('exit handler ran'))\n"  # (stdout: a buffered pipe)
            "from api.cli import main\nsys.argv = ['tracegraph', *sys.argv[1:]]\nmain()")
    done = subprocess.run([sys.executable, "-c", code, "--db", db, "load", "stolen", str(stolen), "--json",
                           "--rejects-dir", str(tmp_path / "rejects")], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"})  # (as cron runs it)
    assert done.returncode == 0, done.stderr
    *_, last_line, handler = done.stdout.strip().splitlines()
    summary = json.loads(last_line)
    assert summary["kind"] == "stolen" and summary["loaded"] > 0
    assert handler == "exit handler ran"
    counted = run("--db", db, "stats", "--json")
    assert json.loads(counted.stdout.strip().splitlines()[-1])["nodes"]["TheftReport"] > 0


def test_a_load_that_cannot_leave_at_once_closes_its_store_and_exits_as_before(tmp_path: Path) -> None:
    """A `tracegraph load` whose process still runs a thread when the command returns does not leave at once
    (api/cli/root.py ``_leave``): the store's engine, left for the exit while the command ran, is closed as a
    close does, the interpreter's own exit follows, and the rows are in the store after."""
    db = str(tmp_path / "slow.lbug")
    stolen = Path(__file__).parents[1] / "data" / "stolen" / "stolen.csv"
    code = ("import sys, threading, time\nthreading.Thread(target=time.sleep, args=(3,)).start()\n"
            "from api.cli import main\nfrom graph import embedded_log\nsys.argv = ['tracegraph', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n    print('left engines', len(embedded_log._LEFT))\n")
    done = subprocess.run([sys.executable, "-c", code, "--db", db, "load", "stolen", str(stolen),
                           "--rejects-dir", str(tmp_path / "rejects")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "left engines 0"
    counted = run("--db", db, "stats", "--json")
    assert json.loads(counted.stdout.strip().splitlines()[-1])["nodes"]["TheftReport"] > 0
