"""What each analysis stage and read command needs in the store, and the one line, naming the load that brings
it, a user sees when it is missing. Analyses (``algorithms.analyze``) and commands import it; the loads it names
are in :mod:`loaders.kinds`."""

from __future__ import annotations

#: What an analysis or a read command needs in the store: (node label or relationship type that must be present,
#: the one line a user sees when it is not). The line names the load that brings it.
NEEDS: dict[str, tuple[str, str]] = {
    "purchases": ("PURCHASED", "needs purchases (who bought which gun): load them with `tracegraph load traces "
                               "FILE` or `tracegraph load multiple-sales FILE`"),
    "traces": ("RECOVERED_IN", "needs traces (guns sold by a dealer and recovered): load them with `tracegraph "
                               "load traces FILE`"),
    "state_tables": ("FLOW", "needs state source x recovery tables: load them with `tracegraph load state-traces "
                             "FILE`"),
    "trace_corridors": ("SOLD", "needs corridors from traces: load them with `tracegraph load traces FILE`"),
    "recovered_firearms": ("RECOVERED_IN", "needs recovered firearms: load them with `tracegraph load traces FILE`"),
    "recoveries": ("Recovery", "needs recoveries: load them with `tracegraph load traces FILE`"),
    "stolen": ("TheftReport", "needs lost/stolen reports: load them with `tracegraph load stolen FILE`"),
    "firearms": ("Firearm", "needs firearms: load them with `tracegraph load traces FILE` (or multiple-sales, "
                            "stolen)"),
    "dealers": ("Dealer", "needs dealers: load an FFL list (`tracegraph load ffl FILE`) or inspection reports "
                          "(`tracegraph load inspections FILE`)"),
    "entities": ("Location", "needs entities to connect: load traces, FFL lists or inspection reports first "
                             "(`tracegraph load KIND FILE`)"),
}


def missing(counts: dict[str, dict[str, int]], *needs: str) -> str | None:
    """The line of the first of ``needs`` the store lacks (``counts`` as ``GraphStore.counts()`` gives them)."""
    for need in needs:
        name, line = NEEDS[need]
        if not counts["nodes"].get(name, 0) and not counts["relationships"].get(name, 0):
            return line
    return None
