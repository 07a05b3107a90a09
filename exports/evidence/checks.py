"""One line of a verification report: what was checked, on which item, and whether it held."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    check: str
    item: str
    ok: bool
    detail: str = ""

    @property
    def status(self) -> str:
        return "OK" if self.ok else "FAILED"


def first_failure(checks: list[Check]) -> Check | None:
    return next((c for c in checks if not c.ok), None)
