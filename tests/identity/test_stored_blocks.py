"""A load reads only the stored persons its mentions can meet (``Person.block_dob`` / ``block_street`` and the
mentions' content keys), and resolves them exactly as it would against every stored person."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest
from identity_synth import make_mentions

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions, run_load
from loaders.domain import names as nm
from loaders.entities import (
    LINKED_MARK,
    backfill_person_blocks,
    block_keys,
    blocks_linked,
    link_person_blocks,
)
from loaders.identity import PERSON_FIELDS, person_blocks, prepare_known, resolve_people, stored_lookup
from loaders.kinds import loader_for
from tests.worlds import simulated


def _stored(persons: pd.DataFrame) -> pd.DataFrame:
    """Persons as the store gives them back, with the blocks written beside them."""
    return persons.drop(columns=["block_dob", "block_street"]).assign(
        block_dob=persons["block_dob"], block_street=persons["block_street"])


def _read_by_blocks(known: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """What ``persons_by_blocks`` returns: the stored persons sharing a block or a content key with ``mentions``."""
    lookup = stored_lookup(mentions)
    hit = (known["block_dob"].isin(lookup.dob_blocks) | known["block_street"].isin(lookup.street_blocks)
           | known["person_key"].isin(lookup.person_keys))
    return known[hit].reset_index(drop=True)


@pytest.mark.parametrize("seed", [11, 12])
def test_the_persons_read_by_blocks_resolve_a_batch_like_every_stored_person(seed: int) -> None:
    mentions = make_mentions(3000, seed=seed).drop(columns="true_person").sample(frac=1.0, random_state=seed)
    cut = len(mentions) * 19 // 20  # a daily batch: a twentieth of the mentions
    history, batch = mentions.iloc[:cut].reset_index(drop=True), mentions.iloc[cut:].reset_index(drop=True)
    # the batch repeats some history mentions verbatim (a reload of rows: the cluster *is* a stored person)
    batch = pd.concat([batch, history.iloc[:300].assign(mention_id=lambda f: "again:" + f["mention_id"])],
                      ignore_index=True)
    known = _stored(resolve_people(history).persons)
    everyone = resolve_people(batch, known)
    few = _read_by_blocks(known, batch)
    assert len(few) < len(known) / 2  # the point: far fewer than every person
    by_blocks = resolve_people(batch, prepared=prepare_known(few))
    pd.testing.assert_frame_equal(by_blocks.assignments, everyone.assignments)
    pd.testing.assert_frame_equal(by_blocks.persons, everyone.persons)
    # and the batch did meet stored persons: by DOB, by a swapped DOB or address alone, and by content key
    rules = set(everyone.assignments["rule"])
    assert {"exact_name_dob", "name_address_no_dob"} <= rules
    assert everyone.assignments["person_key"].isin(known["person_key"]).mean() > 0.3


def test_blocks_are_those_of_the_persons_own_fields() -> None:
    frame = pd.DataFrame([
        {"last_name": " Smith ", "first_name": "Bill", "middle_name": None, "suffix": None,
         "dob": pd.Timestamp("1980-05-01").date(), "street": "1 Main Street", "city": "Ames", "state": "IA",
         "zip": "50010"},
        {"last_name": "Doe", "first_name": "Jane", "middle_name": None, "suffix": None, "dob": None,
         "street": None, "city": "Ames", "state": "IA", "zip": None},  # unusable: no DOB, no address
    ]).astype(object)
    dob, street = person_blocks(nm.normalise_records(frame[list(PERSON_FIELDS)]))
    assert list(dob) == [f"SMITH|{pd.Timestamp('1980-05-01').date().toordinal()}", ""]
    assert street[0].startswith("SMITH|1 MAIN") and street[1] == ""


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _graph(store: EmbeddedStore) -> dict[str, list[tuple[str, ...]]]:
    def rows_of(table: object) -> list[tuple[str, ...]]:
        return sorted(table.to_pandas().astype(str).itertuples(index=False, name=None))  # type: ignore[attr-defined]

    return {"persons": rows_of(store.node_table("Person", ("last_name", "first_name", "dob", "record_count",
                                                            "block_dob", "block_street"))),
            "purchased": rows_of(store.edge_list("PURCHASED", "Person", "Firearm", ("sale_id",))),
            "possessed": rows_of(store.edge_list("POSSESSED_BY", "Recovery", "Person")),
            "blocks": rows_of(store.edge_list("IN_BLOCK", "Person", "PersonBlock")),
            "mark": rows_of(store.node_table("PersonBlock").filter(pc.equal(pc.field("key"), LINKED_MARK)))}


def test_a_store_written_before_the_blocks_loads_alike_and_init_backfills_them(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with (simulated(tmp_path_factory, "small", 7) / "traces.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)[:1500]
        header = list(reader.fieldnames or [])
    history = _write(tmp_path / "history.csv", header, rows[:1100])
    batch = _write(tmp_path / "batch.csv", header, rows[1100:])
    graphs = []
    for old in (False, True):
        with EmbeddedStore(tmp_path / f"g{old}.lbug") as store:
            store.init_schema()
            options = LoadOptions(rejects_dir=tmp_path / "rejects")
            run_load(loader_for("traces"), store, history, options)
            if old:  # as a store written before the blocks: every person without them or their links
                store._execute("MATCH (p:Person) SET p.block_dob = NULL, p.block_street = NULL")
                store._execute("MATCH (b:PersonBlock) DETACH DELETE b")
                assert len(store.query("persons_without_blocks").df()) > 500
                assert not blocks_linked(store)
            run_load(loader_for("traces"), store, batch, options)
            if old:
                missing = len(store.query("persons_without_blocks").df())
                assert not blocks_linked(store)  # the batch's new persons are linked, the history's are not
                assert backfill_person_blocks(store) == missing > 0
                assert blocks_linked(store)
                assert backfill_person_blocks(store) == 0 == link_person_blocks(store)
            graphs.append(_graph(store))
    assert graphs[0] == graphs[1]
    blocks = np.array([row[4] for row in graphs[0]["persons"]])
    assert (blocks != "").mean() > 0.5 and "None" not in blocks


def test_the_persons_found_through_the_block_links_are_those_sharing_the_block_properties(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """``persons_by_blocks`` (each block by its key, its persons through IN_BLOCK) returns exactly what a scan of
    the block properties (``persons_by_block_properties``) does, for blocks of one person, of many and of none."""
    with EmbeddedStore(tmp_path / "g.lbug") as store:
        store.init_schema()
        run_load(loader_for("traces"), store, simulated(tmp_path_factory, "small", 7) / "traces.csv",
                 LoadOptions(rejects_dir=tmp_path / "rejects"))
        assert blocks_linked(store)
        persons = store.node_table("Person", ("block_dob", "block_street")).to_pandas()
        dob = persons["block_dob"][persons["block_dob"] != ""]
        street = persons["block_street"][persons["block_street"] != ""]
        shared = dob[dob.duplicated(keep=False)]
        assert len(shared) > 0  # some blocks hold several persons
        dob_blocks = sorted({*dob.sample(200, random_state=1), *shared.head(20), "NOBODY|1"})
        street_blocks = sorted({*street.sample(200, random_state=2), "NOBODY|NO STREET"})
        keys = sorted(persons["key"].sample(30, random_state=3))
        linked = store.query("persons_by_blocks", {"blocks": block_keys(dob_blocks, street_blocks),
                                                   "person_keys": keys}).df()
        scanned = store.query("persons_by_block_properties", {"dob_blocks": dob_blocks,
                                                              "street_blocks": street_blocks,
                                                              "person_keys": keys}).df()
        assert len(linked) > 400
        pd.testing.assert_frame_equal(linked.sort_values("person_key", ignore_index=True),
                                      scanned.sort_values("person_key", ignore_index=True))
