"""Derived estimates for the dealer transparency profile: a sales-volume index with a confidence and a method,
and the weapon categories a licence allows after state restrictions.

Sales-volume index
------------------
No record of any dealer's sales is public, and the usual state-level demand proxy (FBI NICS background checks
per state) is not in the project's data, so the index is built from what is:

1. **License-type weight** (ATF Annual Firearms Commerce Report exhibits, calendar/fiscal year 2014): firearms
   reaching the US market per retail licensee = (manufactured - exported + imported) / (type 01 + 02 licensees)
   is the unit; a manufacturer (07) weighs manufactured / type-07 licensees in those units, an importer (08)
   imported / type-08 licensees. Collectors (03) may not engage in the business and ammunition manufacturers
   (06) make no firearms: weight 0. Destructive-device licences (09, 10, 11): no volume figure, no index.
2. **State market** (per-capita FFL density): state population (Census estimate 2016) per dealing licensee
   (types 01/02/07/08, LA Times count of the 2016 ATF list). The index is the type weight times the state's
   population per dealing licensee, divided by the median of that figure over all dealing licensees of the
   country, so **1.0 = the national median retail dealer**.
3. **Local dealer density** (dealing licensees within :data:`LOCAL_RADIUS_KM` in the loaded list) does not
   scale the index — without local population one cannot tell a crowded market (less per dealer) from a busy
   one (more demand) — but it grades the confidence: the further the dealer's neighbourhood is from its state's
   average, the less the state average describes it.

Confidence (0-1, an ordinal grade, not a probability; capped at 0.5 because no sale is observed):
``0.5 x type certainty (1 for 01/02, 0.5 for 07/08: a national average over a very skewed population) x local
representativeness (1 / (1 + |ln((n + 1) / (m + 1))|), n = the dealer's neighbours, m = its state's mean; 0.5
when the state's list is not loaded to at least half its published count or the premises are geocoded no
finer than the county)``; 0 when no index can be computed.

Weapon categories
-----------------
From the licence type (27 CFR 478.11 definitions; ATF licence-type names): 01/02 deal in, 07 manufactures and
08 imports handguns, rifles, shotguns and semi-automatic assault weapons; 03 collects curios and relics only;
06 makes ammunition; 09/10/11 deal in, make and import destructive devices. A Special Occupational Tax class
(SOT 1 importer, 2 manufacturer, 3 dealer; not in the ATF listing, used where supplied) adds NFA items.

State restrictions (:data:`ASSAULT_WEAPON_BANS`, as of 2025-06; later enactments are not in the table)
remove the assault-weapon category from the date a general ban took effect; Hawaii bans assault *pistols* only,
noted and not removed. Sources: Giffords Law Center, "Assault Weapons" state summaries (2025); the statutes
cited in the table.

>>> sorted(weapon_categories("03", "TX", dt.date(2025, 1, 1))[0])
['curios_and_relics']
>>> "assault_weapon" in weapon_categories("01", "IL", dt.date(2022, 6, 1))[0]
True
>>> "assault_weapon" in weapon_categories("01", "IL", dt.date(2023, 6, 1))[0]
False
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from algorithms.geodesy import EARTH_RADIUS_KM
from loaders.domain import reference

LOCAL_RADIUS_KM = 25.0
DEALING_TYPES = ("01", "02", "07", "08")  # what the LA Times counts as dealing licensees
COMMERCE_YEAR = 2014  # latest year present in all four ATF commerce exhibits used
POPULATION_YEAR = 2016
MAX_CONFIDENCE = 0.5
TYPE_CERTAINTY = {"01": 1.0, "02": 1.0, "07": 0.5, "08": 0.5}
METHOD = (f"type weight (ATF commerce report {COMMERCE_YEAR}: firearms per licensee vs per retail licensee) x "
          f"state population ({POPULATION_YEAR}) per dealing licensee (LA Times count of the {POPULATION_YEAR} "
          "ATF list) / national median; no background-check (NICS) figures in the data; confidence graded by "
          f"licence type and by how far dealing licensees within {LOCAL_RADIUS_KM:g} km differ from the state mean")

FIREARMS = ("handgun", "rifle", "shotgun", "assault_weapon")
CATEGORIES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "01": FIREARMS, "02": FIREARMS, "07": (*FIREARMS, "ammunition"), "08": (*FIREARMS, "ammunition"),
    "03": ("curios_and_relics",), "06": ("ammunition",),
    "09": ("destructive_device",), "10": ("destructive_device", "ammunition"), "11": ("destructive_device",),
}
SOT_TYPES = {"1": ("08", "11"), "2": ("07", "10"), "3": ("01", "02", "09")}  # SOT class -> licences it pairs with


@dataclass(frozen=True)
class Restriction:
    state: str
    category: str
    effective: dt.date
    scope: str  # "all" removes the category; anything else is a note
    citation: str


ASSAULT_WEAPON_BANS: tuple[Restriction, ...] = (
    Restriction("CA", "assault_weapon", dt.date(1989, 5, 24), "all", "Cal. Penal Code 30600 (Roberti-Roos 1989)"),
    Restriction("CT", "assault_weapon", dt.date(1993, 10, 1), "all", "Conn. Gen. Stat. 53-202c"),
    Restriction("DE", "assault_weapon", dt.date(2022, 6, 30), "all", "11 Del. C. 1466 (HB 450, 2022)"),
    Restriction("HI", "assault_weapon", dt.date(1992, 7, 1), "assault pistols only", "Haw. Rev. Stat. 134-8"),
    Restriction("IL", "assault_weapon", dt.date(2023, 1, 10), "all", "720 ILCS 5/24-1.9 (PICA, 2023)"),
    Restriction("MD", "assault_weapon", dt.date(2013, 10, 1), "all", "Md. Code, Crim. Law 4-303 (FSA 2013)"),
    Restriction("MA", "assault_weapon", dt.date(1998, 7, 23), "all", "Mass. Gen. Laws ch. 140 131M"),
    Restriction("NJ", "assault_weapon", dt.date(1990, 5, 30), "all", "N.J. Stat. 2C:39-5(f)"),
    Restriction("NY", "assault_weapon", dt.date(2013, 1, 15), "all", "N.Y. Penal Law 265.02(7) (SAFE Act)"),
    Restriction("WA", "assault_weapon", dt.date(2023, 4, 25), "all", "RCW 9.41.390 (HB 1240, 2023)"),
    Restriction("DC", "assault_weapon", dt.date(2009, 1, 1), "all", "D.C. Code 7-2502.02"),
)


def weapon_categories(license_type: str | None, state: str | None, as_of: dt.date | None,
                      sot_class: str | None = None) -> tuple[list[str], list[str]]:
    """(categories the licence allows after state restrictions, notes on what was removed or restricted)."""
    kind = (license_type or "").strip().zfill(2)
    categories = list(CATEGORIES_BY_TYPE.get(kind, ()))
    sot = (sot_class or "").strip().upper().removeprefix("SOT").strip()
    if sot in SOT_TYPES and kind in SOT_TYPES[sot]:
        categories.append("nfa_item")
    notes: list[str] = []
    for rule in ASSAULT_WEAPON_BANS:
        if rule.state != (state or "").upper() or rule.category not in categories:
            continue
        if as_of is not None and as_of < rule.effective:
            continue
        if rule.scope == "all":
            categories.remove(rule.category)
            notes.append(f"{rule.category} removed: {rule.state} ban since {rule.effective} ({rule.citation})")
        else:
            notes.append(f"{rule.category} restricted in {rule.state}: {rule.scope} ({rule.citation})")
    return categories, notes


# --- reference figures --------------------------------------------------------------------------------------------

def _numbers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda c: pd.to_numeric(c.astype(str).str.replace(",", "", regex=False), errors="coerce"))


@functools.cache
def type_weights(year: int = COMMERCE_YEAR) -> dict[str, float]:
    """Firearms per licensee of each type relative to firearms reaching the US market per retail licensee."""
    def row(name: str) -> pd.Series:
        frame = _numbers(pd.read_csv(reference.path(f"atf_commerce/{name}"), dtype=str))
        return frame[frame.iloc[:, 0] == year].iloc[0]
    made, exported, imported = row("01-manufacturing.csv"), row("02-exports.csv"), row("03-imports.csv")
    licensees = row("10-FFL-total.csv")
    market = float(made["Firearms"] - exported["Firearms"] + imported["Total"])
    per_retail = market / float(licensees["Dealer"] + licensees["Pawnbroker"])
    return {"01": 1.0, "02": 1.0, "03": 0.0, "06": 0.0,
            "07": float(made["Firearms"]) / float(licensees["mfg.Firearms"]) / per_retail,
            "08": float(imported["Total"]) / float(licensees["Importer"]) / per_retail}


@functools.cache
def state_market() -> pd.Series:
    """Population per dealing licensee by state, divided by its national median over dealing licensees."""
    population = pd.read_csv(reference.path("atf_commerce/census_state_population_2016.csv"),
                             dtype={"state_fips": str})
    fips = reference.states()[["state", "state_fips"]]
    population = population.merge(fips, on="state_fips")
    counts = reference.dealer_counts_by_state(POPULATION_YEAR)
    frame = population.merge(counts, on="state")
    frame["per_dealer"] = frame["population_2016"] / frame["count"]
    ordered = frame.sort_values("per_dealer")
    cumulative = ordered["count"].cumsum()
    median = float(ordered["per_dealer"].iloc[int(np.searchsorted(cumulative, cumulative.iloc[-1] / 2.0))])
    return (frame.set_index("state")["per_dealer"] / median).rename("market_factor")


@functools.cache
def _published_counts(year: int) -> pd.Series:
    years = [y for y in range(2003, 2024) if reference.path(f"latimes_ffl_counts/{y}-ffl-list-states.csv").exists()]
    usable = max((y for y in years if y <= year), default=min(years))
    return reference.dealer_counts_by_state(usable).set_index("state")["count"]


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def local_density(dealers: pd.DataFrame, radius_km: float = LOCAL_RADIUS_KM) -> pd.Series:
    """Listed dealing licensees within ``radius_km`` of each dealer (itself excluded); NaN without coordinates."""
    out = pd.Series(np.nan, index=dealers.index)
    dealing = dealers["license_type"].isin(DEALING_TYPES) & (dealers["status"].fillna("LISTED") == "LISTED")
    located = dealers["lat"].notna() & dealers["lon"].notna()
    pool = dealers[dealing & located]
    if pool.empty or not located.any():
        return out
    tree = cKDTree(_unit_vectors(pool["lat"].to_numpy(float), pool["lon"].to_numpy(float)))
    chord = 2.0 * np.sin(radius_km / (2.0 * EARTH_RADIUS_KM))
    query = dealers[located]
    counts = tree.query_ball_point(_unit_vectors(query["lat"].to_numpy(float), query["lon"].to_numpy(float)),
                                   chord, return_length=True)
    out.loc[query.index] = counts - (dealing & located)[query.index].to_numpy().astype(int)
    return out


def sales_index(dealers: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """``sales_index``, ``sales_index_confidence``, ``local_dealers`` and ``method`` for each row of ``dealers``
    (columns: license_type, premise_state, status, lat, lon, geocode_precision)."""
    kind = dealers["license_type"].astype(object).where(dealers["license_type"].notna(), "")
    weights = kind.map(type_weights()).astype(float)
    market = dealers["premise_state"].map(state_market()).astype(float)
    index = weights * market.where(weights > 0, 1.0)
    neighbours = local_density(dealers)
    loaded = dealers[dealers["license_type"].isin(DEALING_TYPES)].groupby("premise_state").size()
    published = _published_counts((as_of or dt.date.today()).year)
    complete = dealers["premise_state"].map(loaded / published).fillna(0.0) >= 0.5
    state_mean = neighbours.groupby(dealers["premise_state"]).transform("mean")
    fine = dealers["geocode_precision"].isin(["zip", "city"])
    spread = np.abs(np.log((neighbours + 1.0) / (state_mean + 1.0)))
    representative = pd.Series(np.where(complete & fine & neighbours.notna(), 1.0 / (1.0 + spread), 0.5),
                               index=dealers.index)
    certainty = kind.map(TYPE_CERTAINTY).astype(float).fillna(0.0)
    confidence = (MAX_CONFIDENCE * certainty * representative).where(index.notna() & (weights > 0), 0.0)
    return pd.DataFrame({"sales_index": index.round(3), "sales_index_confidence": confidence.round(3),
                         "local_dealers": neighbours.astype("Int64"), "method": METHOD}, index=dealers.index)
