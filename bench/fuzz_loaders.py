"""Loader fuzz: malformed variants of a real file of every load kind through the real loaders.

Each variant is a seed file (tests/data: real public excerpts where a kind has one) with one or more mutations a
careless clerk or a hostile source produces: a stray or unbalanced quote, a field too many or too few, a NUL byte,
a bare CR, mixed line ends, blank lines, no final newline, a repeated header, Windows-1252 bytes in a UTF-8 file, a
byte-order mark, a 100 kB field, a line of delimiters, binary garbage. Every variant is loaded into an embedded
store; the outcome is "loaded" (then ``read`` must equal the physical lines after the header), "refused" (one
line, what the CLI turns into exit 2) or "crashed" (anything else: a traceback, exit 1).

    python bench/fuzz_loaders.py [--files 160] [--seed 1]

Prints one line per kind and the totals; exits 1 if anything crashed or a read count was wrong.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SEEDS = {
    "ffl": DATA / "loaders" / "0125-ffl-list-va-excerpt.txt",
    "traces": DATA / "loaders" / "traces_malformed.csv",
    "multiple-sales": DATA / "loaders" / "multiple_sales.csv",
    "nibin": DATA / "loaders" / "nibin_leads.csv",
    "inspections": DATA / "loaders" / "inspections.csv",
    "violations": DATA / "loaders" / "violations.csv",
    "state-traces": DATA / "loaders" / "atf_source_recovery_long_2011_va_excerpt.csv",
    "hotspots": DATA / "loaders" / "hotspots.csv",
    "stolen": DATA / "stolen" / "stolen.csv",
}


def _lines(data: bytes) -> tuple[list[bytes], bytes]:
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    return data.split(newline), newline


def _delimiter(data: bytes) -> bytes:
    return b"\t" if b"\t" in data.split(b"\n", 1)[0] else b","


def _on_line(mutate: Callable[[bytes, bytes, random.Random], bytes]) -> Callable[[bytes, random.Random], bytes]:
    def apply(data: bytes, rng: random.Random) -> bytes:
        lines, newline = _lines(data)
        body = [i for i in range(1, len(lines)) if lines[i].strip()]
        if not body:
            return data
        i = rng.choice(body)
        lines[i] = mutate(lines[i], _delimiter(data), rng)
        return newline.join(lines)
    return apply


def _field(line: bytes, delimiter: bytes, rng: random.Random, change: Callable[[bytes], bytes]) -> bytes:
    fields = line.split(delimiter)
    k = rng.randrange(len(fields))
    fields[k] = change(fields[k])
    return delimiter.join(fields)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "stray opening quote": _on_line(lambda s, d, r: _field(s, d, r, lambda f: b'"SMITH & SONS ' + f)),
    "quote at line end": _on_line(lambda s, d, r: s + b'"'),
    "doubled quotes": _on_line(lambda s, d, r: _field(s, d, r, lambda f: b'"' + f + b'""')),
    "quote mid field": _on_line(lambda s, d, r: _field(s, d, r, lambda f: f[:1] + b'"' + f[1:])),
    "field too many": _on_line(lambda s, d, r: s + d + b"EXTRA"),
    "field too few": _on_line(lambda s, d, r: s.rsplit(d, 1)[0]),
    "NUL byte": _on_line(lambda s, d, r: s[: len(s) // 2] + b"\x00" + s[len(s) // 2:]),
    "bare CR": _on_line(lambda s, d, r: s[: len(s) // 2] + b"\r" + s[len(s) // 2:]),
    "line of delimiters": _on_line(lambda s, d, r: d * s.count(d)),
    "100 kB field": _on_line(lambda s, d, r: _field(s, d, r, lambda f: f + b"X" * 100_000)),
    "binary garbage line": _on_line(lambda s, d, r: bytes(r.randrange(32, 256) for _ in range(60))),
    "cp1252 byte": _on_line(lambda s, d, r: _field(s, d, r, lambda f: f + b"\xe9")),
    "formula cell": _on_line(lambda s, d, r: _field(s, d, r, lambda f: b"=HYPERLINK(1)" + f)),
    "unicode line separator": _on_line(lambda s, d, r: s + "\u2028x".encode()),
    "repeated header": lambda data, rng: data + _lines(data)[1] + _lines(data)[0][0],
    "blank lines": lambda data, rng: data.replace(b"\n", b"\n\n", 3),
    "no final newline": lambda data, rng: data.rstrip(b"\r\n"),
    "mixed line ends": lambda data, rng: data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n", 2),
    "byte-order mark": lambda data, rng: b"\xef\xbb\xbf" + data,
    "truncated mid line": lambda data, rng: data[: rng.randrange(len(data) // 2, len(data))],
    "header only": lambda data, rng: _lines(data)[0][0] + b"\n",
    "empty file": lambda data, rng: b"",
}


@dataclass
class Outcome:
    kind: str
    mutations: tuple[str, ...]
    result: str  # loaded | refused | crashed | miscounted
    detail: str = ""


def physical_lines_after_header(data: bytes) -> int:
    return max(len(data.splitlines()) - 1, 0)


def run_fuzz(files: int, seed: int, workdir: Path) -> list[Outcome]:
    from graph.embedded_store import EmbeddedStore
    from graph.errors import InvalidInput, TracegraphError
    from loaders.base import LoadOptions, run_load
    from loaders.kinds import loader_for

    rng = random.Random(seed)
    kinds = sorted(SEEDS)
    outcomes: list[Outcome] = []
    stores = {}
    try:
        for kind in kinds:
            store = EmbeddedStore(workdir / f"{kind}.lbug")
            store.init_schema()
            stores[kind] = store
        for number in range(files):
            kind = kinds[number % len(kinds)]
            data = SEEDS[kind].read_bytes()
            names = tuple(rng.sample(sorted(MUTATIONS), rng.choice((1, 1, 2, 3))))
            for name in names:
                data = MUTATIONS[name](data, rng)
            path = workdir / f"fuzz-{number:04d}-{kind}{SEEDS[kind].suffix}"
            path.write_bytes(data)
            try:
                report = run_load(loader_for(kind), stores[kind], path,
                                  LoadOptions(rejects_dir=workdir / "rejects", batch_rows=rng.choice((2, 7, 1000))))
            except InvalidInput as exc:
                outcomes.append(Outcome(kind, names, "refused", str(exc)))
                continue
            except TracegraphError as exc:  # StoreUnavailable and the like: exit 1 on the command line
                outcomes.append(Outcome(kind, names, "crashed", f"{type(exc).__name__}: {exc}"))
                continue
            except Exception as exc:  # a crash is what this counts
                outcomes.append(Outcome(kind, names, "crashed", "".join(traceback.format_exception(exc))[-1500:]))
                continue
            expected = physical_lines_after_header(data)
            if kind == "state-traces" or report.read == expected:  # state-traces: a grid counts flows, not lines
                outcomes.append(Outcome(kind, names, "loaded"))
            else:
                outcomes.append(Outcome(kind, names, "miscounted", f"read {report.read}, lines {expected}"))
    finally:
        for store in stores.values():
            store.close()
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=160)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_fuzz(args.files, args.seed, Path(tmp))
    by_kind: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.kind, Counter())[outcome.result] += 1
    for kind, counts in sorted(by_kind.items()):
        print(f"{kind:15s} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    totals = Counter(o.result for o in outcomes)
    print(f"{len(outcomes)} files: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())))
    bad = [o for o in outcomes if o.result in ("crashed", "miscounted")]
    for outcome in bad:
        print(f"\n{outcome.kind} {outcome.mutations}: {outcome.result}\n{outcome.detail}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
