"""Dealer anomalies: traces, short time-to-crime, multiple sales and obliterated serials against what peers of the
same exposure would predict, with empirical-Bayes shrinkage so small dealers do not top the list by chance.

Exposure. Raw trace counts mostly measure sales volume and local tracing coverage (agencies that trace every
recovered gun inflate their dealers' counts). Neither is observed, but both also drive the dealer's *old* traces —
guns recovered more than 3 years after sale, which are rarely trafficked (ATF, *Following the Gun*, 2000; NFCTA
Vol. II, 2023). So the dealer's old traces serve as its exposure: a high-volume dealer in a heavily tracing city has
many old and many recent traces; a diverting dealer has recent traces out of proportion to its old ones.

Peers. The ratio of recent (≤ 3 years) to old traces is estimated for the dealer's state (local peer group) and
nationally, the state ratio shrunk toward the national one by its number of old traces (a hierarchical
Poisson-gamma estimate). Expected traces = (old traces + ½) × (1 + peer ratio).

Shrinkage. The relative risk θ = observed / expected gets a Gamma(a, a) prior (mean 1); the score is the log of the
posterior 5th percentile of θ (Clayton & Kaldor 1987, "Empirical Bayes estimates of age-standardized relative
risks for use in disease mapping", Biometrics 43), so a 3-trace dealer needs a far larger ratio than a 300-trace one
to rank high.

Diversion. A gun sold off the books has no Form 4473 behind it: its trace stops at the dealer (``INCOMPLETE``, no
purchaser on record) — the signature of a corrupt licensee's off-paper sales (ATF, *Following the Gun*, 2000:
licensees were involved in under 10% of the trafficking investigations yet in nearly half of the guns trafficked,
often sold without records or with falsified ones). A large dealer hides a few dozen such sales in its volume,
where the volume score above cannot see them.
So the traces that stop at the dealer, less those whose gun a loss or theft report names (a burglary of the
store, a lost shipment: ATF Form 3310.11), are compared with the national share of such traces applied to the
dealer's own traces, by the same Poisson-gamma posterior 5th percentile; the guns of one serial batch
(:mod:`algorithms.batches`: a lot stolen or diverted at once) count as one event.

Combined. The dealer's score is the volume score plus :data:`DIVERSION_WEIGHT` times the diversion score, both
signs: the sum of two log lower bounds is a lower bound on the log of the product of the two relative risks, so
a dealer ranks high only when its records show both — guns from its counter turning up soon *and* traces that
stop at it — with enough traces to be sure of each. A dealer whose excess recent traces all name a purchaser
points at those purchasers (the straw queue), not at the licensee; a dealer with a handful of traces cannot show
a stopped share either way and stays low (the shrinkage of small dealers the volume bound alone gives too
little of). Where the records carry no stopped trace at all (no trace status loaded), the diversion part is not
observable and is left out (0 for every dealer).

Rates (multiple-sale share of recorded sales, obliterated share of traces, out-of-state share of recent traces)
are compared with the national rate by beta-binomial shrinkage and fire as indicators when clearly above it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from algorithms.batches import Batch
from algorithms.distributions import binom_sf, gamma_ppf
from algorithms.straw_features import purchase_events
from algorithms.tables import AnalysisTables, isin
from graph.store import StoredRows

SHORT_TTC_DAYS = 3 * 365
#: Weight of the diversion evidence (traces that stop at the dealer) beside the volume evidence: both are log
#: relative-risk lower bounds, so 1.0 counts them alike; both signs count (:func:`fit`).
DIVERSION_WEIGHT = 1.0
PRIOR_SHAPE = 2.0
STATE_PRIOR_OLD_TRACES = 50.0  # pseudo-count of old traces pulling a state's ratio toward the national one


#: the per-dealer counts the model is fitted from (:func:`counts`): stored on the Dealer node by the full run and
#: recounted by an incremental run for the dealers the new rows touch (graph/schema.py, ``Dealer``)
COUNT_COLUMNS = ("traces", "recent", "old", "obliterated", "out_of_state", "stopped", "sales", "multiple")
TABLE_COLUMNS = ("rank", "dealer_key", "license_number", "business_name", "state", "traces", "expected", "score",
                 "indicators", "recent", "old", "short_ttc_share", "multiple_sale_share", "obliterated_share",
                 "out_of_state_recent_share", "peer_ratio", "relative_risk", "stopped", "stopped_expected",
                 "volume_score", "diversion_score")


@dataclass(frozen=True)
class DealerScores:
    """``table``: dealer_key, license_number, business_name, state, traces, expected, score, rank, indicators and
    the rates behind them."""

    table: pd.DataFrame
    parameters: dict[str, object]
    #: the per-dealer counts the model was fitted from (:func:`counts`), every dealer with a trace or a sale
    counts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COUNT_COLUMNS)))
    #: each gun's share of them (:func:`gun_counts`): the guns counted (every gun, or the ones an incremental run
    #: touched), stored on the Firearm so the next increment subtracts what a gun counted before
    gun_traced: pd.DataFrame | None = None
    gun_sales: pd.DataFrame | None = None
    #: the guns those shares are of (empty: every gun in the tables counted)
    guns: frozenset[str] = frozenset()
    #: the Dealer rows as stored when the model was refitted (an incremental run: its write back compares with
    #: them instead of reading every dealer again, :func:`algorithms.dealer_counts.stored_rows`)
    stored: StoredRows | None = None


def dealer_traces(t: AnalysisTables) -> pd.DataFrame:
    """One row per traced gun with its selling dealer: dealer_key, trace_id, time_to_crime_days, obliterated,
    recovery_state, trace_status."""
    sold = t.sold.rename(columns={"src": "dealer_key", "dst": "firearm_key"}).drop_duplicates("firearm_key")
    rec = t.recovered.rename(columns={"src": "firearm_key", "dst": "trace_id"})
    recoveries = t.recoveries.rename(columns={"key": "trace_id"})
    if "trace_status" not in recoveries.columns:
        recoveries = recoveries.assign(trace_status=None)
    rec = rec.merge(recoveries[["trace_id", "time_to_crime_days", "recovery_state", "trace_status"]],
                    on="trace_id", how="left")
    guns = t.firearms.rename(columns={"key": "firearm_key"})[["firearm_key", "obliterated"]]
    return sold.merge(rec, on="firearm_key").merge(guns, on="firearm_key", how="left")


def _diversion_score(frame: pd.DataFrame, prior_shape: float) -> pd.Series:
    """Log of the posterior 5th percentile of the relative risk of traces that stop at the dealer, against the
    national share of such traces applied to the dealer's own traces (Poisson-gamma, as for the volume score)."""
    rate = (frame["stopped"].sum() + 1.0) / (frame["traces"].sum() + 2.0)
    frame["stopped_expected"] = frame["traces"] * rate
    lower = gamma_ppf(0.05, prior_shape + frame["stopped"].to_numpy(float),
                            scale=1.0 / (prior_shape + frame["stopped_expected"].to_numpy(float)))
    return pd.Series(np.log(np.maximum(lower, 1e-9)), index=frame.index)


