"""LadybugDB 0.22's reads inside a write transaction of relationships at nodes the transaction added across a node
group's end (docs/performance.md, txreads23; graph/embedded_tx_rels.py).

The first test pins the engine's behaviour with the engine alone (a reproduction that could go upstream): if an
upgrade fixes or changes it, it fails and the work-arounds (graph.embedded_tx_rels, loaders.straw_keys' ``*_scan``
re-read) can be reconsidered. The others check the store's upserts inside one transaction (a day's files)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import ladybug
import pandas as pd
import pyarrow as pa
import pytest

from api.services.daily import load_files
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions
from loaders.entities import blocks_linked
from tests.analytics.test_straw_keys import _sales
from tests.graph.conftest import Based
from tests.trace_corrections_support import fixture_rows, write_rows

#: 128,000 rows committed, then 5,000 more in one transaction: 3,072 of them end node group 0 (131,072 rows), and
#: the relationships at the last 1,024 of those (past the first 2,048 new rows of the group) are missed.
BASE, NEW, LOST = 128_000, 5_000, 1_024

FORMS = {  # statement, what LadybugDB 0.22 counts inside the transaction (after the commit: NEW each)
    "optional": ("UNWIND $k AS k MATCH (g:G {k: k}) OPTIONAL MATCH (g)<-[r:R]-(p:P) RETURN count(r)", NEW - LOST),
    "exists": ("UNWIND $k AS k MATCH (g:G {k: k}) WHERE EXISTS { MATCH (g)<-[:R]-(:P) } RETURN count(*)",
               NEW - LOST),
    "match_from_source": ("UNWIND $pk AS k MATCH (p:P {k: k})-[r:R]->(g:G) RETURN count(r)", NEW - LOST),
    "load_from_both_bound": ("LOAD FROM $b MATCH (p:P {k: _a})-[r:R]->(g:G {k: _g}) RETURN count(r)", NEW - LOST),
    "scan_filtered": ("MATCH (g:G)<-[r:R]-(p:P) WHERE g.k IN $k RETURN count(r)", NEW - LOST),
    "match_from_target": ("UNWIND $k AS k MATCH (g:G {k: k})<-[r:R]-(p:P) RETURN count(r)", NEW),
    "load_from_target_bound": ("LOAD FROM $gb MATCH (g:G {k: _g})<-[r:R]-(p:P) RETURN count(r)", NEW),
    "scan": ("MATCH (p:P)-[r:R]->(g:G) RETURN count(r)", NEW),
    "nodes_by_key": ("UNWIND $k AS k MATCH (g:G {k: k}) RETURN count(g)", NEW),
}

DELETES = {  # a DELETE of every relationship inside the transaction: how many LadybugDB 0.22 leaves
    "load_from_both_bound": ("LOAD FROM $b MATCH (p:P {k: _a})-[r:R]->(g:G {k: _g}) DELETE r", LOST),
    "scan": ("MATCH (p:P)-[r:R]->(g:G) DELETE r", LOST),
    "load_from_target_bound": ("LOAD FROM $b MATCH (g:G {k: _g})<-[r:R]-(p:P) WHERE p.k = _a DELETE r", 0),
}


def _engine_store(path: Path, committed: str) -> tuple[ladybug.Connection, dict[str, object]]:
    """``path`` (a copy of a database with BASE rows committed by COPY in each table ``committed`` names), then in
    an open transaction NEW more rows of those tables (40 of a table not named; NEW G when none is) and one R to
    each new G (from each new P, or from the 40), all through the log (as a day's load writes them)."""
    conn = ladybug.Connection(ladybug.Database(str(path)))
    wide = {t: t in committed or (t == "G" and not committed) for t in "GP"}
    new = {t: [f"new{t}{i}" for i in range(NEW if wide[t] else 40)] for t in "GP"}
    pairs = [(new["P"][i % len(new["P"])], new["G"][i % len(new["G"])]) for i in range(NEW)]
    rows = pa.table({"_a": [a for a, _ in pairs], "_g": [g for _, g in pairs], "_v": list(range(NEW))})
    conn.execute("BEGIN TRANSACTION")
    for table in "GP":
        conn.execute(f"LOAD FROM $b CREATE (n:{table} {{k: k}})", {"b": pa.table({"k": new[table]})})
    conn.execute("LOAD FROM $b MATCH (a:P {k: _a}) MATCH (b:G {k: _g}) CREATE (a)-[:R {v: _v}]->(b)", {"b": rows})
    return conn, {"k": sorted(set(new["G"])), "pk": new["P"], "b": rows.select(["_a", "_g"]),
                  "gb": pa.table({"_g": new["G"]})}


def _count(conn: ladybug.Connection, text: str, params: dict[str, object]) -> int:
    return int(conn.execute(text, {p: v for p, v in params.items() if f"${p}" in text}).get_next()[0])


@pytest.mark.parametrize("base", [BASE, 0])
def test_engine_misses_relationships_a_transaction_wrote_across_a_node_group_end(
        engine_based: Callable[[str], Path], base: int) -> None:
    """The reproduction (LadybugDB 0.22.0): the forms marked NEW - LOST miss the relationships at the last 1,024
    new nodes of group 0 inside the transaction; after the commit all see them. With no committed rows before
    (base 0: the new rows do not cross a group's end) every form sees all of them."""
    conn, params = _engine_store(engine_based("G" if base else ""), "G" if base else "")
    inside = {name: _count(conn, text, params) for name, (text, _) in FORMS.items()}
    conn.execute("COMMIT")
    after = {name: _count(conn, text, params) for name, (text, _) in FORMS.items()}
    assert after == {name: NEW for name in FORMS}
    assert inside == ({name: want for name, (_, want) in FORMS.items()} if base else after)


@pytest.mark.parametrize("form", sorted(DELETES))
def test_engine_delete_inside_the_transaction_leaves_what_it_cannot_see(engine_based: Callable[[str], Path],
                                                                        form: str) -> None:
    """A DELETE through a pattern that misses them leaves them (a relationship replaced in the transaction would
    be doubled); bound by key at the target only, it deletes them all: graph.embedded_tx_rels' replace uses that."""
    conn, params = _engine_store(engine_based("G"), "G")
    text, left = DELETES[form]
    conn.execute(text, {"b": params["b"]} if "$b" in text else {})
    conn.execute("COMMIT")
    assert _count(conn, "MATCH (p:P)-[r:R]->(g:G) RETURN count(r)", {}) == left


SIDES = {  # the new rows of the source's table (P) cross the group's end, or both tables' do (fault24)
    "P": {"optional": NEW, "optional_from_source": NEW - LOST, "match_from_source": NEW,
          "match_from_target": NEW - LOST, "load_from_both_bound": NEW, "scan_rows": NEW,
          "delete_at_source": 0, "delete_at_target": LOST},
    "GP": {"optional": NEW - LOST, "optional_from_source": NEW - LOST, "match_from_source": NEW - LOST,
           "match_from_target": NEW - LOST, "load_from_both_bound": NEW - LOST, "scan_rows": NEW - LOST,
           "delete_at_source": LOST, "delete_at_target": LOST},
}
SIDE_FORMS = {
    **{name: FORMS[name][0] for name in ("optional", "match_from_source", "match_from_target", "load_from_both_bound")},
    "optional_from_source": "UNWIND $pk AS k MATCH (p:P {k: k}) OPTIONAL MATCH (p)-[r:R]->(g:G) RETURN count(r)",
    "scan_rows": "MATCH (p:P)-[r:R]->(g:G) WITH r.v AS v RETURN count(v)",
}
SIDE_DELETES = {
    "delete_at_source": "LOAD FROM $b MATCH (p:P {k: _a})-[r:R]->(g:G) WHERE g.k = _g DELETE r",
    "delete_at_target": DELETES["load_from_target_bound"][0],
}


@pytest.mark.parametrize("committed", sorted(SIDES))
def test_engine_misses_them_at_the_end_whose_table_crossed(engine_based: Callable[[str], Path],
                                                           committed: str) -> None:
    """Which relationships a read misses depends on which end's table ran past the group's end: the persons' (P)
    here, or both. A read sees them through a MATCH bound by key at the nodes of the table that crossed (the
    engine expands from the other end) and misses them through an OPTIONAL MATCH from those nodes; when both ends
    crossed, every read but the whole-type count misses them and no DELETE reaches them
    (loaders/corrections.TWINS runs each drop bound at both ends)."""
    counts = {}
    for name, text in SIDE_DELETES.items():
        conn, params = _engine_store(engine_based(committed), committed)
        if name == "delete_at_source":
            counts.update({form: _count(conn, sql, params) for form, sql in SIDE_FORMS.items()})
        conn.execute(text, {"b": params["b"]})
        conn.execute("COMMIT")
        counts[name] = _count(conn, "MATCH (p:P)-[r:R]->(g:G) RETURN count(r)", {})
        conn.close()
    assert counts == SIDES[committed]


def _per_gun(store: EmbeddedStore, rel: str, source: str) -> pd.Series:
    return store._execute(f"MATCH (:{source})-[r:{rel}]->(f:Firearm) RETURN f.firearm_key AS gun, count(r) AS n"
                          ).df().set_index("gun")["n"]


def test_a_day_repeating_purchases_across_a_node_group_end_writes_each_once(based: Based, tmp_path: Path) -> None:
    """A day's files load in one transaction; the second repeats the first's 5,000 multiple-sale purchases (as a
    traces file and a multiple-sale file can name the same sale), for guns added after 128,000 others. The
    upsert's existence read missed the 1,024 relationships at the guns past the group's first 2,048 new ones and
    wrote them again: 6,024 PURCHASED and SOLD rows before the mend, 5,000 after."""
    store = based("Firearm")
    first = _sales(tmp_path / "a.csv", 0, NEW)
    second = tmp_path / "b.csv"
    shutil.copy(first, second)
    reports = load_files(store, [("multiple-sales", first), ("multiple-sales", second)],
                         LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
    assert [r.loaded for r in reports] == [NEW, NEW]
    for rel, source in (("PURCHASED", "Person"), ("SOLD", "Dealer")):
        per_gun = _per_gun(store, rel, source)
        assert len(per_gun) == NEW and set(per_gun) == {1}, rel


@pytest.mark.parametrize("crossing", ["Firearm", "Person"])
def test_a_relationship_changed_twice_in_one_transaction_across_a_node_group_end(based: Based, crossing: str) -> None:
    """Written, then written again with another value, in one transaction, the guns (or the purchasers) new after
    128,000 stored nodes of their label: one row each, with the later value (before the mend the guns' missed ones
    were doubled, the first value kept beside; the persons' case, where the upsert's read sees them, guards the
    other end)."""
    guns = [f"NEW|{i}|PISTOL" for i in range(NEW)]
    buyers = [f"buyer{i % 40}" if crossing == "Firearm" else f"buyer{i}" for i in range(NEW)]

    def purchases(source: str) -> pd.DataFrame:
        return pd.DataFrame({"from_key": buyers, "to_key": guns, "sale_id": [f"msr:{i}" for i in range(NEW)],
                             "source": source})

    store = based(crossing)
    with store.batch():
        store.upsert_nodes("Firearm", pd.DataFrame({"firearm_key": guns}))
        store.upsert_nodes("Person", pd.DataFrame({"person_key": sorted(set(buyers))}))
        store.upsert_relationships("PURCHASED", "Person", "Firearm", purchases("first"))
        again = store.upsert_relationships("PURCHASED", "Person", "Firearm", purchases("second"))
        assert (again.created, again.updated, again.changed) == (0, NEW, NEW)
    rows = store._execute("MATCH (:Person)-[r:PURCHASED]->(f:Firearm) RETURN r.sale_id AS s, r.source AS src"
                          ).df()
    assert len(rows) == NEW and rows["s"].is_unique and set(rows["src"]) == {"second"}


def test_relationships_deleted_by_another_statement_are_written_again(tmp_path: Path) -> None:
    """What the transaction wrote is kept only until a statement other than the upsert's own replace deletes:
    relationships deleted by it (a purge, a correction) and upserted again are written again, not taken as
    stored."""
    rows = pd.DataFrame({"from_key": ["b1", "b2"], "to_key": ["g1", "g2"], "sale_id": ["msr:1", "msr:2"]})
    with EmbeddedStore(tmp_path / "db.lbug") as store:
        store.init_schema()
        with store.batch():
            store.upsert_nodes("Firearm", pd.DataFrame({"firearm_key": ["g1", "g2"]}))
            store.upsert_nodes("Person", pd.DataFrame({"person_key": ["b1", "b2"]}))
            store.upsert_relationships("PURCHASED", "Person", "Firearm", rows)
            store.query("retention_unlink_sales", {"sale_ids": ["msr:1", "msr:2"], "person_keys": ["b1", "b2"]})
            assert store.upsert_relationships("PURCHASED", "Person", "Firearm", rows).created == 2
        assert len(_per_gun(store, "PURCHASED", "Person")) == 2


def test_a_day_correcting_its_own_sales_across_a_node_group_end_keeps_one_purchaser(based: Based,
                                                                                   tmp_path: Path) -> None:
    """A day's second multiple-sale file corrects the first's 5,000 rows (another purchaser each), for guns added
    after 128,000 others, in one transaction. The earlier version must go: ``sale_versions`` (an OPTIONAL MATCH)
    missed the purchases at the guns past the group's first 2,048 new ones, and ``trace_drop_purchases`` (both
    ends bound) did not delete them: 1,024 guns kept both purchasers before the mend."""
    store = based("Firearm")
    first = _sales(tmp_path / "a.csv", 0, NEW)
    second = pd.read_csv(first, dtype=str)
    second["purchaser_last_name"] = "OTHER" + second["purchaser_last_name"]
    second.to_csv(tmp_path / "b.csv", index=False)
    reports = load_files(store, [("multiple-sales", first), ("multiple-sales", tmp_path / "b.csv")],
                         LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
    assert [r.loaded for r in reports] == [NEW, NEW]
    rows = store._execute("MATCH (p:Person)-[r:PURCHASED]->(f:Firearm) "
                          "RETURN f.firearm_key AS gun, p.last_name AS name").df()
    assert len(rows) == NEW and rows["gun"].is_unique and rows["name"].str.startswith("OTHER").all()


def test_a_day_resolving_persons_an_earlier_file_made_across_a_node_group_end(based: Based, tmp_path: Path) -> None:
    """The day's second file names the first's 5,000 new purchasers again (first name ANNA for ANN), after 128,000
    stored persons, on a store whose persons are linked to their blocks (as ``tracegraph init`` leaves it): the
    resolver reads them through ``persons_by_blocks`` (an OPTIONAL MATCH from the block to the persons linked to
    it, and by key): all 5,000 are found inside the transaction and none is made twice. It passed before the mends
    too: a guard for the identity, not a reproduction."""
    def sales(path: Path, first: int, name: str) -> Path:
        frame = pd.read_csv(_sales(path, first, NEW), dtype=str)
        frame["purchaser_last_name"] = [f"BUYER{i:05d}" for i in range(NEW)]
        frame["purchaser_first_name"] = name
        frame.to_csv(path, index=False)
        return path

    store = based("Person")
    assert blocks_linked(store)  # marked while no person was stored (tests/graph/conftest.py)
    reports = load_files(store, [("multiple-sales", sales(tmp_path / "a.csv", 0, "ANN")),
                                 ("multiple-sales", sales(tmp_path / "b.csv", 2 * NEW, "ANNA"))],
                         LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
    assert [r.loaded for r in reports] == [NEW, NEW]
    buyers = store._execute("MATCH (p:Person)-[:PURCHASED]->(:Firearm) "
                            "RETURN p.last_name AS name, count(DISTINCT p) AS persons").df()
    assert len(buyers) == NEW and set(buyers["persons"]) == {1}
    assert store._execute("MATCH (p:Person) RETURN count(p)").scalar() == BASE + NEW


def test_a_day_correcting_its_own_traces_across_a_node_group_end_keeps_one_purchaser(based: Based,
                                                                                    tmp_path: Path) -> None:
    """A day's second traces file corrects the first's 5,000 records (another purchaser, possessor and place),
    after 128,000 stored guns and recoveries, in one transaction: ``trace_versions``' OPTIONAL MATCHes missed what
    the first file wrote for the last 1,024 records' guns, which kept the earlier purchaser beside the new one (3,976
    counted corrected) before the mend (the versions the transaction wrote, ``corrections._traces_written``)."""
    fields, rows = fixture_rows()
    records = [{**rows["T-100"], "trace_id": f"TX-{i:06d}", "serial_number": f"SX{i:07d}"} for i in range(NEW)]
    first = write_rows(tmp_path / "a.csv", fields, *records)
    second = write_rows(tmp_path / "b.csv", fields, *[
        {**r, "purchaser_last_name": "JONES", "possessor_last_name": "ROE", "recovery_city": "Norfolk",
         "recovery_zip": "23510"} for r in records])
    store = based("Firearm", "Recovery")
    reports = load_files(store, [("traces", first), ("traces", second)],
                         LoadOptions(rejects_dir=tmp_path / "rejects"), one_transaction=True)
    assert [r.loaded for r in reports] == [NEW, NEW]
    buyers = store._execute("MATCH (p:Person)-[u:PURCHASED]->(:Firearm) WHERE u.sale_id STARTS WITH 'trace:TX' "
                            "RETURN u.sale_id AS sale, p.last_name AS name").df()
    assert len(buyers) == NEW and set(buyers["name"]) == {"JONES"}
    assert reports[1].details["corrected"] == NEW
    held = store._execute("MATCH (r:Recovery)-[:POSSESSED_BY]->(x:Person) WHERE r.trace_id STARTS WITH 'TX' "
                          "RETURN x.last_name AS name").df()
    assert len(held) == NEW and set(held["name"]) == {"ROE"}
    places = store._execute("MATCH (r:Recovery)-[:AT]->(l:Location) WHERE r.trace_id STARTS WITH 'TX' "
                            "RETURN l.location_key AS place, count(*) AS n").df()
    assert dict(zip(places["place"], places["n"], strict=True)) == {"city:US-VA:NORFOLK": NEW, "zip:23510": NEW}
