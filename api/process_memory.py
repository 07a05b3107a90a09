"""Arrow's freed memory kept inside a short-lived process (issue 21: the daily batch).

On this kind of machine (a virtual machine whose free memory goes back to its host), memory new to a process
costs far more than the work done in it: 800 MB taken afresh through Arrow took 4.8-7.9 CPU s, the same taken
again at once 0.15-0.19 s (docs/performance.md, first21). Arrow's default pool on Linux, mimalloc, gives what it
frees back to the kernel 10 ms later (its ``purge_delay``), so a national batch's stages, which allocate and free
hundreds of MB of Arrow buffers one after another, kept asking for new memory: with purging off, the batch's
analysis took 316k page faults instead of 429k-433k (batch 1) and 143k instead of 284k-292k (batch 2).

:func:`keep_arrow_memory` turns mimalloc's purging off for the process (``MIMALLOC_PURGE_DELAY=-1``, unless the
environment sets it): its resident memory then stays at Arrow's peak until it exits, which suits a command that
exits when its batch is done and not a server. mimalloc reads the setting when pyarrow loads it, so this must run
before pyarrow is imported: the command line calls it first thing (:func:`api.cli.root.main`, every command but
``serve``), and so does the daily batch's bench. Results do not depend on it.
"""

from __future__ import annotations

import os

#: mimalloc's setting: how many ms after a free it gives the pages back (-1: never)
PURGE_DELAY = "MIMALLOC_PURGE_DELAY"


def keep_arrow_memory() -> None:
    """Keep Arrow's freed memory in this process (see the module's docstring). Only takes effect before pyarrow is
    imported; a value the environment gives is left as it is."""
    os.environ.setdefault(PURGE_DELAY, "-1")
