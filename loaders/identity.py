"""Identity resolution: person mentions (trace purchasers and possessors, multiple-sale buyers) -> ``Person`` keys.

People carry no shared identifier, so records are linked the way record-linkage systems do it (Fellegi & Sunter
1969, "A theory for record linkage", JASA 64; Christen 2012, *Data Matching*, Springer): normalise, block,
compare field by field, classify pairs with agreement rules, then cluster. The rules are deterministic
agreement patterns ordered by the Fellegi-Sunter evidence they carry; each has a fixed confidence.

Normalisation (:mod:`loaders.domain.names`): case, spacing, punctuation and accents folded; suffixes (JR, SR, II...)
pulled out of the name fields; a second first-name token becomes the middle name; USPS street abbreviations and
apartment designators folded; ZIP to five digits.

Rules (a pair must never disagree on a present middle initial or a present suffix, so a father and son
``JR``/``SR`` stay apart; a name alone never links two records):

=====================================  ==========  ========================================================
rule                                   confidence  agreement
=====================================  ==========  ========================================================
``exact_name_dob``                     0.99        surname, first name and date of birth equal
``name_variant_dob``                   0.95        surname and DOB equal, first names are nickname forms
                                                   (WILLIAM/BILL; Northern & Crews ``nicknames`` table)
``name_typo_dob``                      0.92        surname and DOB equal, first names one edit apart or
                                                   Jaro-Winkler >= 0.92 (Winkler 1990)
``name_dob_swapped``                   0.85        surname and exact/nickname first name, DOB equal after
                                                   swapping day and month (US/ISO confusion)
``name_initial_dob``                   0.85        surname and DOB equal, a bare first initial matches, and
                                                   exactly one person in the block carries that initial
``name_address_no_dob``                0.88        one record has no DOB: surname, compatible first name,
                                                   street and ZIP (or city) equal, and that person is the
                                                   single best candidate at the address (ties stay apart)
``name_address_both_no_dob``           0.80        neither record has a DOB: surname, exact/nickname/typo
                                                   first name, street and ZIP (or city) equal
``new``                                1.00        no link: a person of its own
``new_ambiguous``                      0.50        matched two or more people equally well: kept apart
=====================================  ==========  ========================================================

Name-level confidences are scaled by the first-name agreement (nickname 0.97, typo 0.94, initial 0.85) where a
rule admits several. Records are clustered by connected components (Christen 2012, ch. 6); a component that
ends up holding two different suffixes or middle initials keeps only the links between records that agree on
both. A record without a usable surname and first name, or without both DOB and address, is a person of its
own (keyed from its ``mention_id``).

Keys are content-derived: a new person's key is a hash of the lexicographically smallest normalised record in
its cluster, so row order, re-runs and resumed loads give the same keys. Stored (``known``) persons are matched
after the mentions have been clustered among themselves: a cluster whose content key is already stored *is* that
person (a reload); any other cluster takes the key of the single stored person it links to by the same rules
(best confidence, then most agreeing fields; a tie, or a suffix-less no-DOB cluster against a stored JR/SR, links
to none). Two stored persons are never merged, and a stored person's fields, rule and confidence are never
rewritten (only ``record_count`` may grow), so later files cannot change how earlier ones resolve.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph.errors import InvalidInput
from loaders.domain import names as nm

PERSON_FIELDS = ("last_name", "first_name", "middle_name", "suffix", "dob", "street", "city", "state", "zip")
PERSON_COLUMNS = ("person_key", *PERSON_FIELDS, "name_key", "block_dob", "block_street", "resolution_rule",
                  "resolution_confidence", "record_count")
ASSIGNMENT_COLUMNS = ("mention_id", "person_key", "rule", "confidence")
RULE_CONFIDENCE = {
    "exact_name_dob": 0.99, "name_variant_dob": 0.95, "name_typo_dob": 0.92, "name_dob_swapped": 0.85,
    "name_initial_dob": 0.85, "name_address_no_dob": 0.88, "name_address_both_no_dob": 0.80,
    "new": 1.0, "new_ambiguous": 0.5,
}
_DOB_RULES = {nm.FIRST_EXACT: "exact_name_dob", nm.FIRST_NICKNAME: "name_variant_dob", nm.FIRST_TYPO: "name_typo_dob",
              nm.FIRST_INITIAL: "name_initial_dob"}
_LEVEL_FACTOR = np.array([0.0, 0.85, 0.94, 0.97, 1.0])  # by first-name agreement level (none..exact)
_MAX_BLOCK = 400  # profiles per blocking key before the block is split further by first name
_PROFILE_COLS = ("n_last", "n_first", "n_middle", "n_suffix", "dob_day", "n_street", "n_city", "n_state", "n_zip",
                 "solo_id")
_ATTRS = ("n_last", "n_first", "n_middle", "n_mi", "n_suffix", "dob_day", "dob_swap", "n_street", "n_city",
          "n_state", "n_zip", "has_dob", "has_addr")


@dataclass(frozen=True)
class Resolution:
    """The outcome of :func:`resolve_people`.

    ``assignments``: one row per mention (``mention_id, person_key, rule, confidence``).
    ``persons``: one row per person touched, new or known, with the ``Person`` node's loaded properties.
    """

    assignments: pd.DataFrame
    persons: pd.DataFrame


def resolve_people(mentions: pd.DataFrame, known: pd.DataFrame | None = None, *,
                   prepared: pd.DataFrame | None = None, normalised: Normalised | None = None) -> Resolution:
    """Resolve person mentions into persons, reusing the keys of ``known`` persons that match.

    ``prepared`` is ``known`` already passed through :func:`prepare_known` (a loader resolving batch after batch
    keeps it, so the stored persons are normalised once per run, not once per batch); give one or the other.
    ``normalised``: :func:`normalise_mentions` of ``mentions``, when the caller has it already.

    >>> import datetime as dt
    >>> m = pd.DataFrame({"mention_id": ["t1:purchaser", "t2:possessor", "t3:purchaser"],
    ...     "last_name": ["Smith", "SMITH ", "Smith"], "first_name": ["William", "bill", "William"],
    ...     "middle_name": [None, None, None], "suffix": [None, None, None],
    ...     "dob": [dt.date(1980, 5, 1), dt.date(1980, 5, 1), dt.date(1991, 2, 3)],
    ...     "street": ["1 Main Street", "1 MAIN ST", "1 Main Street"], "city": ["Ames"] * 3,
    ...     "state": ["IA"] * 3, "zip": ["50010"] * 3})
    >>> r = resolve_people(m)
    >>> r.assignments["person_key"].nunique(), list(r.assignments["rule"])
    (2, ['name_variant_dob', 'name_variant_dob', 'new'])
    """
    rec, prof, profile_of = normalised if normalised is not None else normalise_mentions(mentions)
    links, ambiguous = _find_links(prof)
    person_of, links = _cluster(prof, links)
    fresh = _fresh_keys(prof, person_of)
    mapped = pd.DataFrame({"pid": np.zeros(0, dtype=np.int64), "key": None, "rule": None, "confidence": 0.0})
    stored = prepared if prepared is not None else (prepare_known(known) if known is not None and len(known)
                                                    else pd.DataFrame())
    if len(stored):
        mapped = _match_known(prof, person_of, fresh, stored)
    return _assemble(rec, prof, profile_of, person_of, links, ambiguous, fresh, mapped, stored)


class Normalised(NamedTuple):
    """Mentions normalised for matching (:func:`normalise_mentions`): their records, their distinct profiles and
    each record's profile."""

    records: pd.DataFrame
    profiles: pd.DataFrame
    profile_of: np.ndarray


