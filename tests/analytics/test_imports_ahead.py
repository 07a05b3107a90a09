"""The incremental analysis' modules imported beside a day's load when the analysis follows it
(algorithms/warm_up.py ``imports_ahead``, api/services/daily.py ``analysis_may_follow``): a fresh process (as each
`tracegraph load day` is) imports them on a thread of their own during the load, never when no analysis can follow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.services import daily
from graph.embedded_store import EmbeddedStore
from loaders.day import day_files
from tests.worlds import analysed_day_store, copy_store

ROOT = Path(__file__).resolve().parents[2]

#: a fresh interpreter loads a day (argv: store, day folder, analysis_follows) and reports which thread imported
#: the analysis module (a finder asked first for every import) and whether it was imported at all
LOAD = """
import json, sys, threading
from pathlib import Path
importers = []


class Seen:  # asked first for every module a thread imports; finds none itself
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "algorithms.alerts":
            importers.append(threading.current_thread().name)


sys.meta_path.insert(0, Seen)
from api.services import daily
from graph.embedded_store import EmbeddedStore
from loaders.base import LoadOptions
from loaders.day import day_files
with EmbeddedStore(sys.argv[1]) as store:
    reports = daily.load_files(store, day_files(Path(sys.argv[2])), LoadOptions(rejects_dir=Path(sys.argv[1]).parent),
                               one_transaction=True, analysis_follows=sys.argv[3] == "yes")
import importlib.util
print(json.dumps({"importers": importers, "imported": "algorithms.alerts" in sys.modules,
                  "loaded": sum(r.loaded for r in reports), "drawing": "matplotlib" in sys.modules,
                  "drawing_importable": importlib.util.find_spec("matplotlib") is not None}))
"""


def _load(db: Path, day: Path, follows: bool) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", LOAD, str(db), str(day), "yes" if follows else "no"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_analysis_modules_are_imported_on_their_own_thread_during_the_load(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    history = analysed_day_store(tmp_path_factory, tmp_path / "follows.lbug")
    copy_store(tmp_path / "follows.lbug", tmp_path / "alone.lbug")
    day = history.stream.batches[0]
    follows = _load(tmp_path / "follows.lbug", day, True)
    assert follows["imported"] and follows["importers"] == ["imports-ahead"]  # not the loading thread's
    # nor matplotlib, which igraph's drawing imports where it is installed (the dev venv): importable afterwards
    assert follows["drawing"] is False and follows["drawing_importable"] is True
    alone = _load(tmp_path / "alone.lbug", day, False)
    assert alone == {"importers": [], "imported": False, "loaded": follows["loaded"], "drawing": False,
                     "drawing_importable": True}  # a load alone never pays
    assert isinstance(follows["loaded"], int) and follows["loaded"] > 0


def test_the_analysis_may_follow_only_a_load_it_can_take(tmp_path_factory: pytest.TempPathFactory,
                                                         tmp_path: Path) -> None:
    history = analysed_day_store(tmp_path_factory, tmp_path / "analysed.lbug")
    day = day_files(history.stream.batches[0])
    with EmbeddedStore(tmp_path / "analysed.lbug") as store:
        assert daily.analysis_may_follow(store, day, "incremental")
        assert not daily.analysis_may_follow(store, day, "none")
        assert not daily.analysis_may_follow(store, [], "incremental")
        ffl = history.stream.history / "ffl_list.txt"
        assert not daily.analysis_may_follow(store, [("ffl", ffl)], "incremental")  # a full analysis follows it
    with EmbeddedStore(tmp_path / "new.lbug") as store:  # a new store: no schema yet (the load makes it)
        assert not daily.analysis_may_follow(store, day, "incremental")
        store.init_schema()  # no analysis yet: `tracegraph analyze` first
        assert not daily.analysis_may_follow(store, day, "incremental")
