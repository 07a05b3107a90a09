"""Projections out of the store: keys, labels, types and dates line up with what was stored."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from algorithms.projection import EdgeSpec, from_edge_tables, person_projection, project
from graph.embedded_store import EmbeddedStore
from graph.errors import InvalidInput


def test_projection_from_the_store(trace_store: EmbeddedStore) -> None:
    p = project(trace_store, [EdgeSpec("PURCHASED", "Person", "Firearm", ("sale_id",), "purchase_date"),
                              EdgeSpec("RECOVERED_IN", "Firearm", "Recovery")],
                node_labels=["Person"], node_dates={"Recovery": "recovery_date"})
    assert p.labels == ("Person", "Firearm", "Recovery")
    assert p.graph.vcount() == 5 + 2 + 2  # every person, even those without purchases
    assert p.graph.ecount() == 4 and p.graph.is_directed()
    edges = {(p.key_of(a)[1], p.key_of(b)[1], p.edge_type_of(e), p.edge_date[e].astype(object),
              p.edge_properties["sale_id"][e]) for e, (a, b) in enumerate(p.graph.get_edgelist())}
    assert ("P1", "GLOCK|ABC123|PISTOL", "PURCHASED", dt.date(2019, 1, 1), "trace:T-R1") in edges
    assert ("GLOCK|ABC123|PISTOL", "T-R1", "RECOVERED_IN", None, None) in edges
    recovery = p.vertex_id("Recovery", "T-R1")
    assert recovery is not None and p.vertex_date[recovery] == np.datetime64("2020-05-01")
    assert p.vertex_id("Person", "P4") is not None and p.graph.degree(p.vertex_id("Person", "P4")) == 0
    assert p.vertex_id("Person", "NOBODY") is None and p.vertex_id("Dealer", "x") is None


def test_rows_with_a_null_endpoint_are_not_edges() -> None:
    table = pd.DataFrame({"src": ["a", None, "c"], "dst": ["x", "y", None]})
    p = from_edge_tables([("LIVES_AT", "Person", "Location", table)])
    assert p.graph.ecount() == 1
    assert p.key_of(p.graph.get_edgelist()[0][1]) == ("Location", "x")


def test_person_projection_sums_layers_and_drops_self_ties() -> None:
    tables = {
        "joint_purchase": pd.DataFrame({"person_a": ["a", "b", "a"], "person_b": ["b", "a", "a"]}),
        "shared_address": pd.DataFrame({"person_a": ["a", "c"], "person_b": ["b", "d"], "count": [2, 1]}),
    }
    pp = person_projection(tables, weights={"shared_address": 0.5}, persons=["z"])
    ids = {key: pp.vertex_id(key) for key in "abcdz"}
    assert pp.graph.vcount() == 5 and pp.graph.degree(ids["z"]) == 0
    ab = pp.graph.get_eid(ids["a"], ids["b"])
    assert pp.layer_counts[ab].tolist() == [2.0, 2.0]  # two joint purchases, two shared-address records
    assert pp.graph.es[ab]["weight"] == pytest.approx(2 * 2.0 + 2 * 0.5)
    assert pp.graph.ecount() == 2 and not pp.graph.is_directed()
    address = pp.layer_graph("shared_address")
    assert address.vcount() == 5 and address.ecount() == 2


def test_person_projection_rejects_bad_tables() -> None:
    with pytest.raises(InvalidInput):
        person_projection({"joint_purchase": pd.DataFrame({"person_a": ["a"]})})
    with pytest.raises(InvalidInput):
        person_projection({"gossip": pd.DataFrame({"person_a": ["a"], "person_b": ["b"]})})
