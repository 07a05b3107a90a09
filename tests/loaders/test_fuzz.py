"""A bounded run of the loader fuzz (bench/fuzz_loaders.py runs 160 files): malformed variants of a real file of
every load kind are loaded or refused with one line, never crash, and ``read`` equals the physical lines."""

from __future__ import annotations

from pathlib import Path

from bench.fuzz_loaders import MUTATIONS, SEEDS, run_fuzz


def test_malformed_files_of_every_kind_load_or_are_refused_and_read_counts_every_line(tmp_path: Path) -> None:
    outcomes = run_fuzz(len(SEEDS) * 3, seed=23, workdir=tmp_path)
    assert {o.kind for o in outcomes} == set(SEEDS)
    bad = [(o.kind, o.mutations, o.result, o.detail[-300:]) for o in outcomes if o.result not in ("loaded", "refused")]
    assert bad == []
    assert sum(o.result == "loaded" for o in outcomes) >= len(outcomes) // 2  # most mutations cost rows, not files
    assert len(MUTATIONS) >= 20
