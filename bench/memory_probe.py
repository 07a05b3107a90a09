"""The process's memory, sampled in a thread and tagged by stage: what a daily batch's load and analysis hold.

A :class:`Probe` samples ``/proc/self/status`` (VmRSS, RssAnon, RssFile) and Arrow's pool
(``pyarrow.total_allocated_bytes``) every ``interval`` seconds (20 ms by default), ``/proc/self/smaps_rollup``
(Anonymous, Private_Dirty) every ``rollup_every``-th sample, and once more as each stage begins and ends (a stage
shorter than the interval is still seen). Given the open store (``Probe(engine=store)``, an ``EmbeddedStore``), it
also samples the engine's buffer manager's own count (``CALL bm_info()``: ``engine``), so the page cache's share of
RssAnon shows. While a stage is open, every sample counts towards its peak; stages may nest and overlap (the
analysis' two lanes run in two threads: a sample counts for every open stage).

    from memory_probe import Probe, stage, phase, instrument

    with Probe() as probe, instrument():     # instrument(): the daily path's own stages, tagged (below)
        probe.set_baseline()                 # e.g. after opening the store
        with phase("load"):
            ...                              # daily.load_files(...)
        with phase("analysis"), stage("mine"):
            ...
    print(probe.table())                     # per stage: peak RssAnon / RssFile / VmRSS above the baseline (MB)

:func:`stage` is a no-op when no probe runs, so a ``with stage("name"):`` may stay in code under study.
:func:`instrument` tags, while it is open, without editing the code: every ``timed(name, ...)`` stage of the
analyses (:func:`algorithms.analyze.stage_timer`: seeds, changed, closure, straw_features, straw, networks, the
trace lane's stages, alerts, write_back, commit, ...), each file of a day's load (``load_files``' ``run_load``:
``file:<kind>``), every ``COMMIT`` (``COMMIT``), the side table's delta after a commit (``side_delta``), and with
``writes=True`` each store write (``upsert_nodes:<label>``, ``upsert_relationships:<type>``). Stage names carry the
open :func:`phase` as a prefix (``load/file:traces``, ``analysis/closure``).

Used by ``bench/bench_batch_memory.py``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

MB = 1024 * 1024
_STATUS = ("VmRSS", "RssAnon", "RssFile", "VmHWM")
_ROLLUP = ("Anonymous", "Private_Dirty")


def _read(path: str, keys: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    with open(path, "rb") as lines:
        for line in lines:
            name, _, rest = line.partition(b":")
            key = name.decode()
            if key in keys:
                found[key] = int(rest.split()[0]) * 1024
    return found


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _mallinfo2() -> Callable[[], _MallInfo2] | None:
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallinfo2
    except (OSError, AttributeError):  # not glibc, or older than 2.33
        return None
    function.restype = _MallInfo2
    return function


_MALLINFO2 = _mallinfo2()


def read_malloc() -> dict[str, int]:
    """glibc malloc's own count, bytes (all arenas): ``malloc_used``, what is allocated and not freed (chunks in use
    + blocks mapped apart: the engine's memory outside its buffer manager, numpy's and pandas' arrays, Python's
    large objects); ``malloc_free``, what was freed and is kept in its arenas (resident unless trimmed). Empty when
    the C library has no ``mallinfo2``. Arrow's pool (mimalloc) and the engine's buffer manager (mmap) are apart."""
    if _MALLINFO2 is None:
        return {}
    info = _MALLINFO2()
    return {"malloc_used": info.uordblks + info.hblkhd, "malloc_free": info.fordblks}


#: a mapping at least this large is the engine's buffer manager's reservation (LadybugDB 0.22 reserves 8 TB of
#: address space and maps its page-cache frames into it: their resident pages are the page cache's true size)
_RESERVATION = 1 << 40


def read_frames() -> int:
    """The resident bytes of the engine's buffer-manager frames (the Rss of its reserved region, ``/proc/self/smaps``;
    0 before an engine is opened). The engine's own count (``bm_info``'s ``mem_usage``) also holds the query
    buffers it allocates through malloc, so it overlaps glibc's count; this does not."""
    total = 0
    large = False
    with open("/proc/self/smaps", "rb") as lines:
        for line in lines:
            if line[:1] in b"0123456789abcdef" and b"-" in line[:40] and line[0:1] != b" ":
                head = line.split(b" ", 1)[0]
                low, _, high = head.partition(b"-")
                try:
                    large = int(high, 16) - int(low, 16) >= _RESERVATION
                except ValueError:
                    large = False
            elif large and line.startswith(b"Rss:"):
                total += int(line.split()[1]) * 1024
                large = False
    return total


