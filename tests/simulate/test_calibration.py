"""The written files reproduce the public figures the generator is calibrated to (docs/simulation.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.domain import reference
from tests.simulate.sim_helpers import dealer_key, parse_dates, read_ffl


@pytest.fixture(scope="module")
def dated(traces: pd.DataFrame) -> pd.DataFrame:
    frame = traces.assign(recovered=parse_dates(traces["recovery_date"]), bought=parse_dates(traces["purchase_date"]))
    frame = frame[frame["recovered"].notna() & frame["bought"].notna()]
    return frame.assign(ttc_days=(frame["recovered"] - frame["bought"]).dt.days)


def test_time_to_crime_matches_nfcta(dated: pd.DataFrame) -> None:
    """NFCTA Vol. II (2017–2021): ~25% within 1 year, ~46% within 3 years, average about 6 years."""
    ttc = dated["ttc_days"]
    assert len(ttc) > 3000
    assert (ttc >= 0).all()
    assert abs((ttc <= 365).mean() - 0.25) <= 0.05
    assert abs((ttc <= 3 * 365).mean() - 0.46) <= 0.06
    assert abs(ttc.mean() / 365.25 - 6.0) <= 1.5


def _atf_out_of_state_share() -> pd.Series:
    flows = reference.atf_state_flows()
    names = reference.states()
    usps = dict(zip(names["name_upper"], names["state"], strict=True))
    flows = flows.assign(src=flows["source_state"].map(usps), rec=flows["recovery_state"].map(usps)).dropna()
    states = set(names["state"]) - {"PR", "GU", "VI", "AS", "MP", "UM"}
    flows = flows[flows["src"].isin(states) & flows["rec"].isin(states)]
    total = flows.groupby("rec")["firearms"].sum()
    local = flows[flows["src"] == flows["rec"]].groupby("rec")["firearms"].sum()
    return 1 - local / total


def _dealer_states(world_dir: Path) -> pd.Series:
    lists = pd.concat([read_ffl(world_dir / "ffl_list.txt"), read_ffl(world_dir / "ffl_list_prev.txt")])
    lists = lists[lists["LIC_SEQN"].str.fullmatch(r"\d{5}")]
    keys = lists["LIC_REGN"] + "-" + lists["LIC_DIST"] + "-" + lists["LIC_SEQN"]
    return pd.Series(lists["PREMISE_STATE"].to_numpy(), index=keys).groupby(level=0).first()


def test_out_of_state_share_matches_atf_for_big_states(world_dir: Path, traces: pd.DataFrame) -> None:
    """ATF source x recovery tables 2010–2017: the out-of-state share per recovery state."""
    sold = traces[(traces["dealer_ffl"] != "") & (traces["recovery_country"] == "US")]
    state_of = _dealer_states(world_dir)
    source = dealer_key(sold["dealer_ffl"]).map(state_of)
    assert source.notna().all()  # old licence numbers still reach their dealer
    out = (source != sold["recovery_state"]).groupby(sold["recovery_state"]).agg(["mean", "size"])
    atf = _atf_out_of_state_share()
    big = out.sort_values("size", ascending=False).head(8)
    for state, row in big.iterrows():
        assert abs(row["mean"] - atf[state]) <= 0.07, (state, row["mean"], atf[state])
    assert out.loc["NY", "mean"] > 0.55  # New York's guns mostly come from elsewhere
    assert out.loc["TX", "mean"] < 0.3


def test_dealer_concentration_matches_atf_2000(world_dir: Path, traces: pd.DataFrame) -> None:
    """ATF Commerce in Firearms (2000): 1.2% of dealers accounted for 57% of crime-gun traces."""
    lists = pd.concat([read_ffl(world_dir / "ffl_list.txt"), read_ffl(world_dir / "ffl_list_prev.txt")])
    selling = lists[lists["LIC_TYPE"].isin(["01", "02", "07", "08"])]
    n_dealers = (selling["LIC_REGN"] + "-" + selling["LIC_DIST"] + "-" + selling["LIC_SEQN"]).nunique()
    counts = dealer_key(traces.loc[traces["dealer_ffl"] != "", "dealer_ffl"]).value_counts()
    top = round(n_dealers * 0.012)
    share = counts.head(top).sum() / counts.sum()
    assert abs(share - 0.57) <= 0.10


def test_dealers_follow_real_state_counts(world_dir: Path) -> None:
    frame = read_ffl(world_dir / "ffl_list.txt")
    selling = frame[frame["LIC_TYPE"].isin(["01", "02", "07", "08"])]
    simulated = selling["PREMISE_STATE"].value_counts(normalize=True)
    real = reference.dealer_counts_by_state().set_index("state")["count"]
    real = real / real.sum()
    both = pd.concat([simulated, real], axis=1, keys=["sim", "real"]).fillna(0)
    assert np.corrcoef(both["sim"], both["real"])[0, 1] > 0.97
    assert simulated.index[0] == real.idxmax()  # Texas has the most dealers


def test_dealer_county_matches_its_place(world_dir: Path) -> None:
    """LIC_CNTY is the county FIPS of the premises: the ZIP's county centroid state agrees and codes exist."""
    frame = read_ffl(world_dir / "ffl_list.txt")
    counties = reference.counties()
    fips = dict(zip(reference.states()["state"], reference.states()["state_fips"], strict=True))
    full = frame["PREMISE_STATE"].map(fips) + frame["LIC_CNTY"]
    assert full.isin(set(counties["county_fips"])).mean() > 0.99


def test_hotspots_come_from_ucr(world_dir: Path) -> None:
    hot = pd.read_csv(world_dir / "hotspots.csv", dtype={"data_year": int})
    assert len(hot) >= 60
    assert {("Chicago", "IL"), ("New York", "NY"), ("Baltimore", "MD")} <= set(zip(hot["city"], hot["state"],
                                                                                   strict=True))
    ucr = reference.ucr_city_crime()
    chicago = ucr[ucr["department_name"] == "Chicago"].sort_values("year").iloc[-1]
    row = hot[(hot["city"] == "Chicago")].iloc[0]
    assert row["data_year"] == chicago["year"]
    assert abs(row["violent_crime_rate_per_100k"] - chicago["violent_per_100k"]) < 0.1
    assert hot["lat"].between(18, 72).all() and hot["lon"].between(-180, -60).all()
