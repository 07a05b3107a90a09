"""Every ``>>>`` example in the product's docstrings runs (doctest over every module of the six packages)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("graph", "cypher", "loaders", "algorithms", "api", "exports")
# run as scripts in another process, never imported: Kùzu must not be imported beside LadybugDB
NOT_IMPORTED = {"graph.kuzu_export"}


def modules_with_examples() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if info.name in NOT_IMPORTED:
                continue
            spec = importlib.util.find_spec(info.name)
            if spec and spec.origin and spec.origin.endswith(".py"):
                with open(spec.origin, encoding="utf-8") as handle:
                    if ">>>" in handle.read():
                        names.append(info.name)
    return sorted(names)


MODULES = modules_with_examples()


def test_the_examples_are_found() -> None:
    # the modules known to carry examples are among those collected (a broken walk would find none)
    assert {"algorithms.corridors", "algorithms.geodesy", "exports.bloom", "algorithms.dealer_profile"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
