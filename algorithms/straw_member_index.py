"""The straw neighbourhood's membership index (issue 21): every person's group memberships by their own rows,
kept beside the side table (:mod:`graph.side_table`), so that an incremental run's *glance* at a candidate
(:meth:`algorithms.straw_neighbourhood.Neighbourhood.glance`) looks them up by key instead of computing them.

**What it holds.** For each *owner* (a person with a Person row or a purchase), the rows
:func:`algorithms.straw_memberships.own_memberships` gives for the owner's own rows without leads: what a glance
computes. Those are the owner's memberships and, for each of their guns recovered from someone else, the
possessor's purchaser-possessor membership (``pp|<owner>|<possessor>``, whose ``a1`` is the owner). A corridor's
group names the dealer's state, which the Dealer node holds and a load may change; the index keeps the dealer
instead (``co|<dealer>><city>``, ``a2`` the dealer) and :meth:`MemberIndex.of` puts the state in at the read, as
the run's dealers have it (the first row per person and state, as the computation keeps it). The base's index by
group keys a corridor row by the group its dealer's state when the index was written names (keeping those states:
national batch 1 asks for ~10k corridor memberships, which its city alone found among 249k rows); a dealer whose
state is another at the read is looked up under its old state too.

**How it stays true.** The files are ``members-<part>.arrow``, one per side-table part they were brought up to,
with ``members.json`` naming the side-table parts they cover. The full analysis writes the base from the side
table it has just written (:func:`after_full_analysis`). A side-table part the index does not cover yet (a load's
delta) is covered at the next :func:`open_index`: the owners whose rows it may have changed (its touched persons,
the purchasers, in any part, of its touched guns and of the guns of its touched recoveries) are computed again from
the side table's current rows and written as a part that supersedes their older rows. A write the side table
cannot follow (a correction, a purge) deletes its folder, and the index with it; without a current index the
neighbourhood computes every glance (the files are a cache: the rows are the same either way,
``tests/analytics/test_member_index.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from algorithms.frames import STR, first_row_positions
from algorithms.straw_memberships import (
    COLUMNS,
    lean,
    membership_events,
    memberships,
    own_memberships,
    restrict,
    state_arrays,
)
from algorithms.tables import AnalysisTables
from graph import side_table
from graph.side_index import KeyIndex, write_index
from graph.side_maps import Maps, take
from graph.store import GraphStore

#: what the files hold: a change to what a glance computes (``own_memberships``, the group ids) must change it, so
#: that an index an older version wrote is deleted unread (the next full analysis writes it again)
FORMAT = 1
STATE = "members.json"
#: the base part's index by group (:func:`group_keys`), and the dealers' states its corridor rows are keyed by
#: (dealer, state: the states when it was written): without them (an index written before they were, or the one
#: keyed by a corridor's city alone, ``members-base.group.index``, not read) a group's members are found as
#: candidates by the straw lookup keys
GROUP_INDEX = "members-base.groups.index"
GROUP_STATES = "members-base.groups.states.arrow"
#: the stored columns: whose own rows gave the row (``owner``), then :data:`algorithms.straw_memberships.MEMBERSHIP`
STORED = pa.schema([("owner", pa.string()), ("person_key", pa.string()), ("group", pa.string()),
                    ("a1", pa.string()), ("a2", pa.string())])
#: owners computed per step of a full build (bounds the rows held at once)
STEP = 200_000


def _read(side: side_table.SideTables, owners: pa.Array) -> AnalysisTables:
    """The owners' own rows from the side table, as the neighbourhood's ``_read`` takes them."""
    def query(statement: str, keys: pa.Array) -> pd.DataFrame:
        return side.read(statement, keys).df() if len(keys) else pd.DataFrame()

    def frame(name: str, found: list[pd.DataFrame]) -> pd.DataFrame:
        found = [f.reindex(columns=COLUMNS[name]) for f in found if len(f)]
        return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS[name])

    people = query("straw_persons", owners)
    if len(people):
        people = people[~people.pop("purged").fillna(False).astype(bool).to_numpy()]
    bought = query("straw_purchases", owners)
    held = query("straw_possessed_of_persons", owners)
    guns = _distinct([bought.get("dst")])
    recovered = query("straw_recovered", guns)
    sold = query("straw_sold", guns)
    recs = _distinct([recovered.get("dst"), held.get("src")])
    empty = pd.DataFrame(columns=["src", "dst"])
    return AnalysisTables(
        persons=frame("persons", [people]), purchases=frame("purchases", [bought]),
        firearms=pd.DataFrame(columns=COLUMNS["firearms"]), sold=frame("sold", [sold]),
        recovered=frame("recovered", [recovered]), recoveries=frame("recoveries", [query("straw_recoveries", recs)]),
        possessed=frame("possessed", [held, query("straw_possessed_of_recoveries", recs)]),
        dealers=pd.DataFrame(columns=["key", "premise_state"]), lives_at=empty,
        nibin=pd.DataFrame(columns=COLUMNS["nibin"]),
        locations=pd.DataFrame(columns=["key", "kind", "name", "state", "country", "lat", "lon"]),
        state_flows=pd.DataFrame(columns=["src", "dst", "year", "level", "basis", "firearms"]),
        stolen=pd.DataFrame(columns=COLUMNS["stolen"]))


def _distinct(columns: list[pd.Series | None]) -> pa.Array:
    found = [_flat(pa.array(c, pa.string(), from_pandas=True)) for c in columns if c is not None and len(c)]
    return pc.unique(pc.drop_null(pa.concat_arrays(found))) if found else pa.array([], pa.string())


def owned(side: side_table.SideTables, owners: pa.Array) -> pa.Table:
    """The index rows of ``owners`` (distinct keys), computed from the side table's current rows."""
    t = _read(side, owners)
    # each dealer its own "state": the corridor rows per dealer and city (the read puts the state in)
    dealers = _distinct([t.purchases["dealer_key"], t.sold["src"]])
    people = set(owners.to_pylist())
    found = own_memberships(restrict(lean(t), people, tidied=True), (dealers, dealers), leads=False)
    if found is None:  # (a column not a plain Arrow type: pandas' way, as the neighbourhood falls back)
        sub = restrict(t, people, tidied=True)
        identity = pd.Series(sorted(dealers.to_pylist()), index=sorted(dealers.to_pylist()), dtype=object)
        found = memberships(sub, *membership_events(sub, identity))
    person, group, a1, a2 = (_flat(pa.array(found[c], pa.string(), from_pandas=True))
                             for c in ("person_key", "group", "a1", "a2"))
    owner = pc.if_else(pc.starts_with(group, "pp|"), a1, person)
    return pa.Table.from_arrays([owner, person, group, a1, a2], schema=STORED)


