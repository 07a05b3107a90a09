"""Render the world's registries as the text rows of the input files (DATA_FORMATS.md sections 2–4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.synthetic.dates import format_dates, years
from loaders.synthetic.dealers import license_number
from loaders.synthetic.firearms import random_letters, serial_digits, serials
from loaders.synthetic.people import render_identity
from loaders.synthetic.world import World

TRACE_COLUMNS = (
    "trace_id", "request_date", "recovery_date", "recovery_street", "recovery_city", "recovery_state",
    "recovery_zip", "recovery_country", "recovery_lat", "recovery_lon", "crime_code", "agency_ori", "agency_name",
    "serial_number", "obliterated_serial", "manufacturer", "importer", "model", "caliber", "weapon_type",
    "country_of_manufacture", "trace_status", "dealer_ffl", "purchase_date", "multiple_sale_report_id",
    "purchaser_last_name", "purchaser_first_name", "purchaser_middle_name", "purchaser_dob", "purchaser_street",
    "purchaser_city", "purchaser_state", "purchaser_zip", "possessor_last_name", "possessor_first_name",
    "possessor_dob", "possessor_street", "possessor_city", "possessor_state", "possessor_zip",
)
MS_COLUMNS = (
    "report_id", "form", "dealer_ffl", "sale_date", "purchaser_last_name", "purchaser_first_name", "purchaser_dob",
    "purchaser_street", "purchaser_city", "purchaser_state", "purchaser_zip", "serial_number", "manufacturer",
    "model", "caliber", "weapon_type",
)
NIBIN_COLUMNS = ("lead_id", "trace_id_a", "trace_id_b", "lead_date", "status")


@dataclass(frozen=True)
class Identifiers:
    trace_ids: np.ndarray  # per trace row (internal order)
    trace_order: np.ndarray  # internal trace rows in file order
    report_ids: np.ndarray  # per multiple-sale report
    serials: np.ndarray  # per gun
    dealer_current: np.ndarray  # per dealer: full license number in the current (or last) list
    dealer_previous: np.ndarray  # per dealer: number in the previous list ("" if absent)


def assign_identifiers(world: World) -> Identifiers:
    rng = world.rng
    t = world.traces.frame()
    order = np.lexsort((rng.random(len(t)), t["recovery_day"].to_numpy()))
    trace_ids = np.empty(len(t), dtype=object)
    rec_year = years(t["recovery_day"].to_numpy()[order])
    trace_ids[order] = [f"T{y}{i + 1:07d}" for i, y in enumerate(rec_year)]
    ms = world.ms.frame()
    ms_order = np.lexsort((np.arange(len(ms)), ms["sale_day"].to_numpy()))
    report_ids = np.empty(len(ms), dtype=object)
    ms_year = years(ms["sale_day"].to_numpy()[ms_order])
    report_ids[ms_order] = [f"MS{y}-{i + 1:07d}" for i, y in enumerate(ms_year)]
    return Identifiers(trace_ids=trace_ids, trace_order=order, report_ids=report_ids,
                       serials=_serials(world), dealer_current=license_number(world.dealers).to_numpy(),
                       dealer_previous=np.where(world.dealers["in_prev"],
                                                license_number(world.dealers, previous=True), ""))


def _serials(world: World) -> np.ndarray:
    rng = world.rng
    g = world.guns.frame()
    models = world.catalogue.models
    make = models["manufacturer"].to_numpy()[g["model"].to_numpy()]
    style = models["serial_style"].to_numpy()[g["model"].to_numpy()]
    numbers = np.zeros(len(g), dtype=np.int64)
    letters = random_letters(rng, len(g))
    for m in sorted(set(make)):
        idx = np.flatnonzero(make == m)
        space = 10 ** serial_digits(str(style[idx[0]]))
        numbers[idx] = rng.choice(space, size=len(idx), replace=len(idx) > space // 2)
    batch = g["batch"].to_numpy()
    for b in np.unique(batch[batch >= 0]):
        idx = np.flatnonzero(batch == b)
        numbers[idx] = g["batch_number"].to_numpy()[idx]
        letters[idx] = letters[idx[0]]
    return serials(style, numbers, letters)


def _dealer_numbers(world: World, ids: Identifiers, dealer: np.ndarray, sale_day: np.ndarray) -> np.ndarray:
    """The full number a record quotes: renewed dealers' older sales often carry the previous number."""
    d = world.dealers
    safe = np.maximum(dealer, 0)
    renewed = d["renewed"].to_numpy()[safe] & (dealer >= 0)
    old = renewed & (sale_day < world.params.list_date) & (
        world.rng.random(len(dealer)) < world.params.old_license_quote_share)
    out = np.where(old, ids.dealer_previous[safe], ids.dealer_current[safe])
    return np.where(dealer >= 0, out, "").astype(object)