def normalise_mentions(mentions: pd.DataFrame) -> Normalised:
    """``mentions`` (mention_id + PERSON_FIELDS) normalised once for both :func:`stored_lookup` and
    :func:`resolve_people` (each normalised them on its own: 0.1-0.2 CPU s of a national day's load)."""
    rec = _records(mentions)
    return Normalised(rec, *_profiles(rec))


def _records(mentions: pd.DataFrame) -> pd.DataFrame:
    _require(mentions, ("mention_id", *PERSON_FIELDS), "mentions")
    if mentions["mention_id"].isna().any() or mentions["mention_id"].duplicated().any():
        raise InvalidInput("mentions: mention_id must be present and unique")
    rec = nm.normalise_records(mentions)
    rec["mention_id"] = mentions["mention_id"].astype(str).to_numpy()
    rec["solo_id"] = np.where(rec["usable"], "", "m:" + rec["mention_id"])  # unusable: a person of its own
    return rec


def person_blocks(rec: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The blocking keys stored on a ``Person`` (``block_dob``, ``block_street``) from its normalised record
    (:func:`loaders.domain.names.normalise_records` of the person's own stored fields, exactly what
    :func:`prepare_known` matches on): ``surname|DOB day number`` and ``surname|normalised street``, ``""`` where
    the record is unusable for matching or lacks the field (no rule can then use that block)."""
    last = rec["n_last"].to_numpy(dtype=object)
    usable = rec["usable"].to_numpy(dtype=bool)
    day = rec["dob_day"].to_numpy().astype(str).astype(object)
    dob = np.where(usable & rec["has_dob"].to_numpy(dtype=bool), last + "|" + day, "")
    streets = last + "|" + rec["n_street"].to_numpy(dtype=object)
    street = np.where(usable & rec["has_addr"].to_numpy(dtype=bool), streets, "")
    return dob.astype(object), street.astype(object)


@dataclass(frozen=True)
class StoredLookup:
    """What to read of the stored persons so that :func:`resolve_people` gives the persons it would give with
    every stored person: every rule joins a mention with a stored person on ``surname + DOB`` (the DOB as is or
    day/month swapped) or on ``surname + street``, and a cluster *is* a stored person only when its content key
    (the key of one of its profiles) is stored. So the stored persons sharing one of ``dob_blocks`` /
    ``street_blocks`` (their ``block_dob`` / ``block_street``), plus those keyed by one of ``person_keys``,
    are all the stored persons the mentions can meet; any more are read for nothing."""

    dob_blocks: list[str]
    street_blocks: list[str]
    person_keys: list[str]
    surnames: list[str]  # for stored persons whose blocks were never computed (a store older than the blocks)


def stored_lookup(mentions: pd.DataFrame, normalised: Normalised | None = None) -> StoredLookup:
    """The blocks and keys of ``mentions`` (mention_id + PERSON_FIELDS; ``normalised``: as for
    :func:`resolve_people`) for reading the stored persons."""
    rec, prof, _ = normalised if normalised is not None else normalise_mentions(mentions)
    usable = rec[rec["usable"]]
    last = usable["n_last"].to_numpy(dtype=object)
    dob = usable["has_dob"].to_numpy(dtype=bool)
    swap = dob & (usable["dob_swap"].to_numpy() >= 0)
    addr = usable["has_addr"].to_numpy(dtype=bool)
    dob_blocks = set(last[dob] + "|" + usable["dob_day"].to_numpy()[dob].astype(str).astype(object))
    dob_blocks |= set(last[swap] + "|" + usable["dob_swap"].to_numpy()[swap].astype(str).astype(object))
    street_blocks = set(last[addr] + "|" + usable["n_street"].to_numpy(dtype=object)[addr])
    keys = {person_key_for(c) for c in prof["canonical"]}
    surnames = set(rec["n_last"]) - {""}
    return StoredLookup(sorted(dob_blocks), sorted(street_blocks), sorted(keys), sorted(surnames))


def prepare_known(known: pd.DataFrame) -> pd.DataFrame:
    """Stored persons (``person_key``, the person fields, ``record_count``) normalised for matching."""
    _require(known, ("person_key", *PERSON_FIELDS), "known")
    known = known[known["person_key"].notna()].drop_duplicates("person_key").reset_index(drop=True)
    stored = nm.normalise_records(known)
    stored["person_key"] = known["person_key"].astype(str).to_numpy()
    counts = known["record_count"] if "record_count" in known else pd.Series(np.nan, index=known.index)
    stored["record_count"] = pd.to_numeric(counts, errors="coerce").to_numpy()
    return stored


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{what}: missing column(s) {', '.join(missing)}")


def person_key_for(canonical: str) -> str:
    """The key of a new person: ``P`` + 16 hex digits of BLAKE2b over its canonical record."""
    return "P" + hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).hexdigest()


def _profiles(rec: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Identical normalised records folded into profiles, numbered in content order (row order never matters)."""
    codes = pd.DataFrame({c: pd.factorize(rec[c], sort=True)[0] for c in _PROFILE_COLS})
    profile_of = codes.groupby(list(_PROFILE_COLS), sort=True).ngroup().to_numpy()
    prof = rec[[*_ATTRS, "solo_id", "usable"]].groupby(profile_of, sort=True).first()
    prof["count"] = np.bincount(profile_of, minlength=len(prof))
    dob_text = pd.Series(rec["dob"].to_numpy()).groupby(profile_of).first().map(
        lambda d: d.isoformat() if d is not None else "")
    parts = [prof[c].astype(str) for c in ("n_last", "n_first", "n_middle", "n_suffix")] + [dob_text.astype(str)]
    parts += [prof[c].astype(str) for c in ("n_street", "n_city", "n_state", "n_zip", "solo_id")]
    prof["canonical"] = parts[0].str.cat(parts[1:], sep="|")
    return prof.reset_index(drop=True).assign(pid=np.arange(len(prof))), profile_of


# --- candidate pairs ------------------------------------------------------------------------------------------

def _join(a: pd.DataFrame, b: pd.DataFrame | None, left: list[str], right: list[str]) -> pd.DataFrame:
    """Rows of ``a`` and ``b`` (``a`` itself when None, each pair once) agreeing on the blocking keys, with the
    attributes of both sides (suffixes ``_a``/``_b``). Oversized blocks are split further by first name."""
    b_ = a if b is None else b
    size = a.groupby(left).size().rename("block_size")
    frames = []
    for extra, big in (([], False), (["n_first"], True)):
        lhs = a.join(size, on=left)
        lhs = lhs[(lhs["block_size"] > _MAX_BLOCK) == big]
        pairs = lhs[["pid", *_ATTRS]].merge(b_[["pid", *_ATTRS]], left_on=[*left, *extra], right_on=[*right, *extra],
                                            suffixes=("_a", "_b"))
        for col in {*left, *extra} & {*right, *extra}:  # a key joined on itself comes back once, unsuffixed
            if col in pairs.columns:
                pairs[col + "_a"] = pairs[col + "_b"] = pairs.pop(col)
        frames.append(pairs[pairs["pid_a"] < pairs["pid_b"]] if b is None else pairs)
    return pd.concat(frames, ignore_index=True)


def _candidates(a: pd.DataFrame, b: pd.DataFrame | None) -> pd.DataFrame:
    """Every pair of ``a`` x ``b`` (or within ``a``) that one rule accepts: ``u`` (from ``a``), ``v``, ``rule``,
    ``level`` (first-name agreement), ``confidence`` and ``score`` (agreeing fields, to break ties)."""
    a, b_ = a[a["usable"]], (None if b is None else b[b["usable"]])
    b_side = a if b_ is None else b_
    dob_a, dob_b = a[a["has_dob"]], None if b_ is None else b_[b_["has_dob"]]
    same_day = _join(dob_a, dob_b, ["n_last", "dob_day"], ["n_last", "dob_day"])
    swapped = _join(dob_a[dob_a["dob_swap"] >= 0], b_side[b_side["has_dob"]], ["n_last", "dob_swap"],
                    ["n_last", "dob_day"])
    if b_ is None:  # the swap join is asymmetric: keep each pair once
        swapped = swapped[swapped["pid_a"] != swapped["pid_b"]]
        swapped = swapped.assign(lo=np.minimum(swapped["pid_a"], swapped["pid_b"]))
        swapped = swapped[swapped["pid_a"] == swapped["lo"]].drop(columns="lo")
    addr_a, addr_b = a[a["has_addr"]], None if b_ is None else b_[b_["has_addr"]]
    address = _join(addr_a, addr_b, ["n_last", "n_street"], ["n_last", "n_street"])
    address = address[~(address["has_dob_a"] & address["has_dob_b"])]
    zip_a, zip_b = address["n_zip_a"].to_numpy(), address["n_zip_b"].to_numpy()
    city_a, city_b = address["n_city_a"].to_numpy(), address["n_city_b"].to_numpy()
    st_a, st_b = address["n_state_a"].to_numpy(), address["n_state_b"].to_numpy()
    same_city = (city_a != "") & (city_a == city_b) & ((st_a == "") | (st_b == "") | (st_a == st_b))
    address = address[np.where((zip_a != "") & (zip_b != ""), zip_a == zip_b, same_city)]
    out = []
    for pairs, kind in ((same_day, "day"), (swapped, "swap"), (address, "addr")):
        level = nm.first_name_agreement(pairs["n_first_a"].to_numpy(), pairs["n_first_b"].to_numpy())
        ok = _compatible(pairs)
        if kind == "day":
            ok &= level >= nm.FIRST_INITIAL
            rule = np.array([_DOB_RULES.get(int(lv), "") for lv in level], dtype=object)
        elif kind == "swap":
            ok &= level >= nm.FIRST_NICKNAME
            rule = np.full(len(pairs), "name_dob_swapped", dtype=object)
        else:
            neither = ~pairs["has_dob_a"].to_numpy() & ~pairs["has_dob_b"].to_numpy()
            ok &= level >= np.where(neither, nm.FIRST_TYPO, nm.FIRST_INITIAL)
            rule = np.where(neither, "name_address_both_no_dob", "name_address_no_dob").astype(object)
        conf = np.array([RULE_CONFIDENCE.get(r, 0.0) for r in rule]) * _LEVEL_FACTOR[level]
        out.append(pd.DataFrame({"u": pairs["pid_a"].to_numpy(), "v": pairs["pid_b"].to_numpy(), "rule": rule,
                                 "level": level, "confidence": conf, "score": _agreement(pairs)})[ok])
    return pd.concat(out, ignore_index=True)


def _compatible(pairs: pd.DataFrame) -> np.ndarray:
    """Never link records that disagree on a present middle initial or a present suffix (JR vs SR)."""
    ok = np.ones(len(pairs), dtype=bool)
    for col in ("n_mi", "n_suffix"):
        x, y = pairs[col + "_a"].to_numpy(), pairs[col + "_b"].to_numpy()
        ok &= (x == "") | (y == "") | (x == y)
    return ok


def _agreement(pairs: pd.DataFrame) -> np.ndarray:
    """Fellegi-Sunter style evidence count: fields present on both sides and equal (middle and suffix count
    double, being the fields that tell namesakes, fathers and sons apart)."""
    score = np.zeros(len(pairs), dtype=np.int64)
    for col, weight in (("n_first", 1), ("n_middle", 2), ("n_mi", 1), ("n_suffix", 2), ("n_street", 1),
                        ("n_zip", 1), ("n_city", 1)):
        x, y = pairs[col + "_a"].to_numpy(), pairs[col + "_b"].to_numpy()
        score += weight * ((x != "") & (x == y))
    return score


# --- clustering the mentions --------------------------------------------------------------------------------------

def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _find_links(prof: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Accepted links between profiles, and a flag per profile that matched several persons equally well."""
    n = len(prof)
    cand = _candidates(prof, None)
    strong = cand[cand["rule"].isin(["exact_name_dob", "name_variant_dob", "name_typo_dob", "name_dob_swapped"])]
    comp = _components(n, strong["u"].to_numpy(), strong["v"].to_numpy())
    # a bare initial joins the one person of its block carrying that initial, never one of several
    first_len = prof["n_first"].str.len().to_numpy()
    weak = cand[cand["rule"] == "name_initial_dob"]
    flip = first_len[weak["u"].to_numpy()] != 1
    weak = weak.assign(u=np.where(flip, weak["v"], weak["u"]), v=np.where(flip, weak["u"], weak["v"]))
    weak = weak[weak.assign(cu=comp[weak["u"]], cv=comp[weak["v"]]).groupby("cu")["cv"].transform("nunique") == 1]
    comp = _components(n, np.concatenate([strong["u"], weak["u"]]), np.concatenate([strong["v"], weak["v"]]))
    # a record without DOB joins the single best person with a DOB at its address
    one = cand[cand["rule"] == "name_address_no_dob"]
    flip = prof["has_dob"].to_numpy()[one["u"].to_numpy()]
    one = one.assign(u=np.where(flip, one["v"], one["u"]), v=np.where(flip, one["u"], one["v"]))
    attach, ambiguous = _best_unique(one.assign(person=comp[one["v"].to_numpy()]), prof, comp)
    # records without DOB that joined no one pair up among themselves by name and address
    both = cand[cand["rule"] == "name_address_both_no_dob"]
    taken = np.zeros(n, dtype=bool)
    taken[attach["u"].to_numpy()] = True
    taken[ambiguous] = True
    both = both[~taken[both["u"].to_numpy()] & ~taken[both["v"].to_numpy()]]
    flags = np.zeros(n, dtype=bool)
    flags[ambiguous] = True
    return pd.concat([strong, weak, attach, both], ignore_index=True)[["u", "v", "rule", "confidence"]], flags


def _best_unique(cand: pd.DataFrame, prof: pd.DataFrame, comp: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Per ``u``, the candidate of the single best ``person`` (by confidence, then score); ties and suffix doubts
    are ambiguous. Returns the winning rows and the ambiguous ``u``."""
    # a record without suffix where someone is recorded as JR/SR may be the father or the son: ambiguous
    sfx = prof["n_suffix"].to_numpy()
    with_suffix = np.unique(comp[(sfx != "") & prof["has_dob"].to_numpy()])
    doubtful = cand.loc[(sfx[cand["u"].to_numpy()] == "") & np.isin(cand["person"], with_suffix), "u"].unique()
    cand = cand.sort_values(["u", "person", "confidence", "score", "v"], ascending=[True, True, False, False, True])
    cand = cand.drop_duplicates(["u", "person"])
    cand = cand.sort_values(["u", "confidence", "score", "v"], ascending=[True, False, False, True])
    rank = cand.groupby("u").cumcount().to_numpy()
    best, runner = cand[rank == 0], cand[rank == 1].set_index("u")
    tie = ((best["confidence"].to_numpy() == runner["confidence"].reindex(best["u"]).to_numpy())
           & (best["score"].to_numpy() == runner["score"].reindex(best["u"]).to_numpy()))
    tie |= best["u"].isin(doubtful).to_numpy()
    return best[~tie], best["u"].to_numpy()[tie]


def _cluster(prof: pd.DataFrame, links: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Connected components of the links; a component holding two suffixes or middle initials keeps only links
    between records that agree on both. Returns the person number of each profile and the links kept."""
    n = len(prof)
    comp = _components(n, links["u"].to_numpy(), links["v"].to_numpy())
    for col in ("n_suffix", "n_mi"):
        values = prof[col].to_numpy()
        present = pd.DataFrame({"comp": comp, "value": values})[values != ""]
        counts = present.groupby("comp")["value"].nunique()
        bad = counts.index[counts > 1].to_numpy()
        if len(bad):
            u, v = links["u"].to_numpy(), links["v"].to_numpy()
            links = links[~(np.isin(comp[u], bad) & (values[u] != values[v]))]
            comp = _components(n, links["u"].to_numpy(), links["v"].to_numpy())
    return comp, links


def _fresh_keys(prof: pd.DataFrame, person_of: np.ndarray) -> np.ndarray:
    """Content key of each person: the hash of its first profile in content order."""
    first = pd.Series(np.arange(len(prof))).groupby(person_of).min().to_numpy()
    canonical = prof["canonical"].to_numpy()
    return np.array([person_key_for(canonical[p]) for p in first], dtype=object)


# --- stored persons -----------------------------------------------------------------------------------------------

def _match_known(prof: pd.DataFrame, person_of: np.ndarray, fresh: np.ndarray,
                 stored: pd.DataFrame) -> pd.DataFrame:
    """Stored keys for profiles of this call: ``pid, key, rule, confidence`` (rule None: a reload, same key)."""
    keys = stored["person_key"].to_numpy()
    hit = _isin(fresh[person_of], keys)
    out = [pd.DataFrame({"pid": np.flatnonzero(hit), "key": fresh[person_of][hit], "rule": None,
                         "confidence": np.nan})]
    open_prof = prof[~hit]
    # every rule blocks on the surname: only stored persons sharing one with an open profile can match
    maybe = ~_isin(keys, fresh) & _isin(stored["n_last"].to_numpy(), open_prof["n_last"].to_numpy())
    others = stored[maybe].reset_index(drop=True).assign(pid=lambda f: np.arange(len(f)) + len(prof))
    if not len(open_prof) or not len(others):
        return pd.concat(out, ignore_index=True)
    cand = _candidates(open_prof, others)
    cand = cand.assign(person=person_of[cand["u"].to_numpy()])
    # the stored person must agree with everything the cluster is sure of
    sfx, mi = _person_value(prof, person_of, "n_suffix"), _person_value(prof, person_of, "n_mi")
    dobs = pd.DataFrame({"person": person_of, "day": prof["dob_day"].to_numpy()})
    dobs = dobs[dobs["day"] >= 0].groupby("person")["day"]
    lo = dobs.min().reindex(range(len(fresh))).fillna(-1).to_numpy()[cand["person"].to_numpy()]
    hi = dobs.max().reindex(range(len(fresh))).fillna(-1).to_numpy()[cand["person"].to_numpy()]
    row, p = cand["v"].to_numpy() - len(prof), cand["person"].to_numpy()
    k_sfx, k_mi, k_day, k_swap = (others[c].to_numpy()[row] for c in ("n_suffix", "n_mi", "dob_day", "dob_swap"))
    fits = ((sfx[p] == "") | (k_sfx == "") | (sfx[p] == k_sfx)) & ((mi[p] == "") | (k_mi == "") | (mi[p] == k_mi))
    fits &= (lo < 0) | (k_day < 0) | (k_day == lo) | (k_day == hi) | (k_swap == lo) | (k_swap == hi)
    # a suffix-less person without DOB against a stored JR/SR: father or son, cannot tell
    fits &= ~((lo < 0) & (sfx[p] == "") & (k_sfx != ""))
    cand = cand[fits].assign(key=others["person_key"].to_numpy()[row[fits]])
    # the whole cluster goes to its single best stored person; a cluster torn between several goes record by
    # record (each to its own single best), so two stored persons are never merged
    won, torn = _single_best(cand, "person")
    whole = won[["person", "key", "rule", "confidence"]].merge(
        pd.DataFrame({"person": person_of, "pid": np.arange(len(prof))}), on="person")
    out.append(whole.drop(columns="person"))
    by_record, _ = _single_best(cand[cand["person"].isin(torn)], "u")
    out.append(by_record.rename(columns={"u": "pid"})[["pid", "key", "rule", "confidence"]])
    return pd.concat(out, ignore_index=True)


def _isin(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Hash-based membership (``np.isin`` on object arrays is quadratic)."""
    return pd.Index(pool).unique().get_indexer(values) >= 0 if len(pool) else np.zeros(len(values), dtype=bool)


def _single_best(cand: pd.DataFrame, by: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Per ``by``, the best stored key by confidence then score if it beats every other key; and the tied."""
    cand = cand.sort_values([by, "confidence", "score", "key"], ascending=[True, False, False, True])
    cand = cand.drop_duplicates([by, "key"])
    rank = cand.groupby(by).cumcount().to_numpy()
    best, runner = cand[rank == 0], cand[rank == 1].set_index(by)
    tie = ((best["confidence"].to_numpy() == runner["confidence"].reindex(best[by]).to_numpy())
           & (best["score"].to_numpy() == runner["score"].reindex(best[by]).to_numpy()))
    return best[~tie], best[by].to_numpy()[tie]


def _person_value(prof: pd.DataFrame, person_of: np.ndarray, col: str) -> np.ndarray:
    """The one non-empty value of ``col`` per person ("" if none); clustering leaves at most one."""
    values = pd.Series(prof[col].to_numpy())
    present = values != ""
    return values[present].groupby(person_of[present.to_numpy()]).max().reindex(
        range(person_of.max() + 1 if len(person_of) else 0)).fillna("").to_numpy(dtype=object)


# --- output -------------------------------------------------------------------------------------------------------

def _profile_rules(prof: pd.DataFrame, links: pd.DataFrame, ambiguous: np.ndarray) -> pd.DataFrame:
    """Rule and confidence per profile: its most confident link, duplicates, or ``new``/``new_ambiguous``."""
    ends = pd.concat([links[["u", "rule", "confidence"]].rename(columns={"u": "pid"}),
                      links[["v", "rule", "confidence"]].rename(columns={"v": "pid"}),
                      _duplicate_links(prof).rename(columns={"u": "pid"})[["pid", "rule", "confidence"]]])
    best = ends.sort_values(["pid", "confidence", "rule"], ascending=[True, False, True]).drop_duplicates("pid")
    out = pd.DataFrame({"rule": np.where(ambiguous, "new_ambiguous", "new").astype(object),
                        "confidence": np.where(ambiguous, RULE_CONFIDENCE["new_ambiguous"], RULE_CONFIDENCE["new"])})
    out.loc[best["pid"].to_numpy(), "rule"] = best["rule"].to_numpy()
    out.loc[best["pid"].to_numpy(), "confidence"] = best["confidence"].to_numpy()
    return out


def _duplicate_links(prof: pd.DataFrame) -> pd.DataFrame:
    """Pseudo-links for profiles that several mentions share (identical normalised records)."""
    dup = prof[(prof["count"] > 1) & prof["usable"]]
    rule = np.where(dup["has_dob"], "exact_name_dob", "name_address_both_no_dob")
    conf = np.where(dup["has_dob"], RULE_CONFIDENCE["exact_name_dob"], RULE_CONFIDENCE["name_address_both_no_dob"])
    return pd.DataFrame({"u": dup["pid"].to_numpy(), "v": dup["pid"].to_numpy(), "rule": rule, "confidence": conf})


def _assemble(rec: pd.DataFrame, prof: pd.DataFrame, profile_of: np.ndarray, person_of: np.ndarray,
              links: pd.DataFrame, ambiguous: np.ndarray, fresh: np.ndarray, mapped: pd.DataFrame,
              stored: pd.DataFrame) -> Resolution:
    pkey = fresh[person_of].astype(object)  # key per profile
    pkey[mapped["pid"].to_numpy(dtype=np.int64)] = mapped["key"].to_numpy()
    rules = _profile_rules(prof, links, ambiguous)
    # a lone record that a stored person absorbed reports the rule that linked it there
    via = mapped[mapped["rule"].notna()]
    lone = rules["rule"].iloc[via["pid"]].str.startswith("new").to_numpy()
    rules.loc[via["pid"].to_numpy()[lone], "rule"] = via["rule"].to_numpy()[lone]
    rules.loc[via["pid"].to_numpy()[lone], "confidence"] = via["confidence"].astype(float).to_numpy()[lone]
    key = pkey[profile_of]
    assignments = pd.DataFrame({"mention_id": rec["mention_id"].to_numpy(), "person_key": key,
                                "rule": rules["rule"].to_numpy()[profile_of],
                                "confidence": rules["confidence"].to_numpy()[profile_of]})

    # new persons: the most complete (then most frequent) record, its gaps filled from the next ones
    stored_keys = stored["person_key"].to_numpy() if len(stored) else np.zeros(0, dtype=object)
    ranked = rec.assign(key=key, pid=profile_of, profile_count=prof["count"].to_numpy()[profile_of])
    ranked = ranked[~_isin(key, stored_keys)].sort_values(
        ["key", "completeness", "profile_count", "pid", "raw_sort"], ascending=[True, False, False, True, True])
    ranked = ranked.assign(n_last=ranked["n_last"].replace("", None), n_first=ranked["n_first"].replace("", None))
    firsts = ranked.groupby("key", sort=True)[[*PERSON_FIELDS, "n_last", "n_first"]].first()
    strongest = _strongest(prof, links, pkey)
    counts = pd.Series(key).value_counts()
    new = pd.DataFrame({"person_key": firsts.index.to_numpy()})
    for col in PERSON_FIELDS:
        new[col] = firsts[col].to_numpy(dtype=object)
    new["name_key"] = (firsts["n_last"].fillna("") + "|" + firsts["n_first"].fillna("")).to_numpy()
    new["resolution_rule"] = strongest["rule"].reindex(firsts.index).fillna("new").to_numpy()
    new["resolution_confidence"] = strongest["confidence"].reindex(firsts.index).fillna(1.0).to_numpy()
    new["record_count"] = counts.reindex(firsts.index).to_numpy()
    frames = [new]
    if len(stored):
        # stored persons touched: their fields stay as stored; only record_count may grow (max, so reloads add 0)
        touched = stored[stored["person_key"].isin(counts.index)]
        old = pd.DataFrame({"person_key": touched["person_key"].to_numpy()})
        for col in PERSON_FIELDS:
            old[col] = touched[col].to_numpy()
        old["name_key"] = (touched["n_last"] + "|" + touched["n_first"]).to_numpy()
        old["resolution_rule"], old["resolution_confidence"] = None, np.nan
        old["record_count"] = np.maximum(counts.reindex(old["person_key"]).to_numpy(),
                                         touched["record_count"].fillna(0).to_numpy())
        frames.append(old)
    persons = pd.concat(frames, ignore_index=True).sort_values("person_key", ignore_index=True)
    persons["block_dob"], persons["block_street"] = person_blocks(nm.normalise_records(persons[list(PERSON_FIELDS)]))
    persons["record_count"] = persons["record_count"].astype("int64")
    persons["resolution_confidence"] = persons["resolution_confidence"].astype("float64")
    for col in ("person_key", *PERSON_FIELDS, "name_key", "block_dob", "block_street", "resolution_rule"):
        values = persons[col].to_numpy(dtype=object)
        persons[col] = pd.Series(np.where(pd.isna(values), None, values), dtype=object)
    return Resolution(assignments=assignments.astype({"mention_id": object, "person_key": object, "rule": object}),
                      persons=persons[list(PERSON_COLUMNS)])


def _strongest(prof: pd.DataFrame, links: pd.DataFrame, pkey: np.ndarray) -> pd.DataFrame:
    """Per person key, its most confident link (identical duplicates count as ``exact``)."""
    both = pd.concat([links, _duplicate_links(prof)], ignore_index=True)
    ku, kv = pkey[both["u"].to_numpy()], pkey[both["v"].to_numpy()]
    both = both[ku == kv].assign(key=ku[ku == kv])
    best = both.sort_values(["key", "confidence", "rule"], ascending=[True, False, True])
    return best.drop_duplicates("key").set_index("key")[["rule", "confidence"]]
