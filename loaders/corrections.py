"""A record loaded again with other facts (a corrected record) replaces its earlier version.

Traces:

eTrace results change after they are first exported: a trace completes with a purchaser, an agency corrects a
recovery city, a purchaser's name or the purchase date is fixed. A re-load writes the record under its own key
(``trace_id``), so its node properties are overwritten; but relationships are keyed by their endpoints, so the
earlier purchaser, gun, possessor, recovery places and selling dealer would stay beside the new ones (two purchasers
of one sale).
The traces loader reads the stored version of every record of a batch first (one keyed statement,
``cypher/trace_versions.cypher``; nothing comes back for new records) and, once the batch is written, deletes the
relationships the record no longer states (the dealer's ``SOLD`` only where no other record still names it).

A correction can also take a person out of a straw group (another dealer-day, another city); the incremental
analysis only adds to groups, so a load with corrections records how many (``LoadRun.details.corrected``) and
the next analysis is a full one (:func:`algorithms.runs.new_load_runs`). A record loaded again with the same facts,
or with facts only added (a purchaser where there was none, a completed trace), is not a correction.

The other loaders whose relationships name an endpoint a later version can change do the same, each reading its
stored versions by key per batch (``cypher/*_versions.cypher``) and deleting what the record no longer states:

* a multiple-sale row (key ``msr:<report_id>:<serial>``, read through the batch's guns and its purchasers): another
  purchaser drops the earlier purchase record, another dealer the earlier ``SOLD`` unless another record still
  states it (``cypher/sale_drop_sold.cypher``); a corrected make or weapon type keys another gun (found through the
  purchaser), which loses the purchase and the sale. Another purchaser, gun, dealer or date can take a person out of
  a dealer-day or multiple-sale group: a full analysis. Another form (3310.4 / 3310.12) is read by no analysis:
  counted only. A record corrected in both its gun and its purchaser is reached by neither key and stays.
* a NIBIN lead (``lead_id``, read through the recoveries the batch's leads name): another pair of recoveries drops
  the earlier link (a full analysis: a tie goes); a lead downgraded from CONFIRMED counts as a correction too. A
  lead confirmed later adds a fact; another date is read by no analysis (counted only). A lead corrected in both of
  its traces is not reached by key and stays.
* a lost/stolen report (``report_id``; its rows may span batches, so it is compared once the file is read): a gun
  it no longer names loses the report and, named by no other report, its stolen flags (a full analysis: the
  incremental run reaches a report's buyers through the guns it names now). Another dealer reporter drops the
  earlier ``REPORTED``; another date, reporter or country is re-read by the incremental run from the report this
  load wrote: counted only. Guns only added are not a correction.

* a licensee on an FFL list (``REGN-DIST-SEQN``): premises in another city or ZIP drop the earlier ``AT`` of that
  precision (a list older than the one stored moves nobody); an inspection (``inspection_id``) naming another
  dealer drops the earlier ``INSPECTED``. Both loads make the next analysis a full one anyway. A report that lists
  its violations inline (the inspection reports' ``violations``: comma-separated 27 CFR cites) states the whole
  list: a violation an earlier version listed inline and this one does not goes. Violations from violations.csv
  (their own ids) are not touched by an inspection's re-load: that file cannot say which are gone.

Every correction is counted in ``LoadRun.details.corrected`` (printed by ``tracegraph load``) and those that can
change an analysis result in ``corrected_for_analysis``, which makes the next analysis a full one.

What the reads cost per batch: ``docs/performance.md`` ("Corrected records").
"""

from __future__ import annotations

import pandas as pd

from graph.store import GraphStore, written_rels

#: the LoadRun details a correction is counted in: every corrected record, and those that can change a result
COUNTED, FOR_ANALYSIS = "corrected", "corrected_for_analysis"


def count(details: dict[str, object], corrected: list[str], for_analysis: list[str]) -> None:
    """Add a batch's corrected record keys to the run's details (both counts written once any record is)."""
    if not corrected:
        return
    for name, keys in ((COUNTED, corrected), (FOR_ANALYSIS, for_analysis)):
        before = details.get(name, 0)
        details[name] = (before if isinstance(before, int) else 0) + len(keys)


