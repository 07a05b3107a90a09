"""Every shared question gives the same answer through both ports: named Cypher on the store (what the CLI reads)
and the in-memory snapshot (what ``serve`` reads)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from algorithms.corridor_query import COLUMNS, CorridorQuery, records
from api.services import corridors, dealer_profile, listing, path
from api.services.port import SnapshotPort, StorePort
from api.services.snapshot import build_snapshot
from graph.embedded_store import EmbeddedStore
from tests.services.conftest import World


@pytest.fixture(scope="module")
def ports(demo_world: World) -> Iterator[tuple[StorePort, SnapshotPort]]:
    with EmbeddedStore(demo_world.cli_db) as store:
        yield StorePort(store), SnapshotPort(build_snapshot(store))


def listed(page: listing.ListPage) -> list[tuple[Any, ...]]:
    return [(i.rank, i.key, i.score, i.properties.get("network_id"), str(i.indicators)) for i in page.items]


@pytest.mark.parametrize("ask", [
    lambda p: listing.straw_queue(p, limit=40),
    lambda p: listing.straw_queue(p, state="VA", min_score=1.0, limit=15),
    lambda p: listing.dealer_anomalies(p, limit=40),
    lambda p: listing.networks(p, limit=None),
    lambda p: listing.networks(p, everything=True, limit=None),
], ids=["straw", "straw-filtered", "dealers", "networks", "networks-all"])
def test_ranked_lists(ports: tuple[StorePort, SnapshotPort], ask: Any) -> None:
    store, snapshot = ports
    from_store, from_snapshot = ask(store), ask(snapshot)
    assert from_store.items and listed(from_store) == listed(from_snapshot)
    assert (from_store.total, from_store.next_cursor) == (from_snapshot.total, from_snapshot.next_cursor)


def test_straw_network_filter_reads_membership(ports: tuple[StorePort, SnapshotPort]) -> None:
    store, snapshot = ports
    network = listing.networks(store, limit=1).items[0].key
    members = listing.straw_queue(store, network_id=network, limit=None)
    assert members.items and members.total == len(members.items)
    assert listed(members) == listed(listing.straw_queue(snapshot, network_id=network, limit=None))


@pytest.mark.parametrize("query", [CorridorQuery(top=30), CorridorQuery(level="city", top=30),
                                   CorridorQuery(into=("NY",), top=10)], ids=["state", "city", "into-ny"])
def test_corridors(ports: tuple[StorePort, SnapshotPort], query: CorridorQuery) -> None:
    store, snapshot = ports
    a, b = corridors.corridors(store, query), corridors.corridors(snapshot, query)
    columns = list(COLUMNS)
    assert len(a.ranked) and records(a.ranked[columns]) == records(b.ranked[columns]) and a.total == b.total


def test_dealer_profiles(ports: tuple[StorePort, SnapshotPort]) -> None:
    store, snapshot = ports
    top = [i.properties["license_number"] for i in listing.dealer_anomalies(store, limit=5).items]
    for license_number in top:
        assert (dealer_profile.dealer_profile(store, license_number, hotspot_rule="above-national")
                == dealer_profile.dealer_profile(snapshot, license_number, hotspot_rule="above-national"))


def test_paths(ports: tuple[StorePort, SnapshotPort]) -> None:
    store, snapshot = ports
    persons = [i.key for i in listing.straw_queue(store, limit=10).items]
    dealers = [i.properties["license_number"] for i in listing.dealer_anomalies(store, limit=3).items]
    found = 0
    for person in persons:
        for dealer in dealers:
            a = path.find_path(store, f"person:{person}", f"dealer:{dealer}", max_hops=6)
            assert asdict(a) == asdict(path.find_path(snapshot, f"person:{person}", f"dealer:{dealer}", max_hops=6))
            found += a.found
    assert found
