"""A dealer's transparency profile (verified facts and labelled estimates), one function for ``tracegraph dealer
profile LICENSE`` and ``GET /api/v1/dealers/{key}``: :func:`algorithms.dealer_profile.profile` over what the
port reads. The estimates are computed over every dealer with the hotspot rule of the settings
(``TRACEGRAPH_HOTSPOT_RULE``; docs/analytics.md); inspections are listed oldest first, then by inspection id."""

from __future__ import annotations

from typing import Any

from algorithms.dealer_profile import inspection_entry, json_safe, profile
from api.services.port import ReadPort
from graph.errors import NotFound


def inspection_history(port: ReadPort, dealer_key: str, keep: Any = None) -> list[dict[str, Any]]:
    """The dealer's inspections with their violations and policy context; ``keep(label, props)`` may drop an
    inspection or violation (the API's release policy)."""
    history = []
    for inspection, violations in port.inspections(dealer_key):
        if keep is not None and not keep("Inspection", inspection):
            continue
        cited = [v for v in violations if keep is None or keep("Violation", v)]
        history.append(inspection_entry(inspection, cited))
    history.sort(key=lambda e: (str(e["inspection_date"] or ""), str(e["inspection_id"])))
    return history


def dealer_profile(port: ReadPort, reference: str, *, hotspot_rule: str | None = None, keep: Any = None
                   ) -> dict[str, Any]:
    """``{"verified": ..., "estimated": ...}`` for the dealer ``reference`` names (full FFL number,
    REGN-DIST-SEQN or dealer key); NotFound when the store has none."""
    found = port.dealer(reference)
    if found is None:
        raise NotFound("no dealer with that license number")
    key, dealer = found
    estimates = dict(port.dealer_estimates(hotspot_rule).get(key, {}))
    history = inspection_history(port, key, keep)
    result: dict[str, Any] = json_safe(profile({**dealer, "dealer_key": key}, estimates, history,
                                               str(estimates.get("hotspot_rule") or "")))
    return result
