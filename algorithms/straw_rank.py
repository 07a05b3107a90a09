"""A person's place in the straw queue, derived when it is read: never stored.

The rank is the 1-based position among every person with a straw score, ordered by score descending, then
``person_key`` ascending (code-point order): the order of :func:`algorithms.straw.score` and of the ranked lists
(:mod:`api.services.ranking`). Storing it meant rewriting every rank below a new high score after each daily
batch (~40k writes per state-scale batch, most of the national write-back); the stores now hold the score only
and every reader (CLI, API, workspace snapshot, exports, reports) derives the rank from the scores here. The
``Person.straw_rank`` property stays in the schema for what readers hand out; a value an older store holds is
never read.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from graph.store import GraphStore


def ranks_from_scores(keys: Iterable[object], scores: Iterable[object]) -> pd.Series:
    """person_key -> rank (int) for every key with a score (None/NaN: unranked, left out).

    >>> ranks_from_scores(["b", "a", "c", "d"], [0.5, 0.5, 0.9, None]).to_dict()
    {'c': 1, 'a': 2, 'b': 3}
    """
    key_values = keys if isinstance(keys, pd.Series) else pd.Series([str(k) for k in keys], dtype=object)
    score_values = scores if isinstance(scores, pd.Series) else pd.Series(list(scores), dtype=object)
    frame = pd.DataFrame({"key": key_values.astype(str).to_numpy(),
                          "score": pd.to_numeric(score_values, errors="coerce").to_numpy(dtype=float)})
    frame = frame.dropna(subset=["score"]).sort_values(["score", "key"], ascending=[False, True], kind="stable")
    return pd.Series(np.arange(1, len(frame) + 1, dtype=np.int64), index=frame["key"].to_numpy(), name="straw_rank")


def straw_ranks(store: GraphStore, keys: Iterable[str] | None = None) -> dict[str, int]:
    """Rank of each of ``keys`` (all scored persons when None) that has a score: one scan of the score column."""
    table = store.node_table("Person", ("straw_score",)).to_pandas()
    ranked = ranks_from_scores(table["key"], table["straw_score"])
    if keys is not None:
        ranked = ranked.reindex(pd.Index(sorted({str(k) for k in keys}))).dropna()
    return {str(k): int(v) for k, v in ranked.items()}


def with_ranks(rows: list[dict[str, object]], ranks: dict[str, int], *, key: str = "person_key",
               column: str = "straw_rank") -> list[dict[str, object]]:
    """``rows`` with ``column`` set from ``ranks`` (None where the person has no score)."""
    return [{**row, column: ranks.get(str(row.get(key)))} for row in rows]
