"""Limits in front of the routes: request body size, failed authentication per client, credentials resolved once.

* :class:`BodyLimitMiddleware`: a body over ``max_bytes`` (default 1 MiB) is refused with 413 before anything
  parses it: at once when ``Content-Length`` says so, else as soon as the streamed body passes the limit.
* :class:`CredentialsMiddleware`: every request that presents credentials has them checked here, before routing,
  so the audit log names the authenticated key for every answer (404, 405, 422, ``/openapi.json`` included), and
  the route dependency reuses the result. Requests that presented credentials (a header, or a client secret at
  the token endpoint) and got 401 are counted per client address in a sliding minute; past
  ``failures_per_minute`` (default 20) such a request gets 429 with ``Retry-After`` instead of 401 (a request
  with no credentials at all is not guessing anything: it keeps its 401). A valid
  key is never slowed or refused, even from a client that is over the limit (callers behind one NAT share an
  address with whoever is guessing); the secrets' 256 bits are what makes guessing hopeless, the limit keeps
  guessing from flooding the server and the audit log.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, deque
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security import TOKEN_URL
from api.sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, SessionManager, cookie_header, session_cookie
from graph.errors import Forbidden, Unauthenticated

PROBLEM_JSON = b"application/problem+json"
MAX_BODY_BYTES = 1 << 20
AUTH_FAILURES_PER_MINUTE = 20
_TRACKED_CLIENTS = 10_000
SESSION_URL = "/api/v1/session"


async def send_problem(send: Send, status: int, title: str, detail: str, instance: str,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail,
                       "instance": instance}).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    refused = True  # answer now; the app sees the client go away and its answer is dropped
                    await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, watched)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await send_problem(send, 413, "Content too large", f"request bodies are limited to {self.max_bytes} bytes",
                           str(scope.get("path", "")))


class FailureCounter:
    """Failed authentications per client address over a sliding window (thread-safe, bounded memory)."""

    def __init__(self, limit: int = AUTH_FAILURES_PER_MINUTE, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            times = self._failures[client] = deque()
            while len(self._failures) > _TRACKED_CLIENTS:
                self._failures.popitem(last=False)
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def fail(self, client: str) -> float | None:
        """Record one failure; the seconds to wait when the client is over the limit, else None."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            times.append(now)
            self._failures.move_to_end(client)
            if len(times) <= self.limit:
                return None
            return max(1.0, self.window_s - (now - times[-self.limit - 1]))


def presents_credentials(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or [])
    return b"x-api-key" in headers or b"authorization" in headers


class CredentialsMiddleware:
    """Checks presented credentials once per request, and turns a 401 into 429 for a client past the limit."""

    def __init__(self, app: ASGIApp, failures: FailureCounter) -> None:
        self.app = app
        self.failures = failures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = presents_credentials(scope) or scope.get("path") == TOKEN_URL or (
            scope.get("path") == SESSION_URL and scope.get("method") == "POST")  # sign-in guesses count too
        refresh: bytes | None = None
        if presents_credentials(scope):
            authenticator: Any = scope["app"].state.authenticator
            state = scope.setdefault("state", {})
            try:
                state["principal"] = authenticator.from_request(Request(scope))
            except Unauthenticated as exc:
                state["auth_error"] = exc  # the route's dependency answers 401 with it
        elif (cookie := session_cookie(scope.get("headers") or [])) is not None:
            refresh = self._session(scope, cookie)
        refused = False

        async def counted(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and refresh is not None:
                headers = list(message.get("headers") or [])
                if not any(k == b"set-cookie" and v.startswith(SESSION_COOKIE.encode() + b"=") for k, v in headers):
                    message = {**message, "headers": [*headers, (b"set-cookie", refresh)]}
            if message["type"] == "http.response.start" and message["status"] == 401 and presented:
                wait = self.failures.fail(str((scope.get("client") or ("unknown", 0))[0]))
                if wait is not None:
                    refused = True
                    await send_problem(send, 429, "Too many failed authentications",
                                       "too many failed authentications from this client: wait and retry",
                                       str(scope.get("path", "")),
                                       [(b"retry-after", str(int(wait + 0.999)).encode())])
                    return
            if refused:  # the 401's body: replaced by the 429 above
                return
            await send(message)

        await self.app(scope, receive, counted)

    @staticmethod
    def _session(scope: Scope, cookie: str) -> bytes | None:
        """Authenticate by the workspace session cookie (api/sessions.py); the refreshed cookie, if one is due."""
        sessions: SessionManager = scope["app"].state.sessions
        state = scope.setdefault("state", {})
        try:
            session = sessions.from_cookie(cookie)
        except Unauthenticated as exc:
            state["auth_error"] = exc
            return None
        state["principal"] = session.principal
        state["session"] = session
        if scope.get("method") not in SAFE_METHODS:
            header = dict(scope.get("headers") or []).get(CSRF_HEADER.encode())
            if not sessions.csrf_ok(session, header.decode("latin-1") if header is not None else None):
                state["csrf_error"] = Forbidden("a request signed in by the session cookie must send the session's "
                                                "X-CSRF-Token header on POST, PUT, PATCH and DELETE")
                return None
        fresh = sessions.refreshed(session)
        if fresh is None:
            return None
        renewed, token = fresh
        return cookie_header(token, renewed.expires_at - renewed.issued_at,
                             secure=scope.get("scheme") == "https").encode("latin-1")
