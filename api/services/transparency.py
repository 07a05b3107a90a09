"""The dealer transparency profile for the API: the shared service (:mod:`api.services.dealer_profile`) over the
snapshot, released to the caller.

The per-dealer estimates need every dealer (local density, data-as-of per state) and the hotspot cities, so they
are computed once per snapshot (when it is built) and kept on it until it is rebuilt. Verified
facts follow the Dealer/Inspection/Violation markings (CLEAR); the estimated block is analytic output
(:data:`exports.tlp.COMPUTED_TLP`) and is withheld from callers not cleared for it.
"""

from __future__ import annotations

from typing import Any

from algorithms.dealer_profile import flat
from api.services import models as m
from api.services.dealer_profile import dealer_profile as shared_profile
from api.services.port import SnapshotPort
from api.services.release import Release
from api.services.snapshot import Snapshot


def dealer_profile(snapshot: Snapshot, release: Release, reference: str, hotspot_rule: str | None
                   ) -> dict[str, Any]:
    """The profile dict of one dealer as this caller may receive it, plus ``withheld``."""
    result = shared_profile(SnapshotPort(snapshot), reference, hotspot_rule=hotspot_rule,
                            keep=lambda label, props: release.node(label, props) is not None)
    result["withheld"] = []
    if not release.scores:
        result["estimated"] = None
        result["withheld"] = ["estimated"]
    return result


def transparency(snapshot: Snapshot, release: Release, reference: str, hotspot_rule: str | None
                 ) -> m.DealerTransparency:
    return m.DealerTransparency.model_validate(dealer_profile(snapshot, release, reference, hotspot_rule))


def profile_csv_row(snapshot: Snapshot, release: Release, reference: str, hotspot_rule: str | None
                    ) -> dict[str, Any]:
    """One CSV row (``verified_*`` / ``estimated_*`` columns); withheld parts are left out."""
    result = dealer_profile(snapshot, release, reference, hotspot_rule)
    withheld = result.pop("withheld")
    if result["estimated"] is None:
        result["estimated"] = {}
    row = flat(result)
    row["withheld"] = "; ".join(withheld)
    return row
