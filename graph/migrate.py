"""Convert a store written by the Kùzu-based versions of tracegraph into a LadybugDB store.

The two engines' files are incompatible both ways and the two libraries cannot be imported in one process, so the
migration runs in two: Kùzu 0.11.3 exports the old file (read-only, never changed) as Parquet in a child process
(:mod:`graph.kuzu_export`), and this process imports the export with LadybugDB into a new file, checks that every
node label and relationship type has the same count as before, and then brings the schema up to date
(:meth:`graph.embedded_store.EmbeddedStore.init_schema`, which also migrates renamed or added properties).

Where the interpreter running tracegraph has no ``kuzu`` (the normal case: it is only in the ``migrate`` extra), a
throwaway virtual environment with ``kuzu==0.11.3`` is created once under the user's cache folder
(``$XDG_CACHE_HOME/tracegraph/kuzu-0.11.3``) and reused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import InvalidInput, StoreUnavailable

KUZU_VERSION = "0.11.3"


@dataclass(frozen=True)
class MigrationReport:
    """What a migration did: counts before (Kùzu) and after (LadybugDB), and the columns the schema added."""

    old: Path
    new: Path
    kuzu_version: str
    before: dict[str, dict[str, int]]
    after: dict[str, dict[str, int]]
    schema_changes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"old": str(self.old), "new": str(self.new), "kuzu_version": self.kuzu_version,
                "before": self.before, "after": self.after, "schema_changes": self.schema_changes}


def migrate_kuzu_store(old: Path, new: Path, *, kuzu_python: str | None = None) -> MigrationReport:
    """Export ``old`` with Kùzu, import into ``new`` with LadybugDB, verify counts, update the schema.

    ``new`` must not exist. On any failure ``new`` is removed and ``old`` is left as it was."""
    from graph.embedded_log import is_kuzu_file
    from graph.embedded_store import EmbeddedStore

    old, new = Path(old), Path(new)
    if not old.is_file():
        raise InvalidInput(f"no store file at {old}")
    if not is_kuzu_file(old):
        raise InvalidInput(f"{old} is not a Kùzu-era store (no Kùzu header): nothing to migrate")
    if new.exists():
        raise InvalidInput(f"{new} exists already: name a new file for the migrated store")
    new.parent.mkdir(parents=True, exist_ok=True)
    python = kuzu_python or kuzu_interpreter()
    with tempfile.TemporaryDirectory(prefix="tracegraph-migrate-") as work:
        export_dir = Path(work) / "export"
        exported = _export(python, old, export_dir)
        try:
            _import(new, export_dir)
            with EmbeddedStore(new) as store:
                after = store.table_counts()
                _verify(exported["counts"], after)
                changes = store.migrate()
        except BaseException:
            _remove_store(new)
            raise
    return MigrationReport(old, new, str(exported["kuzu_version"]), exported["counts"], after, changes)


def kuzu_interpreter() -> str:
    """A Python that can ``import kuzu``: this one if it can (in a child process), else a cached throwaway venv."""
    if _imports_kuzu(sys.executable):
        return sys.executable
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tracegraph" / f"kuzu-{KUZU_VERSION}"
    python = cache / "bin" / "python"
    if python.exists() and _imports_kuzu(str(python)):
        return str(python)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(cache)],  # noqa: S603 - fixed argv
                       check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"kuzu=={KUZU_VERSION}"],  # noqa: S603
                       check=True,
                       capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise StoreUnavailable(f"could not install kuzu=={KUZU_VERSION} into {cache} for the export "
                               f"(install the `migrate` extra instead: pip install 'tracegraph[migrate]'): "
                               f"{last[0]}") from None
    return str(python)


def _imports_kuzu(python: str) -> bool:
    program = f"import kuzu, sys; sys.exit(kuzu.__version__ != {KUZU_VERSION!r})"
    probe = subprocess.run([python, "-c", program], capture_output=True, check=False)  # noqa: S603 - fixed program
    return probe.returncode == 0


def _export(python: str, old: Path, export_dir: Path) -> dict[str, Any]:
    script = Path(__file__).with_name("kuzu_export.py")
    done = subprocess.run([python, str(script), str(old.resolve()), str(export_dir)],  # noqa: S603 - argv list
                          capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        reason = next((line for line in reversed(lines) if line.strip()), f"exit {done.returncode}")
        if "lock" in reason.lower():
            raise StoreUnavailable(f"the old store {old} is in use by another process: stop it and migrate again")
        raise StoreUnavailable(f"Kùzu could not export {old}: {reason}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _import(new: Path, export_dir: Path) -> None:
    import ladybug

    db = ladybug.Database(str(new))
    conn = ladybug.Connection(db)
    try:
        conn.execute(f"IMPORT DATABASE '{_literal(export_dir)}'")
    except RuntimeError as exc:
        raise StoreUnavailable(f"LadybugDB could not import the export: {str(exc).splitlines()[0]}") from None
    finally:
        conn.close()
        db.close()


def _verify(before: object, after: dict[str, dict[str, int]]) -> None:
    if before != after:
        assert isinstance(before, dict)
        diffs = [f"{kind}:{name} {before.get(kind, {}).get(name)} -> {after.get(kind, {}).get(name)}"
                 for kind in ("nodes", "relationships")
                 for name in sorted(set(before.get(kind, {})) | set(after.get(kind, {})))
                 if before.get(kind, {}).get(name) != after.get(kind, {}).get(name)]
        raise StoreUnavailable(f"the migrated store's counts differ from the old one's ({'; '.join(diffs[:5])}); "
                               "nothing was kept")


def _remove_store(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".shadow")):
        if candidate.is_dir():
            shutil.rmtree(candidate, ignore_errors=True)
        else:
            candidate.unlink(missing_ok=True)


def _literal(path: Path) -> str:
    text = str(path)
    if "'" in text or "\\" in text:
        raise InvalidInput(f"temporary folder path must not contain quotes or backslashes: {text!r}")
    return text
