"""The examples in the algorithm modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["algorithms.projection", "algorithms.communities", "algorithms.centrality", "algorithms.gravity",
           "algorithms.corridors", "algorithms.paths"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
