"""The session's local Neo4j server runs with the JVM options the suite gives its servers (tests/conftest.py:
C1-only with the serial collector, docs/performance.md "the Neo4j unit"), not Neo4j's G1 default, and with the
suite's neo4j.conf settings (each Cypher statement planned once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.neo4j_server import JVM_OPTIONS_ENV
from graph.neo4j_store import Neo4jStore
from tests.conftest import TEST_JVM_OPTIONS, TEST_NEO4J_SETTINGS
from tests.neo4j_support import Neo4jServer

pytestmark = pytest.mark.neo4j


def test_the_session_server_runs_with_the_suites_jvm_options(neo4j_server: Neo4jServer) -> None:
    if neo4j_server.local is None or neo4j_server.local.pid is None:
        pytest.skip(f"the session's Neo4j is not a server this session started ({neo4j_server.uri})")
    arguments = Path(f"/proc/{neo4j_server.local.pid}/cmdline").read_bytes().decode().split("\0")
    for option in TEST_JVM_OPTIONS.split():
        assert option in arguments, (option, JVM_OPTIONS_ENV)
    assert "-XX:+UseG1GC" not in arguments  # the named collector replaced the default


def test_the_session_server_runs_with_the_suites_settings(neo4j_server: Neo4jServer) -> None:
    if neo4j_server.local is None:
        pytest.skip(f"the session's Neo4j is not a server this session started ({neo4j_server.uri})")
    wanted = dict(setting.split("=", 1) for setting in TEST_NEO4J_SETTINGS.split())
    with Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password) as store:
        rows = store._read("SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
                           {"names": list(wanted)}).rows()
    assert {r["name"]: r["value"] for r in rows} == {"dbms.cypher.statistics_divergence_threshold": "1.0",
                                                     "dbms.cypher.min_replan_interval": "1h"}, wanted
