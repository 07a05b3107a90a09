"""One stray quote costs one line, never the rest of the file: every load kind counts every physical line, rejects
the broken line alone with its number, loads its neighbours; FFL churn is refused when a row names no licensee."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from loader_helpers import FIXTURES, rejects

from graph.embedded_store import EmbeddedStore
from loaders.base import LoadReport, read_delimited
from tests.cli_run import tracegraph

# (kind, a file of that kind: real public excerpts where the kind has one, else the hand-written fixtures)
FILES = [("ffl", FIXTURES / "0125-ffl-list-va-excerpt.txt"), ("traces", FIXTURES / "traces_malformed.csv"),
         ("multiple-sales", FIXTURES / "multiple_sales.csv"), ("nibin", FIXTURES / "nibin_leads.csv"),
         ("inspections", FIXTURES / "inspections.csv"), ("violations", FIXTURES / "violations.csv"),
         ("state-traces", FIXTURES / "atf_source_recovery_long_2011_va_excerpt.csv"),
         ("hotspots", FIXTURES / "hotspots.csv"), ("stolen", FIXTURES.parent / "stolen" / "stolen.csv")]


def physical_lines_after_header(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1


def with_stray_quote(source: Path, target: Path, line_number: int, field: int) -> Path:
    """``source`` with an opening quote and no closing one put in front of one field of one line."""
    raw = source.read_bytes()
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    lines = raw.split(newline)
    delimiter = b"\t" if b"\t" in lines[0] else b","
    fields = lines[line_number - 1].split(delimiter)
    fields[field] = b'"SMITH & SONS ' + fields[field]
    lines[line_number - 1] = delimiter.join(fields)
    target.write_bytes(newline.join(lines))
    return target


def test_a_stray_quote_costs_its_own_line_in_every_load_kind(load: Callable[..., LoadReport], tmp_path: Path) -> None:
    for kind, source in FILES:
        baseline = load(kind, source)
        broken_line = physical_lines_after_header(source) - 1  # the last line but two: two lines follow it
        broken = with_stray_quote(source, tmp_path / f"quoted-{source.name}", broken_line, field=1)
        report = load(kind, broken)
        assert report.read == physical_lines_after_header(broken) == baseline.read, kind
        rejected = {int(row["line"]): row["reason"] for row in rejects(report)}
        assert "unclosed quote" in rejected[broken_line], kind
        before = {int(row["line"]) for row in rejects(baseline)}
        assert set(rejected) == before | {broken_line}, kind  # every other line fares as it did before
        assert report.loaded == baseline.loaded - (broken_line not in before), kind


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tracegraph("--db", db, *args)


def test_churn_is_refused_when_a_row_of_the_new_list_is_unreadable(tmp_path: Path) -> None:
    db = tmp_path / "g.lbug"
    assert run(db, "init").returncode == 0
    assert run(db, "load", "ffl", str(FIXTURES / "0125-ffl-list-va-excerpt.txt")).returncode == 0
    february = with_stray_quote(FIXTURES / "0225-ffl-list-va-excerpt.txt", tmp_path / "0225-ffl-list-va.txt",
                                line_number=21, field=7)
    done = run(db, "load", "ffl", str(february), "--json")
    assert done.returncode == 2
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["read"] == physical_lines_after_header(february)
    assert summary["details"]["churn"]["refused"] == 1
    errors = [line for line in done.stderr.splitlines() if line.strip() and "churn vs" not in line]
    assert len(errors) == 1 and "churn not computed" in errors[0] and "0225-ffl-list-va.txt" in errors[0]
    with EmbeddedStore(db) as store:
        statuses = set(store.node_table("Dealer", ("status",)).to_pandas()["status"])
    assert statuses == {"LISTED"}  # nobody was marked as gone from an incomplete list


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text(alphabet='ab,"\t\r ', max_size=12), min_size=1, max_size=30),
       batch_rows=st.integers(1, 9))
def test_every_physical_line_is_read_exactly_once(tmp_path_factory, lines: list[str], batch_rows: int) -> None:
    path: Path = tmp_path_factory.mktemp("lines") / "rows.csv"
    path.write_text("id,value\n" + "\n".join(lines) + "\n", encoding="utf-8", newline="")
    physical = physical_lines_after_header(path)
    seen: list[int] = []
    skipped = 0
    for batch in read_delimited(path, "utf-8", batch_rows, (), "test"):
        seen += [int(n) for n in batch.lines] + [n for n, _, _ in batch.bad_rows]
        skipped += batch.skipped
    assert len(seen) == len(set(seen)) and len(seen) + skipped == physical
    assert all(2 <= n <= physical + 1 for n in seen)
