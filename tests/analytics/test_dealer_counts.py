"""The dealer counts as each gun's share (algorithms/dealers.gun_counts, fold) and their delta over a batch
(algorithms/dealer_counts.update): against counting every row again, on a simulated history and on a batch built to
move what a naive delta gets wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from algorithms import dealer_counts, dealers, incremental, trace_lane
from algorithms.analyze import analyze
from algorithms.batches import Batch
from algorithms.straw_features import purchase_events
from algorithms.tables import AnalysisTables, isin, load_tables
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.kinds import loader_for
from loaders.synthetic.stream import BATCH_KINDS, Stream
from tests.worlds import analysed_history, copy_store


def _direct(t: AnalysisTables, batches: list[Batch]) -> pd.DataFrame:
    """The counts per dealer straight from the trace rows (the definition, without the guns' shares)."""
    traced = dealers.traced_rows(t)
    lot = {key: batch.batch_id for batch in batches for key in batch.firearm_keys}
    traced["event"] = traced["firearm_key"].map(lot).astype(object).fillna(traced["trace_id"])
    per = traced.groupby("dealer_key").agg(traces=("trace_id", "nunique"), recent=("recent", "sum"),
                                          old=("old", "sum"), obliterated=("obliterated", "sum"),
                                          out_of_state=("out_of_state", "sum"))
    per["stopped"] = traced[traced["stopped"]].groupby("dealer_key")["event"].nunique()
    sales = purchase_events(t).groupby("dealer_key").agg(sales=("firearm_key", "size"),
                                                         multiple=("multiple_sale", "sum"))
    return per.join(sales, how="outer").reindex(columns=list(dealers.COUNT_COLUMNS)).fillna(0).astype("int64")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[EmbeddedStore, Stream]:
    history = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100)
    root = tmp_path_factory.mktemp("dealer_counts")
    store = EmbeddedStore(copy_store(history.db, root / "db.lbug"))
    yield store, history.stream
    store.close()


