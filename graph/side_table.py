"""The straw closure's inputs as columnar files beside the embedded store (issue 21): a cache the incremental
analysis reads instead of the engine, kept current by the writes that know what they changed and dropped by every
other write *before* it writes.

An incremental run reads the rows of the persons, firearms and recoveries around a batch with ~50 keyed Cypher
statements (:mod:`algorithms.straw_neighbourhood`): 8 CPU s of a national batch. The same rows are the analysis'
own tables (Person, PURCHASED, Firearm, SOLD, RECOVERED_IN, Recovery, POSSESSED_BY, NIBIN_LINK, REPORTED_STOLEN
with the report's date). Kept as uncompressed Arrow IPC files in ``NAME.lbug.side/`` and memory-mapped, a keyed
read is a filter over a column (docs/performance.md, "The straw closure's reads from a side table").

**What the files are.** A *base* part (every row, written by :func:`rewrite`: the full analysis, after its
checkpoint) and *delta* parts, one per write transaction that changed rows of these tables: the current rows, read
back from the engine after the commit, of every key the transaction touched, with those keys (``touched``). A
reader takes a part's rows unless a later part touched one of the row's keys (:data:`DOMAINS`): the newest version
per key. ``manifest.json`` lists the parts and the *stamp* the store had when they were last made current.

**Why a stale row is never read.**

* The stamp is the size and modification time of the store's file and of its write-ahead log. A committed write
  appends to the log or checkpoints into the file, so any write since the manifest was stamped leaves a different
  stamp, whoever made it (another tracegraph version, a tool, a torn log cut back). A reader (:func:`open_tables`)
  or a writer (:class:`graph.side_keeping.Keeper`) that finds the stamp differing deletes the files and the
  incremental run reads the engine, as without them.
* Every write method of :class:`graph.embedded_store.EmbeddedStore` is told to a :class:`graph.side_keeping.Keeper`
  (:mod:`graph.write_following`), so no writer has to remember the files. A write the keeper cannot follow (a
  Cypher write statement not in :data:`KEEPS`: a correction, a purge, a retention delete; an upsert of these tables
  outside a transaction that began with the files current) deletes the files **before** it writes: no row of a purged
  person outlives the purge in the folder, and a crash between the two steps leaves no files. The upserts inside a
  transaction that began current are followed: their keys (both ends of a relationship; a node's key when a column of
  these tables is written, else the keys the upsert created) become the next delta part, read after the commit and
  stamped with it.

Neo4j reads the engine as before: only the embedded store keeps files. A delta part is read back and written by
:mod:`graph.side_delta`; a reader maps the files through :mod:`graph.side_maps`, which drops their pages from the
process when the keyed reads of the base have mapped more than a budget of them.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from graph.embedded_writes import switched_on, wal_path
from graph.side_index import KeyIndex, first_rows, write_index
from graph.side_maps import Maps
from graph.store import Result

if TYPE_CHECKING:
    from graph.embedded_store import EmbeddedStore

FORMAT = 2  # 2: the base's indexes and the straw lookup keys (a folder of format 1 is deleted unread)

#: table -> (node label, properties) or (relationship, from label, to label, properties): what the neighbourhood
#: reads (``cypher/straw_*.cypher``) and :func:`rewrite` writes, the engine's own columns and types
TABLES: dict[str, tuple[str, ...]] = {
    "persons": ("Person", "last_name", "first_name", "middle_name", "suffix", "dob", "street", "city", "state",
                "zip", "record_count", "purged", "address_key"),
    "purchases": ("PURCHASED", "Person", "Firearm", "sale_id", "purchase_date", "dealer_key", "multiple_sale",
                  "report_id", "source"),
    "firearms": ("Firearm", "manufacturer_normalized", "model", "caliber", "weapon_type", "obliterated",
                 "serial_normalized"),
    "sold": ("SOLD", "Dealer", "Firearm", "sale_date"),
    "recovered": ("RECOVERED_IN", "Firearm", "Recovery"),
    "recoveries": ("Recovery", "recovery_date", "recovery_state", "recovery_city", "recovery_country", "lat", "lon",
                   "time_to_crime_days", "crime_code", "purchase_date", "trace_status", "multiple_sale_report_id"),
    "possessed": ("POSSESSED_BY", "Recovery", "Person"),
    "nibin": ("NIBIN_LINK", "Recovery", "Recovery", "status"),
    "stolen": ("REPORTED_STOLEN", "Firearm", "TheftReport"),
}
#: (table, column) -> the label whose keys the column holds and the statement reading the table's rows by it. A
#: row's version is that of the newest part that touched any of these keys (a SOLD row changes only with its gun)
DOMAINS: dict[tuple[str, str], tuple[str, str]] = {
    ("persons", "key"): ("Person", "straw_persons"),
    ("purchases", "src"): ("Person", "straw_purchases"),
    ("purchases", "dst"): ("Firearm", "side_purchases_of_firearms"),
    ("firearms", "key"): ("Firearm", "straw_firearms"),
    ("sold", "dst"): ("Firearm", "straw_sold"),
    ("recovered", "src"): ("Firearm", "straw_recovered"),
    ("recovered", "dst"): ("Recovery", "straw_guns_recovered_in"),
    ("recoveries", "key"): ("Recovery", "straw_recoveries"),
    ("possessed", "src"): ("Recovery", "straw_possessed_of_recoveries"),
    ("possessed", "dst"): ("Person", "straw_possessed_of_persons"),
    ("nibin", "src"): ("Recovery", "straw_nibin_from"),
    ("nibin", "dst"): ("Recovery", "straw_nibin_to"),
    ("stolen", "src"): ("Firearm", "straw_stolen"),
    ("stolen", "dst"): ("TheftReport", "side_stolen_of_reports"),
}
#: The straw lookup keys (``IN_STRAW_KEY``, :mod:`loaders.straw_keys`), one table per endpoint label: src the gun,
#: quick recovery or dealer, dst the key. Entries are only ever added (by an upsert, whose rows are the delta: no
#: read back) and never changed; a write deleting one is a write the keeper cannot follow
KEYED_TYPE = "IN_STRAW_KEY"
KEYED = {"keyed_guns": ("Firearm", "side_straw_keys_of_firearms"),
         "keyed_recoveries": ("Recovery", "side_straw_keys_of_recoveries"),
         "keyed_dealers": ("Dealer", "side_straw_keys_of_dealers")}
#: statement -> (table, column): the neighbourhood's keyed reads a side table answers
READS = {statement: key for key, (_label, statement) in DOMAINS.items()}
#: the reads a side table answers: :data:`READS`, three joins of its tables (who shares an address, who bought the
#: guns of a recovery or of the recoveries made from a person) and the reads by straw lookup key
ANSWERS = frozenset(READS) | {"straw_address_mates", "straw_buyers_of_recoveries", "straw_buyers_of_possessors",
                              "straw_keyed_buyers", "straw_keyed_city_buyers", "straw_keyed_city_dealers"}
#: the persons' stored straw scores the straw stage reads (``cypher/straw_stored_scores.cypher``), kept in a
#: ``scores`` file per part beside the tables: the base's row for row with its persons, a delta's the current rows
#: of the persons whose scores a transaction wrote or who it created. The manifest says ``"scores": true`` while
#: every part has one (a writer that does not keep them, an older version, writes a manifest without it, and the
#: store is then asked: :meth:`SideTables.stored_scores`)
SCORES = ("straw_score", "straw_points", "straw_indicators", "straw_network", "analysis_run_id")
#: the base's columns a lookup reads by (each with an index, :mod:`graph.side_index`)
_ENTRIES = pa.schema([("src", pa.string()), ("dst", pa.string())])
INDEXED = frozenset(DOMAINS) | {("persons", "address_key")} | {(name, "dst") for name in KEYED}
#: the node labels and relationship types whose writes change the tables (TheftReport: a report's date)
NODE_COLUMNS = {"Person": set(TABLES["persons"][1:]), "Firearm": set(TABLES["firearms"][1:]),
                "Recovery": set(TABLES["recoveries"][1:]), "TheftReport": {"reported_date"}}
RELATIONSHIPS = {spec[0] for spec in TABLES.values() if len(spec) > 1 and spec[0].isupper()}
#: Cypher write statements that change none of the tables (read each before adding one: a statement that deletes
#: or sets anything the tables hold must not be here; an unlisted write statement deletes the files first)
KEEPS = frozenset({
    "corridor_cells_clear", "firearms_batch_clear_keys", "firearms_batches_clear", "flows_of_basis_delete",
    "networks_clear", "persons_network_clear", "serial_groups_clear", "straw_groups_clear",
})


def folder(store: Path) -> Path:
    """Where a store's side table lives: ``NAME.lbug.side/`` beside the file."""
    return store.with_name(store.name + ".side")


