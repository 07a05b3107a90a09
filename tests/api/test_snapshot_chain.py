"""The API serves firearm chains from its snapshot: the same chain the Cypher statement gives, for every gun."""

from __future__ import annotations

from pathlib import Path

from algorithms.chain import firearm_chain
from api.services.firearm_chain import firearm_chain as shared_chain
from api.services.port import SnapshotPort, StorePort
from api.services.snapshot import build_snapshot
from bench.bench_api import build
from graph.embedded_store import EmbeddedStore


def test_snapshot_chain_equals_the_cypher_chain(tmp_path: Path) -> None:
    build(tmp_path / "g.lbug", 150, seed=3)  # sales, repeat purchasers, possessors, NIBIN links
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        snapshot = build_snapshot(store)
        keys = list(snapshot.nodes["Firearm"].rows)
        linked = 0
        for key in keys:
            expected = firearm_chain(store, f"firearm:{key}")
            assert shared_chain(SnapshotPort(snapshot), key) == shared_chain(StorePort(store), key) == expected
            linked += bool(expected.nibin_links)
    assert len(keys) == 150 and linked > 0