#: each drop statement's twin bound by key at its other end. Inside a day's transaction LadybugDB 0.22 misses the
#: relationships it wrote at nodes added past a node group's first 2,048 new rows, when that table's new rows run
#: past the group's end, through every read but a MATCH bound by key at that end (docs/performance.md, fault24): which
#: end's table did is not known, so both statements run (the second finds nothing where the first saw all). A
#: relationship whose two ends are such nodes is missed by both (left: the same section).
TWINS = {"trace_drop_purchases": "trace_drop_purchases_at_person", "sale_drop_sold": "sale_drop_sold_at_gun",
         "trace_drop_possessors": "trace_drop_possessors_at_person",
         "trace_drop_recovered_in": "trace_drop_recovered_in_at_recovery",
         "nibin_drop_links": "nibin_drop_links_at_to", "theft_drop_guns": "theft_drop_guns_at_report",
         "theft_drop_reporters": "theft_drop_reporters_at_report"}


def _drop(store: GraphStore, name: str, rows: pd.DataFrame) -> None:
    if len(rows):
        params = {"rows": rows.drop_duplicates().to_dict("records")}
        store.query(name, params)
        if name in TWINS:
            store.query(TWINS[name], params)


#: facts of a record whose earlier, non-empty value a correction changed (beside its relationships)
FACTS = ("purchase_date", "dealer_key", "time_to_crime_days", "report_id")


def versions(store: GraphStore, trace_ids: pd.Series) -> pd.DataFrame:
    """The stored versions of the records ``trace_ids`` already in the store (none for new records): read before
    the new versions are written. Which of them are stored is asked first, by key: a day's records are new, and the
    versions statement costs ~0.1-0.3 CPU s on a national store even when none is (its optional matches' plans)."""
    ids = trace_ids.dropna().tolist()
    stored = [row["trace_id"] for row in store.query("recoveries_known", {"keys": ids}).rows()] if ids else []
    if not stored:
        return pd.DataFrame()
    found = store.query("trace_versions", {"ids": stored}).df()
    written = _traces_written(store, set(stored))
    return pd.concat([found, written], ignore_index=True) if len(written) else found


def _written(store: GraphStore, rel_type: str, from_label: str, to_label: str) -> pd.DataFrame | None:
    """The relationship rows of the type the store's open transaction wrote (``EmbeddedStore.written_rels``): the
    reads of a day's later file may miss them inside the transaction (LadybugDB 0.22, graph.embedded_tx_rels,
    docs/performance.md txreads23); None where none are kept (none written, a delete since, or Neo4j)."""
    rows = written_rels(store, rel_type, from_label, to_label)
    return rows.to_pandas() if rows is not None and rows.num_rows else None


def _traces_written(store: GraphStore, ids: set[str]) -> pd.DataFrame:
    """Rows in :func:`versions`' columns for the relationships of the records ``ids`` that the store's open
    transaction wrote (an earlier file of the day), one fact a row and the others empty: :func:`replace_earlier`
    compares each row alone, and an empty earlier value is never dropped."""
    parts = []
    if (guns := _written(store, "RECOVERED_IN", "Firearm", "Recovery")) is not None:
        parts.append(pd.DataFrame({"trace_id": guns["to_key"], "firearm_key": guns["from_key"]}))
    if (sales := _written(store, "PURCHASED", "Person", "Firearm")) is not None:
        sales = sales[sales["sale_id"].str.startswith("trace:", na=False)]
        parts.append(pd.DataFrame({"trace_id": sales["sale_id"].str.slice(len("trace:")),
                                   "firearm_key": sales["to_key"], "purchaser_key": sales["from_key"],
                                   "purchase_date": sales.get("purchase_date"),
                                   "dealer_key": sales.get("dealer_key")}))
    if (held := _written(store, "POSSESSED_BY", "Recovery", "Person")) is not None:
        parts.append(pd.DataFrame({"trace_id": held["from_key"], "possessor_key": held["to_key"]}))
    if (at := _written(store, "AT", "Recovery", "Location")) is not None:
        parts.append(pd.DataFrame({"trace_id": at["from_key"], "location_key": at["to_key"]}))
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"trace_id": []})
    return rows[rows["trace_id"].isin(ids)]