def stamp(store: Path) -> list[int]:
    """The size and modification time (ns) of the store's file and of its write-ahead log: any commit moves one."""
    parts = []
    for path in (store, wal_path(store)):
        try:
            info = path.stat()
            parts += [info.st_size, info.st_mtime_ns]
        except FileNotFoundError:
            parts += [-1, -1]
    return parts


def drop(store: Path) -> None:
    """Delete the side table (first the manifest, so a crash halfway leaves files no reader takes)."""
    settled(store)
    side = folder(store)
    if side.exists():
        (side / "manifest.json").unlink(missing_ok=True)
        shutil.rmtree(side, ignore_errors=True)


def _manifest(store: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((folder(store) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("format") == FORMAT else None


def current(store: Path) -> dict[str, Any] | None:
    """The manifest when the files are current (stamped at the store's stamp now); else the files are deleted
    and None."""
    settled(store)
    manifest = _manifest(store)
    if manifest is not None and manifest.get("stamp") == stamp(store):
        return manifest
    drop(store)
    return None


def _write_manifest(store: Path, parts: list[str], stamped: list[int] | None = None,
                    scores: bool = False) -> None:
    """``stamped``: the store's stamp when the parts were current (default: now). ``scores``: every part has its
    scores file (:data:`SCORES`)."""
    side = folder(store)
    temporary = side / "manifest.json.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"format": FORMAT, "stamp": stamp(store) if stamped is None else stamped, "parts": parts,
                   **({"scores": True} if scores else {})}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, side / "manifest.json")


def _write(path: Path, table: pa.Table) -> None:
    """One uncompressed record batch: rows are taken by position (graph/side_index.py), and a take across many
    chunks costs ~20 ms a call whatever it takes."""
    feather.write_feather(table, path, compression="uncompressed", chunksize=max(table.num_rows, 1))


def export(store: EmbeddedStore, name: str) -> pa.Table:
    """Every row of one table, as the engine returns it."""
    if name in KEYED:  # (unsorted: 1.3 CPU s less a national base, and no reader depends on the order)
        return store.query(KEYED[name][1]).arrow().cast(_ENTRIES)
    spec = TABLES[name]
    if len(spec) > 1 and spec[0].isupper():  # a relationship
        table = store.edge_list(spec[0], spec[1], spec[2], spec[3:])
    else:
        table = store.node_table(spec[0], spec[1:])
    if name == "stolen":  # with the report's date, as straw_stolen reads it
        dates = store.node_table("TheftReport", ("reported_date",)).rename_columns(["dst", "reported_date"])
        table = table.join(dates, "dst", join_type="left outer").select(["src", "dst", "reported_date"])
    return table


def rewrite(store: EmbeddedStore) -> int:
    """Write the side table anew from the whole tables (the full analysis, after its checkpoint): rows written."""
    drop(store.path)
    side = folder(store.path)
    side.mkdir()
    rows = 0
    for name in [*TABLES, *KEYED]:
        table = export(store, name)
        _write(side / f"base-{name}.arrow", table)
        for owner, column in INDEXED:
            if owner == name:
                write_index(_index_path(side, name, column), table[column])
        if name == "persons":
            _write(side / PLACES, _places(store, table["key"]))
            _write(side / "base-scores.arrow", _aligned(store.node_table("Person", SCORES), table["key"]))
        rows += table.num_rows
    _write_manifest(store.path, ["base"], scores=True)
    return rows


def _aligned(table: pa.Table, keys: pa.ChunkedArray) -> pa.Table:
    """``table``'s rows (a column ``key``) row for row with ``keys``."""
    if table["key"].equals(keys):  # (both in key order: the node table's)
        return table
    return table.take(pc.index_in(keys, value_set=table["key"]))


def _places(store: EmbeddedStore, keys: pa.ChunkedArray) -> pa.Table:
    """Where the store holds each of the base's persons (its node offset), row for row
    (:meth:`SideTables.in_store_order`)."""
    found = store.query("person_places").arrow()
    at = pc.index_in(keys, value_set=found["key"])
    return pa.table({"place": found["place"].take(at).cast(pa.int64())})


#: the base persons' node offsets, row for row (a folder written before it has none: the store is asked instead)
PLACES = "base-persons.places.arrow"


def _places_of(side: Path, maps: Maps | None = None) -> pa.ChunkedArray | None:
    """The base persons' node offsets (None: a folder written before they were kept; ``maps``: the reader's)."""
    places = side / PLACES
    if not places.exists():
        return None
    return (maps.table(places) if maps is not None else feather.read_table(places, memory_map=True))["place"]


def _in_store_order(index: KeyIndex, base: pa.ChunkedArray, places: pa.ChunkedArray | None, keys: list[str]
                    ) -> list[str]:
    """:meth:`SideTables.in_store_order` from the base persons' key index, keys and places (``keys`` as given
    without the places)."""
    if places is None:
        return keys
    wanted = pa.array(keys, pa.string())
    found = index.select(pa.table({"key": base, "place": places}), "key", wanted)
    ordered = found["key"].take(pc.sort_indices(found["place"]))
    others = wanted.filter(pc.invert(pc.is_in(wanted, value_set=ordered)))
    return [*ordered.to_pylist(), *others.to_pylist()]


def _index_path(side: Path, name: str, column: str) -> Path:
    return side / f"base-{name}.{column}.index"


def enabled() -> bool:
    """Whether the full analysis writes a side table (``TRACEGRAPH_SIDE_TABLE=0``: no files, the engine is read)."""
    return switched_on("TRACEGRAPH_SIDE_TABLE")


def after_full_analysis(store: object) -> int | None:
    """The full analysis' step, after its checkpoint: the side table of an embedded store written anew (rows
    written), or deleted when switched off (None; Neo4j: nothing)."""
    path = _file_of(store)
    if path is None:
        return None
    if not enabled():
        drop(path)
        return None
    return rewrite(cast("EmbeddedStore", store))


def _file_of(store: object) -> Path | None:
    """An embedded store's file (None for Neo4j, and for an older store kept as a directory)."""
    path = getattr(store, "path", None)
    is_file = getattr(store, "backend", None) == "embedded" and isinstance(path, Path) and path.is_file()
    return cast(Path, path) if is_file else None


class Beside:
    """The thread writing a delta part beside the caller (:func:`graph.side_delta.append_beside`), and what it
    raised."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None


#: a store's file (its real path) -> the delta of its last commit, still being read and written beside the caller
_BESIDE: dict[str, Beside] = {}
_BESIDE_LOCK = threading.Lock()


def writing_beside(store: Path, beside: Beside) -> None:
    """``beside`` now writes the delta of the store's last commit: whoever comes to :func:`settled` waits for it."""
    with _BESIDE_LOCK:
        _BESIDE[os.path.realpath(store)] = beside


def settled(store: Path) -> None:
    """Wait until the delta of the store's last commit is written when a thread of its own writes it
    (:func:`graph.side_delta.append_beside`), and raise what that raised (once). Every reader and writer of the
    files comes here first (:func:`current`, :func:`drop`; the keeper's before every write of the store): none sees
    the files, and nothing writes the store, before the part and its manifest are written."""
    key = os.path.realpath(store)
    with _BESIDE_LOCK:
        beside = _BESIDE.get(key)
    if beside is None or beside.thread is threading.current_thread() or beside.thread is None:
        return
    beside.thread.join()
    with _BESIDE_LOCK:
        if _BESIDE.get(key) is beside:
            del _BESIDE[key]
        error, beside.error = beside.error, None
    if error is not None:
        raise error


def _once(table: pa.Table) -> pa.Table:
    """Each row once (a relationship read from both of its ends comes twice), in the order first met
    (:func:`first_rows`)."""
    if table.num_rows < 2 or not table.num_columns:
        return table
    first = first_rows(table.columns)
    return table if len(first) == table.num_rows else table.take(pa.array(first))


class SideTables:
    """The memory-mapped parts of a current side table, answering the neighbourhood's keyed reads."""

    def __init__(self, store: Path, manifest: dict[str, Any]) -> None:
        side = folder(store)
        self.folder, self.names = side, list(manifest["parts"])  # (the membership index beside it reads them)
        #: the files' maps, their pages dropped after each keyed read of the base (graph/side_maps.py)
        self.maps = Maps()
        self.parts = [{name: self.maps.table(side / f"{part}-{name}.arrow") for name in [*TABLES, *KEYED]}
                      for part in manifest["parts"]]
        # the base's rows are looked up by index (graph/side_index.py), the deltas' (a day each) filtered whole
        self.indexes = {(name, column): KeyIndex(_index_path(side, name, column), self.maps)
                        for name, column in INDEXED}
        self.places = _places_of(side, self.maps)
        #: each part's scores (None: not kept, the store is asked)
        self.scores = [self.maps.table(side / f"{part}-scores.arrow")
                       for part in manifest["parts"]] if manifest.get("scores") else None
        touched = [feather.read_table(side / f"{part}-touched.arrow") for part in manifest["parts"][1:]]
        # per part: the keys (by label) a later part touched, whose rows in this part are superseded
        self.later: list[dict[str, pa.Array]] = []
        for index in range(len(self.parts)):
            newer = touched[index:]
            merged = pa.concat_tables(newer) if newer else pa.table({"label": pa.array([], pa.string()),
                                                                      "key": pa.array([], pa.string())})
            self.later.append({label: pc.unique(merged.filter(pc.equal(merged["label"], label))["key"])
                               for label in set(merged["label"].to_pylist())})

    def read(self, statement: str, keys: list[str] | pa.Array, params: dict[str, Any] | None = None) -> Result:
        """What ``statement`` returns for ``keys`` (and its other ``params``; one of :data:`ANSWERS`): a list or an
        Arrow array of strings, each once, in any order (the rows come in the files' order)."""
        wanted = keys if isinstance(keys, pa.Array) else pa.array(keys, pa.string())
        if statement in READS:
            return Result(self._select(*READS[statement], wanted))
        if statement.startswith("straw_keyed_"):
            return Result(self._keyed_read(statement, wanted, params or {}))
        if statement == "straw_address_mates":
            found = self._select("persons", "address_key", wanted)
            return Result(pa.table({"address_key": found["address_key"], "person_key": found["key"]}))
        if statement == "straw_buyers_of_recoveries":  # (person)-[PURCHASED]->(gun)-[RECOVERED_IN]->(recovery)
            guns = self._select("recovered", "dst", wanted).rename_columns(["gun", "trace_id"])
            pairs = guns.join(self._buyers(guns["gun"]), "gun", join_type="inner").select(["trace_id", "person_key"])
        else:  # straw_buyers_of_possessors: ... -[RECOVERED_IN]->(recovery)-[POSSESSED_BY]->(possessor)
            held = self._select("possessed", "dst", wanted).rename_columns(["trace", "possessor"])
            guns = self._select("recovered", "dst", pc.unique(held["trace"])).rename_columns(["gun", "trace"])
            held = held.join(guns, "trace", join_type="inner")
            pairs = held.join(self._buyers(guns["gun"]), "gun", join_type="inner").select(["possessor", "person_key"])
        return Result(_once(pairs))

    def in_store_order(self, keys: list[str]) -> list[str] | None:
        """``keys`` in the order the store holds those persons (:mod:`algorithms.store_order`) from the base's
        node offsets: the base's persons by offset, then the others (created since, so stored after them, or
        not persons at all: a read by key finds nothing for those) as given. None without the offsets (a folder
        written before they were kept)."""
        if self.places is None:
            return None
        return _in_store_order(self.indexes[("persons", "key")], self.parts[0]["persons"]["key"], self.places, keys)

    def stored_scores(self, keys: list[str]) -> pa.Table | None:
        """What ``straw_stored_scores`` answers for ``keys`` (persons, each once): a row per key, in the order
        asked, its newest version. None when the files do not keep the scores, or do not hold one of ``keys``
        (a person they do not know of: the store is asked)."""
        if self.scores is None:
            return None
        wanted = pa.array(keys, pa.string())
        left = wanted
        found = []
        for number in range(len(self.scores) - 1, -1, -1):  # the newest part first
            if not len(left):
                break
            scores = self.scores[number]
            if number == 0:
                got = self.indexes[("persons", "key")].select(scores, "key", left)
            else:
                got = scores.filter(pc.is_in(scores["key"], value_set=left))
            if got.num_rows:
                found.append(got)
                left = left.filter(pc.invert(pc.is_in(left, value_set=got["key"])))
        if len(left) or not found:
            return None if len(left) else self.scores[0].slice(0, 0)
        rows = pa.concat_tables(found)
        return rows.take(pc.index_in(wanted, value_set=rows["key"]))

    def _keyed_read(self, statement: str, wanted: pa.Array, params: dict[str, Any]) -> pa.Table:
        """The reads by straw lookup key (``cypher/straw_keyed_*.cypher``), as the engine answers them."""
        if statement == "straw_keyed_city_dealers":  # the dealers under ql|<city>
            found = self._under("keyed_dealers", pc.binary_join_element_wise("ql|", wanted, ""))
            return pa.table({"location_key": pc.utf8_slice_codeunits(found["dst"], 3), "dealer_key": found["src"]})
        if statement == "straw_keyed_buyers":  # (key)<-(gun)<-[PURCHASED]-(person), each pair once
            guns = self._under("keyed_guns", wanted).rename_columns(["gun", "straw_key"])
            pairs = guns.join(self._buyers(guns["gun"]), "gun", join_type="inner").select(["straw_key", "person_key"])
            return _once(pairs)
        # straw_keyed_city_buyers: (key)<-(recovery within quick_days)<-(gun)<-[PURCHASED]-(person), with the
        # recovery's possessors (OPTIONAL MATCH): a row per recovery, purchase record and possessor
        under = self._under("keyed_recoveries", wanted).rename_columns(["trace", "straw_key"])
        recoveries = self._select("recoveries", "key", pc.unique(under["trace"]),
                                  ["key", "time_to_crime_days", "recovery_city", "recovery_state"])
        quick = recoveries.filter(pc.less_equal(recoveries["time_to_crime_days"], params["quick_days"]))
        quick = quick.select(["key", "recovery_city", "recovery_state"]).rename_columns(
            ["trace", "recovery_city", "recovery_state"])
        guns = self._select("recovered", "dst", quick["trace"]).rename_columns(["gun", "trace"])
        bought = self._select("purchases", "dst", pc.unique(guns["gun"]), ["src", "dst", "dealer_key"])
        bought = pa.table({"person_key": bought["src"], "gun": bought["dst"], "dealer_key": bought["dealer_key"]})
        held = self._select("possessed", "src", quick["trace"]).rename_columns(["trace", "possessor_key"])
        rows = under.join(quick, "trace", join_type="inner").join(guns, "trace", join_type="inner")
        rows = rows.join(bought, "gun", join_type="inner").join(held, "trace", join_type="left outer")
        return rows.select(["straw_key", "person_key", "recovery_city", "recovery_state", "dealer_key",
                            "possessor_key"])

    def _under(self, name: str, keys: pa.Array) -> pa.Table:
        """The entries (src, dst) of a straw lookup key table under ``keys``, each once (parts only add)."""
        return _once(self._select(name, "dst", keys))

    def _buyers(self, guns: pa.ChunkedArray) -> pa.Table:
        found = self._select("purchases", "dst", pc.unique(guns), ["src", "dst"])
        return pa.table({"person_key": found["src"], "gun": found["dst"]})

    def select_any(self, name: str, column: str, wanted: pa.Array) -> pa.Table:
        """The rows of table ``name`` whose ``column`` is one of ``wanted`` in any part, superseded or not: every
        version a key's rows had since the base was written."""
        found = []
        for number, part in enumerate(self.parts):
            table = part[name]
            if number == 0 and (name, column) in self.indexes:
                found.append(self.indexes[(name, column)].select(table, column, wanted))
            else:
                found.append(table.filter(pc.is_in(table[column], value_set=wanted)))
        return pa.concat_tables(found)

    def _select(self, name: str, column: str, wanted: pa.Array | pa.ChunkedArray,
                columns: list[str] | None = None) -> pa.Table:
        """The rows of table ``name`` whose ``column`` is one of ``wanted``, each in its newest version (only
        ``columns`` of them, and the columns a row's version is told by, when given: a take costs per column)."""
        found = []
        if isinstance(wanted, pa.ChunkedArray):
            wanted = wanted.combine_chunks()
        if columns is not None:
            domains = [own for (owner, own) in DOMAINS if owner == name]
            columns = list(dict.fromkeys([*columns, column, *domains]))
        for number, (part, later) in enumerate(zip(self.parts, self.later, strict=True)):
            table = part[name] if columns is None else part[name].select(columns)
            if number == 0 and (name, column) in self.indexes:
                got = self.indexes[(name, column)].select(table, column, wanted)
            else:
                got = table.filter(pc.is_in(table[column], value_set=wanted))
            for (owner, own_column), (label, _statement) in DOMAINS.items():
                if owner == name and label in later and got.num_rows:
                    got = got.filter(pc.invert(pc.is_in(got[own_column], value_set=later[label])))
            found.append(got)
        return pa.concat_tables(found) if len(found) > 1 else found[0]


def open_tables(store: object) -> SideTables | None:
    """The side table of an embedded store when it is current (None otherwise, and for Neo4j: read the engine)."""
    path = _file_of(store)
    if path is None or not enabled():
        return None
    manifest = current(path)
    return SideTables(path, manifest) if manifest is not None else None
