"""Two analysed stores, each with a byte copy for the API (the CLI and the server each own a store file):
the small simulated world, and the real public files (Virginia FFL list excerpt, ATF inspection reports, ATF's
2013 and 2016 state source-recovery tables, UCR hotspots; tests/data/PROVENANCE.md)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graph.embedded_store import EmbeddedStore

DATA = Path(__file__).resolve().parents[1] / "data"
DEMO_LOADS = (("ffl", "ffl_list_prev.txt"), ("ffl", "ffl_list.txt"), ("traces", "traces.csv"),
              ("multiple-sales", "multiple_sales.csv"), ("nibin", "nibin_leads.csv"),
              ("inspections", "inspections.csv"), ("violations", "violations.csv"), ("hotspots", "hotspots.csv"),
              ("stolen", "stolen.csv"))
PUBLIC_LOADS = (("ffl", DATA / "loaders" / "0125-ffl-list-va-excerpt.txt"),
                ("ffl", DATA / "loaders" / "0225-ffl-list-va-excerpt.txt"),
                ("inspections", DATA / "loaders" / "atf_inspections_2015_2017_excerpt.ndjson"),
                ("state-traces", DATA / "loaders" / "final_source_recovery_by_state-cy_2013.xlsx"),
                ("state-traces", DATA / "loaders" / "final_source_recovery_by_state-cy_2016.xlsx"),
                ("hotspots", DATA / "loaders" / "hotspots.csv"))


@dataclass(frozen=True)
class World:
    cli_db: Path   # what the CLI opens
    api_db: Path   # a copy the API server owns


def _build(root: Path, loads: list[tuple[str, Path]]) -> World:
    from algorithms.analyze import analyze, write_back
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for

    db = root / "cli" / "graph.lbug"
    db.parent.mkdir()
    with EmbeddedStore(db) as store:
        store.init_schema()
        for kind, path in loads:
            run_load(loader_for(kind), store, path, LoadOptions(rejects_dir=root / "rejects"))
        started = datetime.now(UTC)
        write_back(store, analyze(store, seed=7), started_at=started)
    api = root / "api"
    shutil.copytree(db.parent, api)
    return World(cli_db=db, api_db=api / db.name)


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from loaders.synthetic import simulate

    root = tmp_path_factory.mktemp("svc-demo")
    simulate("small", 7, root / "inputs")
    return _build(root, [(kind, root / "inputs" / name) for kind, name in DEMO_LOADS])


@pytest.fixture(scope="session")
def public_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _build(tmp_path_factory.mktemp("svc-public"), list(PUBLIC_LOADS))
