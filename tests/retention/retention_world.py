"""A small store where each person is one retention case, written through the real store API."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Any

from graph.store import GraphStore
from tests.cli_run import tracegraph

D = dt.date
AS_OF = D(2024, 6, 1)
SOLD = D(2020, 1, 10)


def write_world(store: GraphStore) -> None:
    """Reports sold on 2020-01-10 (expired by AS_OF under atf) unless said otherwise.

    * ``gone``: one expired report, nothing else: the identity goes.
    * ``traced_by_id``: expired report quoted by a trace (Recovery.multiple_sale_report_id): kept.
    * ``traced_by_serial``: a gun of the report was recovered under another firearm key with the same serial: kept.
    * ``held``: expired report, a hold: kept.
    * ``possessor``: expired report, but a trace names the person as possessor: the report is detached, the
      person stays.
    * ``recent``: a report sold 2023-12-01 (within 730 days): kept; also an expired report: detached only.
    * ``subject`` / ``lapsed``: reasonable-suspicion subjects, review-by after / before AS_OF.
    """
    persons = [{"person_key": k, "last_name": k.upper(), "first_name": "ANN", "dob": D(1980, 1, 1),
                "street": "1 MAIN ST", "city": "ATLANTA", "state": "GA", "zip": "30301"}
               for k in ("gone", "traced_by_id", "traced_by_serial", "held", "possessor", "recent", "subject",
                         "lapsed", "other")]
    store.upsert_nodes("Person", persons)
    store.upsert_nodes("Person", [{"person_key": "held", "hold_reason": "pending prosecution", "hold_kind": "hold"}])
    store.upsert_nodes("Person", [
        {"person_key": "subject", "subject_predicate": "bought for a prohibited person (case file 7)",
         "subject_case_id": "C-1", "subject_since": D(2020, 1, 1), "subject_validated": D(2020, 1, 1),
         "subject_review_by": D(2025, 1, 1)},
        {"person_key": "lapsed", "subject_predicate": "documented lead", "subject_case_id": "C-2",
         "subject_since": D(2018, 1, 1), "subject_validated": D(2018, 1, 1), "subject_review_by": D(2023, 1, 1)}])
    store.upsert_nodes("Dealer", [{"dealer_key": "1-58-00001", "license_number": "1-58-001-01-5A-00001",
                                   "premise_state": "GA", "business_name": "GUNS INC"}])
    store.upsert_nodes("Location", [{"location_key": "zip:30301", "kind": "zip", "name": "30301"}])
    firearms: list[dict[str, Any]] = []
    purchases: list[dict[str, Any]] = []
    sold: list[dict[str, Any]] = []

    def report(person: str, report_id: str, serials: list[str], day: dt.date = SOLD) -> None:
        for serial in serials:
            key = f"GLOCK|{serial}|PISTOL"
            firearms.append({"firearm_key": key, "serial_number": serial, "serial_normalized": serial,
                             "manufacturer_normalized": "GLOCK", "weapon_type": "PISTOL"})
            purchases.append({"from_key": person, "to_key": key, "sale_id": f"msr:{report_id}:{serial}",
                              "purchase_date": day, "dealer_key": "1-58-00001", "multiple_sale": True,
                              "report_id": report_id, "form": "3310.4", "source": "multiple_sales"})
            sold.append({"from_key": "1-58-00001", "to_key": key, "sale_date": day})

    report("gone", "MS-GONE", ["G1", "G2"])
    report("traced_by_id", "MS-ID", ["I1", "I2"])
    report("traced_by_serial", "MS-SER", ["S1", "S2"])
    report("held", "MS-HOLD", ["H1", "H2"])
    report("possessor", "MS-POS", ["P1", "P2"])
    report("recent", "MS-OLD", ["O1", "O2"])
    report("recent", "MS-NEW", ["N1", "N2"], D(2023, 12, 1))
    report("subject", "MS-SUBJ", ["J1", "J2"])
    report("lapsed", "MS-LAPSED", ["L1", "L2"])
    # guns recovered: one quoting MS-ID, one whose serial S1 matches under another maker's key
    firearms += [{"firearm_key": "OTHER|I9|PISTOL", "serial_normalized": "I9"},
                 {"firearm_key": "SMITH|S1|PISTOL", "serial_normalized": "S1", "manufacturer_normalized": "SMITH"},
                 {"firearm_key": "OTHER|X1|PISTOL", "serial_normalized": "X1"}]
    store.upsert_nodes("Firearm", firearms)
    store.upsert_nodes("Recovery", [
        {"trace_id": "T-ID", "recovery_date": D(2021, 1, 1), "recovery_state": "NY",
         "multiple_sale_report_id": "MS-ID"},
        {"trace_id": "T-SER", "recovery_date": D(2021, 2, 1), "recovery_state": "NY"},
        {"trace_id": "T-POS", "recovery_date": D(2021, 3, 1), "recovery_state": "NY"}])
    store.upsert_relationships("RECOVERED_IN", "Firearm", "Recovery", [
        {"from_key": "OTHER|I9|PISTOL", "to_key": "T-ID"}, {"from_key": "SMITH|S1|PISTOL", "to_key": "T-SER"},
        {"from_key": "OTHER|X1|PISTOL", "to_key": "T-POS"}])
    store.upsert_relationships("POSSESSED_BY", "Recovery", "Person", [{"from_key": "T-POS", "to_key": "possessor"}])
    purchases.append({"from_key": "other", "to_key": "OTHER|X1|PISTOL", "sale_id": "trace:T-POS",
                      "purchase_date": D(2019, 1, 1), "dealer_key": "1-58-00001", "multiple_sale": False,
                      "source": "trace"})
    store.upsert_relationships("PURCHASED", "Person", "Firearm", purchases)
    store.upsert_relationships("SOLD", "Dealer", "Firearm", sold)
    store.upsert_relationships("LIVES_AT", "Person", "Location",
                               [{"from_key": p["person_key"], "to_key": "zip:30301"} for p in persons])


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as its console script runs it, in this process (tests/cli_run.py); asserts success."""
    result = tracegraph(*args, cwd=cwd, env={**os.environ, "TRACEGRAPH_DEBUG": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    return result