def _unstated(store: GraphStore, sales: pd.DataFrame, dropped: pd.DataFrame) -> pd.DataFrame:
    """The sales ``sales`` (dealer, firearm) for ``sale_drop_sold`` less those a record the open transaction wrote
    still states: a purchase record naming the dealer that ``dropped`` (person, firearm, sale_id) does not delete,
    or a recovery of the gun without its trace's purchase record. The statements' NOT EXISTS miss such records
    where the engine does (:data:`TWINS`); read before the drops (a delete ends what the store keeps)."""
    bought = _written(store, "PURCHASED", "Person", "Firearm")
    found = _written(store, "RECOVERED_IN", "Firearm", "Recovery")
    if sales.empty or (bought is None and found is None):
        return sales
    stated: set[tuple[object, object]] = set()
    traced: set[tuple[object, object]] = set()
    if bought is not None:
        gone = set(zip(dropped["person"], dropped["firearm"], dropped["sale_id"], strict=True))
        bought = bought[[(p, f, i) not in gone for p, f, i in zip(bought["from_key"], bought["to_key"],
                                                                   bought["sale_id"], strict=True)]]
        stated = set(zip(bought.get("dealer_key", pd.Series(None, index=bought.index)), bought["to_key"],
                         strict=True))
        traced = set(zip(bought["to_key"], bought["sale_id"], strict=True))
    kept_guns = set() if found is None else {f for f, r in zip(found["from_key"], found["to_key"], strict=True)
                                             if (f, f"trace:{r}") not in traced}
    keep = [(d, f) in stated or f in kept_guns for d, f in zip(sales["dealer"], sales["firearm"], strict=True)]
    return sales[[not k for k in keep]]


