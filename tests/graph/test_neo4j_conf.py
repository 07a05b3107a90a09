"""The local Neo4j server's memory is sized for the machine it shares (graph/neo4j_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.neo4j_server import JVM_OPTIONS_ENV, LocalNeo4j, conf_text, jvm_options, memory_for_machine


def test_memory_is_an_eighth_of_the_machine_within_bounds() -> None:
    assert memory_for_machine(24_000) == (3000, 3000)
    assert memory_for_machine(2_048) == (512, 256)  # a small machine still gets a heap Neo4j starts with
    assert memory_for_machine(512_000) == (8192, 16384)  # a big one: no heap past 8 GB (GC pauses), cache capped
    heap, pagecache = memory_for_machine()
    assert 512 <= heap <= 8192 and 256 <= pagecache <= 16384


def test_conf_carries_the_sizes(tmp_path: Path) -> None:
    text = conf_text(tmp_path, 7687, 7474, 3000, 1500)
    assert "server.memory.heap.max_size=3000m" in text and "server.memory.pagecache.size=1500m" in text


def test_jvm_options_add_to_g1_and_a_named_collector_replaces_it(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    assert jvm_options("") == ["-XX:+UseG1GC"]
    assert jvm_options("-XX:TieredStopAtLevel=1  -Xss2m") == ["-XX:+UseG1GC", "-XX:TieredStopAtLevel=1", "-Xss2m"]
    assert jvm_options("-XX:TieredStopAtLevel=1 -XX:+UseSerialGC") == ["-XX:TieredStopAtLevel=1",
                                                                        "-XX:+UseSerialGC"]
    monkeypatch.setenv(JVM_OPTIONS_ENV, "-XX:+UseParallelGC -Xshare:auto")
    server = LocalNeo4j(tmp_path / "home", lib=tmp_path)
    command = server.admin_command("version")
    assert "-XX:+UseG1GC" not in command
    assert command.index("-XX:+UseParallelGC") < command.index("-Xshare:auto") < command.index("-cp")