def read_status() -> dict[str, int]:
    """VmRSS, RssAnon, RssFile and VmHWM of this process, bytes."""
    return _read("/proc/self/status", _STATUS)


def read_rollup() -> dict[str, int]:
    """Anonymous and Private_Dirty of this process (``/proc/self/smaps_rollup``), bytes."""
    return _read("/proc/self/smaps_rollup", _ROLLUP)


COLUMNS = ("VmRSS", "RssAnon", "RssFile", "arrow", "Anonymous", "Private_Dirty", "engine", "frames", "python",
           "malloc_used", "malloc_free")


@dataclass
class Peak:
    """One stage: its peak of each column (bytes), its wall seconds (summed over its entries) and entries."""
    first: float
    peak: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    entries: int = 0
    at_start: dict[str, int] = field(default_factory=dict)
    at_end: dict[str, int] = field(default_factory=dict)
    #: the most RssAnon rose within one entry (its peak above its own start), and the open entry's start
    rise: int = 0
    entry_start: int | None = None

    def see(self, sample: dict[str, int]) -> None:
        for key, value in sample.items():
            if value > self.peak.get(key, -1):
                self.peak[key] = value
        if self.entry_start is not None:
            self.rise = max(self.rise, sample["RssAnon"] - self.entry_start)


class Probe:
    """The sampler (see the module's text). ``with Probe() as probe:`` starts it and makes it the one
    :func:`stage` reports to."""

    def __init__(self, interval: float = 0.02, rollup_every: int = 5, engine: Any = None,
                 frames_every: int = 0) -> None:
        self.interval = interval
        self.rollup_every = rollup_every
        #: every how many samples the engine's resident frames are read (:func:`read_frames`; 0: never)
        self.frames_every = frames_every
        self.stages: dict[str, Peak] = {}
        self.open: dict[str, int] = {}
        self.baseline: dict[str, int] = {}
        self.samples = 0
        self.started = time.perf_counter()
        self.peak: dict[str, int] = {}
        #: the sample with the highest VmRSS: what the process's peak was made of (:meth:`by_kind`)
        self.peak_sample: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-probe", daemon=True)
        self._rollup: dict[str, int] = {}
        #: an open EmbeddedStore: its engine's buffer manager's own count (``CALL bm_info()``'s ``mem_usage``: the
        #: page cache's frames and what the engine allocates through it) is sampled too, as column ``engine``,
        #: on a connection of the sampler's own (``EmbeddedStore.engine_meter``, only in its thread)
        self.engine = engine
        self._engine_seen = 0
        self.timeline: list[tuple[float, str, str, dict[str, int]]] = []  # (s, "begin"/"end", stage, sample)

    def sample(self, rollup: bool = True) -> dict[str, int]:
        found = read_status()
        found["arrow"] = pa.total_allocated_bytes()
        found.update(read_malloc())
        if rollup or not self._rollup:
            self._rollup = {**self._rollup, **read_rollup()}
        found.update(self._rollup)
        found["engine"] = self._engine_seen
        # Python's and numpy's allocations now, when tracemalloc traces (sampled like the rest, so a stage's peak is
        # its own even when the analysis' two lanes run beside each other; tracemalloc's own peak is process-wide)
        found["python"] = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
        return found

    def _note(self, sample: dict[str, int]) -> None:
        with self._lock:
            self.samples += 1
            if sample["VmRSS"] > self.peak_sample.get("VmRSS", -1):
                self.peak_sample = dict(sample)
            for key, value in sample.items():
                if value > self.peak.get(key, -1):
                    self.peak[key] = value
            for name in self.open:
                self.stages[name].see(sample)

    def _run(self) -> None:
        count = 0
        with ExitStack() as stack:
            meter = stack.enter_context(self.engine.engine_meter()) if self.engine is not None else None
            while not self._stop.wait(self.interval):
                count += 1
                if meter is not None:
                    self._engine_seen = meter()
                if self.frames_every and count % self.frames_every == 0:  # (the whole smaps: ~ms a read)
                    self._rollup["frames"] = read_frames()
                self._note(self.sample(rollup=count % self.rollup_every == 0))

    def set_baseline(self) -> dict[str, int]:
        """The memory every stage's figures are taken above (e.g. the process just after opening the store)."""
        if self.engine is not None:
            with self.engine.engine_meter() as meter:
                self._engine_seen = meter()
        if self.frames_every:
            self._rollup["frames"] = read_frames()
        self.baseline = self.sample()
        return self.baseline

    def _boundary(self) -> dict[str, int]:
        """A sample at a stage's beginning or end, with the engine's frames read afresh when they are sampled at
        all: a stage shorter than the sampler's interval (a read of a few ms on a quiet machine) is otherwise seen
        only with the frames of before it."""
        if self.frames_every:
            self._rollup = {**self._rollup, "frames": read_frames()}
        return self.sample()

    def begin(self, name: str) -> None:
        sample = self._boundary()
        with self._lock:
            peak = self.stages.get(name)
            if peak is None:
                peak = self.stages[name] = Peak(first=time.perf_counter() - self.started, at_start=sample)
            peak.entries += 1
            if not self.open.get(name):
                peak.entry_start = sample["RssAnon"]
            self.open[name] = self.open.get(name, 0) + 1
            self.timeline.append((time.perf_counter() - self.started, "begin", name, sample))
        self._note(sample)

    def end(self, name: str, seconds: float) -> None:
        sample = self._boundary()
        self._note(sample)
        with self._lock:
            peak = self.stages[name]
            peak.seconds += seconds
            peak.at_end = sample
            self.open[name] -= 1
            if not self.open[name]:
                del self.open[name]
                peak.entry_start = None
            self.timeline.append((time.perf_counter() - self.started, "end", name, sample))

    def __enter__(self) -> Probe:
        global _active
        if not self.baseline:
            self.set_baseline()
        self._thread.start()
        _active = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        _active = None
        self._stop.set()
        self._thread.join()

    def rows(self) -> list[dict[str, Any]]:
        """Per stage, in the order they began: wall s, entries, and per column its peak above the baseline (MB),
        plus the peak's absolute VmRSS, RssAnon at the stage's (last) end and ``rise_RssAnon``: the most RssAnon
        rose within one entry of the stage (its peak above that entry's start: what the stage itself added, or
        what ran beside it); the whole run's peaks as the last row (``(process)``)."""
        def above(values: dict[str, int]) -> dict[str, float]:
            return {key: round((values.get(key, 0) - self.baseline.get(key, 0)) / MB, 1) for key in COLUMNS}

        out = []
        for name, peak in sorted(self.stages.items(), key=lambda item: item[1].first):
            out.append({"stage": name, "seconds": round(peak.seconds, 3), "entries": peak.entries,
                        **above(peak.peak), "VmRSS_abs": round(peak.peak.get("VmRSS", 0) / MB, 1),
                        "end_RssAnon": above(peak.at_end)["RssAnon"],
                        "rise_RssAnon": round(peak.rise / MB, 1)})
        out.append({"stage": "(process)", "seconds": round(time.perf_counter() - self.started, 3), "entries": 1,
                    **above(self.peak), "VmRSS_abs": round(self.peak.get("VmRSS", 0) / MB, 1),
                    "end_RssAnon": above(self.sample())["RssAnon"], "rise_RssAnon": above(self.peak)["RssAnon"]})
        return out

    def table(self) -> str:
        """:meth:`rows` as text: MB above the baseline, and ``rise``: the most RssAnon rose within one entry."""
        head = ("stage", "s", "RssAnon+", "RssFile+", "VmRSS+", "frames+", "engine+", "arrow+", "malloc+",
                "m.free+", "python+", "anon end", "rise")
        lines = [f"baseline: VmRSS {self.baseline.get('VmRSS', 0) / MB:.0f} MB, RssAnon "
                 f"{self.baseline.get('RssAnon', 0) / MB:.0f}, RssFile {self.baseline.get('RssFile', 0) / MB:.0f}, "
                 f"arrow {self.baseline.get('arrow', 0) / MB:.0f}; {self.samples} samples",
                 "  ".join(f"{h:>9}" if i else f"{h:<36}" for i, h in enumerate(head))]
        for row in self.rows():
            cells = (row["stage"], row["seconds"], row["RssAnon"], row["RssFile"], row["VmRSS"], row["frames"],
                     row["engine"], row["arrow"], row["malloc_used"], row["malloc_free"], row["python"],
                     row["end_RssAnon"], row["rise_RssAnon"])
            lines.append("  ".join(f"{c:>9}" if i else f"{c:<36}" for i, c in enumerate(cells)))
        return "\n".join(lines)

    def by_kind(self, sample: dict[str, int] | None = None) -> dict[str, float]:
        """What one sample's resident memory is made of, MB, absolute (not above the baseline); by default the
        sample at the process's highest VmRSS. ``file``: file-backed pages (the side table's mapped files: page
        cache, reclaimable); ``frames``: the engine's page cache, its frames' resident pages (capped by
        ``buffer_pool_mb``); ``engine``: the engine's own count (its frames in use and the query buffers it
        allocates through malloc: overlaps ``malloc_used``); ``arrow``: Arrow's pool in use; ``malloc_used`` /
        ``malloc_free``: glibc malloc's in use / freed and kept (the engine's memory outside its frames, e.g. a
        commit's relationship indexes and its query buffers; numpy's and pandas' arrays; Python's large objects);
        ``python``: tracemalloc's traced memory (0 unless it traces; part of malloc_used and of Python's own
        arenas); ``other_anon``: the rest of RssAnon (Arrow's freed memory mimalloc keeps, Python's small-object
        arenas, the libraries' own; negative when malloc counts memory never touched)."""
        values = sample if sample is not None else self.peak_sample
        anon = values.get("RssAnon", 0)
        known = sum(values.get(key, 0) for key in ("frames", "arrow", "malloc_used", "malloc_free"))
        return {key: round(value / MB) for key, value in (
            ("VmRSS", values.get("VmRSS", 0)), ("file", values.get("RssFile", 0)), ("anon", anon),
            ("frames", values.get("frames", 0)), ("engine", values.get("engine", 0)),
            ("arrow", values.get("arrow", 0)), ("malloc_used", values.get("malloc_used", 0)),
            ("malloc_free", values.get("malloc_free", 0)), ("python", values.get("python", 0)),
            ("other_anon", anon - known))}

    def dump(self) -> str:
        return json.dumps({"baseline": self.baseline, "rows": self.rows(), "samples": self.samples,
                           "peak_sample": self.peak_sample, "timeline": self.timeline})


