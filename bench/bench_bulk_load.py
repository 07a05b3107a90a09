"""Bulk-load 1M nodes + 3M relationships into the embedded store through the store API.

Prints rows/s for nodes, relationships and overall, and peak memory. Baseline in the same run: the embedded
engine's (LadybugDB's) own ``COPY`` of the same Arrow tables into a bare database with the same tables (what the
store API costs on top).

    python bench/bench_bulk_load.py [--nodes 1000000] [--rels 3000000] [--batch 500000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.ddl import embedded_ddl
from graph.embedded_store import EmbeddedStore


def keys(prefix: str, ids: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix), pa.array(ids).cast(pa.string()), "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--rels", type=int, default=3_000_000)
    parser.add_argument("--batch", type=int, default=500_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    half = args.nodes // 2
    people = pa.table({"person_key": keys("p", np.arange(half)),
                       "last_name": pa.array(rng.choice(["SMITH", "JONES", "GARCIA", "LEE"], half))})
    guns = pa.table({"firearm_key": keys("f", np.arange(args.nodes - half)),
                     "weapon_type": pa.array(rng.choice(["PISTOL", "RIFLE", "REVOLVER"], args.nodes - half))})
    purchases = pa.table({
        "from_key": keys("p", rng.integers(0, half, args.rels)),
        "to_key": keys("f", rng.integers(0, args.nodes - half, args.rels)),
        "sale_id": keys("s", np.arange(args.rels)),
        "multiple_sale": pa.array(rng.random(args.rels) < 0.1),
    })

    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "bench.lbug")
        store.init_schema()
        t0 = time.perf_counter()
        for table, label in ((people, "Person"), (guns, "Firearm")):
            for offset in range(0, table.num_rows, args.batch):
                store.upsert_nodes(label, table.slice(offset, args.batch))
        t1 = time.perf_counter()
        for offset in range(0, purchases.num_rows, args.batch):
            store.upsert_relationships("PURCHASED", "Person", "Firearm", purchases.slice(offset, args.batch))
        t2 = time.perf_counter()
        counts = store.counts()
        # Re-running a batch is the idempotent path: everything exists already.
        t3 = time.perf_counter()
        store.upsert_relationships("PURCHASED", "Person", "Firearm", purchases.slice(0, args.batch))
        t4 = time.perf_counter()
        store.close()

        import ladybug

        raw_db = ladybug.Database(str(Path(tmp) / "raw.lbug"))
        raw = ladybug.Connection(raw_db)
        for statement in embedded_ddl():  # the same tables the store uses: the baseline differs only in the glue
            raw.execute(statement)
        b0 = time.perf_counter()
        raw.execute("COPY Person(person_key, last_name) FROM $t", {"t": people})
        raw.execute("COPY Firearm(firearm_key, weapon_type) FROM $t", {"t": guns})
        raw.execute("COPY PURCHASED(sale_id, multiple_sale) FROM $t", {"t": purchases})
        b1 = time.perf_counter()
        raw.close()
        raw_db.close()

    assert counts["nodes"]["Person"] + counts["nodes"]["Firearm"] == args.nodes
    assert counts["relationships"]["PURCHASED"] == args.rels
    total = args.nodes + args.rels
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nodes          {args.nodes:>10,} in {t1 - t0:6.2f} s  {args.nodes / (t1 - t0):>12,.0f} rows/s")
    print(f"relationships  {args.rels:>10,} in {t2 - t1:6.2f} s  {args.rels / (t2 - t1):>12,.0f} rows/s")
    print(f"overall        {total:>10,} in {t2 - t0:6.2f} s  {total / (t2 - t0):>12,.0f} rows/s  (target >= 300,000)")
    print(f"re-upsert      {args.batch:>10,} existing relationships in {t4 - t3:6.2f} s")
    print(f"baseline: raw engine COPY of the same tables {total / (b1 - b0):>12,.0f} rows/s; "
          f"store API at {(total / (t2 - t0)) / (total / (b1 - b0)):.0%} of it")
    print(f"peak RSS       {peak_mb:,.0f} MiB")


if __name__ == "__main__":
    main()
