"""The one error tree, shared by loaders, stores, algorithms, exports, the CLI and the API.

TracegraphError
├── InvalidInput        bad user input: a file that cannot be read, a malformed reference  (CLI exit 2, HTTP 400/422)
├── NotFound            a referenced entity does not exist                                  (CLI exit 2, HTTP 404)
├── Forbidden           role or TLP forbids it                                              (CLI exit 2, HTTP 403)
├── Unauthenticated     no or bad credentials                                               (HTTP 401)
├── RemoteUnavailable   a partner's server (a TAXII feed) refused, failed or did not answer in time (exit 2, HTTP 502)
└── StoreUnavailable    the store cannot be reached or opened, or went away mid-command    (CLI exit 3, HTTP 503)
    ├── StoreRefused    the store refused the configured credentials (Neo4j wrong password)      (exit 2)
    ├── StoreBusy       the embedded store is locked by another process (e.g. a running server)  (exit 2)
    ├── StoreNeedsMigration  the file was written by an engine this version cannot open (Kùzu-era)  (exit 2)
    └── StoreFull       no space left on the store's filesystem                               (exit 2, HTTP 507)

Messages are one line, name the thing at fault, and never contain personal data.
"""

from __future__ import annotations

import os
from pathlib import Path


class TracegraphError(Exception):
    """Base of every error tracegraph raises on purpose."""

    http_status = 500
    title = "Internal error"
    exit_code = 1


class InvalidInput(TracegraphError):
    http_status = 400
    title = "Invalid input"
    exit_code = 2


class NotFound(TracegraphError):
    http_status = 404
    title = "Not found"
    exit_code = 2


class Forbidden(TracegraphError):
    http_status = 403
    title = "Forbidden"
    exit_code = 2


class Unauthenticated(TracegraphError):
    http_status = 401
    title = "Authentication required"
    exit_code = 2


class RemoteUnavailable(TracegraphError):
    http_status = 502
    title = "Remote server unavailable"
    exit_code = 2


class StoreUnavailable(TracegraphError):
    http_status = 503
    title = "Store unavailable"
    exit_code = 3  # distinct: worth retrying once the store is back


class StoreRefused(StoreUnavailable):
    title = "Store refused the credentials"
    exit_code = 2


class StoreBusy(StoreUnavailable):
    title = "Store busy"
    exit_code = 2


class StoreNeedsMigration(StoreUnavailable):
    """The embedded file is in a format this version cannot open; the message names the command that converts it."""

    title = "Store needs migration"
    exit_code = 2


class StoreOutOfMemory(StoreUnavailable):
    """One transaction needed more than the embedded engine's buffer pool. The transaction is rolled back (nothing
    of that load batch is written; earlier batches are kept), so the same command with smaller batches succeeds."""

    title = "Store out of memory"
    exit_code = 2


def analysis_out_of_memory(exc: StoreOutOfMemory, command: str) -> StoreOutOfMemory:
    """``exc`` as an analysis meets it (``command``: how it was run): ``--batch-rows`` is a load's option."""
    committed = "committed the last batch" in str(exc)
    done = ("the analysis was committed and is recovered when the store is next opened" if committed else
            "nothing of this analysis was written (the loaded rows are kept)")
    return StoreOutOfMemory(f"the store ran out of memory during `{command}` (its buffer pool is full); {done}: "
                            f"re-run `{command}` with more memory free or a larger TRACEGRAPH_BUFFER_POOL_MB if "
                            "it is set (an incremental analysis holds the rows around the new records: fewer days "
                            "loaded between two analyses need less)")


class StoreFull(StoreUnavailable):
    """The store's filesystem has no space left. Nothing committed is lost; the engine may not be able to close
    cleanly, so the command line ends the process at once after saying so (see ``api.cli.main``)."""

    http_status = 507
    title = "Store full"
    exit_code = 2


def translate_engine_error(exc: RuntimeError, path: Path) -> Exception:
    """The embedded engine's error as one of these, its message saying what to do."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = message.lower()
    if "no space left" in lowered or ("io exception" in lowered and _free_bytes(path) < (1 << 20)):
        return StoreFull(f"the store {path}: no space left on its filesystem ({_free_bytes(path):,} bytes free); "
                         "free space or move the store, then re-run the same command (what was committed is kept)")
    if "buffer pool is full" in lowered and "committed successfully" in lowered:
        return StoreOutOfMemory(
            f"the store {path} committed the last batch but ran out of memory writing it to the file (its buffer "
            "pool is full); what was committed is recovered when the store is next opened: re-run the same command "
            "with a smaller --batch-rows (e.g. 50000), or with more memory (TRACEGRAPH_BUFFER_POOL_MB)")
    if "buffer pool is full" in lowered:
        return StoreOutOfMemory(
            f"the store {path} ran out of memory in one transaction (its buffer pool is full); nothing of that batch "
            "was written: re-run the same command with a smaller --batch-rows (e.g. 50000), or with more memory "
            "(TRACEGRAPH_BUFFER_POOL_MB)")
    if "binder exception" in lowered or "parser exception" in lowered:
        return InvalidInput(f"query rejected by the embedded store: {message}")
    if "unable to find primary key" in lowered:
        return InvalidInput(f"relationship endpoint does not exist: {message}")
    if "copy exception" in lowered or "runtime exception" in lowered or "conversion exception" in lowered:
        return InvalidInput(f"the embedded store refused the data: {message}")
    return StoreUnavailable(f"embedded store error: {message}")


def _free_bytes(path: Path) -> int:
    try:
        stat = os.statvfs(path.parent)
    except OSError:
        return 1 << 62
    return stat.f_bavail * stat.f_frsize
