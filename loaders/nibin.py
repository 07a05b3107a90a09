"""NIBIN leads (``nibin_leads.csv``: ``lead_id, trace_id_a, trace_id_b, lead_date, status``).

A lead is a ballistic correlation between two recoveries; it becomes ``(Recovery a)-[:NIBIN_LINK {lead_id,
lead_date, status}]->(Recovery b)``. Both recoveries must already be loaded (traces first): a lead naming an
unknown trace is rejected with that reason, as are a lead linking a trace to itself, an unknown status
(``UNCONFIRMED | CONFIRMED``) and a ``lead_id`` repeated in the file.
"""

from __future__ import annotations

import pandas as pd

from loaders import corrections
from loaders.base import Loader, reasons_from
from loaders.domain.parsing import parse_dates, text
from loaders.frames import arrow

STATUSES = ("UNCONFIRMED", "CONFIRMED")


class NibinLoader(Loader):
    kind = "nibin"
    required = ("lead_id", "trace_id_a", "trace_id_b", "lead_date", "status")

    def begin(self) -> None:
        self.traces: set[str] = set()  # stored recoveries the file named so far (looked up batch by batch)
        self.asked: set[str] = set()
        self.seen: set[str] = set()

    def _known(self, ids: pd.Series) -> pd.Series:
        wanted = sorted(set(ids.dropna()) - self.asked)
        if wanted:
            rows = self.store.query("recoveries_known", {"keys": wanted}).rows()
            self.traces.update(str(row["trace_id"]) for row in rows)
            self.asked.update(wanted)
        return ids.isin(self.traces)

    def validate(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        checks: list[tuple[pd.Series, str]] = []
        lead, a, b = text(frame, "lead_id"), text(frame, "trace_id_a"), text(frame, "trace_id_b")
        checks.append((lead.isna(), "missing lead_id"))
        checks.append(((lead.duplicated() | lead.isin(self.seen)) & lead.notna(), "duplicate lead_id in file"))
        self.seen.update(lead.dropna().tolist())
        checks.append((a.isna() | b.isna(), "missing trace_id_a or trace_id_b"))
        checks.append((a.notna() & ~self._known(a), "trace_id_a names an unknown trace"))
        checks.append((b.notna() & ~self._known(b), "trace_id_b names an unknown trace"))
        checks.append((a.notna() & (a == b), "a lead cannot link a trace to itself"))
        dates, bad = parse_dates(text(frame, "lead_date"))
        checks.append((bad, "bad date in lead_date"))
        status = text(frame, "status").str.upper()
        checks.append((~status.isin(STATUSES), "status must be UNCONFIRMED or CONFIRMED"))
        parsed = pd.DataFrame({"from_key": a, "to_key": b, "lead_id": lead, "lead_date": dates, "status": status},
                              index=frame.index)
        return parsed, reasons_from(checks, frame.index)

    def load(self, good: pd.DataFrame) -> int:
        earlier = corrections.lead_versions(self.store, good)  # leads loaded before: rare
        self.store.upsert_relationships("NIBIN_LINK", "Recovery", "Recovery", arrow(
            good.assign(load_run_id=self.run_id), rel_type="NIBIN_LINK"))
        if len(earlier):
            corrections.count(self.details, *corrections.replace_earlier_leads(self.store, earlier, good))
        return len(good)
