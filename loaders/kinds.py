"""The loader of each ``tracegraph load`` KIND (what each analysis needs loaded: :mod:`loaders.domain.needs`)."""

from __future__ import annotations

from graph.errors import InvalidInput
from loaders.base import Loader

KINDS = ("ffl", "traces", "multiple-sales", "nibin", "inspections", "violations", "state-traces", "hotspots",
         "stolen", "stix")


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
    if kind == "stix":
        from loaders.stix import StixLoader
        return StixLoader
    raise InvalidInput(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
