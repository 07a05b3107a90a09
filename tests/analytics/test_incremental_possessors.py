"""A network's possessors (``networks.possessors_only``) decided by the incremental run as by a full one: the
incremental run decides "possessor only" from the pairs of its closure (``network_joins.joins``), the full run
from every pair. A person whose guns came from one purchaser in the history and from another in a new batch is a
common possessor, a member, either way — the tie to the first purchaser is not one the batch touches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest

from algorithms import incremental, network_joins
from algorithms.analyze import AnalysisResult, analyze
from algorithms.tables import load_tables
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from tests.worlds import analysed_history, copy_store


@dataclass
class Planted:
    store: EmbeddedStore
    possessor: str          # listed apart after the history: tied only to the purchaser whose gun he held
    first: str              # that purchaser
    second: str             # the purchaser of the batch's gun found with him
    history: AnalysisResult
    result: incremental.IncrementalResult


def _possessor_rows(store: EmbeddedStore, history: AnalysisResult) -> tuple[str, str, str]:
    """(possessor, trace id, purchaser) of a history possessor listed apart whose trace row names the purchaser."""
    t = load_tables(store)
    held = t.possessed.rename(columns={"src": "trace_id", "dst": "possessor_key"})
    apart = {p for listed in history.networks["possessors"] for p in listed}
    held = held[held["possessor_key"].isin(apart)].drop_duplicates("possessor_key", keep=False)
    gun = t.recovered.set_index("dst")["src"]
    held = held.assign(firearm_key=held["trace_id"].map(gun))
    buyer = t.purchases.drop_duplicates("dst").set_index("dst")["src"]
    held = held.assign(purchaser_key=held["firearm_key"].map(buyer)).dropna(subset=["purchaser_key"])
    first = held.sort_values("trace_id").iloc[0]
    return str(first["possessor_key"]), str(first["trace_id"]), str(first["purchaser_key"])


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    root = tmp_path_factory.mktemp("incremental_possessors")
    # the history analysed in full and written back, and that analysis (the session's, shared by ~10 modules)
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    store = EmbeddedStore(copy_store(history.db, root / "db.lbug"))
    base = history.full_analysis()
    possessor, held_trace, first = _possessor_rows(store, base)
    rows = pd.read_csv(history.stream.history / "traces.csv", dtype=str, keep_default_na=False)
    person = rows[rows["trace_id"] == held_trace].iloc[0]
    # another purchaser's traced gun, bought again by him at the same dealer and found with the same person
    sold = rows[(rows["purchaser_last_name"] != "") & (rows["dealer_ffl"] != "")
                & (rows["purchaser_last_name"] != person["purchaser_last_name"])].iloc[0].to_dict()
    new = {**sold, "trace_id": "T29990000001", "serial_number": "ZZP4411", "multiple_sale_report_id": "",
           **{c: person[c] for c in rows.columns if c.startswith("possessor_")}}
    folder = root / "batch"
    folder.mkdir()
    pd.DataFrame([new], columns=rows.columns).to_csv(folder / "traces.csv", index=False)
    run_load(loader_for("traces"), store, folder / "traces.csv", LoadOptions(rejects_dir=folder / "rejects"))
    result = incremental.analyze_incremental(store)
    incremental.write_back(store, result)
    after = load_tables(store)
    gun = after.recovered.set_index("dst")["src"]
    bought = after.purchases.drop_duplicates("dst").set_index("dst")["src"]
    yield Planted(store, possessor, first, str(bought[gun["T29990000001"]]), base, result)
    store.close()


def test_a_possessor_with_a_tie_the_batch_does_not_touch_becomes_a_member_as_in_a_full_run(planted: Planted
                                                                                          ) -> None:
    """After the history the person is listed apart (one purchaser's gun found with him); the batch finds another
    purchaser's gun with him. A full run makes him a member (a common possessor, tied to two purchasers); the
    incremental run must not keep him apart because his first tie is outside what the batch changed."""
    assert planted.first != planted.second
    full = analyze(planted.store)
    assert planted.possessor not in {p for listed in full.networks["possessors"] for p in listed}
    assert planted.possessor in full.membership.index
    stored = network_joins.membership(planted.store)
    assert planted.possessor in stored.index, "the incremental run kept a common possessor apart"
    assert planted.possessor in set(planted.result.joins["person_key"])
    # and the network he joined holds one of his two purchasers, as the full run's does
    mates = {planted.first, planted.second}
    assert any(stored.get(m) == stored[planted.possessor] for m in mates)
    assert any(full.membership.get(m) == full.membership[planted.possessor] for m in mates)