def score(t: AnalysisTables, *, prior_shape: float = PRIOR_SHAPE, batches: Sequence[Batch] = (),
          events: pd.DataFrame | None = None) -> DealerScores:
    """Rank dealers. ``batches``: the serial batches found among the recovered guns
    (:func:`algorithms.batches.batches`); the guns of one batch that stop at a dealer count as one event there (a
    lot diverted at once — a stolen shipment, a burglary — is one diversion, not many). ``events``:
    :func:`algorithms.straw_features.purchase_events` of ``t`` (or a frame with the same rows and more columns)
    when the caller has it already."""
    traced, sales = gun_counts(t, events=events)
    per = fold(traced, sales, {key: batch.batch_id for batch in batches for key in batch.firearm_keys})
    return replace(fit(t.dealers, per, prior_shape=prior_shape), gun_traced=traced, gun_sales=sales)


def traced_rows(t: AnalysisTables) -> pd.DataFrame:
    """:func:`dealer_traces` with what each trace row counts for (booleans): ``recent``, ``old``,
    ``out_of_state`` and ``stopped`` (before serial batches fold stopped traces into events)."""
    dealers = t.dealers.rename(columns={"key": "dealer_key", "premise_state": "state"})
    traced = dealer_traces(t).merge(dealers[["dealer_key", "state"]], on="dealer_key", how="left")
    ttc = traced["time_to_crime_days"]
    traced["recent"] = ttc.notna() & (ttc <= SHORT_TTC_DAYS)
    traced["old"] = ttc.notna() & (ttc > SHORT_TTC_DAYS)
    traced["out_of_state"] = traced["recent"] & traced["recovery_state"].notna() & (
        traced["recovery_state"] != traced["state"])
    # the trace stopped at the dealer (no purchaser on record) and no loss or theft report explains the gun
    traced["stopped"] = (traced["trace_status"].astype(str).str.upper() == "INCOMPLETE") & ~isin(
        traced["firearm_key"], t.stolen["src"])
    return traced


