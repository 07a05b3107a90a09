"""Who is calling: API keys (stored hashed), OAuth2 client-credentials bearer tokens and HTTP Basic.

Shared by every HTTP surface (this API, the TAXII server). An app that uses :func:`current_principal` must call
:func:`install_security` once (it puts an :class:`Authenticator` on ``app.state``).

* **API key**: ``X-API-Key: <key id>.<secret>``. ``tracegraph apikey create`` prints it once; the key file keeps
  only the SHA-256 of the 32-byte random secret (a secret with 256 bits of entropy needs no slow hash).
* **OAuth2 client credentials**: ``POST /api/v1/oauth/token`` with ``grant_type=client_credentials``,
  ``client_id=<key id>``, ``client_secret=<secret>`` returns a short-lived HS256 JWT (PyJWT), sent as
  ``Authorization: Bearer <token>``. A token stops working as soon as its key is revoked.
* **HTTP Basic**: username = key id, password = secret (what TAXII clients such as taxii2-client send).

The key file (JSON, mode 0600) lives beside the store unless ``TRACEGRAPH_API_KEYS_FILE`` says otherwise; it is
re-read when it changes, so ``tracegraph apikey revoke`` takes effect on a running server at the next request.
The token signing key is a random 32-byte file beside the key file (``<key file>.token-key``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import FastAPI, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBasic, OAuth2

from api.settings import Settings
from exports.tlp import Clearance, Role, clearance, level
from graph.errors import Forbidden, InvalidInput, NotFound, Unauthenticated

TOKEN_URL = "/api/v1/oauth/token"  # noqa: S105 (a URL, not a secret)
TOKEN_ISSUER = "tracegraph"  # noqa: S105 (the iss claim)
WWW_AUTHENTICATE = 'Bearer realm="tracegraph", Basic realm="tracegraph"'
_KEY_ID = re.compile(r"^tgk_[0-9a-f]{16}$")

api_key_scheme = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False,
                              description="`<key id>.<secret>` as printed by `tracegraph apikey create`")
oauth2_scheme = OAuth2(flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL)),
                       scheme_name="OAuth2", auto_error=False,
                       description="client credentials: client_id = key id, client_secret = key secret")
session_scheme = APIKeyCookie(name="tg_session", scheme_name="Session", auto_error=False,
                              description="the workspace's session cookie, set by POST /api/v1/session (unsafe "
                                          "methods also need the X-CSRF-Token header; api/sessions.py)")
basic_scheme = HTTPBasic(scheme_name="Basic", auto_error=False,
                         description="username = key id, password = key secret (TAXII clients)")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``pseudonym_salt`` keys the pseudonyms this caller sees for masked persons."""

    key_id: str
    name: str
    role: Role
    clearance: Clearance
    pseudonym_salt: str = ""
    purpose: str = ""  # a partner key's stated purpose: the reason for release of what it reads (28 CFR 23.20(g))


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    name: str
    role: Role
    tlp: str | None
    created: str
    revoked: str | None
    secret_sha256: str
    pseudonym_salt: str
    purpose: str | None = None  # required for partner keys (keys made before it: None)

    def public(self) -> dict[str, Any]:
        """What `apikey list` shows: no hash, no salt."""
        return {"key_id": self.key_id, "name": self.name, "role": self.role, "tlp": self.tlp,
                "purpose": self.purpose, "created": self.created, "revoked": self.revoked}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class KeyFile:
    """The API key file: create, list, revoke, check. Writes are atomic (temp file + rename)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, ApiKeyRecord]] | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> KeyFile:
        return cls(settings.api_keys_file or Path(settings.db).parent / "api_keys.json")

    def records(self) -> dict[str, ApiKeyRecord]:
        """The keys, re-read when the file changed (one ``stat`` per request: revocations apply at once)."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return {}
        version = (info.st_mtime_ns, info.st_ino, info.st_size)  # writes replace the file: a new inode
        cached = self._cache
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            try:
                payload = json.loads(self.path.read_text(encoding="utf-8"))
                records = {r["key_id"]: ApiKeyRecord(**r) for r in payload.get("keys", [])}
            except (ValueError, TypeError, KeyError) as exc:
                raise InvalidInput(f"API key file {self.path} is not a valid key file") from exc
            self._cache = (version, records)
            return records

    def _write(self, records: dict[str, ApiKeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        payload = {"version": 1, "keys": [asdict(r) for r in records.values()]}
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(temp, self.path)

    def create(self, role: str, name: str | None = None, tlp: str | None = None, *, purpose: str | None = None
               ) -> tuple[ApiKeyRecord, str]:
        """A new key; returns the record and the secret (shown once, never stored). A partner key is a release
        outside the agency: it needs the recipient's name and the purpose of release (28 CFR 23.20(g)), which
        every read through it is recorded with (:mod:`api.services.disseminations`)."""
        if tlp is not None and role != "partner":
            raise InvalidInput("--tlp sets a partner's ceiling: use it with --role partner only")
        if role == "partner":
            missing = [flag for flag, value in (("--name", name), ("--purpose", purpose))
                       if value is None or not value.strip()]
            if missing:
                raise InvalidInput(f"a partner key needs {' and '.join(missing)} (the recipient agency and the "
                                   "purpose of release: 28 CFR 23.20(g))")
        ceiling = level(tlp) if tlp else None
        clearance(role, ceiling)  # validates role and ceiling
        key_id = f"tgk_{secrets.token_hex(8)}"
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
        record = ApiKeyRecord(key_id=key_id, name=name or f"{role} key", role=role,  # type: ignore[arg-type]
                              tlp=ceiling, created=_now(), revoked=None, secret_sha256=_digest(secret),
                              pseudonym_salt=secrets.token_hex(16),
                              purpose=purpose.strip() if purpose and purpose.strip() else None)
        records = dict(self.records())
        records[key_id] = record
        self._write(records)
        return record, secret

    def revoke(self, key_id: str) -> ApiKeyRecord:
        records = dict(self.records())
        record = records.get(key_id)
        if record is None:
            raise NotFound(f"no API key {key_id!r}")
        if record.revoked is None:
            record = ApiKeyRecord(**{**asdict(record), "revoked": _now()})
            records[key_id] = record
            self._write(records)
        return record

    def check(self, key_id: str, secret: str) -> Principal:
        record = self.records().get(key_id) if _KEY_ID.match(key_id or "") else None
        # compare even when the key is unknown, so timing does not tell which key ids exist
        expected = record.secret_sha256 if record else "0" * 64
        if not hmac.compare_digest(expected, _digest(secret)) or record is None:
            raise Unauthenticated("invalid API key")
        return self.principal(record)

    def active(self, key_id: str) -> Principal:
        record = self.records().get(key_id)
        if record is None or record.revoked is not None:
            raise Unauthenticated("invalid or revoked credentials")
        return self.principal(record)

    @staticmethod
    def principal(record: ApiKeyRecord) -> Principal:
        if record.revoked is not None:
            raise Unauthenticated("API key revoked")
        return Principal(record.key_id, record.name, record.role, clearance(record.role, record.tlp),
                         record.pseudonym_salt, record.purpose or "")


class Authenticator:
    """Checks credentials of all three kinds and issues bearer tokens."""

    def __init__(self, keys: KeyFile, token_ttl_s: int = 900) -> None:
        self.keys = keys
        self.token_ttl_s = token_ttl_s
        self._signing_key = self._load_signing_key(keys.path.with_name(keys.path.name + ".token-key"))

    @staticmethod
    def _load_signing_key(path: Path) -> bytes:
        if path.exists():
            return path.read_bytes()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    @property
    def signing_key(self) -> bytes:
        """The HS256 key of bearer tokens and workspace session cookies (api/sessions.py)."""
        return self._signing_key

    def issue_token(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {"iss": TOKEN_ISSUER, "sub": principal.key_id, "iat": now, "exp": now + self.token_ttl_s,
                  "role": principal.role}
        return jwt.encode(claims, self._signing_key, algorithm="HS256")

    def from_token(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._signing_key, algorithms=["HS256"], issuer=TOKEN_ISSUER,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.PyJWTError:
            raise Unauthenticated("invalid or expired bearer token") from None
        return self.keys.active(str(claims["sub"]))

    def from_api_key(self, value: str) -> Principal:
        key_id, sep, secret = value.strip().partition(".")
        if not sep:
            raise Unauthenticated("malformed API key: expected <key id>.<secret>")
        return self.keys.check(key_id, secret)

    def from_request(self, request: Request) -> Principal:
        """The caller. Every credential presented must be valid and name the same key: a valid X-API-Key does
        not make a malformed or wrong ``Authorization`` header beside it acceptable (401)."""
        found: list[Principal] = []
        api_key = request.headers.get("x-api-key")
        if api_key is not None:
            found.append(self.from_api_key(api_key))
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, param = authorization.partition(" ")
            if scheme.lower() == "bearer" and param.strip():
                found.append(self.from_token(param.strip()))
            elif scheme.lower() == "basic" and param.strip():
                key_id, secret = basic_credentials(param.strip())
                found.append(self.keys.check(key_id, secret))
            else:
                raise Unauthenticated("malformed Authorization header: expected Bearer <token> or "
                                      "Basic <credentials>")
        if not found:
            raise Unauthenticated("authentication required: X-API-Key, Bearer token or HTTP Basic")
        if len({principal.key_id for principal in found}) > 1:
            raise Unauthenticated("credentials of two different keys in one request")
        return found[0]


def basic_credentials(param: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(param, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise Unauthenticated("malformed Basic credentials") from None
    user, sep, password = text.partition(":")
    if not sep:
        raise Unauthenticated("malformed Basic credentials")
    return user, password


def install_security(app: FastAPI, settings: Settings) -> Authenticator:
    authenticator = Authenticator(KeyFile.for_settings(settings), settings.api_token_ttl_s)
    app.state.authenticator = authenticator
    return authenticator


async def current_principal(
    request: Request,
    _api_key: Annotated[str | None, Security(api_key_scheme)] = None,
    _bearer: Annotated[str | None, Security(oauth2_scheme)] = None,
    _session: Annotated[str | None, Security(session_scheme)] = None,
) -> Principal:
    """FastAPI dependency: the authenticated caller, or 401 (problem+json with ``WWW-Authenticate``).

    The scheme parameters only declare the security schemes in OpenAPI; the headers are parsed by
    :meth:`Authenticator.from_request` (usually already by :class:`api.limits.CredentialsMiddleware`). HTTP
    Basic is declared by :data:`basic_scheme` on the routers (its own parser would answer a bare 401 itself).
    """
    state = request.scope.get("state") or {}
    if isinstance(state.get("csrf_error"), Forbidden):  # a session cookie on an unsafe method without its token
        raise state["csrf_error"]
    if isinstance(state.get("principal"), Principal):  # checked once already (api.limits.CredentialsMiddleware)
        return state["principal"]
    if isinstance(state.get("auth_error"), Unauthenticated):
        raise state["auth_error"]
    authenticator: Authenticator = request.app.state.authenticator
    principal = authenticator.from_request(request)
    request.state.principal = principal
    return principal


def declared_basic() -> dict[str, Any]:
    """OpenAPI ``securitySchemes`` entry for HTTP Basic (added to the document by the app)."""
    return {"type": "http", "scheme": "basic", "description": basic_scheme.model.description or ""}
