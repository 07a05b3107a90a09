"""The STIX 2.1 pieces that are not data: TLP 2.0 marking definitions (exactly as OASIS publishes them), our
declared extension-definitions (JSON schemas in ``exports/stix_schemas/``), the producer identity and the
``firearm`` SDO declared as a new-sdo extension.

Extension ids are UUIDv5 over the extension's name in tracegraph's namespace, so they never change.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import stix2
from stix2 import CustomObject
from stix2 import properties as sp

from exports.canonical import TRACEGRAPH_NAMESPACE, uuid5_canonical
from exports.tlp import LEVELS, MARKING_IDS, TLP2_EXTENSION_ID, Level

TLP2_CREATED = "2022-10-01T00:00:00.000Z"
EXTENSIONS_CREATED = "2026-11-01T00:00:00.000Z"
EXTENSIONS_MODIFIED = "2026-12-04T00:00:00.000Z"  # schema URLs now name the raw JSON files, not GitHub's HTML view
EXTENSION_VERSION = "1.0.0"
# the JSON files themselves (GitHub's blob/ address answers an HTML page); each file's $id is its URL
SCHEMA_BASE = "https://raw.githubusercontent.com/tracegraph/tracegraph/main/exports/stix_schemas/"
PRODUCER_ID = f"identity--{uuid5_canonical(TRACEGRAPH_NAMESPACE, {'producer': 'tracegraph'})}"

# name -> (extension type, what it carries)
EXTENSIONS: dict[str, tuple[str, str]] = {
    "firearm": ("new-sdo", "A firearm (type `firearm`): manufacturer, model, caliber, serial, tracegraph key."),
    "recovery": ("property-extension", "On a sighting: the crime-gun recovery and trace behind it, and a copy of "
                                       "the firearm's description for consumers that drop the firearm SDO."),
    "corridor": ("property-extension", "On a relationship between two locations: a firearms trafficking "
                                       "corridor (year, level, firearms, expected, score, time to crime)."),
    "network": ("property-extension", "On a threat-actor: a trafficking network detected on the person graph."),
    "person": ("property-extension", "On an individual identity: tracegraph person data under the TLP policy "
                                     "(pseudonymous when masked), straw-purchase score and indicators."),
}


def extension_id(name: str) -> str:
    return f"extension-definition--{uuid5_canonical(TRACEGRAPH_NAMESPACE, {'stix-extension': name})}"


EXT_IDS: dict[str, str] = {name: extension_id(name) for name in EXTENSIONS}
EXT_NAME_OF_ID: dict[str, str] = {v: k for k, v in EXT_IDS.items()}


@CustomObject("firearm", [
    ("name", sp.StringProperty(required=True)),
    ("firearm_key", sp.StringProperty(required=True)),
    ("serial_number", sp.StringProperty()),
    ("obliterated", sp.BooleanProperty()),
    ("manufacturer", sp.StringProperty()),
    ("importer", sp.StringProperty()),
    ("model", sp.StringProperty()),
    ("caliber", sp.StringProperty()),
    ("weapon_type", sp.StringProperty()),
    ("country_of_manufacture", sp.StringProperty()),
], extension_name=EXT_IDS["firearm"])
class FirearmSDO:
    """The ``firearm`` SDO (new-sdo extension); its JSON schema is exports/stix_schemas/firearm-ext.json."""


def schema_text(name: str) -> str:
    return resources.files("exports").joinpath("stix_schemas", f"{name}-ext.json").read_text(encoding="utf-8")


def schema_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(name))
    return loaded


def producer_identity() -> stix2.Identity:
    return stix2.Identity(id=PRODUCER_ID, name="tracegraph", identity_class="system",
                          created=EXTENSIONS_CREATED, modified=EXTENSIONS_CREATED,
                          description="Firearms trafficking network analysis (the producer of these objects).",
                          object_marking_refs=[MARKING_IDS["clear"]])


def extension_definitions() -> list[stix2.v21.ExtensionDefinition]:
    return [stix2.v21.ExtensionDefinition(
        id=EXT_IDS[name], created_by_ref=PRODUCER_ID, created=EXTENSIONS_CREATED, modified=EXTENSIONS_MODIFIED,
        name=f"tracegraph {name} extension", description=text, version=EXTENSION_VERSION,
        schema=f"{SCHEMA_BASE}{name}-ext.json", extension_types=[kind],
        object_marking_refs=[MARKING_IDS["clear"]]) for name, (kind, text) in EXTENSIONS.items()]


@cache
def tlp_marking(lvl: Level) -> stix2.v21.MarkingDefinition:
    """The official TLP 2.0 marking-definition object for one level, as OASIS publishes it."""
    return stix2.v21.MarkingDefinition(
        id=MARKING_IDS[lvl], created=TLP2_CREATED, name=f"TLP:{lvl.upper()}",
        extensions={TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": lvl}})


def tlp_markings(up_to: Level) -> list[stix2.v21.MarkingDefinition]:
    return [tlp_marking(lvl) for lvl in LEVELS[: LEVELS.index(up_to) + 1]]