def _all_owners(side: side_table.SideTables) -> pa.Array:
    keys = [part[name][column] for part in side.parts for name, column in (("persons", "key"), ("purchases", "src"))]
    return pc.unique(pc.drop_null(pa.chunked_array([c for k in keys for c in k.chunks], pa.string())))


def write(store: object) -> int | None:
    """Write the index anew for a side table just written whole (the full analysis): rows written (None: no
    current side table)."""
    side = side_table.open_tables(store)
    if side is None:
        return None
    (side.folder / STATE).unlink(missing_ok=True)
    owners = _all_owners(side)
    parts = [owned(side, owners.slice(start, STEP)) for start in range(0, len(owners), STEP)]
    table = pa.concat_tables(parts) if parts else STORED.empty_table()
    _write_part(side.folder, "base", table, pa.array([], pa.string()))
    write_index(side.folder / "members-base.owner.index", table["owner"])
    dealers = cast(GraphStore, store).node_table("Dealer", ("premise_state",)).to_pandas()
    write_group_index(side.folder, table, state_arrays(dealers.set_index("key")["premise_state"]))
    _write_state(side.folder, side.names, ["base"])
    return table.num_rows


def lookup_keys(group: pa.Array | pa.ChunkedArray) -> pa.Array:
    """What a later part's row is found by when its group is asked for: its group, but a corridor row's, stored by
    its dealer (``co|<dealer>><city>``), by its city alone (``co><city>``: the state is the dealer's as read)."""
    group = _flat(group)
    corridor = pc.starts_with(group, "co|")
    city = pc.list_element(pc.split_pattern(pc.if_else(corridor, group, "co|>"), ">", max_splits=1), 1)
    return pc.if_else(corridor, pc.binary_join_element_wise("co>", city, ""), group)


def group_keys(group: pa.Array | pa.ChunkedArray, states: tuple[pa.Array, pa.Array]) -> pa.Array:
    """What a base row is found by when its group is asked for: its group, a corridor row's named by its dealer's
    state in ``states`` (the dealers' states when the index was written: keys, values) as a read names it."""
    group = _flat(group)
    corridor = pc.starts_with(group, "co|")
    lines = group.filter(corridor)
    if not len(lines):
        return group
    encoded = pc.dictionary_encode(lines)  # (named once per stored group: a dealer and a city)
    named, _ = _corridors_named(encoded.dictionary, states)
    return pc.replace_with_mask(group, corridor, named.take(encoded.indices))


