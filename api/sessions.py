"""Browser sessions for the workspace (issue 19): an API key exchanged once for an HttpOnly cookie.

``POST /api/v1/session {"api_key": "<key id>.<secret>"}`` checks the key exactly as ``X-API-Key`` would and sets
``tg_session`` (HttpOnly, SameSite=Strict, Path=/, Secure over https). The cookie is a short signed token (HS256
with the bearer-token signing key beside the key file, audience ``tracegraph-session``, so a session token is never
accepted as a bearer token nor the other way round) naming the key and a random session id; nothing is kept per
session in memory, so every ``--workers`` process accepts it.

* **Idle expiry**: the token expires ``api_session_idle_s`` (default 30 min) after it was issued; a request made
  with a token older than a minute gets a fresh one (``Set-Cookie``) valid for another idle period, never beyond
  ``api_session_max_s`` after sign-in. A revoked key ends its sessions at the next request.
* **Sign-out** revokes the session id server-side: the id goes into ``<key file>.sessions-revoked`` (re-read when
  it changes, so every worker refuses it; entries drop out once their tokens would have expired anyway).
* **CSRF**: with a cookie, unsafe methods (POST/PUT/PATCH/DELETE) need ``X-CSRF-Token`` equal to the session's
  token (an HMAC of the session id, returned at sign-in and by ``GET /session``); a cross-site page can send the
  cookie but cannot read the token. Header credentials (X-API-Key, Bearer, Basic) are unchanged and need no CSRF
  token: a browser never adds them on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from api.security import TOKEN_ISSUER, Authenticator, Principal
from graph.errors import Unauthenticated

SESSION_COOKIE = "tg_session"
SESSION_AUDIENCE = "tracegraph-session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REFRESH_AFTER_S = 60  # a cookie older than this is re-issued (sliding idle expiry)


@dataclass(frozen=True)
class Session:
    principal: Principal
    session_id: str
    issued_at: int
    expires_at: int
    signed_in_at: int
    csrf_token: str


class RevokedSessions:
    """Session ids signed out before their tokens expired: a small JSON file shared by the server's workers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, int]] | None = None

    def _read(self) -> dict[str, int]:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return {}
        version = (info.st_mtime_ns, info.st_ino, info.st_size)
        cached = self._cache
        if cached is not None and cached[0] == version:
            return cached[1]
        try:
            revoked = {str(k): int(v) for k, v in json.loads(self.path.read_text(encoding="utf-8")).items()}
        except (ValueError, TypeError, AttributeError):
            revoked = {}
        self._cache = (version, revoked)
        return revoked

    def __contains__(self, session_id: str) -> bool:
        return session_id in self._read()

    def add(self, session_id: str, until: int) -> None:
        with self._lock:
            now = int(time.time())
            revoked = {k: v for k, v in self._read().items() if v > now}
            revoked[session_id] = until
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(revoked, handle)
            os.replace(temp, self.path)


class SessionManager:
    def __init__(self, authenticator: Authenticator, idle_s: int, max_s: int) -> None:
        self.authenticator = authenticator
        self.idle_s = idle_s
        self.max_s = max_s
        self.revoked = RevokedSessions(authenticator.keys.path.with_name(authenticator.keys.path.name
                                                                          + ".sessions-revoked"))

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(self.authenticator.signing_key, f"csrf\x1f{session_id}".encode(),
                        hashlib.sha256).hexdigest()

    def _issue(self, principal: Principal, session_id: str, signed_in_at: int) -> tuple[Session, str]:
        now = int(time.time())
        expires = min(now + self.idle_s, signed_in_at + self.max_s)
        claims: dict[str, Any] = {"iss": TOKEN_ISSUER, "aud": SESSION_AUDIENCE, "sub": principal.key_id,
                                  "sid": session_id, "iat": now, "exp": expires, "auth_time": signed_in_at}
        token = jwt.encode(claims, self.authenticator.signing_key, algorithm="HS256")
        return Session(principal, session_id, now, expires, signed_in_at, self.csrf_token(session_id)), token

    def sign_in(self, api_key: str) -> tuple[Session, str]:
        """A new session for a valid key (401 otherwise), and the cookie value."""
        principal = self.authenticator.from_api_key(api_key)
        return self._issue(principal, secrets.token_urlsafe(18), int(time.time()))

    def from_cookie(self, token: str) -> Session:
        try:
            claims = jwt.decode(token, self.authenticator.signing_key, algorithms=["HS256"], issuer=TOKEN_ISSUER,
                                audience=SESSION_AUDIENCE,
                                options={"require": ["exp", "iat", "sub", "sid", "auth_time"]})
        except jwt.PyJWTError:
            raise Unauthenticated("the session has expired or is not valid: sign in again") from None
        session_id = str(claims["sid"])
        if session_id in self.revoked:
            raise Unauthenticated("the session was signed out: sign in again")
        principal = self.authenticator.keys.active(str(claims["sub"]))
        return Session(principal, session_id, int(claims["iat"]), int(claims["exp"]), int(claims["auth_time"]),
                       self.csrf_token(session_id))

    def refreshed(self, session: Session) -> tuple[Session, str] | None:
        """A fresh cookie for a session whose token is over a minute old (sliding idle expiry), else None."""
        if int(time.time()) - session.issued_at < REFRESH_AFTER_S:
            return None
        if int(time.time()) >= session.signed_in_at + self.max_s:
            return None
        return self._issue(session.principal, session.session_id, session.signed_in_at)

    def sign_out(self, session: Session) -> None:
        self.revoked.add(session.session_id, session.signed_in_at + self.max_s)

    def csrf_ok(self, session: Session, header: str | None) -> bool:
        return header is not None and hmac.compare_digest(header.strip(), session.csrf_token)


def cookie_header(token: str, max_age: int, *, secure: bool) -> str:
    """The ``Set-Cookie`` value of a session (``max_age`` 0 clears it)."""
    parts = [f"{SESSION_COOKIE}={token}", "HttpOnly", "SameSite=Strict", "Path=/", f"Max-Age={max(0, max_age)}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The ``tg_session`` value of a request's Cookie headers, if any (other cookies are left alone)."""
    for name, value in headers:
        if name != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            key, sep, found = part.strip().partition("=")
            if sep and key == SESSION_COOKIE and found:
                return found.strip().strip('"')
    return None
