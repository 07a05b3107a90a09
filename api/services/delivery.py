"""Where alerts go, for the CLI (``tracegraph alerts deliver``, the load's and ``analyze --incremental``'s own
delivery): the webhook (:mod:`api.webhook`) and the TAXII collection (:mod:`api.sightings`), two channels of one
outbox (:mod:`api.services.outbox`), each configured globally (``TRACEGRAPH_ALERT_WEBHOOK``,
``TRACEGRAPH_ALERT_TAXII_*``) or on the command line. Also the pseudonym
salt of this installation's releases (exports and sightings use one, so a partner correlates them)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.services.outbox import Round
from api.settings import Settings
from graph.errors import InvalidInput
from graph.store import GraphStore


def sharing_salt(conf: Settings) -> str:
    """The pseudonym salt of this installation's exports (``sharing_salt`` beside the store, made once)."""
    path = Path(conf.db).parent / "sharing_salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
        path.chmod(0o600)
    return path.read_text().strip()


def taxii_target(conf: Settings) -> Any:
    """The configured TAXII target (:class:`api.sightings.TaxiiTarget`), or None; one clear line when it is
    incomplete."""
    if not conf.alert_taxii_collection:
        return None
    from api.sightings import target

    password = conf.alert_taxii_password.get_secret_value() if conf.alert_taxii_password else None
    return target(conf.alert_taxii_collection, tlp=conf.alert_taxii_tlp, recipient=conf.alert_taxii_recipient,
                  purpose=conf.alert_taxii_purpose, salt=sharing_salt(conf), user=conf.alert_taxii_user,
                  password=password)


def webhook_url(conf: Settings) -> str | None:
    url = conf.alert_webhook
    if url and not url.startswith(("http://", "https://")):
        raise InvalidInput(f"the alert webhook must be an http(s) URL, not {url!r}")
    return url or None


@dataclass(frozen=True)
class Delivered:
    """What one round of delivery did, per channel (None: the channel is not configured)."""

    webhook: Round | None = None
    taxii: Round | None = None

    def words(self) -> str:
        rounds = (("webhook", self.webhook), ("TAXII", self.taxii))
        return "; ".join(done.words(name) for name, done in rounds if done is not None)


def deliver(store: GraphStore, conf: Settings, *, webhook: str | None = None, taxii: Any = None) -> Delivered:
    """Deliver what is due on every configured channel (the arguments override the settings)."""
    from api.app import audit_log_path
    from api.audit import AuditLog

    audit = AuditLog(audit_log_path(conf))
    url = webhook or webhook_url(conf)
    goal = taxii or taxii_target(conf)
    hook = sights = None
    if url:
        from api.webhook import deliver as post

        hook = post(store, url, audit=audit, base_backoff=conf.alert_backoff_s)
    if goal is not None:
        from api.sightings import deliver as send

        sights = send(store, goal, audit=audit, base_backoff=conf.alert_backoff_s)
    return Delivered(hook, sights)