def write_group_index(folder: Path, table: pa.Table, states: tuple[pa.Array, pa.Array]) -> None:
    """The base part's index by group (:func:`group_keys`, ``states`` the dealers' states now) and those states:
    :meth:`MemberIndex.members` reads a group's members by it."""
    write_index(folder / GROUP_INDEX, group_keys(table["group"], states))
    feather.write_feather(pa.table({"dealer": states[0], "state": states[1]}), folder / GROUP_STATES,
                          compression="uncompressed")


def after_full_analysis(store: object) -> int | None:
    """The side table written anew (:func:`graph.side_table.after_full_analysis`) and this index with it."""
    rows = side_table.after_full_analysis(store)
    if rows is not None:
        write(store)
    return rows


def _write_part(folder: Path, name: str, table: pa.Table, owners: pa.Array) -> None:
    feather.write_feather(table.combine_chunks(), folder / f"members-{name}.arrow", compression="uncompressed",
                          chunksize=max(table.num_rows, 1))
    feather.write_feather(pa.table({"owner": owners}), folder / f"members-{name}.owners.arrow",
                          compression="uncompressed")


def _write_state(folder: Path, covers: list[str], parts: list[str]) -> None:
    temporary = folder / (STATE + ".tmp")
    temporary.write_text(json.dumps({"format": FORMAT, "covers": covers, "parts": parts}), encoding="utf-8")
    os.replace(temporary, folder / STATE)


def _state(folder: Path) -> dict[str, list[str]] | None:
    try:
        found = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("format") == FORMAT else None


