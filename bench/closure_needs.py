"""Why an incremental run reads each person of its straw closure: the question behind per-group summaries (#21).

The closure (:meth:`algorithms.straw_neighbourhood.Neighbourhood.mates` without ``tying``) reads the rows of every
member of every group of the changed persons. This splits those persons by what their rows are needed for:

* ``changed``: the persons scored (their own values come from their own rows);
* ``partners``: persons a changed person is tied to (:attr:`algorithms.straw_features.PersonFeatures.pairs`): the
  tie, its specificity, the partner counts and the propagation need who they are and their rows' days;
* ``count_only``: the others. They tie no changed person: their rows only count, in a windowed group's crowd
  (supply line, corridor, multiple-sale counter: ``n``, the persons within the window of a tied pair) and size
  (the group's limit), in a recovered-together group's size, or as the first ``limit + 1`` members of a group
  found too big. Only these could be replaced by a stored per-group summary; a non-windowed small group (a
  dealer-day, an address, a common possessor, a lead, a purchaser and their possessor) ties all its members, so
  its members are all partners.

``count_only_by_kinds``: the count-only persons by the kinds of the changed persons' groups they are members of
(``big``: a group found too big here); ``rows``: the purchase and possession rows read, by holder. Nothing is
written. Use a copy of a store with new loads:

    .venv/bin/python bench/closure_needs.py /tmp/me/loaded1.lbug --buffer-pool-mb 2048
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from algorithms import incremental, straw_features
from algorithms.analyze import stage_timer
from algorithms.runs import new_load_runs
from algorithms.straw_neighbourhood import Neighbourhood
from algorithms.tables import isin
from graph.embedded_store import EmbeddedStore
from graph.store import GraphStore

#: the group kinds whose members need not all be tied to one another (a window, or recovered within 30 days)
COUNTING_KINDS = frozenset({"sl", "co", "sc", "rt"})


def person_lane(store: GraphStore) -> tuple[Neighbourhood, set[str], set[str], straw_features.PersonFeatures,
                                            dict[str, float]]:
    """The person lane's first stages as :func:`algorithms.incremental._person_lane` runs them
    (:func:`algorithms.incremental.straw_stages`) on a migrated store: the neighbourhood, the changed persons, the
    closure, the features; and the CPU seconds of each."""
    _base, runs, _kinds = new_load_runs(store)
    seeds, _traces, _guns = incremental._seeds(store, set(runs))
    cpu: dict[str, float] = {}
    hood, changed, closure, features = incremental.straw_stages(store, seeds, None,
                                                                stage_timer(lambda _message: None, {}, cpu))
    return hood, changed, closure, features, cpu


def needs(hood: Neighbourhood, changed: set[str], closure: set[str],
          features: straw_features.PersonFeatures) -> dict[str, Any]:
    """The closure split by what its persons' rows are needed for (see the module's text)."""
    pairs = features.pairs
    tied = pairs[isin(pairs["a"], changed) | isin(pairs["b"], changed)]
    partners = (set(tied["a"]) | set(tied["b"])) & closure - changed
    count_only = closure - changed - partners
    members = hood.members
    theirs = members[isin(members["person_key"], changed)]
    big = hood.too_big()
    groups = set(theirs["group"]) - big
    grown = set(theirs["group"]) & set(hood.grown)
    rows = members[isin(members["person_key"], count_only)]
    kinds = rows[isin(rows["group"], groups)].assign(kind=lambda x: x["group"].str[:2])
    by_person = kinds.groupby("person_key")["kind"].agg(lambda k: "+".join(sorted(set(k))))
    in_grown = set(rows.loc[isin(rows["group"], grown), "person_key"])
    labels = pd.Series({p: (by_person.get(p, "") + ("+big" if p in in_grown else "")).strip("+") or "none"
                        for p in count_only}, dtype=object)
    t = hood.tables()
    held = {"changed": changed, "partners": partners, "count_only": count_only}
    return {"closure": len(closure), "changed": len(changed), "partners": len(partners),
            "count_only": len(count_only),
            "count_only_by_kinds": {k: int(v) for k, v in labels.value_counts().items()},
            "partners_by_tie": {k: int(v) for k, v in tied.assign(
                other=tied["a"].where(~isin(tied["a"], changed), tied["b"]))
                .pipe(lambda x: x[~isin(x["other"], changed)]).groupby("kind")["other"].nunique().items()},
            "rows": {name: {who: int(isin(frame[column], persons).sum()) for who, persons in held.items()}
                     | {"all": len(frame)}
                     for name, frame, column in (("purchases", t.purchases, "src"),
                                                 ("possessed", t.possessed, "dst"))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--buffer-pool-mb", type=int, default=None)
    args = parser.parse_args()
    with EmbeddedStore(args.store, buffer_pool_mb=args.buffer_pool_mb) as store:
        hood, changed, closure, features, cpu = person_lane(store)
        print(json.dumps({"cpu_s": {k: round(v, 2) for k, v in cpu.items()},
                          **needs(hood, changed, closure, features)}, indent=1))


if __name__ == "__main__":
    main()
