"""Stores for the tests of LadybugDB 0.22's reads inside a transaction across a node group's end
(tests/graph/test_engine_tx_reads.py, tests/graph/test_tx_corrections.py): each needs BASE committed rows of one or
two tables before its transaction, and building them is most of such a test's time. Each store is built once per
session (per xdist worker) and copied for every test that asks."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import ladybug
import pandas as pd
import pyarrow as pa
import pytest

from graph.embedded_store import EmbeddedStore
from loaders.entities import blocks_linked

#: rows committed before a test's transaction: 5,000 more in it end node group 0 (131,072 rows) past its first
#: 2,048 new ones
BASE = 128_000
#: the keys of the stored nodes of each label (none of them named by a test's records)
KEYS = {"Firearm": "OTHER|{}|PISTOL", "Person": "OTHER{}", "Recovery": "OLD-{}", "TheftReport": "OLD-{}"}

Based = Callable[..., EmbeddedStore]


@pytest.fixture(scope="session")
def _built(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    stores: dict[tuple[str, ...], Path] = {}

    def build(*labels: str) -> Path:
        if labels not in stores:
            folder = tmp_path_factory.mktemp("base-" + "-".join(labels) if labels else "base-schema")
            with EmbeddedStore(folder / "db.lbug") as store:
                store.init_schema()
                blocks_linked(store)  # persons linked to their blocks, marked while none is stored (as `init` does)
                for label in labels:
                    key = store.schema.node(label).key
                    store.upsert_nodes(label, pd.DataFrame({key: [KEYS[label].format(i) for i in range(BASE)]}))
            stores[labels] = folder
        return stores[labels]

    return build


@pytest.fixture
def based(_built: Callable[..., Path], tmp_path: Path) -> Iterator[Based]:
    """``based(*labels)``: an open copy of a store with the schema and BASE nodes of each label (closed after the
    test)."""
    opened: list[EmbeddedStore] = []

    def open_copy(*labels: str) -> EmbeddedStore:
        folder = tmp_path / f"store{len(opened)}"
        shutil.copytree(_built(*labels), folder)
        opened.append(EmbeddedStore(folder / "db.lbug"))
        return opened[-1]

    yield open_copy
    for store in opened:
        store.close()


@pytest.fixture(scope="session")
def _engine_built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    stores: dict[str, Path] = {}

    def build(committed: str) -> Path:
        if committed not in stores:
            folder = tmp_path_factory.mktemp(f"engine-{committed or 'empty'}")
            db = ladybug.Database(str(folder / "s.lbug"))
            conn = ladybug.Connection(db)
            conn.execute("CREATE NODE TABLE G(k STRING, PRIMARY KEY(k))")
            conn.execute("CREATE NODE TABLE P(k STRING, PRIMARY KEY(k))")
            conn.execute("CREATE REL TABLE R(FROM P TO G, v INT64)")
            for table in committed:
                conn.execute(f"COPY {table} FROM $b", {"b": pa.table({"k": [f"old{i}" for i in range(BASE)]})})
            conn.close()
            db.close()
            stores[committed] = folder
        return stores[committed]

    return build


@pytest.fixture
def engine_based(_engine_built: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Path]:
    """``engine_based(committed)``: the path of a copy of an engine-only database (tables G, P, R(P->G)) with BASE
    rows committed by COPY in each table ``committed`` names ("G", "P", "GP" or "")."""
    copies: list[Path] = []

    def copy(committed: str) -> Path:
        folder = tmp_path / f"engine-{committed}-{len(copies)}"
        copies.append(folder)
        shutil.copytree(_engine_built(committed), folder)
        return folder / "s.lbug"

    return copy
