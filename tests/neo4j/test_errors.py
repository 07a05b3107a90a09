"""Neo4j's failures reach users as the error tree's one line: wrong credentials, no server, a server that goes away
in the middle of a load (its connections cut as a dying server's are; a re-run then completes it), a constraint
violation."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.errors import InvalidInput, StoreRefused, StoreUnavailable
from graph.neo4j_server import free_port
from graph.neo4j_store import Neo4jStore
from tests.neo4j_support import Neo4jServer, Plug
from tests.worlds import simulated

pytestmark = pytest.mark.neo4j

TRACEGRAPH = [sys.executable, "-c", "from api.cli import main; main()"]
TRACES = Path(__file__).parent.parent / "data" / "loaders"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACEGRAPH, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_wrong_password_is_one_line_and_exit_2(neo4j_server: Neo4jServer) -> None:
    # a user that does not exist: a wrong password for `neo4j` would lock that user out for a few seconds
    with pytest.raises(StoreRefused, match="refused the credentials"):
        Neo4jStore(neo4j_server.uri, "nobody", "wrong")
    done = cli({**neo4j_server.env(), "TRACEGRAPH_NEO4J_USER": "nobody", "TRACEGRAPH_NEO4J_PASSWORD": "x"}, "stats")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "refused the credentials" in done.stderr


def test_no_server_is_one_line_and_exit_3() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable, match=r"unavailable|unreachable"):
        Neo4jStore(uri, "neo4j", "x")
    done = cli({"TRACEGRAPH_STORE": "neo4j", "TRACEGRAPH_NEO4J_URI": uri}, "stats")
    assert done.returncode == 3, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and uri in done.stderr


def test_constraint_violation_is_invalid_input(neo4j_server: Neo4jServer) -> None:
    with neo4j_server.store() as store:
        store._write("CREATE (:Dealer {dealer_key: 'k1'})")
        with pytest.raises(InvalidInput, match="refused the data"):
            store._write("CREATE (:Dealer {dealer_key: 'k1'})")


@pytest.fixture
def plug(neo4j_server: Neo4jServer) -> Iterator[Plug]:
    """The session's server behind a relay the test pulls mid-load: the client sees what a killed server shows it
    (its connections reset, new ones refused) and the server keeps what was committed, as a restarted one does."""
    if not neo4j_server.uri.startswith("bolt://"):  # routing (neo4j://) would send the driver past it; TLS fails
        pytest.skip(f"a relay stands in front of a plain bolt:// server only, not {neo4j_server.uri}")
    relay = Plug.before(neo4j_server.uri)
    yield relay
    relay.close()


def test_server_gone_mid_load_then_rerun_equals_one_clean_load(plug: Plug, neo4j_server: Neo4jServer,
                                                                tmp_path: Path,
                                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for

    # the world's first 600 traces (the world test_admin_import and the loaders' interruption tests simulate too):
    # three batches of 200, the plug pulled after the second (the size is not the point: 3,000 traces in batches
    # of 1,000 took ~3 min on Neo4j here for the same three batches)
    lines = (simulated(tmp_path_factory, "small", 11) / "traces.csv").read_text(encoding="utf-8").splitlines()
    traces = tmp_path / "traces.csv"
    traces.write_text("\n".join(lines[:601]) + "\n", encoding="utf-8")

    def load(store: Neo4jStore, **options: object) -> None:
        run_load(loader_for("traces"), store, traces, LoadOptions(rejects_dir=tmp_path / "rej", batch_rows=200,
                                                                  **options))  # type: ignore[arg-type]

    with neo4j_server.store() as clean:  # the reference: one uninterrupted load
        load(clean)
        expected = clean.counts()
    neo4j_server.store().close()  # emptied again, for the interrupted load

    # the driver retries a write to a lost server for retry_seconds (30 s by default, which rides out a restart):
    # this store gives up after 2, so the test waits 2 s for the failure instead of 30
    pulled: list[float] = []
    with Neo4jStore(plug.uri, neo4j_server.user, neo4j_server.password, retry_seconds=2) as store:
        store.init_schema()

        def pull_the_plug(rows: int) -> None:
            if rows >= 400 and not pulled:
                plug.pull()
                pulled.append(time.monotonic())

        with pytest.raises(StoreUnavailable, match="unavailable"):
            load(store, progress=pull_the_plug)
        assert time.monotonic() - pulled[0] < 20  # the store's retry time, not the driver's 30 s default
    plug.put_back()
    with Neo4jStore(plug.uri, neo4j_server.user, neo4j_server.password) as store:
        partial = store.counts()
        assert 0 < partial["nodes"]["Recovery"] < expected["nodes"]["Recovery"]
    done = cli({"TRACEGRAPH_STORE": "neo4j", "TRACEGRAPH_NEO4J_URI": plug.uri,
                "TRACEGRAPH_NEO4J_USER": neo4j_server.user, "TRACEGRAPH_NEO4J_PASSWORD": neo4j_server.password},
               "load", "traces", str(traces), "--rejects-dir", str(tmp_path / "rej2"))
    assert done.returncode == 0, done.stderr
    with Neo4jStore(plug.uri, neo4j_server.user, neo4j_server.password) as store:
        assert store.counts() == expected