def affected(side: side_table.SideTables, names: list[str]) -> pa.Array:
    """The owners whose index rows the side-table parts ``names`` may have changed: the persons they touched and
    whoever bought (before or after) a gun they touched or a gun recovered in a recovery they touched."""
    touched = pa.concat_tables([feather.read_table(side.folder / f"{name}-touched.arrow") for name in names])

    def of(label: str) -> pa.Array:
        return _flat(pc.unique(touched.filter(pc.equal(touched["label"], label))["key"]))

    recs = of("Recovery")
    guns = pc.unique(pa.concat_arrays([of("Firearm"), _flat(side.select_any("recovered", "dst", recs)["src"])]))
    buyers = _flat(side.select_any("purchases", "dst", guns)["src"])
    return pc.unique(pc.drop_null(pa.concat_arrays([of("Person"), buyers])))


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array of strings."""
    found = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return found.cast(pa.string())


class MemberIndex:
    """The index's parts, memory-mapped: a person's rows from the newest part that computed them."""

    def __init__(self, folder: Path, parts: list[str], maps: Maps | None = None) -> None:
        # (``maps``: the side table's, whose pages each read of the base drops after it: graph/side_maps.py)
        self.maps = maps if maps is not None else Maps()
        self.parts = [self.maps.table(folder / f"members-{p}.arrow") for p in parts]
        self.base = KeyIndex(folder / "members-base.owner.index", self.maps)
        grouped = (folder / GROUP_INDEX).exists() and (folder / GROUP_STATES).exists()
        self.groups = KeyIndex(folder / GROUP_INDEX, self.maps) if grouped else None
        # the dealers' states the base's corridor rows are keyed by
        built = feather.read_table(folder / GROUP_STATES) if grouped else None
        self.built = (_flat(built["dealer"]), _flat(built["state"])) if built is not None else None
        self._moved: tuple[tuple[pa.Array, pa.Array], pa.Array] | None = None
        self._dealers: tuple[pa.Array, pd.Index] | None = None
        # the later parts' rows by what a group read finds them by (small: a day's owners)
        self.lookups = [lookup_keys(part["group"]) for part in self.parts[1:]] if self.groups is not None else []
        owners = [feather.read_table(folder / f"members-{p}.owners.arrow")["owner"] for p in parts]
        # per part: the owners a later part computed again
        self.later = [pc.unique(pa.chunked_array([c for o in owners[i + 1:] for c in o.chunks], pa.string()))
                      for i in range(len(parts))]
        self.closed = False

    def close(self) -> None:
        """Let go of the parts' memory maps: the pages a run's reads touched (~0.6 GB of the base's rows and
        indexes at national batch 1) count in the process's RSS until then. It answers nothing after."""
        self.closed = True
        self.parts, self.lookups, self.later = [], [], []
        for index in (self.base, self.groups):
            if index is not None:
                index.close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("the membership index is closed")

    def rows(self, owners: pa.Array) -> pa.Table:
        """The stored rows of ``owners`` (distinct keys), each part's in its order."""
        self._check_open()
        found = []
        for number, (part, later) in enumerate(zip(self.parts, self.later, strict=True)):
            got = self.base.select(part, "owner", owners) if number == 0 else \
                part.filter(pc.is_in(part["owner"], value_set=owners))
            if len(later) and got.num_rows:
                got = got.filter(pc.invert(pc.is_in(got["owner"], value_set=later)))
            found.append(got)
        return pa.concat_tables(found) if len(found) > 1 else found[0]

    def of(self, owners: pa.Array, states: tuple[pa.Array, pa.Array]) -> pd.DataFrame:
        """What a glance at ``owners`` computes (``own_memberships(..., leads=False)`` of their rows, ``states``
        the dealers' states as :func:`algorithms.straw_memberships.state_arrays` gives them), in another order."""
        return _frame(_states_in(self.rows(owners).combine_chunks(), states, dealers=self._dealers_of(states)))

    def members(self, groups: pa.Array, states: tuple[pa.Array, pa.Array]) -> pd.DataFrame:
        """Every membership of the groups ``groups`` (distinct ids of the kinds the index holds: not a lead's) as
        the rows of every person show it: the stored rows found by group (the base's corridor rows by the group
        their dealer's state when it was written names, a later part's by the city; each kept where the dealer's
        state as ``states`` has it names the group), each part's rows of owners no later part computed
        again. None of a group's members is missing and no one else is there (an index kept up to its side table
        holds every owner's rows: ``tests/analytics/test_member_groups.py``)."""
        if self.groups is None:
            raise ValueError("the index has no group index")
        self._check_open()
        wanted = pc.unique(lookup_keys(groups))
        found = []
        for number, (part, later) in enumerate(zip(self.parts, self.later, strict=True)):
            got = take(part, self.groups.rows_of(self._base_keys(groups, states)), self.maps) if number == 0 else \
                part.filter(pc.is_in(self.lookups[number - 1], value_set=wanted))
            if len(later) and got.num_rows:
                got = got.filter(pc.invert(pc.is_in(got["owner"], value_set=later)))
            found.append(got)
        rows = (pa.concat_tables(found) if len(found) > 1 else found[0]).combine_chunks()
        # (a hash shared by another group's key finds its rows too: each row is kept only if its group is asked)
        corridor = pc.starts_with(rows["group"], "co|")
        plain = rows.filter(pc.invert(corridor))
        plain = plain.filter(pc.is_in(plain["group"], value_set=groups))
        lines = _states_in(rows.filter(corridor), states, groups, self._dealers_of(states))
        return _frame(pa.concat_tables([plain, lines]) if lines.num_rows else plain)

    def _dealers_of(self, states: tuple[pa.Array, pa.Array]) -> pd.Index:
        """The dealers of ``states`` as an index, hashed once for every read with them (Arrow's ``index_in`` hashes
        its value set, ~88k dealers at national, on every call)."""
        if self._dealers is None or self._dealers[0] is not states[0]:
            self._dealers = (states[0], pd.Index(states[0].to_numpy(zero_copy_only=False)))
        return self._dealers[1]

    def _base_keys(self, groups: pa.Array, states: tuple[pa.Array, pa.Array]) -> pa.Array:
        """The group index's keys of ``groups`` (:func:`group_keys`): the groups, and for a corridor's the same city
        under each state a dealer whose state is another now (``states``) was keyed by (its rows are under that
        one; which of them belong to the group, the read's naming tells)."""
        if self._moved is None or self._moved[0] is not states:
            assert self.built is not None
            self._moved = (states, _moved_from(self.built, states))
        moved = self._moved[1]
        if not len(moved):
            return groups
        corridor = pc.starts_with(groups, "co|")
        cities = pc.list_element(pc.split_pattern(groups.filter(corridor), ">", max_splits=1), 1).to_pylist()
        extra = [f"co|{state}>{city}" for state in moved.to_pylist() for city in set(cities)]
        return pc.unique(pa.concat_arrays([groups.cast(pa.string()), pa.array(extra, pa.string())]))