_active: Probe | None = None
_phase: list[str] = []


def _named(name: str) -> str:
    return "/".join([*_phase, name])


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Tag what runs inside as stage ``name`` (prefixed by the open :func:`phase`) of the running probe; nothing
    when none runs. Any thread may open stages."""
    probe = _active
    if probe is None:
        yield
        return
    tagged = _named(name)
    started = time.perf_counter()
    probe.begin(tagged)
    try:
        yield
    finally:
        probe.end(tagged, time.perf_counter() - started)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """A stage that also prefixes the stages opened inside it, in any thread (``load``, ``analysis``)."""
    with stage(name):
        _phase.append(name)
        try:
            yield
        finally:
            _phase.pop()


def _patch(stack: ExitStack, owner: Any, attribute: str, make: Callable[[Any], Any]) -> None:
    original = getattr(owner, attribute)
    setattr(owner, attribute, make(original))
    stack.callback(setattr, owner, attribute, original)


@contextmanager
def instrument(writes: bool = False, statements: bool = False) -> Iterator[None]:
    """While open: the daily path's stages tagged (see the module's text); ``writes``: each store write too;
    ``statements``: each engine statement too (``stmt:`` and its first words)."""
    from algorithms import alerts, analyze
    from api.services import daily
    from graph import side_delta
    from graph.embedded_store import EmbeddedStore

    def timer(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def stage_timer(*args: Any, **kwargs: Any) -> Any:
            timed = original(*args, **kwargs)

            def tagged(name: str, func: Callable[[], Any]) -> Any:
                with stage(name):
                    return timed(name, func)
            return tagged
        return stage_timer

    def run_load(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(loader: Any, *args: Any, **kwargs: Any) -> Any:
            with stage(f"file:{loader.kind}"):
                return original(loader, *args, **kwargs)
        return wrapper

    def named(label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with stage(label):
                    return original(*args, **kwargs)
            return wrapper
        return make

    def execute(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(store: Any, text: str, *args: Any, **kwargs: Any) -> Any:
            if text.strip().upper() == "COMMIT":
                with stage("COMMIT"):
                    return original(store, text, *args, **kwargs)
            if statements:
                with stage("stmt:" + " ".join(text.split())[:72]):
                    return original(store, text, *args, **kwargs)
            return original(store, text, *args, **kwargs)
        return wrapper

    def write(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def wrapper(store: Any, label: str, *args: Any, **kwargs: Any) -> Any:
                with stage(f"{kind}:{label}"):
                    return original(store, label, *args, **kwargs)
            return wrapper
        return make

    with ExitStack() as stack:
        _patch(stack, analyze, "stage_timer", timer)
        _patch(stack, alerts, "stage_timer", timer)
        _patch(stack, daily, "run_load", run_load)
        _patch(stack, side_delta, "_append", named("side_delta"))
        _patch(stack, EmbeddedStore, "_execute", execute)
        if writes:
            _patch(stack, EmbeddedStore, "upsert_nodes", write("upsert_nodes"))
            _patch(stack, EmbeddedStore, "upsert_relationships", write("upsert_relationships"))
        yield
