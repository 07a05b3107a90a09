"""Evidence fixtures live in evidence_fixtures.py (a unique module name, importable from the tests)."""

from evidence_fixtures import local_tsa, other_ca, world

__all__ = ["local_tsa", "other_ca", "world"]