def _moved_from(built: tuple[pa.Array, pa.Array], states: tuple[pa.Array, pa.Array]) -> pa.Array:
    """The states (``?`` for none) of ``built`` (dealers, their states) of the dealers whose state in ``states`` is
    another, each once."""
    if built[0].equals(states[0]) and built[1].equals(states[1]):  # (the dealers as written: none moved)
        return pa.array([], pa.string())
    dealers = pc.unique(pa.concat_arrays([built[0], states[0]]))

    def state_of(known: tuple[pa.Array, pa.Array]) -> pa.Array:
        return pc.fill_null(known[1].take(pc.index_in(dealers, value_set=known[0])), "?") if len(known[0]) else \
            pa.array(["?"] * len(dealers), pa.string())

    before = state_of(built)
    return pc.unique(before.filter(pc.not_equal(before, state_of(states))))


def _states_in(found: pa.Table, states: tuple[pa.Array, pa.Array], groups: pa.Array | None = None,
               dealers: pd.Index | None = None) -> pa.Table:
    """Stored rows with a corridor's dealer replaced by the dealer's state (``states``: keys, values):
    ``co|<dealer>><city>`` -> ``co|<state>><city>``, the first row per person and state kept (``groups``: only
    the corridor rows of those groups kept; ``dealers``: the keys of ``states`` as an index)."""
    corridor = pc.starts_with(found["group"], "co|")
    rows = found.filter(pc.invert(corridor))
    lines = found.filter(corridor)
    if lines.num_rows:
        # named once per stored group (a dealer and a city), not per row
        encoded = pc.dictionary_encode(_flat(lines["group"]))
        named, state = _corridors_named(encoded.dictionary, states, dealers)
        lines = pa.table({"owner": lines["owner"], "person_key": lines["person_key"],
                          "group": named.take(encoded.indices), "a1": lines["a1"], "a2": state.take(encoded.indices)})
        if groups is not None:
            lines = lines.filter(pc.is_in(lines["group"], value_set=groups))
        once = first_row_positions(pd.DataFrame({"p": lines["person_key"].to_pandas(),
                                                 "g": lines["group"].to_pandas()}), ["p", "g"])
        lines = lines.take(pa.array(once if once is not None else np.arange(lines.num_rows)))
        rows = pa.concat_tables([rows, lines.cast(STORED)])
    return rows


def _corridors_named(stored: pa.Array, states: tuple[pa.Array, pa.Array], dealers: pd.Index | None = None
                     ) -> tuple[pa.Array, pa.Array]:
    """Corridor groups as stored (``co|<dealer>><city>``) named by the dealer's state in ``states`` (keys, values;
    ``dealers``: the keys as an index): ``co|<state>><city>`` (``?`` for a dealer without one), and the state."""
    parts = pc.split_pattern(pc.utf8_slice_codeunits(stored, 3), ">", max_splits=1)
    dealer, city = pc.list_element(parts, 0), pc.list_element(parts, 1)
    keys, values = states
    if not len(keys):
        state = pa.array(["?"] * len(dealer), pa.string())
    elif dealers is not None:
        at = dealers.get_indexer(dealer.to_numpy(zero_copy_only=False))
        state = pc.fill_null(values.take(pa.array(at, mask=at < 0)), "?")
    else:
        state = pc.fill_null(values.take(pc.index_in(dealer, value_set=keys)), "?")
    return pc.binary_join_element_wise("co|", state, ">", city, ""), state


def _frame(rows: pa.Table) -> pd.DataFrame:
    return pd.DataFrame({"person_key": STR.__from_arrow__(rows["person_key"]),
                         "group": STR.__from_arrow__(rows["group"]), "a1": STR.__from_arrow__(rows["a1"]),
                         "a2": pd.Series(rows["a2"].to_numpy(zero_copy_only=False), dtype=object)})


def open_index(side: side_table.SideTables | None) -> MemberIndex | None:
    """The index of a current side table, first brought up to its newest part (None: no index was written since
    the side table's base, or it is not one of these side-table parts')."""
    if side is None:
        return None
    state = _state(side.folder)
    if state is None:
        return None
    covers, parts = state["covers"], state["parts"]
    if covers != side.names[:len(covers)] or not covers:
        (side.folder / STATE).unlink(missing_ok=True)
        return None
    if len(covers) < len(side.names):
        new = side.names[len(covers):]
        owners = affected(side, new)
        table = owned(side, owners) if len(owners) else STORED.empty_table()
        name = new[-1]
        try:
            _write_part(side.folder, name, table, owners)
            _write_state(side.folder, side.names, [*parts, name])
        except OSError:  # (a folder that cannot be written: the index is not used)
            return None
        parts = [*parts, name]
    try:
        return MemberIndex(side.folder, parts, side.maps)
    except OSError:  # (a part gone: the index is deleted and not used)
        (side.folder / STATE).unlink(missing_ok=True)
        return None
