"""Paths between entities on the in-memory projection, and the firearm chain from the store."""

from __future__ import annotations

import datetime as dt

import igraph as ig
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.chain import firearm_chain
from algorithms.paths import (
    REFERENCE_LABELS,
    EntityRef,
    PathIndex,
    parse_reference,
    path_index,
    path_projection,
    shortest_path,
)
from algorithms.projection import from_edge_tables
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput, NotFound


@pytest.fixture(scope="module")
def index(trace_store: EmbeddedStore) -> PathIndex:
    return path_index(path_projection(trace_store))


def test_path_through_a_nibin_lead_lists_nodes_and_relationships(index: PathIndex) -> None:
    path = shortest_path(index, "person:P1", "person:P3")
    assert path.found and path.hops == 4
    assert [(n.label, n.key) for n in path.nodes] == [
        ("Person", "P1"), ("Firearm", "GLOCK|ABC123|PISTOL"), ("Recovery", "T-R1"), ("Recovery", "T-R2"),
        ("Person", "P3")]
    assert [r.type for r in path.relationships] == ["PURCHASED", "RECOVERED_IN", "NIBIN_LINK", "POSSESSED_BY"]
    purchase = path.relationships[0]  # stored direction is kept even though the path walks it backwards
    assert (purchase.start.key, purchase.end.key, purchase.date) == ("P1", "GLOCK|ABC123|PISTOL", dt.date(2019, 1, 1))


def test_hop_limit(index: PathIndex) -> None:
    assert not shortest_path(index, "person:P1", "person:P3", max_hops=3).found
    assert shortest_path(index, "person:P1", "person:P3", max_hops=4).hops == 4


def test_type_filter_reroutes_or_disconnects(index: PathIndex) -> None:
    no_nibin = ["SOLD", "PURCHASED", "RECOVERED_IN", "POSSESSED_BY"]
    path = shortest_path(index, "person:P1", "person:P3", types=no_nibin)
    assert path.hops == 5 and "NIBIN_LINK" not in {r.type for r in path.relationships}
    assert any(n.label == "Dealer" for n in path.nodes)
    assert not shortest_path(index, "person:P1", "person:P3", types=["PURCHASED", "RECOVERED_IN", "POSSESSED_BY"]).found


def test_containment_is_not_followed_unless_asked(index: PathIndex) -> None:
    assert not shortest_path(index, "person:P4", "dealer:1-54-12345", types=["LIVES_AT", "AT"]).found
    assert shortest_path(index, "person:P4", "dealer:1-54-12345", types=["LIVES_AT", "AT", "IN"]).hops == 3
    default = shortest_path(index, "person:P4", "dealer:1-54-12345")
    assert default.hops == 4 and "IN" not in {r.type for r in default.relationships}  # via P1's purchase


def test_since_drops_older_relationships(index: PathIndex) -> None:
    assert shortest_path(index, "dealer:1-54-12345", "person:P1").hops == 2
    later = dt.date(2019, 1, 15)  # F1 was sold and bought on 2019-01-01, F2 on 2019-02-01
    assert not shortest_path(index, "dealer:1-54-12345", "person:P1", since=later).found
    assert shortest_path(index, "dealer:1-54-12345", "person:P5", since=later).hops == 2


def test_since_drops_older_recoveries(index: PathIndex) -> None:
    assert shortest_path(index, "person:P2", "person:P3", since=dt.date(2020, 1, 1)).hops == 3
    assert not shortest_path(index, "person:P2", "person:P3", since=dt.date(2020, 12, 1)).found  # R1 is 2020-05-01


def test_dealer_found_by_any_full_license_number(index: PathIndex) -> None:
    renewed = "1-54-003-01-7C-12345"  # same dealer after a renewal changed the expiry code
    assert shortest_path(index, f"dealer:{renewed}", "person:P5").found


def test_same_entity_is_a_zero_hop_path(index: PathIndex) -> None:
    path = shortest_path(index, "firearm:GLOCK|ABC123|PISTOL", "firearm:GLOCK|ABC123|PISTOL")
    assert path.found and path.hops == 0 and len(path.nodes) == 1


def test_unknown_entity_is_not_found(index: PathIndex) -> None:
    with pytest.raises(NotFound):
        shortest_path(index, "person:P1", "person:NOBODY")
    with pytest.raises(NotFound):
        shortest_path(index, "recovery:NO-SUCH-TRACE", "person:P1")


