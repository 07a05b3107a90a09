"""bench/memory_probe.py and bench/bench_batch_memory.py: a day's load and analysis, its memory tagged by stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from algorithms import alerts
from algorithms import analyze as analyze_module
from api.services import daily
from graph import side_delta
from graph.embedded_store import EmbeddedStore
from tests.worlds import analysed_day_store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_batch_memory import combined, measure

OVERLAP = """
import json, sys, threading
sys.path.insert(0, sys.argv[1])
from memory_probe import Probe, phase, stage

with stage("nobody listens"):
    pass
with Probe(interval=0.005) as probe:
    probe.set_baseline()
    with phase("load"), stage("outer"):
        ballast = bytearray(64 * 2**20)  # touched: 64 MB of anonymous memory
        ballast[:: 4096] = b"x" * len(ballast[:: 4096])
        other = threading.Thread(target=lambda: stage("beside").__enter__())
        other.start()
        other.join()
    del ballast  # after the stage's end, whose own sample sees it (a loaded machine may give the sampler none)
    with stage("again"):  # a stage's rise is within one entry: what grew between its entries is not its own
        pass
    grown = bytearray(64 * 2**20)
    grown[:: 4096] = b"x" * len(grown[:: 4096])
    with stage("again"):
        pass
print(json.dumps({"rows": probe.rows(), "samples": probe.samples}))
"""


def test_stages_overlap_across_threads_and_nothing_is_tagged_without_a_probe() -> None:
    """In a process of its own: the probe measures the whole process's memory, and a test worker's leftover
    threads (servers, pools of earlier tests) allocate and free beside it (the CI saw a rise of 4 MB for 64)."""
    run = subprocess.run([sys.executable, "-c", OVERLAP, str(Path(__file__).resolve().parents[2] / "bench")],
                         capture_output=True, text=True, check=True, timeout=120)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    rows = {row["stage"]: row for row in found["rows"]}
    assert {"load", "load/outer", "load/beside", "(process)"} <= set(rows)
    assert rows["load/outer"]["RssAnon"] >= 60 and rows["load/outer"]["rise_RssAnon"] >= 60
    assert rows["load"]["entries"] == 1 and found["samples"] > 0
    assert rows["again"]["entries"] == 2 and rows["again"]["RssAnon"] >= 60 and rows["again"]["rise_RssAnon"] < 30
    assert "nobody listens" not in rows


def test_a_day_is_tagged_by_file_commit_side_table_and_analysis_stage(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    db = tmp_path / "db.lbug"
    history = analysed_day_store(tmp_path_factory, db)
    patched = (analyze_module.stage_timer, alerts.stage_timer, daily.run_load, side_delta._append,
               EmbeddedStore._execute, EmbeddedStore.upsert_nodes, EmbeddedStore._copy_rels)
    figures = measure(db, history.stream.batches[0], 256, tmp_path, writes=True, groups=True)
    stages = {row["stage"] for row in figures["rows"]}  # type: ignore[attr-defined]
    assert {"load/file:traces", "load/file:multiple-sales", "load/file:nibin", "load/COMMIT", "load/side_delta",
            "analysis/seeds", "analysis/changed", "analysis/closure", "analysis/write_back", "analysis/commit",
            "analysis/COMMIT", "load/upsert_nodes:Firearm"} <= stages
    assert figures["loaded"] and figures["alerts"] is not None
    # a small world's tables fit in one node group: each type the day writes touches one group each way
    assert figures["node_groups"]["PURCHASED fwd"] == figures["node_groups"]["PURCHASED bwd"] == 1  # type: ignore[index]
    assert all("engine" in row for row in figures["rows"])  # type: ignore[attr-defined]
    assert any(row["engine"] > 0 for row in figures["rows"])  # type: ignore[attr-defined]
    # the instrument is gone afterwards: the code runs as it did
    assert patched == (analyze_module.stage_timer, alerts.stage_timer, daily.run_load, side_delta._append,
                       EmbeddedStore._execute, EmbeddedStore.upsert_nodes, EmbeddedStore._copy_rels)
    table = combined({"a": figures, "b": figures})
    assert "load/side_delta" in table and table.splitlines()[0].endswith("b/a anon | rss")


def test_the_engine_s_frames_and_malloc_s_count_are_read_apart(tmp_path: Path) -> None:
    """What bench_incremental --memory splits the process's peak into: the engine's page-cache frames (the Rss of
    its reserved region), which grow as it reads pages, and glibc malloc's own count."""
    from memory_probe import Probe, read_frames, read_malloc, stage

    before = read_frames()
    with EmbeddedStore(tmp_path / "g.lbug", buffer_pool_mb=256) as store:
        store.init_schema()
        with store.batch():
            store.upsert_nodes("Person", [{"person_key": f"p{i}", "last_name": "x" * 40} for i in range(50_000)])
        store.checkpoint()
        opened = read_frames()
        store.counts()
        with Probe(engine=store, frames_every=1) as probe, stage("read"):  # (sampled as it begins and ends)
            store.node_table("Person", ("last_name",))
        read = read_frames()
        kinds = probe.by_kind()
    assert opened > before and read > opened + 200_000  # the column's pages read into frames (~0.5 MB)
    assert probe.peak["frames"] > opened + 200_000 and kinds["engine"] > 0
    assert set(kinds) == {"VmRSS", "file", "anon", "frames", "engine", "arrow", "malloc_used", "malloc_free",
                          "python", "other_anon"}
    assert read_malloc()["malloc_used"] > 0
