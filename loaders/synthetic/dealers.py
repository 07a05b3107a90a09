"""Federal firearms licensees: placed by real per-state dealer counts in real Census places, numbered the way
ATF numbers licences (``R-DD-CCC-TT-YM-SSSSS``), renewed, opened and closed between two monthly lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.domain import reference
from loaders.synthetic import names_data as nd
from loaders.synthetic.dates import years
from loaders.synthetic.geography import STATE_REGION_DISTRICTS, STATES, Geography
from loaders.synthetic.params import Params

MONTH_LETTERS = "ABCDEFGHJKLM"  # ATF expiry month codes: A=January ... M=December, no I
SELLING_TYPES = ("01", "02", "07", "08")


def largest_remainder(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (each at least ``minimum``)."""
    weights = np.asarray(weights, dtype=float)
    base = np.full(len(weights), minimum, dtype=np.int64)
    left = total - base.sum()
    if left <= 0 or weights.sum() <= 0:
        return base
    exact = weights / weights.sum() * left
    floor = np.floor(exact).astype(np.int64)
    rest = int(left - floor.sum())
    order = np.lexsort((np.arange(len(weights)), -(exact - floor)))
    floor[order[:rest]] += 1
    return base + floor


def expiry_code(day_number: np.ndarray) -> np.ndarray:
    d = np.asarray(day_number).astype("datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12
    year_digit = years(day_number) % 10
    return np.array([f"{y}{MONTH_LETTERS[m]}" for y, m in zip(year_digit, month, strict=True)], dtype=object)


def build_dealers(rng: np.random.Generator, params: Params, geo: Geography) -> pd.DataFrame:
    """One row per licensee ever seen in the two lists (current, previous month, or both).

    Columns: state, place, regn, dist, cnty, lic_type, seqn, xprdte (current or last), prev_xprdte (in the
    previous list, "" if absent), in_current, in_prev, license_name, business_name, premise_street,
    mail_street, phone, selling.
    """
    counts = reference.dealer_counts_by_state().set_index("state")["count"].reindex(list(STATES)).fillna(1)
    n_state = largest_remainder(counts.to_numpy(), params.scale.dealers, minimum=1)
    states = np.repeat(np.array(STATES, dtype=object), n_state)
    n = len(states)
    # non-selling licensees (collectors 03, ammunition makers 06) appear in the list too
    extra = round(n * 0.12)
    extra_states = rng.choice(states, size=extra)
    states = np.concatenate([states, extra_states])
    lic_type = np.concatenate([
        rng.choice(np.array(SELLING_TYPES, dtype=object), size=n, p=[0.78, 0.10, 0.10, 0.02]),
        rng.choice(np.array(["03", "06"], dtype=object), size=extra, p=[0.9, 0.1])])
    total = len(states)
    place = np.empty(total, dtype=np.int64)
    regn = np.empty(total, dtype=object)
    dist = np.empty(total, dtype=object)
    for state in STATES:
        idx = np.flatnonzero(states == state)
        if len(idx) == 0:
            continue
        cand = geo.state_places[state]
        w = geo.places["home_weight"].to_numpy()[cand]
        place[idx] = cand[rng.choice(len(cand), size=len(idx), p=w / w.sum())]
        codes, cw = zip(*STATE_REGION_DISTRICTS[state], strict=True)
        pick = rng.choice(len(codes), size=len(idx), p=np.array(cw, dtype=float) / sum(cw))
        regn[idx] = [codes[i][0] for i in pick]
        dist[idx] = [codes[i][2:] for i in pick]
    seqn = np.empty(total, dtype=object)
    key = pd.Series(regn + "-" + dist)
    for _, idx in sorted(key.groupby(key).indices.items()):
        seqn[idx] = [f"{v:05d}" for v in rng.choice(100_000, size=len(idx), replace=False)]

    cnty = geo.places["county_fips"].to_numpy()[place]
    status = rng.random(total)
    renewed = status < params.renewed_dealer_share
    new = (status >= 0.97) & (status < 0.98)
    closed = status >= 0.99
    list_month = np.datetime64(int(params.list_date), "D").astype("datetime64[M]")
    expiry = params.list_date + rng.integers(35, 3 * 365, total)
    renewed_expiry = (list_month + 36).astype("datetime64[D]").astype(np.int64) + 14
    expiry = np.where(renewed, renewed_expiry, expiry)
    prev_expiry = np.where(renewed, params.list_date - 1, expiry)
    closed_expiry = params.list_date + rng.integers(-30, -1, total)  # lapsed between the two lists
    expiry = np.where(closed, closed_expiry, expiry)
    frame = pd.DataFrame({
        "state": states, "place": place, "regn": regn, "dist": dist, "cnty": [c[2:] for c in cnty],
        "lic_type": lic_type, "seqn": seqn, "xprdte": expiry_code(expiry),
        "prev_xprdte": expiry_code(np.where(closed, expiry, prev_expiry)),
        "in_current": ~closed, "in_prev": ~new, "renewed": renewed & ~closed & ~new,
        "selling": np.isin(lic_type, SELLING_TYPES), "corrupt": False})
    frame.loc[~frame["in_prev"], "prev_xprdte"] = ""
    _names(rng, frame)
    return frame


def license_number(frame: pd.DataFrame, *, previous: bool = False) -> pd.Series:
    code = frame["prev_xprdte"] if previous else frame["xprdte"]
    return (frame["regn"] + "-" + frame["dist"] + "-" + frame["cnty"] + "-" + frame["lic_type"] + "-" + code
            + "-" + frame["seqn"])


def dealer_key(frame: pd.DataFrame) -> pd.Series:
    """The identity that survives renewals: REGN-DIST-SEQN."""
    return frame["regn"] + "-" + frame["dist"] + "-" + frame["seqn"]


def _names(rng: np.random.Generator, frame: pd.DataFrame) -> None:
    n = len(frame)
    last = np.array(nd.SURNAMES, dtype=object)[rng.integers(0, len(nd.SURNAMES), n)]
    first = np.array(nd.MALE_FIRST, dtype=object)[rng.integers(0, len(nd.MALE_FIRST), n)]
    initial = np.array(list("ABCDEFGHJKLMNPRSTW"), dtype=object)[rng.integers(0, 18, n)]
    word = np.array(nd.BUSINESS_WORDS, dtype=object)[rng.integers(0, len(nd.BUSINESS_WORDS), n)]
    kind = np.array(nd.BUSINESS_KINDS, dtype=object)[rng.integers(0, len(nd.BUSINESS_KINDS), n)]
    form = np.array(nd.BUSINESS_FORMS, dtype=object)[rng.integers(0, len(nd.BUSINESS_FORMS), n)]
    person_name = last + ", " + first + " " + initial
    entity = word + " " + kind + " " + form
    is_person = rng.random(n) < 0.45
    frame["license_name"] = np.where(is_person, person_name, entity)
    trade = np.where(rng.random(n) < 0.5, word + " " + kind, last + "S " + kind)
    frame["business_name"] = np.where(is_person & (rng.random(n) < 0.3), "", trade)
    frame.loc[frame["lic_type"] == "03", "business_name"] = ""
    street = (rng.integers(10, 9999, n).astype(str).astype(object) + " "
              + np.array(nd.STREET_NAMES, dtype=object)[rng.integers(0, len(nd.STREET_NAMES), n)] + " "
              + np.array([t[0] for t in nd.STREET_TYPES], dtype=object)[rng.integers(0, len(nd.STREET_TYPES), n)])
    frame["premise_street"] = street
    po_box = "PO BOX " + rng.integers(1, 9999, n).astype(str).astype(object)
    frame["mail_street"] = np.where(rng.random(n) < 0.2, po_box, street)
    area = rng.integers(201, 990, n)
    frame["phone"] = [f"{a}{b:07d}" for a, b in zip(area, rng.integers(2_000_000, 9_999_999, n), strict=True)]


def assign_trace_weights(rng: np.random.Generator, dealers: pd.DataFrame, source_volume: pd.Series,
                         top_fraction: float) -> None:
    """Mark the high-trace tier (``top_fraction`` of selling dealers, spread over states by how many traced guns
    each state sources) and give the rest log-normal weights; adds ``tier`` and ``weight`` columns."""
    selling = dealers["selling"].to_numpy()
    n_top = round(selling.sum() * top_fraction)
    per_state = largest_remainder(source_volume.reindex(list(STATES)).fillna(0).to_numpy(), n_top)
    tier = np.zeros(len(dealers), dtype=bool)
    states = dealers["state"].to_numpy()
    for state, k in zip(STATES, per_state, strict=True):
        cand = np.flatnonzero((states == state) & selling & dealers["in_prev"].to_numpy())
        if k and len(cand):
            tier[rng.choice(cand, size=min(int(k), len(cand)), replace=False)] = True
    dealers["tier"] = tier
    dealers["weight"] = np.where(selling, rng.lognormal(0.0, 1.0, len(dealers)), 0.0)