def test_entity_without_relationships_is_found_but_unconnected(embedded_store: EmbeddedStore) -> None:
    embedded_store.upsert_nodes("Person", [{"person_key": "A"}, {"person_key": "B"}])
    result = shortest_path(path_index(path_projection(embedded_store)), "person:A", "person:B")
    assert not result.found and result.nodes == ()


@pytest.mark.parametrize("bad", ["P1", "persons:P1", "person:", "  :x", "vehicle:ABC", ""])
def test_malformed_reference_is_invalid_input(index: PathIndex, bad: str) -> None:
    with pytest.raises(InvalidInput):
        shortest_path(index, bad, "person:P1")


def test_bad_options_are_invalid_input(index: PathIndex) -> None:
    with pytest.raises(InvalidInput):
        shortest_path(index, "person:P1", "person:P3", types=["BOUGHT"])
    with pytest.raises(InvalidInput):
        shortest_path(index, "person:P1", "person:P3", max_hops=-1)


_KEY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1,
               max_size=40).filter(lambda k: k == k.strip())


@given(prefix=st.sampled_from(sorted(REFERENCE_LABELS)), key=_KEY)
def test_reference_round_trips(prefix: str, key: str) -> None:
    ref = parse_reference(f"{prefix}:{key}")
    assert ref.label == REFERENCE_LABELS[prefix]
    if prefix != "dealer" or ref.key == key:  # full license numbers are shortened to the dealer's identity
        assert str(ref) == f"{prefix}:{key}"
    assert parse_reference(str(ref)) == ref
    assert parse_reference(f"  {prefix.upper()}:{key} ") == ref


@given(st.text(max_size=60))
def test_any_text_parses_or_is_invalid_input(text: str) -> None:
    try:
        ref = parse_reference(text)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(ref, EntityRef) and ref.key


@settings(deadline=None)  # a 60-node graph per example: timing varies on a loaded machine, the answer does not
@given(seed=st.integers(0, 10_000))
def test_bidirectional_bfs_finds_shortest_lengths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    edges = rng.integers(0, n, size=(70, 2))
    table = pd.DataFrame({"src": [f"v{a}" for a in edges[:, 0]], "dst": [f"v{b}" for b in edges[:, 1]]})
    projection = from_edge_tables([("NIBIN_LINK", "Recovery", "Recovery", table)],
                                  nodes={"Recovery": pd.DataFrame({"key": [f"v{i}" for i in range(n)]})})
    idx = path_index(projection)
    graph = ig.Graph(n=n, edges=[(int(a), int(b)) for a, b in edges])
    for a, b in rng.integers(0, n, size=(10, 2)):
        expected = graph.distances(int(a), int(b))[0][0]
        got = shortest_path(idx, f"recovery:v{a}", f"recovery:v{b}", max_hops=32)
        if np.isinf(expected):
            assert not got.found
        else:
            assert got.hops == expected
            for rel, (left, right) in zip(got.relationships, zip(got.nodes, got.nodes[1:], strict=False),
                                          strict=True):
                assert {rel.start, rel.end} == {left, right}


def test_firearm_chain(trace_store: EmbeddedStore) -> None:
    chain = firearm_chain(trace_store, "firearm:GLOCK|ABC123|PISTOL")
    assert chain.manufacturer == "GLOCK"
    assert [(s.dealer_key, s.sale_date) for s in chain.sales] == [("1-54-12345", dt.date(2019, 1, 1))]
    assert [(p.person_key, p.multiple_sale) for p in chain.purchases] == [("P1", True)]
    assert [(r.trace_id, r.time_to_crime_days, [x.person_key for x in r.possessors]) for r in chain.recoveries] \
        == [("T-R1", 486, ["P2"])]
    assert [(link.lead_id, link.linked_trace_id, link.status) for link in chain.nibin_links] == \
        [("L-1", "T-R2", "CONFIRMED")]


def test_firearm_chain_of_a_gun_never_recovered(embedded_store: EmbeddedStore) -> None:
    embedded_store.upsert_nodes("Firearm", [{"firearm_key": "LONE|1|RIFLE"}])
    chain = firearm_chain(embedded_store, "LONE|1|RIFLE")
    assert chain.sales == chain.purchases == chain.recoveries == chain.nibin_links == ()


def test_firearm_chain_errors(trace_store: EmbeddedStore) -> None:
    with pytest.raises(NotFound):
        firearm_chain(trace_store, "firearm:NO|SUCH|GUN")
    with pytest.raises(InvalidInput):
        firearm_chain(trace_store, "person:P1")
