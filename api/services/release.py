"""Applying the release policy (:mod:`exports.tlp`) to what the API returns.

Roles decide what a caller may read, TLP decides what may leave: every node goes through :meth:`Release.node`,
which returns it in full, masked (a person: pseudonymous key, no name, DOB or address) or not at all. A single
object that cannot be released is 403; lists drop what cannot be released.
"""

from __future__ import annotations

from typing import Any

from api.security import Principal
from exports.tlp import COMPUTED_TLP, RELATIONSHIP_TLP, label_level, mask_person, masked_person_level, pseudonym
from graph.errors import Forbidden
from graph.schema import SCHEMA

_COMPUTED: dict[str, frozenset[str]] = {
    n.name: frozenset(p.name for p in n.properties if p.computed) for n in SCHEMA.nodes}
_REL_COMPUTED: dict[str, frozenset[str]] = {
    r.name: frozenset(p.name for p in r.properties if p.computed) for r in SCHEMA.relationships}


class Release:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.clearance = principal.clearance
        self.scores = self.clearance.may_see(COMPUTED_TLP)

    @property
    def full_persons(self) -> bool:
        """May this caller see persons with their personal data (names, DOB, address)?"""
        return self.clearance.personal_data and self.clearance.may_see(label_level("Person"))

    @property
    def any_persons(self) -> bool:
        return self.full_persons or self.clearance.may_see(masked_person_level())

    def node(self, label: str, props: dict[str, Any]) -> dict[str, Any] | None:
        """The node as this caller may receive it, or None."""
        if not self.scores:
            props = {k: v for k, v in props.items() if k not in _COMPUTED.get(label, ())}
        if label == "Person":
            if self.full_persons:
                return {**props, "masked": False}
            if self.clearance.may_see(masked_person_level()):
                return mask_person(props, self.principal.pseudonym_salt)
            return None
        return props if self.clearance.may_see(label_level(label, props)) else None

    def require(self, label: str, props: dict[str, Any]) -> dict[str, Any]:
        released = self.node(label, props)
        if released is None:
            raise Forbidden(f"{label} objects are not released at your clearance "
                            f"(TLP ceiling {self.clearance.ceiling})")
        return released

    def visible(self, label: str) -> bool:
        """Can any node of this label be released (the policy is per label except partner intelligence)?"""
        if label == "Person":
            return self.any_persons
        return self.clearance.may_see(label_level(label))

    def key(self, label: str, key: str) -> str | None:
        """A reference key as this caller may see it: persons pseudonymised when masked, None if not released."""
        if not self.visible(label):
            return None
        if label == "Person" and not self.full_persons:
            return pseudonym(key, self.principal.pseudonym_salt)
        return key

    def relationship(self, rel_type: str, props: dict[str, Any]) -> dict[str, Any] | None:
        level = RELATIONSHIP_TLP.get(rel_type, "amber")
        if not self.clearance.may_see(level):
            return None
        if not self.scores:
            props = {k: v for k, v in props.items() if k not in _REL_COMPUTED.get(rel_type, ())}
        return props
