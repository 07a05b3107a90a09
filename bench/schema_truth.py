"""Schema truthfulness (issue 23): schemathesis over every ``/api/v1`` and ``/taxii2`` operation, every check
*including* ``positive_data_acceptance`` (a request the OpenAPI document allows must not be refused), with a real
investigator key against a real store served by uvicorn.

    python bench/schema_truth.py [--db STORE] [--max-time 120] [--seed 6]

Without ``--db`` it serves the API tests' graph (tests/api/conftest.py) in a temporary directory; with ``--db`` it
serves a *copy* of that store (the server writes its audit log beside it). Prints one line per failure and the
schemathesis summary; exit 0 when there are none. The 422s allowed for rules a schema cannot state are in
tests/api/schemathesis.toml. tests/api/test_schemathesis.py runs the same thing, shorter.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.security import KeyFile
from api.settings import Settings
from graph.embedded_store import EmbeddedStore
from graph.embedded_writes import copy_store_files
from tests.api.schemathesis_run import failures, run, summary
from tests.api.server import serving


def _store(work: Path, source: Path | None) -> Path:
    if source is not None:
        target = work / source.name
        return copy_store_files(source, target)
    from tests.api.conftest import populate

    db = work / "graph.lbug"
    with EmbeddedStore(db) as store:
        store.init_schema()
        populate(store)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="serve a copy of this store (default: the API tests' graph)")
    parser.add_argument("--max-time", type=int, default=120)
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--log", type=Path, help="write schemathesis' whole output here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="schema-truth-") as tmp:
        work = Path(tmp)
        db = _store(work, args.db)
        settings = Settings(db=db, api_keys_file=work / "keys.json", audit_log=work / "audit.jsonl",
                            api_auth_failures_per_minute=1_000_000)
        record, secret = KeyFile.for_settings(settings).create("investigator", "schemathesis")
        started = time.monotonic()
        with serving(settings) as base_url:
            result = run(base_url, f"{record.key_id}.{secret}", work / "report", max_time=args.max_time,
                         seed=args.seed, max_examples=args.max_examples)
        took = time.monotonic() - started
        if args.log:
            args.log.write_text(result.stdout + result.stderr)
        print("\n".join(failures(result.stdout)))
        print(summary(result.stdout + result.stderr))
        print(f"schemathesis took {took:.0f} s, load average {os.getloadavg()[0]:.1f}; exit {result.returncode}")
        return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
