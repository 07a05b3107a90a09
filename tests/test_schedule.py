"""The xdist schedule's table of long units (tests/schedule.py) names units the suite still has, and orders them."""

from __future__ import annotations

from pathlib import Path

from tests.schedule import UNIT_SECONDS, longest_first

ROOT = Path(__file__).resolve().parent.parent


def test_every_unit_in_the_table_is_still_a_unit_of_the_suite() -> None:
    """A renamed or removed module would leave a figure that orders nothing (tests/conftest.py, xdist_scope)."""
    gone = [name for name in UNIT_SECONDS
            if name != "neo4j" and not (ROOT / name.split("::")[0]).is_file()]
    assert not gone, f"tests/schedule.py names units the suite no longer has: {gone}"


def test_long_units_go_first_longest_first_and_the_rest_keep_xdists_order() -> None:
    listed = sorted(UNIT_SECONDS, key=UNIT_SECONDS.__getitem__)  # shortest first: the opposite of the answer
    queue = [("tests/a_short.py", {"t1": False}), *[(name, {}) for name in listed], ("tests/b_short.py", {})]
    order = [name for name, _ in longest_first(queue)]
    seconds = [UNIT_SECONDS[name] for name in order[:len(listed)]]
    assert seconds == sorted(UNIT_SECONDS.values(), reverse=True)
    assert order[0] == "neo4j"  # the Neo4j unit (one server, every Neo4j test) is the longest: one worker's start
    assert order[len(listed):] == ["tests/a_short.py", "tests/b_short.py"]
