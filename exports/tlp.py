"""Traffic Light Protocol 2.0 and the release policy: what may leave, to whom, and masked how.

One policy serves every surface (HTTP API, STIX export, TAXII server, GeoJSON), so a partner sees the same thing
whichever way it asks.

* Levels, least to most restricted: ``clear < green < amber < amber+strict < red`` (FIRST TLP 2.0). An object
  marked at level L may go to a recipient cleared for level C when ``L <= C``.
* The STIX marking-definition ids are the official OASIS TLP 2.0 objects (extension
  ``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``), not look-alikes.
* Each label carries a default marking (:data:`LABEL_TLP`): the public ATF licensee listing is CLEAR; recoveries,
  networks and analytic scores are AMBER; a person in full is RED. A person *masked* (pseudonymous key, no name,
  date of birth or address) is AMBER (:func:`masked_person_level`). Partner intelligence (``Intel``) keeps the
  marking it arrived with.
* Roles (:data:`ROLES`) decide the ceiling: investigators and admins read everything; analysts read up to
  AMBER+STRICT with personal data; partners read what is marked for partners (CLEAR/GREEN by default, AMBER when
  configured for that partner) and always with personal data masked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from graph.errors import InvalidInput

Level = Literal["clear", "green", "amber", "amber+strict", "red"]
LEVELS: tuple[Level, ...] = ("clear", "green", "amber", "amber+strict", "red")

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
MARKING_IDS: dict[Level, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
LEVEL_OF_MARKING: dict[str, Level] = {v: k for k, v in MARKING_IDS.items()}

LABEL_TLP: dict[str, Level] = {
    "Dealer": "clear",        # ATF publishes the licensee listing
    "Inspection": "clear",    # ATF inspection reports are released under FOIA
    "Violation": "clear",
    "Location": "clear",
    "Firearm": "green",
    "LoadRun": "green",
    "AnalysisRun": "green",
    "Recovery": "amber",      # law-enforcement sensitive: trace data is restricted by statute
    "Network": "amber",
    "Person": "red",          # personal data in full
    "Evidence": "red",
    "Watch": "amber",         # what an agency watches is itself sensitive
    "Alert": "amber",         # leads from recoveries
    "Review": "amber+strict",  # analysts' decisions on persons: never for partners (free-text reasons)
}
RELATIONSHIP_TLP: dict[str, Level] = {"FLOW": "green"}  # corridors are aggregate flows
COMPUTED_TLP: Level = "amber"  # analytic scores and indicators on any label

# Personal data: never sent to partners, never logged.
PERSONAL_FIELDS = frozenset({"last_name", "first_name", "middle_name", "suffix", "dob", "street", "city", "zip",
                             "name_key", "address_key", "block_dob", "block_street", "possessor", "purchaser"})


def level(value: str) -> Level:
    """Parse a TLP level ('TLP:AMBER+STRICT', 'amber+strict', 'white' -> clear)."""
    text = value.strip().lower().removeprefix("tlp:")
    if text == "white":
        text = "clear"
    if text not in LEVELS:
        raise InvalidInput(f"unknown TLP level {value!r}: use one of {', '.join(LEVELS)}")
    return text


def rank(value: Level) -> int:
    return LEVELS.index(value)


def allows(ceiling: Level, marking: Level) -> bool:
    """May an object marked ``marking`` go to a recipient cleared for ``ceiling``?"""
    return rank(marking) <= rank(ceiling)


def most_restrictive(*levels: Level) -> Level:
    return max(levels, key=rank)


def label_level(label: str, props: dict[str, Any] | None = None) -> Level:
    """The marking of one node: ``Intel`` keeps its own; others take their label's default."""
    if label == "Intel" and props and props.get("tlp"):
        return level(str(props["tlp"]))
    return LABEL_TLP.get(label, "red")


def masked_person_level() -> Level:
    """A masked person (pseudonym, state, scores; no name, DOB or address) is shared as AMBER."""
    return "amber"


def pseudonym(person_key: str, salt: str) -> str:
    """Stable, salted pseudonym for a person, so partners can correlate within one sharing agreement only."""
    digest = hashlib.sha256(f"{salt}\x1f{person_key}".encode()).hexdigest()
    return f"person-{digest[:16]}"


def mask_person(props: dict[str, Any], salt: str) -> dict[str, Any]:
    """Remove personal data; keep what a partner needs to act (state, scores, indicators)."""
    masked = {k: v for k, v in props.items() if k not in PERSONAL_FIELDS}
    if "person_key" in masked:
        masked["person_key"] = pseudonym(str(masked["person_key"]), salt)
    masked["masked"] = True
    return masked


Role = Literal["analyst", "investigator", "partner", "admin"]
ROLES: tuple[Role, ...] = ("analyst", "investigator", "partner", "admin")


@dataclass(frozen=True)
class Clearance:
    """What one caller may receive."""

    role: Role
    ceiling: Level
    personal_data: bool

    def may_see(self, marking: Level) -> bool:
        return allows(self.ceiling, marking)


def clearance(role: str, partner_ceiling: str | None = None) -> Clearance:
    """The clearance of a role; ``partner_ceiling`` raises a partner to AMBER (never above AMBER+STRICT)."""
    if role in ("investigator", "admin"):
        return Clearance(role, "red", True)  # type: ignore[arg-type]
    if role == "analyst":
        return Clearance("analyst", "amber+strict", True)
    if role == "partner":
        ceiling = level(partner_ceiling) if partner_ceiling else "green"
        if rank(ceiling) > rank("amber+strict"):
            raise InvalidInput("a partner cannot be cleared for TLP:RED")
        return Clearance("partner", ceiling, False)
    raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