Columns = dict[str, np.ndarray]


def trace_rows(world: World, ids: Identifiers, rows: np.ndarray) -> Columns:
    """File rows for the internal trace rows ``rows`` (in that order)."""
    rng, p = world.rng, world.params
    t = world.traces.frame().iloc[rows]
    g = world.guns.frame().iloc[t["gun"].to_numpy()]
    places = world.geo.places
    n = len(rows)
    us = rng.random(n) < p.us_date_share
    status = t["status"].to_numpy()
    completed = status == "COMPLETED"
    with_dealer = completed | (status == "INCOMPLETE")
    rec_day = t["recovery_day"].to_numpy()
    out: dict[str, object] = {"trace_id": ids.trace_ids[rows]}
    out["request_date"] = format_dates(rec_day + rng.geometric(0.12, n), us)
    out["recovery_date"] = format_dates(rec_day, us)
    place = t["place"].to_numpy()
    us_place = place >= 0
    pl = places.iloc[np.maximum(place, 0)]
    block = (rng.integers(1, 99, n) * 100).astype(str).astype(object)
    street_names = np.array(["MAIN ST", "MARKET ST", "BROAD ST", "PARK AVE", "CHURCH ST", "KING BLVD",
                             "LINCOLN AVE", "WASHINGTON ST", "5TH ST", "CENTRAL AVE"], dtype=object)
    out["recovery_street"] = np.where(rng.random(n) < 0.7, block + " BLOCK " + street_names[
        rng.integers(0, len(street_names), n)], "")
    city_upper = pl["city"].str.upper().to_numpy()
    out["recovery_city"] = np.where(us_place, city_upper, t["foreign_city"].to_numpy())
    out["recovery_state"] = np.where(us_place, pl["state"].to_numpy(), "")
    out["recovery_zip"] = np.where(us_place & (rng.random(n) < 0.85), pl["zip"].to_numpy(), "")
    out["recovery_country"] = t["country"].to_numpy()
    has_geo = us_place & (rng.random(n) < 0.7)
    lat = pl["lat"].to_numpy() + rng.normal(0, 0.01, n)
    lon = pl["lon"].to_numpy() + rng.normal(0, 0.01, n)
    out["recovery_lat"] = np.where(has_geo, np.char.mod("%.5f", lat).astype(object), "")
    out["recovery_lon"] = np.where(has_geo, np.char.mod("%.5f", lon).astype(object), "")
    out["crime_code"] = t["crime"].to_numpy()
    ori = pl["ori"].to_numpy()
    synthetic_ori = pl["state"].to_numpy() + np.char.zfill((np.maximum(place, 0) % 100000).astype(str), 5)
    out["agency_ori"] = np.where(us_place, np.where(pd.isna(ori), synthetic_ori, ori), "")
    out["agency_name"] = np.where(us_place, city_upper + " POLICE DEPARTMENT", "")
    serial = ids.serials[t["gun"].to_numpy()]
    obliterated = t["obliterated"].to_numpy()
    partial = np.array([s[: max(1, len(s) // 2)] for s in serial], dtype=object)
    out["serial_number"] = np.where(obliterated, np.where(rng.random(n) < 0.4, partial, ""), serial)
    out["obliterated_serial"] = np.where(obliterated, "Y", "N")
    cat = world.catalogue.models.iloc[g["model"].to_numpy()]
    for col, src in (("manufacturer", "manufacturer"), ("importer", "importer"), ("model", "model"),
                     ("caliber", "caliber"), ("weapon_type", "weapon_type"), ("country_of_manufacture", "country")):
        out[col] = cat[src].to_numpy()
    out["trace_status"] = status
    dealer = np.where(with_dealer, g["dealer"].to_numpy(), -1)
    purchase_day = g["purchase_day"].to_numpy()
    out["dealer_ffl"] = _dealer_numbers(world, ids, dealer, purchase_day)
    has_purchase = completed & (purchase_day >= 0)
    out["purchase_date"] = np.where(has_purchase, format_dates(np.maximum(purchase_day, 0), us), "")
    ms = g["ms_report"].to_numpy()
    out["multiple_sale_report_id"] = np.where(has_purchase & (ms >= 0), ids.report_ids[np.maximum(ms, 0)]
                                              if len(ids.report_ids) else "", "")
    purchaser = np.where(has_purchase, g["purchaser"].to_numpy(), -1)
    _person_columns(world, out, "purchaser", purchaser, us, middle=True)
    _person_columns(world, out, "possessor", t["possessor"].to_numpy(), us, middle=False)
    return {c: np.asarray(out[c], dtype=object) for c in TRACE_COLUMNS}


def _person_columns(world: World, out: dict[str, object], role: str, pid: np.ndarray, us: np.ndarray,
                    *, middle: bool) -> None:
    n = len(pid)
    cols = {k: np.full(n, "", dtype=object) for k in ("last_name", "first_name", "middle_name", "dob", "street",
                                                      "city", "state", "zip")}
    have = np.flatnonzero(pid >= 0)
    if len(have):
        rendered = render_identity(world.rng, world.people, world.geo.places, pid[have], us[have],
                                   dob_missing=world.params.dob_missing_share, middle_column=middle,
                                   nickname_share=world.params.scenario.nickname_share,
                                   typo_share=world.params.scenario.name_typo_share)
        for k, v in rendered.items():
            cols[k][have] = v.to_numpy()
    names = ["last_name", "first_name"] + (["middle_name"] if middle else []) + ["dob", "street", "city",
                                                                                "state", "zip"]
    for k in names:
        out[f"{role}_{k}"] = cols[k]


def ms_rows(world: World, ids: Identifiers) -> Columns:
    rng = world.rng
    ms = world.ms.frame()
    g = world.guns.frame()
    gun_rows = np.flatnonzero(g["ms_report"].to_numpy() >= 0)
    report = g["ms_report"].to_numpy()[gun_rows]
    order = np.lexsort((gun_rows, ids.report_ids[report]))
    gun_rows, report = gun_rows[order], report[order]
    n_rep = len(ms)
    us = rng.random(n_rep) < world.params.us_date_share
    buyer = ms["purchaser"].to_numpy()
    ident = render_identity(rng, world.people, world.geo.places, buyer, us,
                            dob_missing=world.params.dob_missing_share, middle_column=False,
                            nickname_share=world.params.scenario.nickname_share,
                            typo_share=world.params.scenario.name_typo_share)
    dealer_no = _dealer_numbers(world, ids, ms["dealer"].to_numpy(), ms["sale_day"].to_numpy())
    cat = world.catalogue.models.iloc[g["model"].to_numpy()[gun_rows]]
    out = {
        "report_id": ids.report_ids[report], "form": ms["form"].to_numpy()[report], "dealer_ffl": dealer_no[report],
        "sale_date": format_dates(ms["sale_day"].to_numpy(), us)[report],
        "serial_number": ids.serials[gun_rows], "manufacturer": cat["manufacturer"].to_numpy(),
        "model": cat["model"].to_numpy(), "caliber": cat["caliber"].to_numpy(),
        "weapon_type": cat["weapon_type"].to_numpy()}
    for k in ("last_name", "first_name", "dob", "street", "city", "state", "zip"):
        out[f"purchaser_{k}"] = ident[k].to_numpy()[report]
    cols = {c: np.asarray(out[c], dtype=object) for c in MS_COLUMNS}
    cols["_report"] = report
    return cols


def nibin_rows(world: World, ids: Identifiers) -> Columns:
    nb = world.nibin.frame()
    us = world.rng.random(len(nb)) < world.params.us_date_share
    order = np.lexsort((np.arange(len(nb)), nb["lead_day"].to_numpy()))
    nb = nb.iloc[order]
    lead_ids = [f"NL{y}-{i + 1:06d}" for i, y in enumerate(years(nb["lead_day"].to_numpy()))]
    return {"lead_id": np.array(lead_ids, dtype=object), "trace_id_a": ids.trace_ids[nb["trace_a"].to_numpy()],
            "trace_id_b": ids.trace_ids[nb["trace_b"].to_numpy()],
            "lead_date": format_dates(nb["lead_day"].to_numpy(), us[order]),
            "status": nb["status"].to_numpy().astype(object), "_row": order}