def test_the_guns_shares_add_up_to_the_counts_and_survive_the_store(analysed: tuple[EmbeddedStore, Stream],
                                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    store, _ = analysed  # (first in the module: the history as its full analysis left it)
    t = load_tables(store)
    # the batches of that analysis (the session's, pickled), which the store's gun counts were written with
    found = analysed_history(tmp_path_factory, "small", 3, batches=3, batch_traces=100).full_analysis().batches or []
    assert any(b.firearm_keys for b in found)
    traced, sales = dealers.gun_counts(t)
    lot = {key: batch.batch_id for batch in found for key in batch.firearm_keys}
    pd.testing.assert_frame_equal(dealers.fold(traced, sales, lot).sort_index(),
                                  _direct(t, found).sort_index(), check_names=False)
    stored = store.node_table("Firearm", (dealer_counts.GUN_PROPERTY,)).to_pandas()
    back_traced, back_sales = dealer_counts.decode(stored)
    order = ["firearm_key", "dealer_key"]
    pd.testing.assert_frame_equal(back_traced.sort_values(order).reset_index(drop=True),
                                  traced.sort_values(order).reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(back_sales.sort_values(order).reset_index(drop=True),
                                  sales.sort_values(order).reset_index(drop=True), check_dtype=False)


def _row(rows: pd.DataFrame, trace: str, new_id: str, **changes: str) -> dict[str, str]:
    row = rows[rows["trace_id"] == trace].iloc[0].to_dict()
    return {**row, "trace_id": new_id, **changes}


def _increment(store: EmbeddedStore, day: Path, rows: list[dict[str, str]], columns: list[str], folder: Path
               ) -> incremental.IncrementalResult:
    """Load a day of the stream and ``rows`` as a trace file, run the incremental analysis and write it back; then
    the stored counts must equal counting every row again, and the dealer scores a full re-analysis."""
    folder.mkdir()
    options = LoadOptions(rejects_dir=folder / "rejects")
    for kind, name in BATCH_KINDS:
        run_load(loader_for(kind), store, day / name, options)
    pd.DataFrame(rows, columns=columns).to_csv(folder / "traces.csv", index=False)
    run_load(loader_for("traces"), store, folder / "traces.csv", options)
    result = incremental.analyze_incremental(store)
    incremental.write_back(store, result)
    reference = analyze(store)
    _, stored = dealer_counts.stored(store)
    recount = _direct(load_tables(store), reference.batches or [])
    assert stored.sort_index().equals(recount[(recount != 0).any(axis=1)].sort_index())
    assert result.dealers is not None
    expected = reference.dealers.table.set_index("dealer_key")
    got = result.dealers.table.set_index("dealer_key").reindex(expected.index)
    assert np.allclose(got["score"].to_numpy(float), expected["score"].to_numpy(float), atol=1e-9)
    assert (got["indicators"] == expected["indicators"]).all()
    return result


def test_batches_that_move_a_gun_of_a_serial_batch_to_another_first_sale_count_exactly(
        analysed: tuple[EmbeddedStore, Stream], tmp_path: Path) -> None:
    """A new sale row by a dealer with a smaller key makes that dealer the first sale of a gun of a serial batch
    whose traces stop: the gun's whole share moves, the batch becomes a stopped event at the new dealer and stays
    one at the old dealer, where another gun of the batch still stops (a delta over the touched guns alone would
    take the old dealer's event away). The next day, another trace of the batch stopping at the old dealer adds
    no event. After each day the stored counts equal counting every row again."""
    store, stream = analysed
    rows = pd.read_csv(stream.history / "traces.csv", dtype=str, keep_default_na=False)
    t = load_tables(store)
    trace_of = t.recovered.drop_duplicates("src").set_index("src")["dst"]
    first = t.sold.drop_duplicates("dst").set_index("dst")["src"]
    # the smallest-keyed dealer whose licence the trace rows spell (the dealer of a gun sold once)
    once = t.sold.groupby("dst").size()
    gun_of = t.recovered.set_index("dst")["src"]
    spelled = rows[(rows["dealer_ffl"] != "") & isin(rows["trace_id"], gun_of.index)]
    spelled = spelled.assign(gun=spelled["trace_id"].map(gun_of))
    spelled = spelled[(spelled["gun"].map(once) == 1).to_numpy()]
    spelled = spelled.assign(dealer=spelled["gun"].map(first)).sort_values("dealer")
    smallest, ffl = spelled["dealer"].iloc[0], spelled["dealer_ffl"].iloc[0]
    # two guns of one serial batch sold by one other dealer, both stopping there
    traced, _ = dealers.gun_counts(t)
    stops = traced.set_index("firearm_key")["stopped"]
    batched = store.query("firearms_batched").df()
    batched = batched[isin(batched["key"], trace_of.index) & isin(batched["key"], first.index)]
    batched = batched.assign(dealer=batched["key"].map(first), stops=batched["key"].map(stops).fillna(0))
    batched = batched[(batched["stops"] > 0).to_numpy() & (batched["dealer"] != smallest).to_numpy()]
    one, other = next(sorted(guns)[:2] for guns in batched.groupby(["batch_id", "dealer"])["key"].apply(list)
                      if len(guns) >= 2)
    dealer = first[one]
    columns = list(rows.columns)

    nobody = {c: "" for c in rows.columns if c.startswith(("purchaser_", "possessor_"))}  # persons: no straw rows
    stop = {"trace_status": "INCOMPLETE", "purchase_date": "2019-03-01", **nobody}

    day1 = _increment(store, stream.batches[0], [_row(rows, trace_of[one], "TDELTA1", dealer_ffl=str(ffl), **stop)],
                      columns, tmp_path / "1")
    assert load_tables(store).sold.drop_duplicates("dst").set_index("dst").at[one, "src"] == smallest
    assert day1.dealers is not None and {dealer, smallest} <= set(day1.dealers.counts.index)
    shares, _ = dealer_counts.decode(store.query("dealer_counts_of_guns", {"keys": [one]}).df())
    assert shares.set_index("firearm_key").at[one, "dealer_key"] == smallest

    day2 = _increment(store, stream.batches[1], [_row(rows, trace_of[other], "TDELTA2", **stop)], columns,
                      tmp_path / "2")
    assert day2.dealers is not None and dealer in set(day2.dealers.counts.index)


def test_the_dealer_rows_written_back_are_the_scores_and_the_recounted_counts_in_one(tmp_path: Path) -> None:
    """The write back's one Dealer upsert: every scored dealer's score and rates, and the recounted dealers' counts
    (null, left as stored, for the others; a dealer recounted to nothing is written its zeros though unscored). The
    store then holds what the scores' upsert followed by the counts' upsert left."""
    table = pd.DataFrame({"dealer_key": ["a", "b"], "traces": [3, 5], "short_ttc_share": [0.5, float("nan")],
                          "multiple_sale_share": [0.0, 0.2], "obliterated_share": [0.0, 0.0],
                          "expected": [1.5, 2.5], "score": [0.25, 1.75], "indicators": ["[]", '["x"]']})
    counts = pd.DataFrame([[4, 4, 0, 0, 1, 0, 2, 1], [0] * 8], index=pd.Index(["b", "c"], name="dealer_key"),
                          columns=list(dealers.COUNT_COLUMNS))
    scores = dealers.DealerScores(table=table, parameters={}, counts=counts)
    unscored = dealers.DealerScores(table=table, parameters={})
    written = []
    for rows in ([trace_lane.dealer_rows(scores)], [trace_lane.dealer_rows(unscored), dealer_counts.rows(counts)]):
        with EmbeddedStore(tmp_path / f"d{len(rows)}.lbug") as store:
            store.init_schema()
            store.upsert_nodes("Dealer", pd.DataFrame({"dealer_key": ["a", "b", "c"], "trace_count": [9, 9, 9],
                                                       "anomaly_score": [7.0, 7.0, 7.0], "recent_traces": [8, 8, 8]}))
            for part in rows:
                store.upsert_nodes("Dealer", part)
            written.append(store.node_table("Dealer", (
                "trace_count", "recent_traces", "old_traces", "sale_events", "short_ttc_share", "anomaly_score",
                "expected_traces", "anomaly_indicators")).to_pandas())
    pd.testing.assert_frame_equal(written[0], written[1])
    assert written[0].set_index("key").loc["a", "recent_traces"] == 8  # not recounted: as stored
    assert written[0].set_index("key").loc["b", "trace_count"] == 4  # recounted: the counts' traces
    assert written[0].set_index("key").loc["c", "anomaly_score"] == 7.0  # recounted to nothing, not scored
