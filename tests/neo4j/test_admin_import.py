"""The initial load with ``neo4j-admin database import`` (graph/neo4j_import.py, ``tracegraph neo4j import``): the
graph the loaders built in the embedded store arrives in Neo4j whole, every property with its type, and the server
then serves it with the constraints in place."""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput, StoreUnavailable
from graph.neo4j_import import import_store
from graph.neo4j_server import LocalNeo4j, missing_tools
from graph.neo4j_store import Neo4jStore
from graph.schema import SCHEMA
from tests.conftest import require
from tests.worlds import simulated

pytestmark = pytest.mark.neo4j

DATA = Path(__file__).parent.parent / "data" / "loaders"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from api.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=300, env=os.environ.copy())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store with real public rows (the ATF FFL list excerpt, inspections) and simulated traces and
    multiple sales: dates, timestamps, booleans, doubles, keyed relationships. The simulated world's first 1,200
    traces and 300 multiple-sale rows (the size is not the point: every table is compared through Bolt, and the
    world's 5,000 traces cost the imported server ~90 CPU s to read back)."""
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for
    root = tmp_path_factory.mktemp("import-source")
    simulated_world = simulated(tmp_path_factory, "small", 11)
    heads = {}
    for name, rows in (("traces.csv", 1_200), ("multiple_sales.csv", 300)):
        heads[name] = root / name
        with (simulated_world / name).open(encoding="utf-8", newline="") as whole, \
                heads[name].open("w", encoding="utf-8", newline="") as head:  # the first records, not lines
            csv.writer(head, lineterminator="\n").writerows(itertools.islice(csv.reader(whole), rows + 1))
    with EmbeddedStore(root / "source.lbug") as store:
        store.init_schema()
        for kind, path in (("ffl", DATA / "0125-ffl-list-va-excerpt.txt"), ("inspections", DATA / "inspections.csv"),
                           ("traces", heads["traces.csv"]), ("multiple-sales", heads["multiple_sales.csv"])):
            report = run_load(loader_for(kind), store, path, LoadOptions(rejects_dir=root / "rej"))
            assert report.loaded > 0, kind
    return root / "source.lbug"


@pytest.fixture(scope="module")
def imported(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    """One `tracegraph neo4j import` of the source into a new server home; the server runs afterwards."""
    require(not missing_tools(), "the local Neo4j server needs java and mvn")
    home = tmp_path_factory.mktemp("neo4j-import") / "home"
    try:
        result = CliRunner().invoke(app, ["neo4j", "import", "--home", str(home), "--from", str(source), "--json",
                                          "--heap-mb", "512", "--pagecache-mb", "128"])
        assert result.exit_code == 0, (result.output, result.exception)
        report = json.loads(result.stdout)
        assert report["nodes"] > 1000 and report["relationships"] > 1000
        server = LocalNeo4j(home)
        assert server.running() and report["uri"] == server.uri
        yield server
    finally:
        LocalNeo4j(home).stop()


def test_every_node_and_relationship_arrives_with_its_properties(source: Path, imported: LocalNeo4j) -> None:
    with EmbeddedStore(source, read_only=True) as embedded, \
            Neo4jStore(imported.uri, imported.user, imported.password) as neo:
        assert neo.counts() == embedded.counts()
        for node in SCHEMA.nodes:
            props = tuple(p.name for p in node.properties if p.name != node.key)
            assert neo.node_table(node.name, props).equals(embedded.node_table(node.name, props)), node.name
        for rel in SCHEMA.relationships:
            props = tuple(p.name for p in rel.properties)
            for a, b in rel.endpoints:
                assert neo.edge_list(rel.name, a, b, props).equals(embedded.edge_list(rel.name, a, b, props)), \
                    (rel.name, a, b)


def test_the_imported_database_has_its_constraints_and_takes_loads(imported: LocalNeo4j) -> None:
    with Neo4jStore(imported.uri, imported.user, imported.password) as neo:
        names = {r["name"] for r in neo._read("SHOW CONSTRAINTS YIELD name RETURN name").rows()}
        assert {f"{n.name.lower()}_{n.key}_unique" for n in SCHEMA.nodes} <= names
        dealer = neo.node_table("Dealer").column("key")[0].as_py()
        with pytest.raises(InvalidInput, match="refused the data"):
            neo._write("CREATE (:Dealer {dealer_key: $k})", {"k": dealer})
        before = neo.counts()["nodes"]["Dealer"]
        assert neo.upsert_nodes("Dealer", [{"dealer_key": dealer, "business_name": "X"}]).created == 0
        assert neo.counts()["nodes"]["Dealer"] == before


def test_import_refuses_a_running_server_and_an_existing_database(source: Path, imported: LocalNeo4j,
                                                                   tmp_path: Path) -> None:
    with EmbeddedStore(source, read_only=True) as store:
        with pytest.raises(InvalidInput, match="is running: stop it first"):
            import_store(store, imported, tmp_path / "a")
        stopped = LocalNeo4j(tmp_path / "home")
        (stopped.home / "data" / "databases" / "neo4j").mkdir(parents=True)  # as after a first start
        with pytest.raises(InvalidInput, match="exists: --replace"):
            import_store(store, stopped, tmp_path / "b")


def test_cli_refuses_a_running_server_and_a_missing_store_in_one_line(source: Path, imported: LocalNeo4j,
                                                                       tmp_path: Path) -> None:
    again = cli("neo4j", "import", "--home", str(imported.home), "--from", str(source))
    assert again.returncode == 2
    assert "is running: stop it first" in again.stderr.strip().splitlines()[-1]
    missing = cli("neo4j", "import", "--home", str(tmp_path / "h2"), "--from", str(tmp_path / "none.lbug"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "no store at" in missing.stderr


def test_a_failed_import_is_store_unavailable(source: Path, tmp_path: Path) -> None:
    require(not missing_tools(), "the local Neo4j server needs java and mvn")
    server = LocalNeo4j(tmp_path / "home", heap_mb=512, pagecache_mb=128)
    (server.home / "data" / "databases" / "neo4j").mkdir(parents=True)  # as after a first start (saves one)
    try:
        with EmbeddedStore(source, read_only=True) as store, \
                pytest.raises(StoreUnavailable, match=r"import failed \(exit \d+\): .*lots"):
            import_store(store, server, tmp_path / "csv", replace=True, max_off_heap="lots")
        assert not server.running()
    finally:
        server.stop()
