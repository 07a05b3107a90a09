"""Entities several loaders share: dealers quoted by license number, firearms, resolved persons.

* Dealers: a trace, report or inspection quoting a license number reaches the ``Dealer`` keyed ``REGN-DIST-SEQN``
  whatever its expiry part; an unknown licensee becomes a stub with status ``UNLISTED``. Known dealers are never
  written from these sources (an older quoted number must not replace the latest listed one).
* Firearms: keyed by :func:`loaders.domain.parsing.firearm_keys`.
* Persons: all the mentions of a run resolved at once by :func:`loaders.identity.resolve_people` against the
  persons already stored (:meth:`PersonResolver.resolve_run`, from the loader's survey pass), so the persons do not
  depend on the batch size or on where in the file a mention sits.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from graph.store import GraphStore, read_on_two
from loaders import identity
from loaders.domain import names as nm
from loaders.domain import reference
from loaders.domain.parsing import LICENSE_PARTS
from loaders.frames import arrow

PERSON_STORED = (*identity.PERSON_FIELDS, "name_key", "record_count", "resolution_rule", "resolution_confidence")


class DealerIndex:
    """The stored dealer keys a loader has met, looked up by key as batches name them and kept as stubs are
    created. Reading every dealer key instead (87k at national scale, twice a day: the traces' and the multiple
    sales' loaders) cost a fresh process ~0.1 s and ~6,000 first-touched pages a day's load, in proportion to the
    history rather than to the batch."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.known: set[str] = set()  # keys found stored, or stubbed by this loader
        self.stubs_created = 0

    def unknown(self, keys: pd.Series) -> list[bool]:
        """Which of ``keys`` name no dealer in the store. The keys not known yet are looked up (``dealers_known``);
        a key found missing is asked again by a later call, since this loader may have stubbed it meanwhile."""
        listed = keys.tolist()
        wanted = sorted({key for key in listed if isinstance(key, str)} - self.known)
        if wanted:
            found = self.store.query("dealers_known", {"keys": wanted}).arrow().column("key")
            self.known.update(key for key in found.to_pylist() if key is not None)
        return [key not in self.known for key in listed]

    def ensure(self, licenses: pd.DataFrame, run_id: str) -> None:
        """``licenses``: columns from :func:`loaders.domain.parsing.parse_licenses` (rows with a dealer_key)."""
        rows = licenses[licenses["dealer_key"].notna()].drop_duplicates("dealer_key")
        rows = rows[self.unknown(rows["dealer_key"])]
        if rows.empty:
            return
        types = reference.license_types()
        stub = pd.DataFrame({
            "dealer_key": rows["dealer_key"], "license_number": rows["license_number"],
            "license_region": rows["region"], "license_district": rows["district"],
            "license_county": rows["county"], "license_type": rows["type"],
            "license_type_name": rows["type"].map(types), "license_expiry_code": rows["expiry"],
            "status": "UNLISTED", "load_run_id": run_id,
        })
        self.store.upsert_nodes("Dealer", arrow(stub, "Dealer"))
        self.known.update(stub["dealer_key"].tolist())
        self.stubs_created += len(stub)


def license_columns(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """The parsed license columns stored in a validated frame under ``prefix`` -> parse_licenses' names."""
    names = ("license_number", "dealer_key", *LICENSE_PARTS)
    return pd.DataFrame({n: frame[f"{prefix}{n}"] for n in names})


def firearm_nodes(frame: pd.DataFrame, run_id: str) -> pd.DataFrame:
    columns = ("firearm_key", "serial_number", "serial_normalized", "obliterated", "manufacturer",
               "manufacturer_normalized", "importer", "model", "caliber", "weapon_type", "country_of_manufacture")
    nodes = pd.DataFrame({c: frame[c] for c in columns if c in frame.columns})
    nodes["load_run_id"] = run_id
    return nodes


class PersonResolver:
    """Resolves mentions batch by batch, consistently across batches of one run and with the store."""

    def __init__(self, store: GraphStore, committed: GraphStore | None = None) -> None:
        self.store = store
        self.committed = committed  # a reader made before the run's transaction (LoadOptions.committed), or None
        # stored persons are read by the blocks the mentions need (identity.StoredLookup: only stored persons
        # sharing a surname|DOB or surname|street block, or a content key, with a mention can match it), normalised
        # once and kept current batch by batch. Reading every person sharing a surname made a 2,000-row daily load
        # read and normalise 1.42M of the national world's 1.43M persons (30 of its 40 CPU seconds).
        self.prepared: pd.DataFrame | None = None
        self.asked: dict[str, set[str]] = {"dob_blocks": set(), "street_blocks": set(), "person_keys": set(),
                                           "surnames": set()}  # what ``prepared`` already holds the persons of
        self.unblocked: bool | None = None  # whether some stored persons lack their blocks (asked once)
        self.linked: bool | None = None  # whether every stored person is linked to its blocks (asked once)
        self.created: pa.Array | None = None  # person keys the last call created
        self.assigned: pd.Series | None = None  # mention_id -> person_key of the whole run (resolve_run)
        # a resolution ahead (resolve_run): its thread, its result to come, the run
        self._ahead: tuple[ThreadPoolExecutor, Future[identity.Resolution], str] | None = None

    def _fetch(self, mentions: pd.DataFrame, normalised: identity.Normalised,
               through: GraphStore | None = None) -> None:
        """Bring the stored persons ``mentions`` can meet into ``prepared``; ``through``: read them through that
        handle alone (:meth:`resolve_run` ahead: the committed reader, from its own thread; the store's blocks are
        linked, :attr:`linked` asked before)."""
        lookup = identity.stored_lookup(mentions, normalised)
        wanted = {name: sorted(set(getattr(lookup, name)) - asked) for name, asked in self.asked.items()}
        if not any(wanted.values()):
            return
        if self.linked is None:
            self.linked = blocks_linked(self.store)
        if through is not None:
            found = [through.query("persons_by_blocks", {
                "blocks": block_keys(wanted["dob_blocks"], wanted["street_blocks"]),
                "person_keys": wanted["person_keys"]}).df()]
        elif self.linked:  # through the blocks' key index (PersonBlock <-[:IN_BLOCK]- Person)
            found = self._by_blocks(block_keys(wanted["dob_blocks"], wanted["street_blocks"]), wanted["person_keys"])
        else:  # a store older than the links (before `tracegraph init`): the block properties, scanned
            found = [self.store.query("persons_by_block_properties",
                                      {k: v for k, v in wanted.items() if k != "surnames"}).df()]
            if self.unblocked is None:  # a store older than the blocks: by surname too
                self.unblocked = int(self.store.query("persons_unblocked_count").scalar()) > 0
            if self.unblocked and wanted["surnames"]:
                found.append(self.store.query("persons_unblocked_by_surname",
                                              {"surnames": wanted["surnames"]}).df())
        known = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
        for name, values in wanted.items():
            self.asked[name].update(values)
        if known.empty:
            return
        if "dob" in known:
            known["dob"] = [d if d is None or not pd.isna(d) else None for d in known["dob"]]
        fresh = identity.prepare_known(known)
        if self.prepared is not None:
            fresh = fresh[~fresh["person_key"].isin(self.prepared["person_key"])]
            fresh = pd.concat([self.prepared, fresh], ignore_index=True)
        self.prepared = fresh

    def _by_blocks(self, blocks: list[str], person_keys: list[str]) -> list[pd.DataFrame]:
        """The stored persons in ``blocks`` or keyed by ``person_keys`` (``persons_by_blocks``). While the store
        has written nothing since :attr:`committed` was made (the first file of a day: its transaction has not
        written yet), both connections hold the same rows, so half of the blocks are read through each at once,
        the engine's reads on two cores (a fresh process reads the persons' pages cold: 0.3-1.0 CPU s at national
        scale). A person in blocks of both halves comes twice, once from each: the same row
        (:func:`loaders.identity.prepare_known` keeps one)."""
        other = self.committed
        if not self._committed_current() or len(blocks) < 2:
            return [self.store.query("persons_by_blocks", {"blocks": blocks, "person_keys": person_keys}).df()]
        half = len(blocks) // 2
        found = [result.df() for result in read_on_two(self.store, other, [
            ("persons_by_blocks", {"blocks": blocks[:half], "person_keys": person_keys}),
            ("persons_by_blocks", {"blocks": blocks[half:], "person_keys": []})])]
        return [frame for frame in found if len(frame)] or found[:1]  # (an empty half's columns may be untyped)

    def resolve_run(self, mentions: pd.DataFrame, run_id: str, *, ahead: bool = False) -> None:
        """Resolve every mention of the run in one go and write its persons; :meth:`resolve` then only looks up.
        Resolving batch by batch made the persons depend on the batch size (a cluster split over two batches
        met the stored half of itself under the rules for stored persons, which never merge).

        ``ahead``: when the store has written nothing since :attr:`committed` was made (the first file of a day),
        the mentions are resolved in a thread of their own, their stored persons read through ``committed``, while
        the caller writes what does not need the persons (its writes to other labels cannot change what the
        persons' reads return); the persons are written, on the caller's thread, by the first :meth:`resolve`
        (or :meth:`settle`). Whoever begins it ends it: :meth:`abandon` when the run fails before then."""
        if ahead and not mentions.empty and self._committed_current():
            if self.linked is None:
                self.linked = blocks_linked(self.store)  # (may write its mark: on this thread, before)
            if self.linked:
                pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="persons")
                self._ahead = (pool, pool.submit(self._resolved, mentions, self.committed), run_id)
                return
        self.assigned = self.resolve(mentions, run_id).set_index("mention_id")["person_key"]
        self.created = None  # a person's relationships may come from any batch: let the store look them up

    def _committed_current(self) -> bool:
        """Whether :attr:`committed` holds what the store holds (nothing written since it was made)."""
        other = self.committed
        return other is not None and getattr(other, "writes", None) == getattr(self.store, "writes", -1)

    def settle(self) -> None:
        """Write the persons :meth:`resolve_run` resolved ahead, if it did (on the caller's thread)."""
        if self._ahead is None:
            return
        pool, future, run_id = self._ahead
        self._ahead = None
        try:
            result = future.result()
        finally:
            pool.shutdown()
        self.assigned = self._write(result, run_id).set_index("mention_id")["person_key"]
        self.created = None

    def abandon(self) -> None:
        """Wait for a resolution ahead to end and drop it (the run failed before its persons were written)."""
        if self._ahead is not None:
            pool, _future, _run = self._ahead
            self._ahead = None
            pool.shutdown()

    def _resolved(self, mentions: pd.DataFrame, through: GraphStore | None = None) -> identity.Resolution:
        """``mentions`` resolved against the stored persons (read through ``through``, else the store); writes
        nothing."""
        mentions = mentions.reset_index(drop=True)
        normalised = identity.normalise_mentions(mentions)
        self._fetch(mentions, normalised, through)
        return identity.resolve_people(mentions, prepared=self.prepared, normalised=normalised)

    def resolve(self, mentions: pd.DataFrame, run_id: str) -> pd.DataFrame:
        """``mentions``: mention_id + PERSON_FIELDS. Writes the Person nodes; returns mention_id -> person_key."""
        self.settle()
        if mentions.empty:
            return pd.DataFrame({"mention_id": [], "person_key": []})
        if self.assigned is not None:
            found = mentions["mention_id"].map(self.assigned)
            if found.notna().all():
                return pd.DataFrame({"mention_id": mentions["mention_id"], "person_key": found})
        return self._write(self._resolved(mentions), run_id)

    def _write(self, result: identity.Resolution, run_id: str) -> pd.DataFrame:
        """Write the persons of ``result``; its mention_id -> person_key."""
        persons = result.persons.copy()
        persons["load_run_id"] = run_id
        if {"street", "city", "state", "zip"} <= set(persons.columns):  # the shared-address key, for analyses
            persons["address_key"] = nm.address_keys(persons)
        created = self.store.upsert_nodes("Person", arrow(persons, "Person")).created_keys
        self.created = created
        if created is not None and len(created):  # stored persons are linked already
            link_blocks(self.store, persons[persons["person_key"].isin(created.to_pylist())])
        self._remember(persons)
        return result.assignments[["mention_id", "person_key"]]

    def _remember(self, persons: pd.DataFrame) -> None:
        """Keep the normalised stored persons current: new persons are normalised and appended; persons
        already known only change their record count (their fields never change once stored)."""
        if self.prepared is None:
            self.prepared = identity.prepare_known(persons[list(("person_key", *PERSON_STORED))])
            return
        where = pd.Index(self.prepared["person_key"]).get_indexer(persons["person_key"])
        known = where >= 0
        counts = self.prepared["record_count"].to_numpy(dtype=float, copy=True)
        counts[where[known]] = persons["record_count"].to_numpy(dtype=float)[known]
        self.prepared["record_count"] = counts
        if (~known).any():
            fresh = identity.prepare_known(persons.loc[~known, list(("person_key", *PERSON_STORED))])
            self.prepared = pd.concat([self.prepared, fresh], ignore_index=True)


def backfill_person_blocks(store: GraphStore, chunk_rows: int = 250_000) -> int:
    """Give every stored person without them its identity-resolution blocks (``block_dob``, ``block_street``:
    :func:`loaders.identity.person_blocks` of its stored fields) and link every person to its blocks
    (:func:`link_person_blocks`); returns the persons given blocks. The migration step for a store written before
    the blocks or their links existed (``tracegraph init`` runs it); until it has run, a load still finds those
    persons, by their block properties or surname, only more slowly. Idempotent."""
    found = store.query("persons_without_blocks").df()
    for start in range(0, len(found), chunk_rows):
        part = found.iloc[start:start + chunk_rows].reset_index(drop=True)
        part["dob"] = [d if d is None or not pd.isna(d) else None for d in part["dob"]]
        dob, street = identity.person_blocks(nm.normalise_records(part[list(identity.PERSON_FIELDS)]))
        store.upsert_nodes("Person", arrow(pd.DataFrame({"person_key": part["person_key"], "block_dob": dob,
                                                         "block_street": street}), "Person"))
    link_person_blocks(store)
    return len(found)


#: the PersonBlock key marking a store whose persons are all linked to their blocks
LINKED_MARK = "*"


def block_key(kind: str, block: str) -> str:
    """The ``PersonBlock`` key of a block (``kind`` dob or street, ``block`` a non-empty ``Person.block_dob`` /
    ``block_street`` value): a digest, so the block nodes carry no name or date of birth (a purged person's
    links go with it; the digests it leaves behind name nobody)."""
    return hashlib.blake2b(f"{kind}:{block}".encode(), digest_size=16).hexdigest()


def block_keys(dob_blocks: list[str], street_blocks: list[str]) -> list[str]:
    """``PersonBlock`` keys of blocks (``Person.block_dob`` / ``block_street`` values; empty ones name none)."""
    return [block_key("dob", b) for b in dob_blocks if b] + [block_key("street", b) for b in street_blocks if b]


def _links(persons: pd.DataFrame) -> pd.DataFrame:
    """from_key (person), to_key (block key): one row per non-empty block of ``persons``."""
    parts = []
    for column, kind in (("block_dob", "dob"), ("block_street", "street")):
        values = persons[column].fillna("").astype(str)
        has = (values != "").to_numpy()
        parts.append(pd.DataFrame({"from_key": persons["person_key"].to_numpy()[has],
                                   "to_key": [block_key(kind, v) for v in values[has]]}, dtype=object))
    return pd.concat(parts, ignore_index=True)


def link_blocks(store: GraphStore, persons: pd.DataFrame, *, absent: bool = True) -> int:
    """Link ``persons`` (person_key, block_dob, block_street; written just now, or checked to lack their links:
    ``absent``) to their blocks, creating the blocks that are new. Returns the links written."""
    links = _links(persons)
    if links.empty:
        return 0
    store.upsert_nodes("PersonBlock", pd.DataFrame({"block_key": links["to_key"].drop_duplicates()}))
    created = pa.array(links["from_key"].drop_duplicates().tolist(), pa.string()) if absent else None
    store.upsert_relationships("IN_BLOCK", "Person", "PersonBlock", links, created_from=created)
    return len(links)


def blocks_linked(store: GraphStore) -> bool:
    """Whether every stored person is linked to its blocks: the mark is stored, or no person is (then the mark is
    written: every person a load writes from now on is linked as it is written)."""
    return mark_if_empty(store, _marked(store), "persons_any", "PersonBlock", {"block_key": LINKED_MARK})


def mark_if_empty(store: GraphStore, marked: bool, probe: str, label: str, mark: dict[str, str]) -> bool:
    """A store-wide mark that an index is complete (``mark``: the key of the ``label`` node that says so): already
    ``marked``, or written now when the statement ``probe`` finds nothing the index covers (every row a load writes
    from now on is indexed as it is written). Returns whether the store is marked."""
    if marked:
        return True
    if len(store.query(probe).df()):
        return False
    store.upsert_nodes(label, pd.DataFrame({column: [value] for column, value in mark.items()}))
    return True


def _marked(store: GraphStore) -> bool:
    return int(store.query("person_blocks_linked").scalar()) > 0


def link_person_blocks(store: GraphStore, chunk_rows: int = 500_000) -> int:
    """Link every stored person that is not yet to its blocks and write the mark (the migration for a store
    written before ``PersonBlock``); returns the links written. Idempotent: nothing to do once marked, nor on a
    store without persons (its first load marks it)."""
    if _marked(store) or not len(store.query("persons_any").df()):
        return 0
    persons = store.query("persons_blocks_all").df()
    have = store.query("person_block_links").df()
    links = _links(persons)
    if len(have):
        links = links.merge(have.assign(_have=True), on=["from_key", "to_key"], how="left")
        links = links[links["_have"].isna()].drop(columns="_have")
    written = 0
    for start in range(0, len(links), chunk_rows):
        part = links.iloc[start:start + chunk_rows]
        store.upsert_nodes("PersonBlock", pd.DataFrame({"block_key": part["to_key"].drop_duplicates()}))
        store.upsert_relationships("IN_BLOCK", "Person", "PersonBlock", part.reset_index(drop=True),
                                   created_from=pa.array(part["from_key"].drop_duplicates().tolist(), pa.string()))
        written += len(part)
    store.upsert_nodes("PersonBlock", pd.DataFrame({"block_key": [LINKED_MARK]}))
    return written


def mentions_frame(ids: pd.Series, fields: dict[str, pd.Series]) -> pd.DataFrame:
    """Mentions for rows that name a person (a surname at least)."""
    frame = pd.DataFrame({"mention_id": ids, **{f: fields.get(f, empty_objects(ids.index))
                                                 for f in identity.PERSON_FIELDS}})
    has_name = frame["last_name"].notna().to_numpy()
    return nulls_as_none(frame.loc[has_name].reset_index(drop=True))


def nulls_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None (never NaN) for missing values, as the identity resolver expects."""
    return frame.astype(object).where(frame.notna(), None)


def empty_objects(index: pd.Index) -> pd.Series:
    return pd.Series(np.full(len(index), None, dtype=object), index=index)
