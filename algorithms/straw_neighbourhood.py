"""The straw neighbourhood of an incremental analysis, read from the store around the seeds (issue 21).

An incremental run rescores the persons a batch can move (:mod:`algorithms.incremental`): the *seeds* (persons on
the new rows), the persons sharing a tying group with them (``changed``), everyone sharing a tying group with
those (``rescored``), and it computes their features on the rows of every member of their groups (the
*closure*). The groups are those of :func:`algorithms.straw_features._pairs`: a dealer-day, a normalised address,
a common possessor, a purchaser and their possessor, a NIBIN lead, a supply line (dealer -> city), a corridor
(state -> city), recovered together (city) and a multiple-sale counter (dealer).

Nothing here reads a whole table but the stored big groups' (``StrawGroup``, only when it holds fewer rows than
the groups a step asks about). Each step is a Cypher read keyed by the persons, firearms, recoveries, dealers,
cities or address keys it starts from (``cypher/straw_*.cypher``, ``UNWIND $keys`` then a primary-key match or
a hash join):

* :meth:`Neighbourhood.know` reads a person's own rows (the rows :func:`restrict` keeps for them; a glanced
  candidate's without its guns' Firearm nodes and theft reports, which feed no group and no tie) and the
  purchasers of the recoveries that tie them to others (the guns recovered from them; both ends of their NIBIN
  leads), and computes their group memberships exactly, with the code the full run's groups follow;
* :meth:`Neighbourhood.mates` first drops the groups the store holds as too big to tie (``StrawGroup``,
  :mod:`algorithms.straw_groups`, a keyed read of the group ids): such a group tied nobody before the batch and ties
  nobody after it (groups only grow between full analyses), so neither the tying step nor the closure reads it, and
  :func:`algorithms.straw_features.compute` is told to leave it out (:meth:`Neighbourhood.too_big`). For the others
  it looks up each group's *candidates*, a superset of its members read by the group's own key (purchase records at
  the dealer on the day; purchasers whose guns were recovered from the possessor; quick recoveries in the city;
  multiple-sale records at the dealer; ``Person.address_key``; on a store the loaders keyed, :mod:`loaders.straw_keys`,
  the dealer-day's, the counter's and the city groups' through their ``StrawKey`` instead of every sale of the dealer
  and every recovery in the city), then learns the candidates' memberships until each
  group is settled: a group with at most its size limit of members (counting only members outside ``exclude``) is
  read whole (but for a purchaser-possessor group, whose two members the purchaser's rows show: the other party's
  own rows are not read for it); a larger one only until more members than its limit are known. A group larger than
  its limit ties nobody (``_pairs`` leaves it out whole), so its first ``limit + 1`` members make the straw features
  of the persons in it exactly what the whole group makes them: the closure carries those instead of everyone
  recovered in a big city or sold to by a big dealer. A group found big that way and not stored is remembered
  (:attr:`Neighbourhood.grown`) and written back with the run.

A glanced candidate's memberships come from the membership index beside the side table when there is one
(:mod:`algorithms.straw_member_index`: the rows the glance would compute, stored), and its own rows are read only
when :meth:`Neighbourhood.restricted` is asked for persons it is one of (the closure): 850 of national batch 1's
39,611 glanced candidates are not. With the index's group index (:meth:`Neighbourhood.by_group`), no candidate
is looked up for the groups it holds (all kinds but a lead's and a purchaser-possessor's): each group's members
are read from it by the group's id, exactly, so a group is settled at once (read whole within its limit, its
first ``limit + 1`` members by key above it), and the closure reads the rows of every one of its persons.

The result is exact: the features of every rescored person computed on :func:`restrict` of these rows equal
those computed on the whole tables (``tests/analytics/test_incremental.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from algorithms import straw_features
from algorithms.frames import (
    distinct,
    drop_duplicates,
    first_row_positions,
    key_array,
    key_series,
    pairs_frame,
    positions,
    unseen,
)
from algorithms.straw_member_index import MemberIndex
from algorithms.straw_memberships import (
    COLUMNS,
    MEMBERSHIP,
    lean,
    membership_events,
    memberships,
    own_memberships,
    restrict,
    state_arrays,
    tidy,
)
from algorithms.tables import AnalysisTables, isin
from graph import side_table
from graph.store import GraphStore
from loaders.domain import straw_keys

#: group kinds (the first two characters of a group id) and the largest group that still ties its members
GROUP_LIMITS = {"jp": 8, "ad": 6, "cp": 10, "sl": straw_features.MAX_WINDOW_GROUP, "rt": 6, "nb": 2, "pp": 2,
                "co": straw_features.MAX_WINDOW_GROUP, "sc": straw_features.MAX_WINDOW_GROUP}
#: the kinds whose big groups are stored (``StrawGroup``, :mod:`algorithms.straw_groups`): a lead's and a
#: purchaser-possessor group hold two persons at most
STORED_KINDS = ("jp", "ad", "cp", "sl", "rt", "co", "sc")
#: the kinds whose members the membership index gives by group (:meth:`Neighbourhood._lookup`): a lead's owner is
#: not in it, and a purchaser-possessor group's two members are its id's
INDEXED_KINDS = STORED_KINDS

@dataclass
class Neighbourhood:
    """The rows and group memberships of the persons an incremental run has looked at so far."""

    store: GraphStore
    dealers: pd.DataFrame
    frames: dict[str, list[pd.DataFrame]] = field(default_factory=lambda: {name: [] for name in COLUMNS})
    read: set[str] = field(default_factory=set)       # persons whose own rows are in ``frames``
    known: set[str] = field(default_factory=set)      # persons whose memberships are in ``members`` (exact)
    members: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MEMBERSHIP))
    # (group, person_key, row): a group's candidate, and for one read by group the row of its membership in
    # ``_exact`` (-1 for the others)
    candidates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["group", "person_key", "row"]))
    looked_up: set[str] = field(default_factory=set)  # groups whose candidates (a superset of members) are known
    queries: int = 0
    _guns: list[pa.Array] = field(default_factory=list)  # guns whose SOLD and RECOVERED_IN rows are read
    _facts: set[str] = field(default_factory=set)     # guns whose Firearm node and theft reports are read
    _recs: list[pa.Array] = field(default_factory=list)  # recoveries whose rows and possessors are read
    _leads: set[str] = field(default_factory=set)     # recoveries whose NIBIN leads are read
    glanced: set[str] = field(default_factory=set)    # persons whose own-row memberships are in ``members``
    _buyers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["trace_id", "person_key"]))
    _buyers_of: set[str] = field(default_factory=set)  # recoveries whose buyers are in ``_buyers``
    _tables: AnalysisTables | None = None  # the rows read so far, as read (``_raw``)
    _dirty: set[str] = field(default_factory=set)  # the tables read into since ``_raw`` last concatenated them
    counts: dict[str, int] = field(default_factory=dict)  # candidate rows and glanced persons per group kind
    stored_groups: bool = False  # the store holds every big group (StrawGroup): read those instead of members
    keyed: bool = False  # every gun is under its straw lookup keys (loaders/straw_keys.py): candidates read by key
    big: set[str] = field(default_factory=set)        # groups stored as too big to tie
    grown: dict[str, int] = field(default_factory=dict)  # groups found too big here and not stored: persons known
    _checked: set[str] = field(default_factory=set)   # groups whose stored state is known
    _stored_count: int | None = None  # how many groups are stored as too big (StrawGroup), once asked
    _stored: set[str] | None = None  # every group stored as too big, once read whole
    side: side_table.SideTables | None = None  # the keyed reads' rows as memory-mapped files (graph/side_table.py)
    index: MemberIndex | None = None  # the glances' memberships, stored (algorithms/straw_member_index.py)
    _pending: set[str] = field(default_factory=set)  # persons glanced through the index whose rows are not read yet
    # the memberships of the groups read by group from the index (:meth:`_lookup`): every member of each, exactly
    _exact: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MEMBERSHIP))
    _states: pd.Series | None = None  # the dealers' premise states by key
    _state_arrays: tuple[pa.Array, pa.Array] | None = None  # the same as Arrow keys and values
    dealer_table: pa.Table | None = None  # ``dealers`` as read from the store (Arrow: their states taken from it)

    # --- reading -----------------------------------------------------------------------------------------------

    def _query(self, name: str, keys: Iterable[str] | pa.Array, **params: object) -> pd.DataFrame:
        """The rows of statement ``name`` for ``keys`` (a collection, or an Arrow array of distinct strings)."""
        if self.side is not None and name in side_table.ANSWERS:  # the same rows from the side table's files
            # (in no order: a file's rows come back in its own order whatever the keys' order)
            wanted = keys if isinstance(keys, pa.Array) else key_array(keys)
            if not len(wanted):
                return pd.DataFrame()
            self.queries += 1
            return self.side.read(name, wanted, params).df()
        keys = sorted({k for k in (keys.to_pylist() if isinstance(keys, pa.Array) else keys) if isinstance(k, str)})
        if not keys:
            return pd.DataFrame()
        self.queries += 1
        return self.store.query(name, {"keys": keys, **params}).df()

    def _add(self, name: str, frame: pd.DataFrame) -> None:
        if len(frame):
            self.frames[name].append(frame.reindex(columns=COLUMNS[name]))
            self._dirty.add(name)
            self._tables = None

    def _read(self, persons: set[str]) -> None:
        """Read the own rows of ``persons`` (what :func:`restrict` keeps for them)."""
        new = persons - self.read
        if not new:
            return
        self.read |= new
        people = self._query("straw_persons", new)
        if len(people):
            people = people[~people.pop("purged").fillna(False).astype(bool).to_numpy()]
        self._add("persons", people)
        bought = self._query("straw_purchases", new)
        self._add("purchases", bought)
        held = self._query("straw_possessed_of_persons", new)
        self._add("possessed", held)
        guns = unseen([bought.get("dst")], self._guns)
        # separate reads, not one with OPTIONAL MATCHes (straw_gun_rows, c51ffeb: 1 CPU s less a national batch,
        # but a 1 GB page cache then no longer held the batch's write back: docs/performance.md). A gun's Firearm
        # node and theft reports feed its purchaser's own values only, not a group or a tie: they are read for the
        # known persons' guns (:meth:`_read_facts`), not for every glanced candidate's
        recovered = self._query("straw_recovered", guns)
        self._add("recovered", recovered)
        self._add("sold", self._query("straw_sold", guns))
        recs = unseen([recovered.get("dst"), held.get("src")], self._recs)
        self._add("recoveries", self._query("straw_recoveries", recs))
        self._add("possessed", self._query("straw_possessed_of_recoveries", recs))

    def _read_facts(self, guns: set[str]) -> None:
        """Read the Firearm nodes and theft reports of ``guns`` (the guns of the persons whose values are computed:
        the make, model and type and the reports feed a purchaser's own indicators, no group and no tie)."""
        new = guns - self._facts
        if new:
            self._facts |= new
            self._add("firearms", self._query("straw_firearms", new))
            self._add("stolen", self._query("straw_stolen", new))

    def _read_leads(self, recs: set[str]) -> None:
        """Read the NIBIN leads of ``recs`` (only the persons whose memberships must be complete need them)."""
        new = recs - self._leads
        if new:
            self._leads |= new
            self._add("nibin", self._query("straw_nibin_from", new))
            self._add("nibin", self._query("straw_nibin_to", new))

    def _raw(self) -> AnalysisTables:
        """Every row read so far, as analysis tables in the order read, a row read twice twice: enough to look rows
        up by key; :meth:`restricted` and :meth:`tables` tidy what they return. Only the tables read into since the
        last call are concatenated again."""
        if self._tables is None:
            for name in self._dirty:
                frames = self.frames[name]
                self.frames[name] = [pd.concat(frames, ignore_index=True)] if len(frames) > 1 else frames
            self._dirty.clear()
            parts = {name: frames[0] if frames else pd.DataFrame(columns=columns)
                     for name, columns in COLUMNS.items() for frames in [self.frames[name]]}
            empty = pd.DataFrame(columns=["src", "dst"])
            self._tables = AnalysisTables(
                persons=parts["persons"], purchases=parts["purchases"], firearms=parts["firearms"],
                sold=parts["sold"], recovered=parts["recovered"], recoveries=parts["recoveries"],
                possessed=parts["possessed"], dealers=self.dealers, lives_at=empty, nibin=parts["nibin"],
                locations=pd.DataFrame(columns=["key", "kind", "name", "state", "country", "lat", "lon"]),
                state_flows=pd.DataFrame(columns=["src", "dst", "year", "level", "basis", "firearms"]),
                stolen=parts["stolen"])
        return self._tables

    def tables(self) -> AnalysisTables:
        """Every row read so far (and of every person glanced), as analysis tables (each row once, sorted, so that
        what a table's first row decides does not depend on the order of the reads)."""
        self._read(self._pending)
        return tidy(self._raw())

    def restricted(self, persons: set[str]) -> AnalysisTables:
        """:func:`restrict` of :meth:`tables` to ``persons``, cut before it is sorted (the same rows, sorted the
        same: a table's rows are unique by the columns it is sorted by). Of the persons glanced, only those of
        ``persons`` have their rows read: a row the others' reads alone would bring is one ``restrict`` keeps for
        none of ``persons``' purchases or recoveries (a possession of one of the others' recoveries by a person
        of ``persons``, which moves no tie and no value of a person whose rows were read)."""
        # read by group, a member is known from the index without a glance, and a purchaser-possessor group's
        # possessor from the purchaser's rows: every person of ``persons`` not read yet is read
        self._read((persons - self.read) if self.by_group() else (self._pending & persons))
        return restrict(self._raw(), persons, tidied=True)

    def _buyers_of_recoveries(self, recs: set[str]) -> pd.DataFrame:
        """(trace_id, person_key): who bought the guns of ``recs`` (read once per recovery)."""
        missing = recs - self._buyers_of
        if missing:
            self._buyers_of |= missing
            found = self._query("straw_buyers_of_recoveries", missing)
            if len(found):
                self._buyers = pd.concat([self._buyers, found[["trace_id", "person_key"]]], ignore_index=True)
        return self._buyers[isin(self._buyers["trace_id"], key_series(recs))]

    def know(self, persons: set[str]) -> None:
        """Learn the group memberships of ``persons``: their rows, and those of whoever bought a gun recovered
        from them or at either end of one of their NIBIN leads (who owns a lead, who shares a possessor)."""
        new = set(persons) - self.known
        if not new:
            return
        if self.by_group():  # (their own groups from the index, as a glance takes them: a person read by group
            self.glance(new)  # is not glanced)
        self._read(new)
        t = self._raw()
        guns = t.purchases.loc[isin(t.purchases["src"], key_series(new)), "dst"]
        self._read_facts(distinct(guns))
        recs = t.recovered.loc[isin(t.recovered["src"], guns), "dst"]
        held = distinct(t.possessed.loc[isin(t.possessed["dst"], key_series(new)), "src"])
        self._read_leads(distinct(recs) | held)
        t = self._raw()
        leads = t.nibin[isin(t.nibin["src"], recs) | isin(t.nibin["dst"], recs)]
        ends = held | distinct(leads["src"]) | distinct(leads["dst"])
        context = distinct(self._buyers_of_recoveries(ends)["person_key"])
        self._read(context)
        # every membership the rows show is a true one (a group's rows are complete per purchase): the context's
        # and the possessors' are kept too (a possessor's purchaser-possessor group comes from the purchaser's rows).
        # A person glanced before has every membership their own rows give already; what a glance leaves out, a
        # lead's and a purchaser-possessor group as the possessor, comes from the rows of the buyers of the
        # recoveries at its ends and of the recoveries it holds, all in ``context`` (so is the glanced person, if
        # they bought a gun recovered at a lead's end): computed for ``context`` and the persons never glanced
        # (national batch 1's closure: 2,158 persons instead of 10,352, 0.06 CPU s instead of 0.16)
        self._remember(self._memberships_of((new - self.glanced) | context, leads=True))
        self.known |= new
        self.glanced |= new

    def glance(self, persons: set[str]) -> None:
        """Learn the memberships ``persons`` have by their own purchases and recoveries (every group kind but a
        lead's owners and the purchasers tied to them as a possessor): enough to count them in the groups they
        were found as candidates of, at the cost of their own rows only."""
        new = set(persons) - self.glanced
        if not new:
            return
        # a lead's owner is the first of its gun's purchasers: only a known person's context has them all
        if self.index is not None:  # the same rows, stored; the persons' own rows read when asked for
            self._remember(self.index.of(key_array(new), self._states_as_arrays()))
            self._pending |= new - self.read
        else:
            self._read(new)
            self._remember(self._memberships_of(new, leads=False))
        self.glanced |= new

    def _memberships_of(self, persons: set[str], *, leads: bool) -> pd.DataFrame:
        """:func:`memberships` of :meth:`restricted` ``persons`` (a lead's only with ``leads``): over Arrow codes
        (:func:`own_memberships`) on the tables it reads, cut and tidied as :meth:`restricted` cuts and tidies
        them; pandas' merges where a column is not a plain Arrow type."""
        raw = self._raw()
        found = own_memberships(restrict(lean(raw), persons, tidied=True), self._states_as_arrays(), leads=leads)
        if found is None:
            sub = restrict(raw, persons, tidied=True)
            found = memberships(sub, *membership_events(sub, self._dealer_states()))
            if not leads:
                found = found[(found["group"].str[:2] != "nb").to_numpy()]
        return found

    def _remember(self, mine: pd.DataFrame) -> None:
        """Add the memberships ``mine`` (each (person, group) once) not known yet: ``concat([members, mine])
        .drop_duplicates(["person_key", "group"])``, the known ones looked for among their persons' rows only."""
        if not len(mine):
            return
        if not len(self.members):
            self.members = drop_duplicates(mine, ["person_key", "group"])
            return
        theirs = self.members[isin(self.members["person_key"], mine["person_key"])]
        if len(theirs):
            both = pd.concat([theirs[["person_key", "group"]], mine[["person_key", "group"]]], ignore_index=True)
            rows = first_row_positions(both, ["person_key", "group"])
            if rows is None:
                rows = np.flatnonzero(~both.duplicated().to_numpy())
            mine = mine.iloc[rows[rows >= len(theirs)] - len(theirs)]
        self.members = pd.concat([self.members, mine], ignore_index=True)

    # --- groups ------------------------------------------------------------------------------------------------

    def by_group(self) -> bool:
        """Whether a group's members are read from the membership index by the group (exactly) instead of found
        among candidates."""
        return self.index is not None and self.index.groups is not None

    def _lookup(self, groups: set[str]) -> None:
        """Find the candidates (a superset of the members) of each of ``groups``: with an index by group
        (:meth:`by_group`), the members themselves of every group of the kinds it holds (all but a lead's and a
        purchaser-possessor's), their memberships kept aside until :meth:`_learn` takes them."""
        todo = groups - self.looked_up
        if not todo:
            return
        self.looked_up |= todo
        if self.by_group():
            exact = {g for g in todo if g[:2] in INDEXED_KINDS}
            if exact:
                assert self.index is not None
                rows = self.index.members(key_array(exact), self._states_as_arrays())
                fresh = rows[["group", "person_key"]].assign(row=np.arange(len(self._exact),
                                                                           len(self._exact) + len(rows)))
                self._exact = pd.concat([self._exact, rows], ignore_index=True) if len(self._exact) else rows
                for kind, count in fresh["group"].str[:2].value_counts().items():
                    self.counts["members_" + kind] = self.counts.get("members_" + kind, 0) + int(count)
                self.candidates = pd.concat([self.candidates, fresh], ignore_index=True) if len(self.candidates) \
                    else fresh
                todo = todo - exact
            if not todo:
                return
        rows = drop_duplicates(self.members[isin(self.members["group"], key_series(todo))], ["group", "a1", "a2"])
        kind = rows["group"].str[:2]
        found: list[pd.DataFrame] = []
        jp = rows[(kind == "jp").to_numpy()].drop_duplicates("group")
        if self.keyed:  # a dealer-day's and a counter's group id is its lookup key (loaders/straw_keys.py)
            got = self._query("straw_keyed_buyers", distinct(rows.loc[kind.isin(["jp", "sc"]).to_numpy(), "group"]))
            if len(got):
                found.append(pairs_frame(got["straw_key"], got["person_key"]))
        elif len(jp):
            per_dealer = jp.assign(day=pd.to_datetime(jp["a2"]).dt.date).groupby("a1")["day"].agg(list)
            dealers = [{"dealer": d, "days": sorted(days)} for d, days in per_dealer.items()]
            self.queries += 1
            got = self.store.query("straw_day_buyers", {"dealers": dealers}).df()
            if len(got):
                found.append(pairs_frame("jp|" + got["dealer"].astype(str) + "|"
                                          + pd.to_datetime(got["day"]).dt.strftime("%Y-%m-%d"), got["person_key"]))
        got = self._query("straw_buyers_of_possessors", distinct(rows.loc[(kind == "cp").to_numpy(), "a1"]))
        if len(got):
            found.append(pairs_frame("cp|" + got["possessor"], got["person_key"]))
        pp = rows[(kind == "pp").to_numpy()]
        found += [pairs_frame(pp["group"], pp["a1"]), pairs_frame(pp["group"], pp["a2"])]
        nb = rows[(kind == "nb").to_numpy()]
        if len(nb):
            buyers = self._buyers_of_recoveries(distinct(nb["a1"]) | distinct(nb["a2"]))
            for end in ("a1", "a2"):
                ends = nb[["group", end]].merge(buyers, left_on=end, right_on="trace_id")
                found.append(pairs_frame(ends["group"], ends["person_key"]))
        got = pd.DataFrame() if self.keyed else self._query("straw_counter_buyers",
                                                             distinct(rows.loc[(kind == "sc").to_numpy(), "a1"]))
        if len(got):
            found.append(pairs_frame("sc|" + got["dealer"].astype(str), got["person_key"]))
        got = self._query("straw_address_mates", distinct(rows.loc[(kind == "ad").to_numpy(), "a1"]))
        if len(got):
            found.append(pairs_frame("ad|" + got["address_key"].astype(str), got["person_key"]))
        found.append(self._lookup_cities(rows[kind.isin(["sl", "rt", "co"]).to_numpy()], todo))
        found = [f for f in found if len(f)]
        if found:
            fresh = pd.concat(found, ignore_index=True).dropna()
            fresh = fresh[isin(fresh["group"], key_series(todo))]
            for kind, count in fresh["group"].str[:2].value_counts().items():
                self.counts["candidates_" + kind] = self.counts.get("candidates_" + kind, 0) + int(count)
            # (every candidate known before is of a group looked up before, none of ``todo``'s)
            fresh = drop_duplicates(fresh).assign(row=-1)
            self.candidates = pd.concat([self.candidates, fresh], ignore_index=True) if len(self.candidates) \
                else fresh

    def _lookup_cities(self, rows: pd.DataFrame, todo: set[str]) -> pd.DataFrame:
        """Candidates of the city groups: the purchasers of guns recovered quickly in the city, by the dealer
        (supply line) or the dealer's state (corridor) of their purchase record; a record without a dealer is a
        candidate of every such group of its city."""
        none = pd.DataFrame(columns=["group", "person_key"])
        if rows.empty:
            return none
        located = self._query("straw_recovery_cities", distinct(rows["a1"]))
        if located.empty:
            return none
        if self.keyed:
            got = self._query("straw_keyed_city_buyers", self._city_keys(rows, located),
                              quick_days=straw_features.QUICK_DAYS)
        else:
            got = self._query("straw_city_buyers", distinct(located["location_key"]),
                              quick_days=straw_features.QUICK_DAYS)
        if got.empty:
            return none
        got = got[(got["possessor_key"].isna() | (got["possessor_key"] != got["person_key"])).to_numpy()]
        got = got.dropna(subset=["recovery_city"])
        city = got["recovery_city"].str.upper() + "|" + got["recovery_state"].fillna("")
        people = got["person_key"]
        found = [pairs_frame("rt|" + city, people)]
        states = got["dealer_key"].map(self._dealer_states()).fillna("?")
        has = got["dealer_key"].notna().to_numpy()
        found.append(pairs_frame("sl|" + got["dealer_key"][has].astype(str) + "|" + city[has], people[has]))
        found.append(pairs_frame("co|" + states[has] + ">" + city[has], people[has]))
        if not has.all():  # no dealer on the record: the SOLD dealer may be the event's, any of the city's groups
            wanted = pd.Series(sorted(g for g in todo if g[:2] in ("sl", "co")), dtype=object)
            suffix = wanted.str.split(">", n=1).str[1].where(wanted.str[:2] == "co",
                                                               wanted.str.split("|", n=2).str[2])
            loose = pd.DataFrame({"city": city[~has], "person_key": people[~has]})
            joined = pd.DataFrame({"group": wanted, "city": suffix}).merge(loose, on="city")
            found.append(pairs_frame(joined["group"], joined["person_key"]))
        return pd.concat(found, ignore_index=True)

    def _city_keys(self, rows: pd.DataFrame, located: pd.DataFrame) -> set[str]:
        """The supply-line keys (``sl|<dealer>|<city location>``, :mod:`loaders.straw_keys`) whose recoveries hold
        every member of the city groups ``rows``: a supply line's own; for a corridor those of the city's dealers
        in its state (read live from the dealers, as the groups are); for a recovery city every dealer's and a gun's
        without one."""
        city = rows.merge(located, left_on="a1", right_on="trace_id")
        kind = city["group"].str[:2]
        line = city[(kind == "sl").to_numpy()]
        keys = set(("sl|" + line["a2"].astype(str) + "|" + line["location_key"]).tolist())
        wide = city[(kind != "sl").to_numpy()]
        dealers = self._query("straw_keyed_city_dealers", distinct(wide["location_key"]))
        if dealers.empty:
            dealers = pd.DataFrame(columns=["location_key", "dealer_key"])
        states = dealers["dealer_key"].map(self._dealer_states()).fillna("?")
        dealers = dealers.assign(state=states.to_numpy())
        recovered_in = wide[(wide["group"].str[:2] == "rt").to_numpy()]
        every = dealers[isin(dealers["location_key"], distinct(recovered_in["location_key"]))]
        corridor = wide[(wide["group"].str[:2] == "co").to_numpy()][["location_key", "a2"]].drop_duplicates()
        state_lines = dealers.merge(corridor, left_on=["location_key", "state"], right_on=["location_key", "a2"])
        for part in (every, state_lines):
            keys |= set(("sl|" + part["dealer_key"].astype(str) + "|" + part["location_key"]).tolist())
        keys |= set(("sl|" + straw_keys.NO_DEALER + "|" + recovered_in["location_key"]).tolist())
        return keys

    def _states_as_arrays(self) -> tuple[pa.Array, pa.Array]:
        if self._state_arrays is None:
            self._state_arrays = state_arrays(self._dealer_states() if self.dealer_table is None
                                              else self.dealer_table)
        return self._state_arrays

    def _learn(self, candidates: pd.DataFrame) -> None:
        """Learn the memberships of ``candidates`` (group, person_key) in their groups: a glance at each person, or,
        for a group read by group (:meth:`_lookup`), the membership read, their own rows read when the closure asks
        for them (:meth:`restricted`)."""
        if not len(self._exact) or not len(candidates):
            self.glance(distinct(candidates["person_key"]))
            return
        row = candidates["row"].to_numpy(np.int64)
        exact = row >= 0  # (read by group: the kinds the index holds)
        self.glance(distinct(candidates.loc[~exact, "person_key"]))
        if not exact.any():
            return
        # their memberships as read, each once, in the order read (a group's membership of a person is one row)
        taken = self._exact.iloc[np.unique(row[exact])].reset_index(drop=True)[MEMBERSHIP]
        self._remember(taken)
        self._pending |= distinct(taken["person_key"]) - self.read

    def _dealer_states(self) -> pd.Series:
        """Each dealer's premise state, by key (indexed once)."""
        if self._states is None:
            self._states = self.dealers.set_index("key")["premise_state"]
        return self._states

    def _check_stored(self, groups: set[str]) -> None:
        """Learn which of ``groups`` are stored as too big to tie: a keyed read of the ones not asked before, or,
        once the groups asked about outnumber the stored ones, one read of every stored group (the table holds
        only the big groups: 6,277 at national, where a closure asks about ~44k groups; 0.1 CPU s read by key)."""
        if not self.stored_groups:
            return
        todo = {g for g in groups - self._checked if g[:2] in STORED_KINDS}
        if not todo:
            return
        self._checked |= todo
        if self._stored is None:
            if self._stored_count is None:
                self.queries += 1
                self._stored_count = int(self.store.query("straw_groups_count").scalar() or 0)
            if self._stored_count <= len(todo):
                self.queries += 1
                every = self.store.query("straw_groups_all").df()
                self._stored = set(every["group_id"].tolist()) if len(every) else set()
        if self._stored is not None:
            self.big |= todo & self._stored
            return
        found = self._query("straw_groups_get", todo)
        if len(found):
            self.big |= set(found["group_id"].tolist())

    def too_big(self) -> frozenset[str]:
        """The groups known too big to tie (stored, or found here): what
        :func:`algorithms.straw_features.compute` leaves out, as ``_pairs`` leaves out the whole group."""
        return frozenset(self.big | self.grown.keys())

    def _count_glances(self, rows: pd.DataFrame) -> None:
        fresh = rows[~isin(rows["person_key"], key_series(self.glanced))].drop_duplicates("person_key")
        for kind, count in fresh["group"].str[:2].value_counts().items():
            self.counts["glanced_" + kind] = self.counts.get("glanced_" + kind, 0) + int(count)

    def mates(self, of: set[str], *, tying: bool, exclude: set[str] | None = None) -> set[str]:
        """``of`` and the persons sharing a group with them: with ``tying``, only groups small enough to tie
        their members (counting members outside ``exclude``, the persons whose membership may be new: a group
        that was already too big stays too big); without, every group, a group too big to tie through its first
        ``limit + 1`` members (enough for ``_pairs`` to leave it out, as it does the whole group)."""
        self.know(of)
        groups = distinct(self.members.loc[isin(self.members["person_key"], key_series(of)), "group"])
        # a group stored as too big ties nobody before the batch or after it (groups only grow): nothing to read.
        # One found big here is settled for the closure too, not for the tying step (it may have tied before)
        self._check_stored(groups)
        groups -= self.big if tying else self.big | self.grown.keys()
        if not groups:
            return set(of)
        self._lookup(groups)
        outside = exclude if (tying and exclude) else set()
        outside_keys = key_series(outside)
        # the groups by position in their sorted list: a row's group is its position (-1: another group's row)
        index = sorted(groups)
        keys = pa.array(index, pa.string())
        kinds = [group[:2] for group in index]
        limits = np.array([GROUP_LIMITS[kind] for kind in kinds])
        at = positions(self.candidates["group"], keys)
        candidates, at = self.candidates[at >= 0], at[at >= 0]
        counting = ~isin(candidates["person_key"], outside_keys) if outside else np.ones(len(at), bool)
        whole = np.bincount(at[counting], minlength=len(index)) <= limits
        # a big group: its first limit + 1 candidates (counted ones), then all of it if they do not pass the limit
        big = candidates[counting & ~whole[at]].sort_values(["group", "person_key"])
        big_at = positions(big["group"], keys)
        starts = np.flatnonzero(np.concatenate([[True], big_at[1:] != big_at[:-1]])) if len(big_at) else big_at
        within = np.arange(len(big_at)) - np.repeat(starts, np.diff(np.append(starts, len(big_at))))
        first = big[within <= limits[big_at]]
        # a purchaser-possessor group's two members are known from the purchaser's rows (the person's own, or read
        # with a possessor's context in `know`): the other party's own rows add nothing to it
        wanted = candidates[whole[at] & (np.array(kinds, dtype=object)[at] != "pp")]
        learn = pd.concat([wanted, first], ignore_index=True)
        self._count_glances(learn)
        self._learn(learn)
        members, known_sizes = self._members_in(keys, outside_keys if outside else None)
        short = (known_sizes <= limits) & ~whole
        if short.any():
            self._count_glances(candidates[short[at]])
            self._learn(candidates[short[at]])
            whole |= short
            members, known_sizes = self._members_in(keys, outside_keys if outside else None)
        member_at = positions(members["group"], keys)
        everyone = np.bincount(member_at, minlength=len(index))
        stored_kind = np.isin(np.array(kinds, dtype=object), STORED_KINDS)
        for found in np.flatnonzero((everyone > limits) & stored_kind):  # every known membership is a true one:
            group, count = index[found], int(everyone[found])          # more than the limit is big
            if group not in self.big:
                self.grown[group] = max(count, self.grown.get(group, 0))
        if tying:
            members = members[((known_sizes <= limits) & whole)[member_at]]
        return set(of) | distinct(members["person_key"])

    def _members_in(self, keys: pa.Array, outside: pd.Series | None) -> tuple[pd.DataFrame, np.ndarray]:
        """The known memberships of the groups ``keys`` (sorted), and how many of each are of persons not in
        ``outside``, by the group's position."""
        at = positions(self.members["group"], keys)
        members = self.members[at >= 0]
        at = at[at >= 0]
        counted = at[~isin(members["person_key"], outside)] if outside is not None else at
        return members, np.bincount(counted, minlength=len(keys))


def neighbourhood_sizes(hood: Neighbourhood) -> dict[str, int]:
    """What the neighbourhood read (for the run's summary)."""
    return {"persons_known": len(hood.known), "persons_read_rows": len(hood.read), "groups": len(hood.looked_up),
            "queries": hood.queries, "groups_stored_big": len(hood.big), "groups_grown_big": len(hood.grown),
            "read_from_files": int(hood.side is not None), "memberships_from_index": int(hood.index is not None),
            "members_by_group": int(hood.by_group()),
            **dict(sorted(hood.counts.items()))}
