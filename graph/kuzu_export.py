"""Export a Kùzu-era store for ``tracegraph store migrate``. Runs as a script in its own process.

Kùzu 0.11.3 and LadybugDB cannot be imported in one process (ImportError, then a segfault), so
:mod:`graph.migrate` runs this file with an interpreter that has ``kuzu`` and reads what it prints. It imports
nothing but ``kuzu`` and the standard library, opens the old file read-only (it is never changed), writes
``EXPORT DATABASE`` as Parquet into the given folder and prints one JSON object: the Kùzu version and the count of
every node and relationship table, for the migration to verify against.

Usage: ``python kuzu_export.py OLD_STORE EXPORT_DIR``
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def main(old: str, export_dir: str) -> int:
    # imported only here, by name: mypy and the package never see Kùzu beside LadybugDB
    kuzu: Any = importlib.import_module("kuzu")

    db = kuzu.Database(old, read_only=True)
    conn = kuzu.Connection(db)
    # rows one by one: the throwaway interpreter has Kùzu alone (no numpy or pandas for get_as_df)
    listing = conn.execute("CALL show_tables() RETURN name, type")
    tables = []
    while listing.has_next():
        tables.append(listing.get_next())
    counts: dict[str, dict[str, int]] = {"nodes": {}, "relationships": {}}
    for name, kind in tables:
        if "`" in name:
            raise SystemExit(f"unexpected table name {name!r}")
        if kind == "NODE":
            result = conn.execute(f"MATCH (n:`{name}`) RETURN count(n)")
            counts["nodes"][name] = int(result.get_next()[0])
        elif kind == "REL":
            result = conn.execute(f"MATCH ()-[e:`{name}`]->() RETURN count(e)")
            counts["relationships"][name] = int(result.get_next()[0])
    conn.execute(f"EXPORT DATABASE '{_literal(export_dir)}' (format='parquet')")
    conn.close()
    db.close()
    print(json.dumps({"kuzu_version": kuzu.__version__, "counts": counts}))
    return 0


def _literal(path: str) -> str:
    if "'" in path or "\\" in path:
        raise SystemExit(f"export folder path must not contain quotes or backslashes: {path!r}")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: kuzu_export.py OLD_STORE EXPORT_DIR")
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