def counts(t: AnalysisTables, *, batches: Sequence[Batch] = (), events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per dealer (index ``dealer_key``): :data:`COUNT_COLUMNS` as integers, for every dealer with a traced gun
    or a purchase event in ``t``. ``traces``: distinct traces of the guns it sold (first sale); ``recent`` /
    ``old``: those rows with time-to-crime within / beyond :data:`SHORT_TTC_DAYS`; ``out_of_state``: recent ones
    recovered outside its premises state; ``stopped``: events (a serial batch's guns are one) among the traces that
    stop at it with no loss/theft report; ``sales`` / ``multiple``: purchase events, one per (person, firearm)
    across trace and multiple-sale rows, and those on a multiple-sale report. Summed from each gun's own share
    (:func:`gun_counts`, :func:`fold`), which is what an incremental analysis updates by the guns a batch touches."""
    traced, sales = gun_counts(t, events=events)
    return fold(traced, sales, {key: batch.batch_id for batch in batches for key in batch.firearm_keys})


#: a gun's share of its first-sale dealer's trace counts (:func:`gun_counts`); ``stopped``: its stopped traces
GUN_TRACED = ("traces", "recent", "old", "obliterated", "out_of_state", "stopped")


def gun_counts(t: AnalysisTables, *, events: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each gun's own share of the dealer counts: (``traced``: firearm_key, dealer_key (its first sale) and
    :data:`GUN_TRACED`, one row per traced gun; ``sales``: firearm_key, dealer_key, sales, multiple, one row per gun
    and dealer of its purchase events). Every count but ``stopped`` is a sum over guns (a trace records one gun:
    the trace loader writes one Recovery per row); ``stopped`` folds a serial batch's guns into one event
    (:func:`fold`)."""
    traced = traced_rows(t)
    traced["obliterated"] = traced["obliterated"].eq(True)
    per = traced.groupby(["firearm_key", "dealer_key"]).agg(
        traces=("trace_id", "nunique"), recent=("recent", "sum"), old=("old", "sum"),
        obliterated=("obliterated", "sum"), out_of_state=("out_of_state", "sum"))
    per["stopped"] = traced[traced["stopped"]].groupby(["firearm_key", "dealer_key"])["trace_id"].nunique()
    per = per.reindex(columns=list(GUN_TRACED)).fillna(0).astype("int64").reset_index()
    events = purchase_events(t) if events is None else events
    sales = events.groupby(["firearm_key", "dealer_key"]).agg(sales=("firearm_key", "size"),
                                                             multiple=("multiple_sale", "sum"))
    return per, sales.astype("int64").reset_index()


def fold(traced: pd.DataFrame, sales: pd.DataFrame, batch_of: Mapping[str, str]) -> pd.DataFrame:
    """The per-dealer counts (:data:`COUNT_COLUMNS`, index ``dealer_key``) of guns' shares (:func:`gun_counts`):
    sums, except that the guns of one serial batch (``batch_of``: firearm_key -> batch_id) with a stopped trace at
    a dealer are one stopped event there."""
    per = traced.groupby("dealer_key")[["traces", "recent", "old", "obliterated", "out_of_state"]].sum()
    stopping = traced[traced["stopped"] > 0]
    lot = stopping["firearm_key"].map(batch_of)
    alone = stopping[lot.isna().to_numpy()].groupby("dealer_key")["stopped"].sum()
    batched = stopping.assign(batch=lot)[lot.notna().to_numpy()].groupby("dealer_key")["batch"].nunique()
    per["stopped"] = alone.add(batched, fill_value=0)
    per = per.join(sales.groupby("dealer_key")[["sales", "multiple"]].sum(), how="outer")
    per = per.reindex(columns=list(COUNT_COLUMNS)).fillna(0).astype("int64")
    per.index.name = "dealer_key"
    return per


def fit(dealer_nodes: pd.DataFrame, per: pd.DataFrame, *, prior_shape: float = PRIOR_SHAPE) -> DealerScores:
    """The model over the per-dealer counts (:func:`counts`): every dealer with a trace is scored.
    ``dealer_nodes``: key, license_number, business_name, premise_state (the Dealer nodes)."""
    dealers = dealer_nodes.rename(columns={"key": "dealer_key", "premise_state": "state"})
    frame = dealers.set_index("dealer_key").join(per[per["traces"] > 0], how="inner")

    national = (frame["recent"].sum() + 1.0) / (frame["old"].sum() + 1.0)
    by_state = frame.groupby("state")[["recent", "old"]].sum()
    state_ratio = (by_state["recent"] + STATE_PRIOR_OLD_TRACES * national) / (by_state["old"]
                                                                               + STATE_PRIOR_OLD_TRACES)
    frame["peer_ratio"] = frame["state"].map(state_ratio).fillna(national)
    frame["expected"] = (frame["old"] + 0.5) * (1.0 + frame["peer_ratio"])
    observed = frame["traces"].to_numpy(float)
    expected = frame["expected"].to_numpy(float)
    frame["relative_risk"] = (observed + prior_shape) / (expected + prior_shape)
    lower = gamma_ppf(0.05, prior_shape + observed, scale=1.0 / (prior_shape + expected))
    frame["volume_score"] = np.log(np.maximum(lower, 1e-9))
    # no stopped trace anywhere: the records carry no trace status, so diversion cannot be seen either way
    observable = bool(frame["stopped"].sum() > 0)
    diversion = _diversion_score(frame, prior_shape)
    frame["diversion_score"] = diversion if observable else 0.0
    frame["score"] = frame["volume_score"] + DIVERSION_WEIGHT * frame["diversion_score"]

    rates = {
        "multiple_sale_share": ("multiple", "sales"),
        "obliterated_share": ("obliterated", "traces"),
        "out_of_state_recent_share": ("out_of_state", "recent"),
    }
    # the indicators built from numpy columns (a per-dealer ``frame.at`` costs ~0.5 CPU s over 61k dealers)
    keys = frame.index.tolist()
    # the dealers with an indicator only (a list for each of the 61k national dealers cost ~0.01-0.08 CPU s)
    indicators: dict[str, list[dict[str, object]]] = {}
    for name, (hits, total) in rates.items():
        n, k = frame[total].to_numpy(float), frame[hits].to_numpy(float)
        overall = (k.sum() + 1.0) / (n.sum() + 2.0)
        shrunk = (k + 10 * overall) / (n + 10)  # beta-binomial with 10 pseudo-observations at the national rate
        frame[name] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        frame[f"{name}_shrunk"] = shrunk
        upper_tail = binom_sf(k - 1, n.astype(int), overall)
        fired = (n >= 3) & (shrunk > 1.5 * overall) & (upper_tail < 0.01)
        peer = round(float(overall), 3)
        for key, value in zip(np.asarray(keys, dtype=object)[fired], frame[name].to_numpy(float)[fired],
                              strict=True):
            indicators.setdefault(key, []).append({"indicator": name, "value": round(float(value), 3),
                                                   "peer_rate": peer})
    short = frame["recent"] / frame["traces"].clip(lower=1)
    frame["short_ttc_share"] = np.where(frame["traces"] > 0, short, np.nan)
    diverted = (frame["diversion_score"] > 0).to_numpy()
    for key, stopped, expected, score in zip(
            np.asarray(keys, dtype=object)[diverted], frame["stopped"].to_numpy()[diverted],
            frame["stopped_expected"].to_numpy(float)[diverted], frame["diversion_score"].to_numpy(float)[diverted],
            strict=True):
        indicators.setdefault(key, []).insert(0, {"indicator": "traces_stop_at_dealer", "value": int(stopped),
                                                  "expected": round(float(expected), 1),
                                                  "relative_risk_lower_5pct": round(float(np.exp(score)), 2),
                                                  "points": round(float(DIVERSION_WEIGHT * score), 2)})
    above = (frame["volume_score"] > 0).to_numpy()
    for key, traces, expected, score in zip(
            np.asarray(keys, dtype=object)[above], frame["traces"].to_numpy()[above],
            frame["expected"].to_numpy(float)[above], frame["volume_score"].to_numpy(float)[above], strict=True):
        indicators.setdefault(key, []).insert(0, {"indicator": "traces_above_expected", "value": int(traces),
                                                  "expected": round(float(expected), 1),
                                                  "relative_risk_lower_5pct": round(float(np.exp(score)), 2)})
    listed = {key: json.dumps(found, sort_keys=True) for key, found in indicators.items()}
    frame["indicators"] = [listed.get(key, "[]") for key in keys]
    frame = frame.reset_index().sort_values(["score", "dealer_key"], ascending=[False, True]).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    columns = list(TABLE_COLUMNS)
    params: dict[str, object] = {"short_ttc_days": SHORT_TTC_DAYS, "prior_shape": prior_shape,
              "state_prior_old_traces": STATE_PRIOR_OLD_TRACES, "national_recent_to_old": float(national),
              "diversion_weight": DIVERSION_WEIGHT, "diversion_observable": observable}
    return DealerScores(table=frame[columns], parameters=params, counts=per)
