"""api.process_memory: a process that keeps Arrow's freed memory takes it again without new page faults; the
command line keeps it for every command but ``serve``, and leaves a value the environment gives. The pool case runs
in a process of its own (mimalloc reads the setting when pyarrow loads it). While a day loads, the heap's growth is
faulted in ahead of the thread that takes it (in a process of its own too: glibc's settings stay for the process)."""

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


#: the heap grown ahead (step argv[2] bytes; 0: not), then 200 MB taken on this thread in 8 MB pieces (below
#: glibc's mmap threshold: from the heap); prints what the populating thread had done and this thread's page faults
HEAP = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from api import process_memory
process_memory.POPULATE_NICE = 0  # (the test's machine may have no idle core: the mechanism, not its priority)
with process_memory.heap_ahead(int(sys.argv[2])) as populated:
    first = bytearray(8 << 20)  # (the heap grows: by the step when there is one)
    while populated is not None and populated[0] < 256 << 20:
        time.sleep(0.01)
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    taken = [bytearray(8 << 20) for _ in range(25)]
    faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before
print(None if populated is None else populated[0] >> 20, faults)
"""


def _heap_faults(step: int, switch: str | None = None) -> tuple[str, int]:
    """(MB the populating thread faulted in, or "None", the page faults of HEAP's 200 MB) in a fresh process."""
    env = {name: value for name, value in os.environ.items() if name != "TRACEGRAPH_HEAP_AHEAD"}
    if switch is not None:
        env["TRACEGRAPH_HEAP_AHEAD"] = switch
    done = subprocess.run([sys.executable, "-c", HEAP, str(ROOT), str(step)], check=True, capture_output=True,
                          text=True, env=env, timeout=120)
    populated, faults = done.stdout.split()
    return populated, int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap and Linux's page faults")
def test_the_heap_a_day_grows_is_faulted_in_ahead_of_the_thread_that_takes_it() -> None:
    from api.process_memory import _glibc

    if _glibc() is None:
        pytest.skip("not glibc")
    populated, ahead = _heap_faults(512 << 20)
    off, alone = _heap_faults(512 << 20, switch="0")
    none, _ = _heap_faults(0)
    # 200 MB are 51,200 pages: taken alone, each one is faulted in by the thread that takes it; grown ahead, the
    # populating thread had faulted them in already
    assert (off, none) == ("None", "None")
    assert int(populated) >= 256, populated
    assert alone >= 40_000, alone
    assert ahead <= alone // 20, (ahead, alone)


def test_a_day_grows_the_heap_ahead_by_its_store_file() -> None:
    from api.process_memory import MAX_HEAP_STEP, heap_step

    assert heap_step(2_070_077_440) == 1_035_038_720  # the national world's file: its day took ~0.88 GB
    assert heap_step(8 << 30) == MAX_HEAP_STEP
    assert heap_step(20 << 20) == 0  # a test's world: left to itself


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
    # interpreter's own work aside: clean-clone CI runs counted 1 and 6), purged ~100 a round here (192-194)
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
