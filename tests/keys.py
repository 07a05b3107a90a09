"""API keys for tests: one call makes a key on a store's key file and returns what the ``X-API-Key`` header
carries (``key_id.secret``)."""

from __future__ import annotations

from api.security import KeyFile
from api.settings import Settings


def api_key(settings: Settings, role: str, tlp: str | None = None, *, name: str | None = None,
            purpose: str | None = "API tests") -> str:
    """A new key for ``role`` (a partner's ceiling ``tlp``) named ``name`` (default ``test <role>``)."""
    record, secret = KeyFile.for_settings(settings).create(role, name or f"test {role}", tlp, purpose=purpose)
    return f"{record.key_id}.{secret}"


def auth(key: str) -> dict[str, str]:
    """The request headers that present ``key``."""
    return {"X-API-Key": key}