def _days(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d")


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    """Whether an earlier non-empty value is gone or different."""
    return old.notna() & (new.isna() | (old != new))


def replace_earlier(store: GraphStore, earlier: pd.DataFrame, now: pd.DataFrame, places: pd.DataFrame) -> list[str]:
    """Delete the relationships of the ``earlier`` versions (:func:`versions`) that the records ``now`` written no
    longer state; return the trace ids whose earlier version stated other facts (corrections).

    ``now``: the records loaded (trace_id, firearm_key, purchaser_key, possessor_key and :data:`FACTS`);
    ``places``: their recovery places (from_key = trace_id, to_key = location key)."""
    if earlier.empty:
        return []
    both = earlier.merge(now, on="trace_id", how="left", suffixes=("", "_now"))
    for column in ("purchase_date", "purchase_date_now"):
        both[column] = _days(both[column])
    for column in ("time_to_crime_days", "time_to_crime_days_now"):
        both[column] = pd.to_numeric(both[column], errors="coerce")
    new_gun = _differs(both["firearm_key"], both["firearm_key_now"])
    old_buyer = both["purchaser_key"].notna() & (new_gun | _differs(both["purchaser_key"], both["purchaser_key_now"]))
    old_holder = _differs(both["possessor_key"], both["possessor_key_now"])
    stated = set(zip(places["from_key"], places["to_key"], strict=True))
    old_place = both["location_key"].notna() & ~pd.Series(
        [(t, loc) in stated for t, loc in zip(both["trace_id"], both["location_key"], strict=True)], index=both.index)
    old_seller = both["dealer_key"].notna() & (new_gun | _differs(both["dealer_key"], both["dealer_key_now"]))
    drops = {
        "trace_drop_purchases": pd.DataFrame({"person": both["purchaser_key"], "firearm": both["firearm_key"],
                                              "sale_id": "trace:" + both["trace_id"]})[old_buyer],
        "trace_drop_recovered_in": pd.DataFrame({"firearm": both["firearm_key"],
                                                 "trace_id": both["trace_id"]})[new_gun],
        "trace_drop_possessors": pd.DataFrame({"trace_id": both["trace_id"],
                                               "person": both["possessor_key"]})[old_holder],
        "trace_drop_places": pd.DataFrame({"trace_id": both["trace_id"],
                                           "location": both["location_key"]})[old_place],
        # after the purchase records: the sale goes only where no record names its dealer any more
        "sale_drop_sold": pd.DataFrame({"dealer": both["dealer_key"], "firearm": both["firearm_key"]})[old_seller],
    }
    corrected = new_gun | old_buyer | old_holder | old_place
    for fact in FACTS:
        corrected |= _differs(both[fact], both[f"{fact}_now"])
    drops["sale_drop_sold"] = _unstated(store, drops["sale_drop_sold"], drops["trace_drop_purchases"])
    for name, rows in drops.items():
        _drop(store, name, rows)
    return sorted(set(both.loc[corrected, "trace_id"]))


def _keys(store: GraphStore, name: str, **params: list[str]) -> pd.DataFrame:
    """A versions statement's rows (nothing to read for no keys)."""
    if not all(params.values()):
        return pd.DataFrame()
    return store.query(name, {k: sorted(set(v)) for k, v in params.items()}).df()


def sale_versions(store: GraphStore, firearm_keys: pd.Series, person_keys: pd.Series, sale_ids: pd.Series
                  ) -> pd.DataFrame:
    """The stored purchase records ``sale_ids`` of the guns ``firearm_keys`` or of the purchasers ``person_keys`` (a
    multiple-sale batch, read before its purchases are written): sale_id, firearm_key, purchaser_key, purchase_date,
    dealer_key, form. Through the purchaser, a record whose make or weapon type was corrected (another gun key) is
    found; one corrected in both its gun and its purchaser is not."""
    firearms, ids = firearm_keys.dropna().tolist(), sale_ids.dropna().tolist()
    if not firearms or not ids:
        return pd.DataFrame()
    persons = sorted(set(person_keys.dropna()))
    found = store.query("sale_versions", {"firearms": sorted(set(firearms)), "sale_ids": sorted(set(ids)),
                                          "persons": persons}).df()
    found = pd.concat([found, _sales_written(store, set(firearms), set(ids), set(persons))], ignore_index=True)
    return found[found["sale_id"].isin(set(ids))].drop_duplicates(SALE_COLUMNS) if len(found) else found


#: what :func:`sale_versions` returns
SALE_COLUMNS = ["sale_id", "firearm_key", "purchaser_key", "purchase_date", "dealer_key", "form"]


def _sales_written(store: GraphStore, firearms: set[str], ids: set[str], persons: set[str]) -> pd.DataFrame:
    """The purchase records ``sale_versions`` asks for that the store's open transaction wrote (an earlier file of
    a day, loaded in one transaction): LadybugDB 0.22's OPTIONAL MATCH misses some of them inside it
    (graph.embedded_tx_rels, docs/performance.md txreads23); the store keeps them (none kept: nothing added)."""
    rows = _written(store, "PURCHASED", "Person", "Firearm")
    if rows is None:
        return pd.DataFrame(columns=SALE_COLUMNS)
    frame = rows.rename(columns={"from_key": "purchaser_key", "to_key": "firearm_key"})
    for column in SALE_COLUMNS:
        if column not in frame:
            frame[column] = None
    multiple = frame["multiple_sale"].fillna(False).astype(bool) if "multiple_sale" in frame else False
    wanted = ((frame["firearm_key"].isin(firearms) & frame["sale_id"].isin(ids))
              | (frame["purchaser_key"].isin(persons) & multiple))
    return frame.loc[wanted, SALE_COLUMNS]


def replace_earlier_sales(store: GraphStore, earlier: pd.DataFrame, now: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Delete what the ``earlier`` multiple-sale records no longer state once ``now`` (the same columns as
    :func:`sale_versions`) is written; return (corrected sale ids, those that can change an analysis result)."""
    if earlier.empty:
        return [], []
    both = earlier.drop_duplicates().merge(now, on="sale_id", how="inner", suffixes=("", "_now"))
    for column in ("purchase_date", "purchase_date_now"):
        both[column] = _days(both[column])
    new_gun = _differs(both["firearm_key"], both["firearm_key_now"])
    old_buyer = _differs(both["purchaser_key"], both["purchaser_key_now"]) | new_gun
    old_dealer = _differs(both["dealer_key"], both["dealer_key_now"]) | (new_gun & both["dealer_key"].notna())
    buyers = pd.DataFrame({"person": both["purchaser_key"], "firearm": both["firearm_key"],
                           "sale_id": both["sale_id"]})[old_buyer]
    sellers = _unstated(store, pd.DataFrame({"dealer": both["dealer_key"], "firearm": both["firearm_key"]})[old_dealer],
                        buyers)
    _drop(store, "trace_drop_purchases", buyers)
    _drop(store, "sale_drop_sold", sellers)
    for_analysis = old_buyer | old_dealer | _differs(both["purchase_date"], both["purchase_date_now"])
    corrected = for_analysis | _differs(both["form"], both["form_now"])
    return sorted(set(both.loc[corrected, "sale_id"])), sorted(set(both.loc[for_analysis, "sale_id"]))


def lead_versions(store: GraphStore, leads: pd.DataFrame) -> pd.DataFrame:
    """The stored versions of the NIBIN leads of a batch (lead_id, from_key, to_key), read through the recoveries
    they name: lead_id, from_key, to_key, status, lead_date."""
    ends = pd.concat([leads["from_key"], leads["to_key"]], ignore_index=True).dropna().tolist()
    ids = leads["lead_id"].dropna().tolist()
    found = _keys(store, "nibin_versions", lead_traces=ends, lead_ids=ids)
    written = _written(store, "NIBIN_LINK", "Recovery", "Recovery")  # an earlier file of the day (as _sales_written)
    if written is None or not ids:
        return found
    written = written[written["lead_id"].isin(set(ids))]
    columns = ["lead_id", "from_key", "to_key", "status", "lead_date"]
    written = written.reindex(columns=columns)
    both = pd.concat([found.reindex(columns=columns), written], ignore_index=True) if len(found) else written
    return both.drop_duplicates(["lead_id", "from_key", "to_key"]) if len(both) else found


def replace_earlier_leads(store: GraphStore, earlier: pd.DataFrame, now: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Delete the links of the ``earlier`` leads (:func:`lead_versions`) that the leads ``now`` no longer state;
    return (corrected lead ids, those that can change an analysis result)."""
    if earlier.empty:
        return [], []
    both = earlier.merge(now, on="lead_id", how="inner", suffixes=("", "_now"))
    moved = (both["from_key"] != both["from_key_now"]) | (both["to_key"] != both["to_key_now"])
    _drop(store, "nibin_drop_links", both.loc[moved, ["lead_id", "from_key", "to_key"]])
    downgraded = (both["status"] == "CONFIRMED") & (both["status_now"] != "CONFIRMED")
    for column in ("lead_date", "lead_date_now"):
        both[column] = _days(both[column])
    for_analysis = moved | downgraded
    corrected = for_analysis | _differs(both["lead_date"], both["lead_date_now"])
    return sorted(set(both.loc[corrected, "lead_id"])), sorted(set(both.loc[for_analysis, "lead_id"]))


def theft_versions(store: GraphStore, report_ids: list[str]) -> pd.DataFrame:
    """The stored versions of the lost/stolen reports ``report_ids``: one row per gun (report_id, firearm_key,
    dealer_key of a dealer reporter, reported_date, reporter, country)."""
    found = _keys(store, "theft_versions", report_ids=report_ids)
    return _thefts_written(store, found) if len(found) else found


def _thefts_written(store: GraphStore, found: pd.DataFrame) -> pd.DataFrame:
    """:func:`theft_versions`' rows (a row per stored report, its gun null where the read missed every one) with the
    guns and dealer reporters the open transaction wrote for those reports added (an earlier file of the day: the
    OPTIONAL MATCHes from the report miss them where the engine does, :data:`TWINS`)."""
    guns = _written(store, "REPORTED_STOLEN", "Firearm", "TheftReport")
    dealers = _written(store, "REPORTED", "Dealer", "TheftReport")
    if guns is None and dealers is None:
        return found
    found = found.copy()
    if dealers is not None:
        reporter = dealers.drop_duplicates("to_key", keep="last").set_index("to_key")["from_key"]
        found["dealer_key"] = found["dealer_key"].fillna(found["report_id"].map(reporter))
    if guns is None:
        return found
    heads = found.drop_duplicates("report_id").drop(columns=["firearm_key"])
    named = guns[guns["to_key"].isin(set(heads["report_id"]))]
    added = pd.DataFrame({"report_id": named["to_key"], "firearm_key": named["from_key"]}).merge(heads, on="report_id")
    return pd.concat([found, added], ignore_index=True).drop_duplicates(["report_id", "firearm_key"])


def replace_earlier_thefts(store: GraphStore, earlier: pd.DataFrame, guns: pd.DataFrame, heads: pd.DataFrame
                           ) -> tuple[list[str], list[str]]:
    """Once a file's reports are written: delete the guns and dealer reporters of the ``earlier`` versions
    (:func:`theft_versions`) that the reports no longer state, and the stolen flags of guns no report names now.
    ``guns``: (report_id, firearm_key) every gun the file named; ``heads``: one row per report (report_id,
    dealer_key, reported_date, reporter, country). Returns (corrected report ids, those that can change a result)."""
    if earlier.empty:
        return [], []
    stated = set(zip(guns["report_id"], guns["firearm_key"], strict=True))
    named = earlier.dropna(subset=["firearm_key"]).drop_duplicates(["report_id", "firearm_key"])
    gone = named[[(r, f) not in stated for r, f in zip(named["report_id"], named["firearm_key"], strict=True)]]
    _drop(store, "theft_drop_guns", pd.DataFrame({"firearm": gone["firearm_key"], "report_id": gone["report_id"]}))
    if len(gone):
        store.query("theft_unflag", {"keys": sorted(set(gone["firearm_key"]))})
    first = earlier.drop_duplicates("report_id").merge(heads, on="report_id", how="inner", suffixes=("", "_now"))
    old_reporter = _differs(first["dealer_key"], first["dealer_key_now"])
    _drop(store, "theft_drop_reporters", pd.DataFrame({"dealer": first["dealer_key"],
                                                       "report_id": first["report_id"]})[old_reporter])
    for column in ("reported_date", "reported_date_now"):
        first[column] = _days(first[column])
    changed = old_reporter.copy()
    for fact in ("reported_date", "reporter", "country"):
        changed |= _differs(first[fact], first[f"{fact}_now"])
    for_analysis = set(gone["report_id"])
    return sorted(set(first.loc[changed, "report_id"]) | for_analysis), sorted(for_analysis)


def dealer_places(store: GraphStore, dealer_keys: pd.Series) -> pd.DataFrame:
    """The premises places stored for the dealers of an FFL list batch: dealer_key, location_key, precision."""
    return _keys(store, "dealer_places", dealer_keys=dealer_keys.dropna().tolist())


def replace_moved_premises(store: GraphStore, earlier: pd.DataFrame, at: pd.DataFrame) -> list[str]:
    """Delete the ``earlier`` premises places (:func:`dealer_places`) where the list now states another place of the
    same precision (``at``: from_key dealer, to_key location, precision); return the dealers whose premises moved."""
    if earlier.empty:
        return []
    now = at.rename(columns={"from_key": "dealer_key", "to_key": "location_now"})
    both = earlier.merge(now, on=["dealer_key", "precision"], how="inner")
    stated = set(zip(now["dealer_key"], now["location_now"], strict=True))
    moved = both[[(d, loc) not in stated for d, loc in zip(both["dealer_key"], both["location_key"], strict=True)]]
    _drop(store, "dealer_drop_places", pd.DataFrame({"dealer": moved["dealer_key"],
                                                     "location": moved["location_key"]}))
    return sorted(set(moved["dealer_key"]))


def inspection_versions(store: GraphStore, inspection_ids: pd.Series) -> pd.DataFrame:
    """The dealers stored for the inspections of a batch already loaded: inspection_id, dealer_key."""
    return _keys(store, "inspection_dealers", inspection_ids=inspection_ids.dropna().tolist())


def replace_earlier_inspections(store: GraphStore, earlier: pd.DataFrame, now: pd.DataFrame) -> list[str]:
    """Delete the ``earlier`` dealers (:func:`inspection_versions`) of inspections ``now`` (inspection_id,
    dealer_key) names another dealer for; return those inspection ids."""
    if earlier.empty:
        return []
    both = earlier.merge(now, on="inspection_id", how="inner", suffixes=("", "_now"))
    other = both[_differs(both["dealer_key"], both["dealer_key_now"])]
    _drop(store, "inspection_drop_dealers", pd.DataFrame({"dealer": other["dealer_key"],
                                                          "inspection_id": other["inspection_id"]}))
    return sorted(set(other["inspection_id"]))


def cited_versions(store: GraphStore, inspection_ids: pd.Series) -> pd.DataFrame:
    """The violations stored for the inspections of a batch already loaded: inspection_id, violation_id."""
    return _keys(store, "inspection_cited", inspection_ids=inspection_ids.dropna().tolist())


def replace_earlier_violations(store: GraphStore, earlier: pd.DataFrame, listed: pd.DataFrame) -> list[str]:
    """Delete the violations the ``earlier`` versions (:func:`cited_versions`) listed inline (ids
    ``<inspection_id>:<section>``) that the reports loaded now, each listing its violations inline, no longer list
    (``listed``: inspection_id, violation_id; an inspection listing none has a row with violation_id None); return
    the inspection ids that lost one."""
    if earlier.empty:
        return []
    inline = earlier[[v.startswith(f"{i}:") for i, v in zip(earlier["inspection_id"], earlier["violation_id"],
                                                              strict=True)]]
    inline = inline[inline["inspection_id"].isin(set(listed["inspection_id"]))]
    stated = set(zip(listed["inspection_id"], listed["violation_id"], strict=True))
    gone = inline[[(i, v) not in stated for i, v in zip(inline["inspection_id"], inline["violation_id"],
                                                        strict=True)]]
    _drop(store, "inspection_drop_violations", gone[["inspection_id", "violation_id"]])
    return sorted(set(gone["inspection_id"]))
