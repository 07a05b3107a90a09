"""What the incremental runs keep stored for the next batch (the dealer model's counts, the serial groups, the
straw groups too big to tie), equal to a recount of every row of the store after the streamed world's batches: the
same batches as tests/analytics/test_incremental.py (tests/analytics/incremental_days.py, built once a session),
each read from the engine and from the side table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from algorithms.straw_neighbourhood import GROUP_LIMITS
from algorithms.tables import load_tables
from tests.analytics.incremental_days import READS, Streamed, streamed_days


@pytest.fixture(scope="module", params=READS)
def streamed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Streamed]:
    yield from streamed_days(request, tmp_path_factory)


def test_stored_dealer_counts_equal_a_recount_of_every_row(streamed: Streamed) -> None:
    """The counts the dealer model refits over: written by the full run, recounted for the touched dealers by each
    batch, equal to counting every row of the store again."""
    from algorithms import dealer_counts
    from algorithms.dealers import counts

    _, stored = dealer_counts.stored(streamed.store)
    recount = counts(load_tables(streamed.store), batches=streamed.reference.batches)
    assert len(recount) and stored.sort_index().equals(recount.sort_index().astype("int64"))
    recounted = set().union(*(set(r.dealers.counts.index) for r in streamed.results if r.dealers is not None))
    assert 0 < len(recounted) < len(recount)  # each batch recounted only the dealers it touched


def test_stored_serial_groups_equal_a_recount_of_every_recovered_gun(streamed: Streamed) -> None:
    """The groups the serial batches are found from: written by the full run, the touched ones updated by each
    batch, equal to grouping every recovered gun again; each batch wrote only the groups its guns joined."""
    from algorithms import serial_groups

    recount = serial_groups.of_tables(load_tables(streamed.store), streamed.reference.batches)
    stored = streamed.store.node_table("SerialGroup", ("size", "runs")).to_pandas().set_index("key")
    expected = recount.groups.set_index("group_key")
    assert len(stored) == len(expected) and (expected["runs"] > 0).any()
    got = stored.reindex(expected.index)
    assert (got["size"].to_numpy() == expected["size"].to_numpy()).all()
    assert (got["runs"].to_numpy() == expected["runs"].to_numpy()).all()
    guns = streamed.store.node_table("Firearm", ("serial_group",)).to_pandas().dropna(subset=["serial_group"])
    assert dict(zip(guns["key"], guns["serial_group"], strict=True)) == dict(
        zip(recount.members["firearm_key"], recount.members["serial_group"], strict=True))
    # and each gun is linked to its group once (what an incremental run reads a touched group's members through)
    links = streamed.store.edge_list("IN_GROUP", "Firearm", "SerialGroup").to_pandas()
    assert not links.duplicated().any()
    assert dict(zip(links["src"], links["dst"], strict=True)) == dict(zip(guns["key"], guns["serial_group"],
                                                                          strict=True))
    # with each member's number within its group (the chains are cut from the links' numbers)
    numbers = streamed.store.edge_list("IN_GROUP", "Firearm", "SerialGroup", ("number",)).to_pandas()
    assert dict(zip(numbers["src"], numbers["number"], strict=True)) == dict(
        zip(recount.members["firearm_key"], recount.members["number"], strict=True))
    for result in streamed.results:
        assert result.serial is not None and not result.serial.full
        assert 0 < len(result.serial.groups) < 0.5 * len(expected)


def test_the_stored_big_groups_equal_a_recount_of_every_row(streamed: Streamed) -> None:
    """The straw groups too big to tie: written by the full run, added to by each batch that made one big, equal to
    counting every row of the store again (a missing one would cost time, a wrong one exactness). The stream has
    groups that crossed their limit in a batch and seeds whose group was big before their batch."""
    from algorithms import straw_groups

    recount = straw_groups.of_tables(load_tables(streamed.store)).set_index("group_id")
    stored = streamed.store.node_table("StrawGroup", ("straw_members",)).to_pandas().set_index("key")
    assert len(recount) and set(stored.index) == set(recount.index)
    got = stored["straw_members"].reindex(recount.index).to_numpy()
    limits = recount.index.str[:2].map(GROUP_LIMITS).to_numpy()
    assert (got > limits).all() and (got <= recount["straw_members"].to_numpy()).all()
    grown = set().union(*(set(r.straw_groups["group_id"]) for r in streamed.results))
    assert grown and not grown & streamed.base_groups  # made big by a batch, written by its run
    assert set(recount.index) == streamed.base_groups | grown
    assert all(r.summary["neighbourhood"]["groups_stored_big"] > 0 for r in streamed.results)
    assert all(not r.straw_groups_whole for r in streamed.results)
