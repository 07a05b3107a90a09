"""Shared fixtures. Test data copied from ../shared/data lives in tests/data (see tests/data/PROVENANCE.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from graph.embedded_store import EmbeddedStore
from graph.neo4j_server import JVM_OPTIONS_ENV, SETTINGS_ENV, LocalNeo4j, gds_missing_tools, missing_tools
from tests.neo4j_support import Neo4jServer

DATA = Path(__file__).parent / "data"

# Property tests check behaviour, not speed (speed is measured by bench/): no per-example deadline, which a shared
# or busy machine exceeds (a 254 ms example against Hypothesis's 200 ms default failed a full run under load).
settings.register_profile("tracegraph", deadline=None)
settings.load_profile("tracegraph")

# The local Neo4j servers the tests start (the session's and test_admin_import's, also through the CLI in a
# subprocess) live minutes and run each statement a few times: C1-compiled code only and the serial collector
# (2 cores) spend less CPU than C2's compilations and G1's concurrent threads. (A set value is kept.)
TEST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
os.environ.setdefault(JVM_OPTIONS_ENV, TEST_JVM_OPTIONS)
# ... and plan each Cypher statement once: the tests empty the database and fill it again many times, and a cached
# plan whose statistics changed by more than the threshold was planned again (most of the servers' CPU is Cypher
# planning: InsertCachedProperties and semantic analysis of the upserts' long statements). 1 = never replan; a plan
# never changes an answer. (A set value is kept.)
TEST_NEO4J_SETTINGS = "dbms.cypher.statistics_divergence_threshold=1 dbms.cypher.min_replan_interval=1h"
os.environ.setdefault(SETTINGS_ENV, TEST_NEO4J_SETTINGS)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """A fresh, initialised embedded store on disk."""
    store = EmbeddedStore(tmp_path / "graph.lbug")
    store.init_schema()
    yield store
    store.close()


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """One Neo4j 5 server for the whole session: the one TRACEGRAPH_NEO4J_URI names (with TRACEGRAPH_NEO4J_USER /
    TRACEGRAPH_NEO4J_PASSWORD), else a local server from Maven Central jars (graph/neo4j_server.py) on loopback."""
    uri = os.environ.get("TRACEGRAPH_NEO4J_URI")
    if uri:
        yield Neo4jServer(uri, os.environ.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
                          os.environ.get("TRACEGRAPH_NEO4J_PASSWORD", ""))
        return
    missing = missing_tools()
    require(not missing, f"the local Neo4j server needs {' and '.join(missing)} on PATH (Java 17+, Maven)")
    # with Graph Data Science (analyze --engine gds) where a JDK can build its extension; the GDS test says if not
    server = LocalNeo4j(tmp_path_factory.mktemp("neo4j-home"), gds=not gds_missing_tools())
    server.start()
    try:
        yield Neo4jServer(server.uri, server.user, server.password, server)
    finally:
        server.stop()


NEO4J_PARAMETER = re.compile(r"\[(.+-)?neo4j(-.+)?\]$")  # the contract suite's [neo4j], [neo4j-probe], ...


def xdist_scope(nodeid: str) -> str:
    """What one pytest-xdist worker runs as a unit (`make test`: ``-n auto --dist loadscope``): every test against
    Neo4j (tests/neo4j and the contract suite's neo4j parameters) is one unit, so one worker starts the session's
    server and the tests that start a second server run there one at a time; any other test goes with its module
    (or class), so a module-scoped fixture is built once."""
    if nodeid.startswith("tests/neo4j/") or NEO4J_PARAMETER.search(nodeid):
        return "neo4j"
    return nodeid.rsplit("::", 1)[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None
    from collections import OrderedDict

    from xdist.scheduler import LoadScopeScheduling

    from tests.schedule import longest_first

    class Neo4jOnOneWorker(LoadScopeScheduling):
        """loadscope with the units of ``xdist_scope``, handed out longest first (tests/schedule.py)."""

        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the first assignment: the queue holds every unit, in xdist's order
                self.workqueue = OrderedDict(longest_first(self.workqueue.items()))
                self.ordered = True
            super()._assign_work_unit(node)

    return Neo4jOnOneWorker(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test against Neo4j outside tests/neo4j and the contract suite would start a second server on another
    worker: say so instead."""
    for item in items:
        if (item.get_closest_marker("neo4j") or "neo4j_server" in getattr(item, "fixturenames", ())) \
                and xdist_scope(item.nodeid) != "neo4j":
            raise pytest.UsageError(f"{item.nodeid} uses Neo4j: put it in tests/neo4j (tests/conftest.py, xdist_scope)")


def require(available: bool, reason: str) -> None:
    """Skip a test whose system dependency is missing on a user's machine; in CI (CI=true) fail instead,
    because CI installs every dependency and a skip there would hide a broken install."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run this test but: {reason}")
    pytest.skip(reason)
