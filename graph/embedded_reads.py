"""How the embedded store reads the stored relationships of a batch before it writes it (the statements'
shapes, chosen against LadybugDB 0.22's planner on the national world: docs/performance.md, "The daily load's own
cost")."""

from __future__ import annotations

from collections.abc import Callable

from graph.identifiers import quote
from graph.schema import NodeLabel, RelType
from graph.store import FROM_KEY, TO_KEY


def count_relationships(rel: RelType, from_label: str, to_label: str, at_most: int | None = None) -> str:
    """How many ``rel`` relationships run from ``from_label`` to ``to_label``, counted up to ``at_most``. The engine
    answers a type with one pair of endpoints from its statistics (~2 ms), but counts a type with several
    (``IN_STRAW_KEY``) by scanning it: 0.13 CPU s for its 1.8M Firearm rows at national scale, twice a day's
    load. A caller that only compares the count with a bound passes it, and the scan stops there."""
    pattern = f"MATCH (:{quote(from_label)})-[e:{quote(rel.name)}]->(:{quote(to_label)})"
    if at_most is None or len(rel.endpoints) == 1:
        return f"{pattern} RETURN count(e)"
    return f"{pattern} WITH e LIMIT {max(int(at_most), 1)} RETURN count(e)"


def far_end(rel: RelType, var: str, label: NodeLabel) -> str:
    """The node at a relationship's other end in a read that starts from a node found by key: unlabelled when the
    type has one pair of endpoints (the label says nothing more), else labelled. Labelled, a type between nodes
    of one label (``NIBIN_LINK``: Recovery to Recovery) was planned as a scan of the label: 0.05-0.07 CPU s
    for 71 leads among the national world's 990k recoveries, 0.004 s unlabelled."""
    return f"({var})" if len(rel.endpoints) == 1 else f"({var}:{quote(label.name)})"


def binds_sources(rel: RelType, source: NodeLabel, target: NodeLabel, count: Callable[[str], int]) -> bool:
    """Whether a read of a batch's stored ``rel`` relationships starts from their source nodes (else from their
    targets): the side whose nodes have fewer of them. Between two labels that is the label with more nodes (a
    firearm has one seller, a dealer thousands of sales; ``count`` gives a label's nodes). A type with several
    pairs of endpoints starts from the end its pair does not share: the shared label's count covers the other
    pairs' nodes too (1.2M StrawKeys, of which 21k hold dealers), so it cannot say how many each of its nodes
    holds. Reading a national day's 809 Dealer keys from their 432 keys read 77,772 stored rows (0.14-0.25 CPU s),
    from their 727 dealers 39,564 (0.06-0.12). A one-way type (stored FROM -> TO only) always from its sources."""
    if rel.one_way:
        return True
    sources = {a for a, _ in rel.endpoints}
    targets = {b for _, b in rel.endpoints}
    if source.name == target.name or len(targets) == 1 < len(sources):
        return True
    if len(sources) == 1 < len(targets):
        return False
    return count(source.name) >= count(target.name)


def at_nodes(rel: RelType, source: NodeLabel, target: NodeLabel, from_side: bool, properties: list[str]) -> str:
    """The stored ``rel`` relationships at the nodes of ``$keys`` (sources when ``from_side``, else targets), as
    ``from_key, to_key`` and ``properties``: one statement for every node, the start node bound by key and its
    relationships reached with ``OPTIONAL MATCH`` (a plain ``MATCH`` from an ``UNWIND`` is planned as a hash join
    over the whole relationship type); one statement per node cost ~0.5 ms each (3,581 persons' ``LIVES_AT`` in a
    national daily batch: 1.9 CPU s)."""
    bound_label = source if from_side else target
    bound = f"MATCH (n:{quote(bound_label.name)} {{{quote(bound_label.key)}: k}})"
    pattern = (f"(n)-[e:{quote(rel.name)}]->{far_end(rel, 'b', target)}" if from_side
               else f"{far_end(rel, 'a', source)}-[e:{quote(rel.name)}]->(n)")
    start, end = ("n", "b") if from_side else ("a", "n")
    returns = [f"{start}.{quote(source.key)} AS {FROM_KEY}", f"{end}.{quote(target.key)} AS {TO_KEY}"]
    returns += [f"e.{quote(p)} AS {quote(p)}" for p in properties]
    return (f"UNWIND $keys AS k {bound} OPTIONAL MATCH {pattern} WITH {start}, e, {end} "
            f"WHERE e IS NOT NULL RETURN {', '.join(returns)}")
