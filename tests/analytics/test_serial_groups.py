"""Serial groups' counts from their members' numbers: what an incremental run writes to ``SerialGroup``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from algorithms import serial_groups


def test_group_sizes_and_runs_counted_from_the_members_numbers() -> None:
    """A run is a chain of at least three serials at most MAX_GAP apart in one group: a chain broken by a wider gap
    is two chains, equal numbers chain, and the same numbers in another group are another group's chain."""
    gap = serial_groups.MAX_GAP
    members = pd.DataFrame([  # group, number (in no order)
        ("S&W|MP15|PAZ||4", 100), ("GLOCK|23|AAY||3", 10), ("S&W|MP15|PAZ||4", 100 + gap),
        ("GLOCK|23|AAY||3", 10 + gap), ("S&W|MP15|PAZ||4", 100 + 2 * gap), ("GLOCK|23|AAY||3", 11 + 2 * gap),
        ("GLOCK|23|AAY||3", 500), ("GLOCK|23|AAY||3", 500), ("GLOCK|23|AAY||3", 501),
        ("BERETTA|PX4|UR||6", 10), ("BERETTA|PX4|UR||6", 11)], columns=["group_key", "number"])
    group, names = pd.factorize(members["group_key"])
    chain = serial_groups._chain_ids(group, members["number"].to_numpy(float))
    assert chain[0] == chain[2] == chain[4]  # 100, 100+gap, 100+2gap: one chain
    assert chain[1] == chain[3] != chain[5]  # 10, 10+gap; then a gap of gap+1
    assert chain[6] == chain[7] == chain[8] and chain[9] == chain[10] != chain[1]
    groups = serial_groups._counted(group, np.asarray(names, dtype=object), chain)
    assert groups.to_dict("records") == [
        {"group_key": "BERETTA|PX4|UR||6", "size": 2, "runs": 0},
        {"group_key": "GLOCK|23|AAY||3", "size": 6, "runs": 1},
        {"group_key": "S&W|MP15|PAZ||4", "size": 3, "runs": 1}]
    assert list(groups.columns) == serial_groups.GROUP_COLUMNS


def test_the_chain_of_a_member_is_its_own_groups() -> None:
    """A member read back by its group and number gets the chain it was counted in: its own group's, not another
    group's chain at the same number; a member that was not counted is refused."""
    names = np.array(["A|1|X||3", "B|2|Y||3", "C|3|Z||3"], dtype=object)
    group = np.array([0, 1, 1, 2, 0, 1])
    number = np.array([5.0, 5.0, 90.0, 5.0, 20.0, 20.0])
    chain = serial_groups._chain_ids(group, number)
    members = pd.DataFrame({"group_key": ["B|2|Y||3", "A|1|X||3", "B|2|Y||3"], "number": [20.0, 20.0, 90.0]})
    found = serial_groups._chains_of(members, names, group, number, chain)
    assert found.tolist() == [chain[5], chain[4], chain[2]]
    assert chain[4] == chain[0] and chain[5] == chain[1] != chain[0] and chain[2] != chain[5]
    with pytest.raises(ValueError, match="not among the members counted"):
        serial_groups._chains_of(pd.DataFrame({"group_key": ["C|3|Z||3"], "number": [6.0]}), names, group, number,
                                 chain)
