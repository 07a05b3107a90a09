"""api.process_memory: a process that keeps Arrow's freed memory takes it again without new page faults; the
command line keeps it for every command but ``serve``, and leaves a value the environment gives. The pool case runs
in a process of its own (mimalloc reads the setting when pyarrow loads it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
import typer

ROOT = Path(__file__).resolve().parents[2]

#: 600 MB of Arrow buffers made and freed three times, a second apart; prints the page faults of the last two rounds
ROUNDS = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from api.process_memory import keep_arrow_memory
keep_arrow_memory()
import numpy as np, pyarrow as pa, pyarrow.compute as pc
base = np.arange(25_000_000, dtype=np.int64)
faults = []
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = pa.array(base); y = pc.add(x, 1); z = pc.multiply(y, 2)
    del x, y, z
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    time.sleep(1)
print(pa.default_memory_pool().backend_name, sum(faults[1:]))
"""


def _faults(purge_delay: str | None) -> tuple[str, int]:
    """(Arrow's pool, the page faults of ROUNDS' last two rounds) in a fresh process, mimalloc's purge delay set by
    the environment (None: as keep_arrow_memory leaves it)."""
    env = {name: value for name, value in os.environ.items() if name != "MIMALLOC_PURGE_DELAY"}
    if purge_delay is not None:
        env["MIMALLOC_PURGE_DELAY"] = purge_delay
    done = subprocess.run([sys.executable, "-c", ROUNDS, str(ROOT)], check=True, capture_output=True, text=True,
                          env=env)
    backend, faults = done.stdout.split()
    return backend, int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page faults as Linux counts them")
def test_arrow_memory_freed_is_taken_again_without_new_pages() -> None:
    backend, kept = _faults(None)
    if backend != "mimalloc":
        pytest.skip(f"Arrow's pool is {backend} here")
    _, purged = _faults("10")  # mimalloc's own default: freed pages go back 10 ms after a free
    # the 600 MB of each round are ~146k pages; kept, a round takes none of them afresh (the odd fault of the
    # interpreter's own work aside: a clean-clone CI run once counted 1), purged ~100 a round here
    assert kept <= 4, (kept, purged)
    assert purged >= 10 * (kept + 1), (kept, purged)


def test_the_command_line_keeps_arrow_memory_except_for_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli import root

    monkeypatch.setattr(root, "app", lambda **_kwargs: 0)
    monkeypatch.setenv("MIMALLOC_PURGE_DELAY", "0")  # (so that the test's end restores the process's own state)
    monkeypatch.delenv("MIMALLOC_PURGE_DELAY")
    for argv in (["serve"], ["--db", "x.lbug", "serve", "--port", "8001"], ["--store=neo4j", "serve"],
                 ["--store", "embedded", "--db=x.lbug", "serve"]):
        monkeypatch.setattr(sys, "argv", ["tracegraph", *argv])
        root.main()
        assert "MIMALLOC_PURGE_DELAY" not in os.environ, argv
    monkeypatch.setattr(sys, "argv", ["tracegraph", "--db", "serve", "load", "day", "somewhere"])  # (a file "serve")
    root.main()
    assert os.environ["MIMALLOC_PURGE_DELAY"] == "-1"
    monkeypatch.setenv("MIMALLOC_PURGE_DELAY", "10")  # the environment's own value stays
    root.main()
    assert os.environ["MIMALLOC_PURGE_DELAY"] == "10"


def test_the_command_is_found_after_any_global_option_the_callback_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    """A global option added to the callback is skipped with its value, and a flag is not given one."""
    from api.cli import root

    def widened(db: Annotated[str | None, typer.Option("--db")] = None,
                tenant: Annotated[str | None, typer.Option("--tenant", "-t")] = None,
                quiet: Annotated[bool, typer.Option("--quiet")] = False) -> None:
        """(a callback with one more valued option and a flag)"""

    monkeypatch.setattr(root, "_global", widened)
    assert root._command(["--tenant", "serve", "load", "day"]) == "load"
    assert root._command(["-t", "serve", "--db", "serve", "serve"]) == "serve"
    assert root._command(["--quiet", "serve"]) == "serve"
    assert root._command(["--quiet", "--tenant=x"]) is None
