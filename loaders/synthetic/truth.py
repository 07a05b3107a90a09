"""``truth.json``: what was planted, in the identifiers written to the files, plus measured calibration."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from loaders.synthetic.dealers import dealer_key
from loaders.synthetic.geography import STATES, in_state_share
from loaders.synthetic.params import EPOCH
from loaders.synthetic.records import Identifiers
from loaders.synthetic.world import World


def _date(days: int) -> str:
    return str(EPOCH + dt.timedelta(days=int(days)))


def _index(person: np.ndarray, mask: np.ndarray, persons: np.ndarray) -> dict[int, list[int]]:
    """person -> row numbers where ``mask`` holds, for the ``persons`` of interest only."""
    rows = np.flatnonzero(mask & np.isin(person, persons))
    out: dict[int, list[int]] = {}
    for r, p in zip(rows.tolist(), person[rows].tolist(), strict=True):
        out.setdefault(p, []).append(r)
    return out


class _Refs:
    """Turns internal row numbers into file identifiers and people into their canonical identities."""

    def __init__(self, world: World, ids: Identifiers, malformed: set[int], persons: np.ndarray) -> None:
        self.world, self.ids, self.malformed = world, ids, malformed
        g = world.guns.frame()
        t = world.traces.frame()
        self.keys = dealer_key(world.dealers).to_numpy()
        self.gun_of_trace = t["gun"].to_numpy()
        purchaser = g["purchaser"].to_numpy()[self.gun_of_trace]
        written = (t["status"] == "COMPLETED").to_numpy() & (g["purchase_day"].to_numpy()[self.gun_of_trace] >= 0)
        ok = ~np.isin(np.arange(len(t)), np.fromiter(malformed, dtype=np.int64, count=len(malformed)))
        self.purchaser_traces = _index(purchaser, written & ok, persons)
        self.possessor_traces = _index(t["possessor"].to_numpy(), ok, persons)
        ms = world.ms.frame()
        self.person_reports = _index(ms["purchaser"].to_numpy(), np.ones(len(ms), bool), persons)
        self.guns_bought = np.bincount(np.maximum(g["purchaser"].to_numpy(), 0) + 1,
                                       minlength=world.people.count + 1)[1:]

    def traces(self, rows: list[int]) -> list[str]:
        return sorted(str(self.ids.trace_ids[r]) for r in rows)

    def dealer(self, d: int) -> dict[str, Any]:
        frame = self.world.dealers
        out = {"license_number": str(self.ids.dealer_current[d]), "dealer_key": str(self.keys[d]),
               "state": str(frame.at[d, "state"])}
        if frame.at[d, "renewed"]:
            out["previous_license_number"] = str(self.ids.dealer_previous[d])
        return out

    def person(self, pid: int) -> dict[str, Any]:
        ident = self.world.people.canonical(pid, self.world.geo.places)
        reports = self.person_reports.get(pid, [])
        return {"person_id": f"P{pid:08d}", "identity": ident,
                "purchaser_in_traces": self.traces(self.purchaser_traces.get(pid, [])),
                "possessor_in_traces": self.traces(self.possessor_traces.get(pid, [])),
                "multiple_sale_report_ids": sorted(str(self.ids.report_ids[r]) for r in reports)}


def build_truth(world: World, ids: Identifiers, rows: dict[str, int], rejects: dict[str, int]) -> dict[str, Any]:
    truth = world.truth
    malformed = {e["trace"] for e in truth.get("_malformed_traces", [])}
    persons = [e["person"] for e in truth["straw_purchasers"]] + [r["trafficker"] for r in truth["rings"]]
    persons += [u["person"] for u in truth["unlicensed_dealers"]] + [c["person"] for c in truth["collectors"]]
    persons += [v["person"] for v in truth["theft_victims"]]
    refs = _Refs(world, ids, malformed, np.array(sorted(set(persons)), dtype=np.int64))
    cat = world.catalogue.models
    straws = []
    for entry in truth["straw_purchasers"]:
        p = refs.person(entry["person"])
        p["ring_id"] = f"RING-{entry['ring'] + 1:04d}"
        p["guns_purchased"] = int(refs.guns_bought[entry["person"]])
        p["left_record"] = bool(p["purchaser_in_traces"] or p["multiple_sale_report_ids"])
        straws.append(p)
    rings = []
    for r in truth["rings"]:
        rings.append({"ring_id": f"RING-{r['ring'] + 1:04d}", "corridor": r["corridor"],
                      "source_state": r["source_state"], "destination_state": r["destination_state"],
                      "destination_city": r["destination_city"], "trafficker": refs.person(r["trafficker"]),
                      "straw_person_ids": [f"P{s:08d}" for s in r["straws"]],
                      "dealers": [refs.dealer(d) for d in r["dealers"]],
                      "corrupt_dealer_used": r["corrupt_dealer_used"], "guns_purchased": len(r["guns"]),
                      "trace_ids": refs.traces(r["traces"]),
                      "possessor_person_ids": [f"P{p:08d}" for p in r["possessors"]]})
    corridors: dict[str, dict[str, Any]] = {}
    for kind, items in (("rings", rings), ("unlicensed", truth["unlicensed_dealers"])):
        for item in items:
            c = corridors.setdefault(item["corridor"], {"corridor": item["corridor"],
                                                         "source_state": item["source_state"],
                                                         "destination_state": item["destination_state"],
                                                         "destination_city": item["destination_city"],
                                                         "rings": [], "unlicensed_dealers": [],
                                                         "recovered_guns": 0})
            if kind == "rings":
                c["rings"].append(item["ring_id"])
                c["recovered_guns"] += len(item["trace_ids"])
            else:
                c["unlicensed_dealers"].append(f"P{item['person']:08d}")
                c["recovered_guns"] += len(item["traces"])
    unlicensed = [{"person": refs.person(u["person"]), "corridor": u["corridor"],
                   "dealers": [refs.dealer(d) for d in u["dealers"]], "guns_purchased": len(u["guns"]),
                   "trace_ids": refs.traces(u["traces"])} for u in truth["unlicensed_dealers"]]
    corrupt = [{**refs.dealer(c["dealer"]), "ring_ids": [f"RING-{r + 1:04d}" for r in c["rings"]],
                "corridor": c.get("corridor", ""), "diversion_trace_ids": refs.traces(c["traces"]),
                "paper_purchaser_ids": [f"P{p:08d}" for p in c.get("paper_purchasers", [])]}
               for c in truth["corrupt_dealers"]]
    nibin = [{"group_id": f"NIBIN-{g['group'] + 1:04d}", "scheme": g["scheme"],
              "trace_ids": refs.traces(g["traces"])} for g in truth["nibin_groups"]]
    collectors = [{**refs.person(c["person"]), "guns_purchased": len(c["guns"])} for c in truth["collectors"]]
    victims = [{**refs.person(v["person"]), "theft_date": _date(v["theft_date"]), "home_state": v["home_state"],
                "recovery_state": v["recovery_state"],
                "recovery_city": str(world.geo.places.at[v["recovery_place"], "city"]).upper(),
                "guns_purchased": len(v["guns"]), "trace_ids": refs.traces(v["traces"])}
               for v in truth["theft_victims"]]
    batches = []
    for b in truth["batches"]:
        model = cat.iloc[b["model"]]
        serials = [str(ids.serials[g]) for g in b["guns"]]
        batches.append({"batch_id": f"BATCH-{b['batch'] + 1:03d}", "manufacturer": model["manufacturer"],
                        "model": model["model"], "caliber": model["caliber"], "serials": serials,
                        "first_serial": serials[0], "last_serial": serials[-1],
                        "diversion_point": "in transit" if b["in_transit"] else refs.dealer(b["dealer"]),
                        "diversion_date": _date(b["diversion_date"]), "trace_ids": refs.traces(b["traces"])})
    n_cases = len(rings) + len(unlicensed) + len(corrupt)
    return {
        "generator": {"command": "tracegraph simulate", "format_version": 1, "parameters": world.params.to_json()},
        "files": rows, "expected_rejects": rejects,
        "straw_purchasers": straws, "rings": rings, "unlicensed_dealers": unlicensed, "corrupt_dealers": corrupt,
        "corridors": sorted(corridors.values(), key=lambda c: c["corridor"]), "nibin_groups": nibin,
        "collectors": collectors, "theft_victims": victims, "batches": batches,
        "trafficking_cases": {"total": n_cases, "straw_rings": len(rings), "unlicensed_dealers": len(unlicensed),
                              "dealer_diversion": len(corrupt),
                              "straw_share": round(len(rings) / max(n_cases, 1), 4),
                              "mean_guns_per_straw_case": round(float(np.mean([r["guns_purchased"] for r in rings]))
                                                                if rings else 0.0, 2)},
        "measured": measure(world, malformed),
    }


def measure(world: World, malformed: set[int]) -> dict[str, Any]:
    """Calibration figures measured on the generated records (what the tests check from the files)."""
    t = world.traces.frame()
    g = world.guns.frame()
    gun = t["gun"].to_numpy()
    ok = ~np.isin(np.arange(len(t)), np.fromiter(malformed, dtype=np.int64, count=len(malformed)))
    purchase = g["purchase_day"].to_numpy()[gun]
    completed = ok & (t["status"] == "COMPLETED").to_numpy() & (purchase >= 0)
    ttc = (t["recovery_day"].to_numpy() - purchase)[completed]
    dealer = g["dealer"].to_numpy()[gun]
    with_dealer = ok & t["status"].isin(["COMPLETED", "INCOMPLETE"]).to_numpy() & (dealer >= 0)
    counts = np.bincount(dealer[with_dealer], minlength=len(world.dealers))
    selling = world.dealers["selling"].to_numpy() & world.dealers["in_prev"].to_numpy()
    top_n = max(1, round(selling.sum() * world.params.calibration.top_dealer_fraction))
    top_share = float(np.sort(counts[selling])[::-1][:top_n].sum() / max(counts.sum(), 1))
    us = with_dealer & (t["place"].to_numpy() >= 0)
    rec_state = world.geo.places["state"].to_numpy()[t["place"].to_numpy()[us]]
    src_state = world.dealers["state"].to_numpy()[dealer[us]]
    frame = pd.DataFrame({"rec": rec_state, "out": rec_state != src_state})
    measured = frame.groupby("rec")["out"].agg(["mean", "size"])
    atf = 1 - in_state_share()
    top_states = measured.sort_values("size", ascending=False).head(10).index
    return {
        "traces": len(t), "traces_with_purchase_date": int(completed.sum()),
        "ttc_share_within_1_year": round(float((ttc <= 365).mean()), 4),
        "ttc_share_within_3_years": round(float((ttc <= 1095).mean()), 4),
        "ttc_mean_years": round(float(ttc.mean() / 365.25), 3),
        "ttc_median_years": round(float(np.median(ttc) / 365.25), 3),
        "top_dealer_fraction": world.params.calibration.top_dealer_fraction,
        "top_dealers": top_n, "top_dealer_trace_share": round(top_share, 4),
        "tier_pick_share": world.truth.get("_tier_pick_share", [{"share": None}])[0]["share"],
        "dealers_with_no_trace_share": round(float((counts[selling] == 0).mean()), 4),
        "out_of_state_share": {s: {"simulated": round(float(measured.at[s, "mean"]), 4),
                                   "atf_2010_2017": round(float(atf[s]), 4), "traces": int(measured.at[s, "size"])}
                               for s in sorted(top_states)},
        "states": len(STATES),
    }
