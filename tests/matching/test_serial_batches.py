"""Serial batches: runs of close serials of one make and model, and the planted batches of the simulator."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from algorithms.batches import _SERIAL_PARTS, batches, chance_score, detect, recall_precision, split_serials


def firearms(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"key": [f"{m}|{s}" for m, _, s in rows], "manufacturer_normalized": [m for m, _, _ in rows],
                         "model": [model for _, model, _ in rows], "serial_normalized": [s for _, _, s in rows]})


def test_a_run_of_close_serials_is_one_batch_and_nothing_else_is() -> None:
    run = [("GLOCK", "19", f"ABC{n}") for n in (101, 102, 104, 109, 115)]
    same_numbers_other_model = [("GLOCK", "17", f"ABC{n}") for n in (103, 105)]
    same_model_other_prefix = [("GLOCK", "19", "ABD103"), ("GLOCK", "19", "XYZ105")]
    far_away = [("GLOCK", "19", "ABC900"), ("GLOCK", "19", "ABC990")]  # same prefix, beyond the gap
    found = detect(firearms(run + same_numbers_other_model + same_model_other_prefix + far_away), min_size=3)
    assert [set(b.serials) for b in found] == [{s for _, _, s in run}]
    assert found[0].manufacturer == "GLOCK" and found[0].size == 5


def test_model_spelling_does_not_split_a_batch_and_the_gap_does() -> None:
    rows = [("SMITH & WESSON", "M&P9 SHIELD", "FBK1001"), ("SMITH & WESSON", "M&P 9 Shield", "FBK1002"),
            ("SMITH & WESSON", "MP9SHIELD", "FBK1003")]
    assert [b.size for b in detect(firearms(rows))] == [3]
    assert detect(firearms(rows), max_gap=0) == []


@given(st.integers(2, 50), st.integers(3, 20), st.integers(0, 200), st.integers(3, 8))
def test_the_same_run_is_less_surprising_among_more_guns(group: int, run: int, span: int, digits: int) -> None:
    small, large = chance_score(group, run, span, digits), chance_score(group * 100, run, span, digits)
    assert large <= small
    assert chance_score(group, run, span + 50, digits) <= small


def test_planted_batches_are_recovered_on_the_simulator(world) -> None:  # type: ignore[no-untyped-def]
    found = batches(world.tables)
    t = world.tables
    recovered = set(t.firearms.loc[t.firearms["key"].isin(set(t.recovered["src"])), "serial_normalized"].dropna())
    figures = recall_precision(found, world.truth["batches"], recovered)
    assert figures["planted_detectable"] >= 1
    assert figures["recall"] == 1.0
    assert figures["precision"] >= 0.75
    planted = {s for b in world.truth["batches"] for s in b["serials"]}
    for batch in found:
        if set(batch.serials) <= planted:
            assert batch.spread and len(batch.states) >= 2  # the simulator scatters every batch over states
            assert sum(batch.places.values()) == len(batch.trace_ids) >= batch.size
            assert batch.first_recovery is not None and batch.first_recovery <= str(batch.last_recovery)


def test_a_score_floor_keeps_exactly_the_runs_above_it_with_the_same_places(world) -> None:  # type: ignore[no-untyped-def]
    every = batches(world.tables)
    floor = sorted(b.score for b in every)[len(every) // 2]
    kept = batches(world.tables, min_score=floor)
    assert kept == [b for b in every if b.score >= floor] and 0 < len(kept) < len(every) + 1


def test_cli_batches(world) -> None:  # type: ignore[no-untyped-def]
    from api.cli import app

    result = CliRunner().invoke(app, ["--db", str(world.db), "firearms", "batches", "--spread-only",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    assert rows and all(r["spread"] for r in rows)
    for planted in world.truth["batches"]:  # every planted batch is listed, with where it surfaced
        listed = [r for r in rows if set(planted["serials"]) & set(r["serials"].split())]
        assert listed and listed[0]["places"] and listed[0]["first_recovery"]


def test_analyze_writes_batch_ids_back(world) -> None:  # type: ignore[no-untyped-def]
    from algorithms.analyze import analyze, write_back
    from graph.embedded_store import EmbeddedStore

    with EmbeddedStore(world.db) as store:
        result = analyze(store, seed=0)
        write_back(store, result)
        write_back(store, result)  # idempotent: the same ids, nothing left over from the first write
        ids = store.node_table("Firearm", ("serial_normalized", "batch_id")).to_pandas().dropna(subset=["batch_id"])
    assert result.summary["serial_batches"] == len(result.batches) >= len(world.truth["batches"])
    assert set(ids["batch_id"]) == {b.batch_id for b in result.batches}
    for planted in world.truth["batches"]:  # the recovered members of a planted batch share one id
        members = ids[ids["serial_normalized"].isin(set(planted["serials"]))]
        assert len(members) >= 3 and members["batch_id"].nunique() == 1


_serial = st.text(alphabet="AB019-\n١", max_size=8)


@given(st.lists(_serial, max_size=30))
def test_serials_split_as_pythons_pattern_splits_them(serials: list[str]) -> None:
    """The split runs in Arrow (RE2); Python's ``re`` is the reference, non-ASCII digits and newlines included."""
    frame = pd.Series(serials, dtype=object)
    expected = frame.astype(str).str.extract(_SERIAL_PARTS)
    found = split_serials(frame)
    def values(column: pd.Series) -> list[object]:
        return [None if pd.isna(v) else v for v in column.tolist()]

    for column, position in (("prefix", 0), ("suffix", 2)):
        assert values(found[column]) == values(expected[position])
    digits = expected[1].str.len()
    assert found["digits"].fillna(-1).tolist() == digits.fillna(-1).tolist()


@given(st.lists(st.tuples(st.sampled_from(["GLOCK", "RUGER"]), st.integers(1000, 1400)), min_size=3, max_size=80),
       st.floats(0.0, 4.0))
def test_a_score_floor_keeps_exactly_the_runs_scoring_above_it(guns: list[tuple[str, int]], floor: float) -> None:
    rows = firearms([(make, "19", f"AB{number}") for make, number in dict.fromkeys(guns)])
    everything = detect(rows)
    assert detect(rows, min_score=floor) == [b for b in everything if b.score >= floor]
