"""The retention cases store (tests/retention/retention_world.py) and the simulated world, simulated, loaded and
analysed once per session (each test works on a copy of its store file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore
from tests.retention.retention_world import run, write_world
from tests.worlds import built_once, copy_store


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "cases.lbug")
    store.init_schema()
    write_world(store)
    yield store
    store.close()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.date]:
    # built once for the run (tests/worlds.built_once): under pytest-xdist the three modules using it may run on
    # different workers, and each worker built its own (~15 CPU s)
    with built_once(tmp_path_factory, "retention world: small seed 5, three loads and analyze by the CLI") \
            as (root, build):
        db = root / "world.lbug"
        if build:
            run("simulate", "--scale", "small", "--seed", "5", "--out", str(root / "w"))
            run("--db", str(db), "init", cwd=root)
            for kind, name in (("ffl", "ffl_list.txt"), ("traces", "traces.csv"),
                               ("multiple-sales", "multiple_sales.csv")):
                run("--db", str(db), "load", kind, str(root / "w" / name), cwd=root)
            analyzed = run("--db", str(db), "analyze", cwd=root)
            # the world's reports are years old: analyze says, in one line, that records are past the policy
            assert len([line for line in analyzed.stderr.splitlines() if "retention apply --as-of" in line]) == 1
            with EmbeddedStore(db) as store:  # the world's last sale: the as-of date of its purge
                last = max(d for d in store.edge_list("PURCHASED", "Person", "Firearm", ("purchase_date",))
                           .column("purchase_date").to_pylist() if d is not None)
            (root / "last_sale.txt").write_text(last.isoformat(), encoding="utf-8")
    return db, dt.date.fromisoformat((root / "last_sale.txt").read_text(encoding="utf-8"))


@pytest.fixture
def world(world_template: tuple[Path, dt.date], tmp_path: Path) -> tuple[Path, dt.date]:
    db, last = world_template
    copy = tmp_path / "world.lbug"
    copy_store(db, copy)
    return copy, last
