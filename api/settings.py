"""Configuration, read once from ``TRACEGRAPH_*`` environment variables (and CLI options), then passed down."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph import GraphStore, open_store
from graph.errors import InvalidInput


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACEGRAPH_", extra="ignore")

    store: Literal["embedded", "neo4j"] = "embedded"
    db: Path = Path("data/tracegraph.lbug")
    # The embedded engine's page cache, MB (its buffer pool). Unset: the engine's own default, 80 % of the machine's
    # memory, which a process fills with every page it reads until the cap. A national daily batch runs in 1024,
    # faster in 2048 (docs/performance.md, mem24); a national history load or full analysis needs more (6144 measured).
    buffer_pool_mb: int | None = None
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = None
    # Evidence and audit (issue 8). Unset paths default to folders beside the store file: see
    # exports.evidence.service.EvidencePaths.
    key_dir: Path | None = None
    audit_log: Path | None = None
    evidence_dir: Path | None = None
    tsa_url: str | None = None
    tsa_ca: Path | None = None
    key_passphrase: SecretStr | None = None
    # HTTP API (issue 6). Unset: api_keys.json beside the store file (see api.security.KeyFile).
    api_keys_file: Path | None = None
    api_token_ttl_s: int = 900
    # Workspace sessions (issue 19; api/sessions.py): idle expiry of the session cookie, and the longest a session
    # lasts however busy
    api_session_idle_s: int = 1800
    api_session_max_s: int = 12 * 3600
    # Limits (issue 23; docs/security.md): request body size, failed authentications per client and minute,
    # seconds a connection may take to send its request headers, and to stay idle between requests.
    api_max_body_bytes: int = 1 << 20
    api_auth_failures_per_minute: int = 20
    api_header_timeout_s: float = 10.0
    api_keep_alive_s: int = 5
    # TAXII: build the collections partner keys can read in the background at start-up (api/taxii_collections.py)
    api_taxii_warm: bool = True
    # Hotspot cities (issue 14): algorithms.hotspots rule, e.g. above-national, above-national:1.5, top:20, rate:800
    hotspot_rule: str = "above-national"
    # Alerts (issue 21; docs/alerts.md): webhook the outbox delivers to, and the first retry delay (doubled per
    # failed attempt, at most an hour)
    alert_webhook: str | None = None
    alert_backoff_s: float = 30.0
    # ... and/or a TAXII 2.1 collection that receives each alert as a STIX sighting (api/sightings.py): its URL
    # (.../collections/<id>/), credentials, the highest TLP it may hold (an alert above it is withheld), and who
    # receives it and why (the dissemination record)
    alert_taxii_collection: str | None = None
    alert_taxii_user: str | None = None
    alert_taxii_password: SecretStr | None = None
    alert_taxii_tlp: Literal["clear", "green", "amber", "amber+strict", "red"] = "green"
    alert_taxii_recipient: str | None = None
    alert_taxii_purpose: str | None = None
    load_analyze: Literal["incremental", "none"] = "incremental"  # after `tracegraph load` (api/services/daily.py)
    # Retention (issue 24): seconds between the API's checks of the store's change stamp; after a purge, hold or
    # subject change the snapshot is rebuilt so it never keeps what the store removed (docs/compliance.md).
    api_change_check_s: float = 5.0

    @field_validator("store", mode="before")
    @classmethod
    def _legacy_store_name(cls, value: object) -> object:
        """``kuzu`` is what configurations written for the Kùzu-based versions say; it means the embedded store."""
        return "embedded" if value == "kuzu" else value

    def as_environment(self) -> dict[str, str]:
        """These settings as ``TRACEGRAPH_*`` variables (for worker processes that rebuild them)."""
        env = {}
        for name, value in self.model_dump().items():
            if value is not None:
                text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
                env[f"TRACEGRAPH_{name.upper()}"] = text
        return env

    def open_store(self, *, read_only: bool = False, upgrading: bool = False) -> GraphStore:
        """The configured store; one stderr line per load run it holds that never finished (every command and
        the server open the store here, so nobody reads a half-loaded graph without being told). An embedded
        store an older version wrote (properties this version stores are missing) is refused in one line naming
        `tracegraph init`, which brings it up to date (``upgrading``: that command itself)."""
        store = open_store(self.store, db=self.db, read_only=read_only, buffer_pool_mb=self.buffer_pool_mb,
                           neo4j_uri=self.neo4j_uri,
                           neo4j_user=self.neo4j_user, neo4j_password=self.neo4j_password.get_secret_value(),
                           neo4j_database=self.neo4j_database)
        gaps: list[str] = [] if upgrading else getattr(store, "schema_gaps", list)()
        if gaps:
            store.close()
            raise InvalidInput(f"{self.db} was written by an older tracegraph ({len(gaps)} tables or properties of "
                               f"this version missing, e.g. {gaps[0]}): run `tracegraph init` once to bring it up "
                               "to date")
        from loaders.base import interrupted_loads

        for line in interrupted_loads(store):
            sys.stderr.write(line + "\n")
        return store
