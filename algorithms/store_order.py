"""Keys in the order the store holds their nodes, for a read of many nodes' properties by key.

The embedded engine reads a property of a node looked up by key from the column chunk that holds it; numeric
columns are stored compressed, so keys in no particular order (sorted by key, say) cost about one chunk's
decompression each, and the same keys in the order of their nodes' offsets read each chunk once. On the national
store, the straw stage's read of 34k persons' stored scores (``straw_stored_scores``: three DOUBLE columns, the
indicators and the run id) took 0.72 CPU s in key order and 0.15 in store order, plus 0.09 to find the order
(``persons_in_store_order``: the key column only, which is cheap). The rows read are the same; only their order
differs. (A read through a relationship, ``networks_of_persons``, gained nothing from it: not used there.)
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from graph.store import GraphStore


def persons_in_store_order(store: GraphStore, keys: Collection[str]) -> list[str]:
    """Those of ``keys`` that exist as persons, in the order the store holds them (Neo4j: in the order given)."""
    if not keys:
        return []
    found = store.query("persons_in_store_order", {"keys": list(keys)}).arrow()
    order = np.argsort(found.column("place").to_numpy(zero_copy_only=False), kind="stable")
    return list(found.column("key").take(order).to_pylist())
