"""The loader of each ``tracegraph load`` KIND."""

from __future__ import annotations

from graph.errors import InvalidInput
from loaders.base import Loader

KINDS = ("ffl", "traces", "multiple-sales", "nibin", "inspections", "violations", "state-traces", "hotspots",
         "stolen")


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


def loader_for(kind: str) -> type[Loader]:
    """The loader class of a KIND (imported lazily: each pulls in its own reference tables)."""
    if kind == "ffl":
        from loaders.ffl import FFLLoader
        return FFLLoader
    if kind == "traces":
        from loaders.traces import TracesLoader
        return TracesLoader
    if kind == "multiple-sales":
        from loaders.multiple_sales import MultipleSalesLoader
        return MultipleSalesLoader
    if kind == "nibin":
        from loaders.nibin import NibinLoader
        return NibinLoader
    if kind == "inspections":
        from loaders.inspections import InspectionsLoader
        return InspectionsLoader
    if kind == "violations":
        from loaders.inspections import ViolationsLoader
        return ViolationsLoader
    if kind == "state-traces":
        from loaders.state_traces import StateTracesLoader
        return StateTracesLoader
    if kind == "hotspots":
        from loaders.hotspots import HotspotsLoader
        return HotspotsLoader
    if kind == "stolen":
        from loaders.stolen import StolenLoader
        return StolenLoader
    raise InvalidInput(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
