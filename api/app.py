"""The HTTP API: ``create_app(settings)`` builds the FastAPI application.

* The store is opened in ``lifespan`` and closed at shutdown: the server process owns the embedded store.
  Reads come from an in-memory snapshot (``api/services/snapshot.py``); the few statements that go to the store
  take ``ApiContext.lock`` (a Kùzu connection serves one thread at a time).
* Every request is appended to the hash-chained audit log (:class:`AuditMiddleware`): key id, method + route
  template, entity reference, status. Never query strings, bodies or names. Entries are group-committed
  (:class:`api.audit.GroupCommitWriter`: one fsync per batch) and flushed at shutdown.
* Errors are RFC 9457 ``application/problem+json``: :class:`graph.errors.TracegraphError` by its ``http_status``,
  request validation 422, unknown routes 404, anything unexpected 500 (logged by type only). Under ``/taxii2``
  they are TAXII 2.1 error messages in ``application/taxii+json;version=2.1`` instead, and validation is a 400.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, get_args, get_origin

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import taxii, taxii_collections
from api.audit import AuditLog, GroupCommitWriter
from api.audit_checkpoints import Checkpointer, signer_for
from api.limits import BodyLimitMiddleware, CredentialsMiddleware, FailureCounter
from api.routers import alerts, analytics, compliance, entities, exports, firearms_match, session, system, workspace
from api.security import WWW_AUTHENTICATE, KeyFile, Principal, declared_basic, install_security
from api.services.disseminations import COUNT_LIMIT_BYTES
from api.services.snapshot import ApiContext
from api.sessions import SessionManager
from api.settings import Settings
from api.web import install_web
from graph.errors import TracegraphError, Unauthenticated

log = logging.getLogger("tracegraph.api")
PROBLEM_JSON = "application/problem+json"
_REFERENCE = re.compile(r"^(person|dealer|firearm|recovery|location):[\w:.\- ]{1,200}$")
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ANONYMOUS_TARGET_LIMIT = 256  # characters of a target an unauthenticated caller can put in the log
TARGET_LIMIT = 1024
_PATH_PARAM_KIND = {"firearm_key": "firearm", "person_key": "person", "dealer_key": "dealer",
                    "network_id": "network", "watch_id": "watch"}


def audit_log_path(settings: Settings) -> Path:
    """The audit log shared with the evidence commands (default ``audit.jsonl`` beside the store)."""
    return settings.audit_log or Path(settings.db).parent / "audit.jsonl"


def problem(status: int, title: str, detail: str | None, instance: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance,
            **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


class AuditMiddleware:
    """Appends one audit entry per HTTP request, after the response status is known."""

    def __init__(self, app: ASGIApp, audit: GroupCommitWriter) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        body: list[bytes] | None = None  # a partner's answer, kept to count what was released
        size = 0

        async def record_status(message: Message) -> None:
            nonlocal status, body, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if status < 400 and _partner(scope) is not None:
                    body = []
            elif message["type"] == "http.response.body" and body is not None:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= COUNT_LIMIT_BYTES:  # past it the count is not read from the answer: keep no copy
                    body.append(chunk)
                else:
                    body.clear()
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            entry = self.entry(scope, status)
            self.audit.submit(**entry)  # queued: one fsync per batch of requests
            partner = _partner(scope)
            if body is not None and partner is not None and _releases(scope, entry["action"]):
                # a release outside the agency (28 CFR 23.20(g))
                answer = b"".join(body) if size <= COUNT_LIMIT_BYTES else b""
                self.audit.submit(**self.dissemination(scope, partner, entry["action"], answer))

    @staticmethod
    def dissemination(scope: Scope, partner: Principal, route: str, body: bytes) -> dict[str, Any]:
        """The record of what a partner key was given: set by the handler (``state["released"]``: TLP and
        object count) or read from the answer."""
        from api.services.disseminations import api_entry, count_objects

        released = (scope.get("state") or {}).get("released") or {}
        objects = released["objects"] if "objects" in released else count_objects(body)
        return api_entry(key_id=partner.key_id, recipient=partner.name, purpose=partner.purpose, route=route,
                         tlp=released.get("tlp") or partner.clearance.ceiling, objects=objects)

    @staticmethod
    def entry(scope: Scope, status: int) -> dict[str, Any]:
        principal = (scope.get("state") or {}).get("principal")
        route = scope.get("route")
        template = getattr(route, "path", None) or "(no route)"
        params = scope.get("path_params") or {}
        targets = [f"{_PATH_PARAM_KIND[name]}:{value}" for name, value in params.items()
                   if name in _PATH_PARAM_KIND]
        targets += [str(t) for t in (scope.get("state") or {}).get("audit_targets", ())]  # set by a handler
        if template == "/api/v1/paths":  # references only, never free text from the query string
            from urllib.parse import parse_qs

            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            targets += [v for name in ("source", "target") for v in query.get(name, [])[:1] if _REFERENCE.match(v)]
        outcome = "ok" if status < 400 else "denied" if status in (401, 403, 429) else "error"
        known = isinstance(principal, Principal)
        target = audit_text(",".join(targets) or "-", TARGET_LIMIT if known else ANONYMOUS_TARGET_LIMIT)
        return {"actor": principal.key_id if isinstance(principal, Principal) else "anonymous",
                "action": audit_text(f"{scope.get('method', '')} {template}", ANONYMOUS_TARGET_LIMIT),
                "target": target, "outcome": outcome, "details": {"status": status, "surface": "api"}}


def _partner(scope: Scope) -> Principal | None:
    principal = (scope.get("state") or {}).get("principal")
    return principal if isinstance(principal, Principal) and principal.role == "partner" else None


_NOT_RELEASES = frozenset({"/api/v1/oauth/token", "/api/v1/health", "(no route)"})


def _releases(scope: Scope, action: str) -> bool:
    """Does this answer carry the agency's data? Every API read does (not a token or the health figures); on
    TAXII, the routes that serve objects say so themselves (``state["released"]``), discovery does not."""
    route = action.split(" ", 1)[-1]
    if route in _NOT_RELEASES:
        return False
    return not taxii.is_taxii(route) or "released" in (scope.get("state") or {})


def audit_text(text: str, limit: int) -> str:
    """Control characters escaped (``\\n`` -> ``\\x0a``: one entry can never look like two), at most ``limit``
    characters (a cut says how much was left out)."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) <= limit:
        return text
    note = f"...(+{len(text) - limit} chars)"
    return text[: limit - len(note)] + note


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The documented methods of a concrete path (from the OpenAPI document, so Allow and the schema agree)."""
    methods: set[str] = set()
    for template, item in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods |= {name.upper() for name in item if name in _HTTP_METHODS}
    return sorted(methods)


def _is_sequence(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_sequence(arg) for arg in get_args(annotation))


def _scalar_query_params(dependant: Any, found: set[str] | None = None) -> set[str]:
    found = set() if found is None else found
    for param in getattr(dependant, "query_params", ()):
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a query-parameter model
            found |= {field.alias or name for name, field in annotation.model_fields.items()
                      if not _is_sequence(field.annotation)}
        elif not _is_sequence(annotation):
            found.add(param.alias)
    for sub in getattr(dependant, "dependencies", ()):
        _scalar_query_params(sub, found)
    return found


_SCALARS: dict[int, set[str]] = {}


async def single_valued_query(request: Request) -> None:
    """A parameter declared with one value must not come several times (``?limit=1&limit=900``): FastAPI would
    keep the last one silently; here it is a 422 like any other schema violation."""
    query = request.scope.get("query_string", b"")
    if not query:
        return
    names = [part.split(b"=", 1)[0] for part in query.split(b"&") if part]
    if len(names) == len(set(names)):
        return
    route = request.scope.get("route")
    scalars = _SCALARS.get(id(route))
    if scalars is None:
        scalars = _SCALARS[id(route)] = _scalar_query_params(getattr(route, "dependant", None))
    repeated = sorted(name for name in scalars if len(request.query_params.getlist(name)) > 1)
    if repeated:
        raise RequestValidationError([{"loc": ("query", name), "msg": "expected a single value",
                                       "type": "single_value"} for name in repeated])


def _error(request: Request, status: int, title: str, detail: str | None, headers: dict[str, str] | None = None,
           **extra: Any) -> JSONResponse:
    """problem+json, or a TAXII error message on the TAXII routes (TAXII 2.1 section 3.6.1)."""
    if taxii.is_taxii(request.url.path):
        return taxii.error_response(status, title, detail, headers)
    return problem(status, title, detail, request.url.path, headers, **extra)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(TracegraphError)
    async def tracegraph_error(request: Request, exc: TracegraphError) -> JSONResponse:
        headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if isinstance(exc, Unauthenticated) else None
        return _error(request, exc.http_status, exc.title, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # the offending input is not echoed back or logged: it may be a name
        errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        if taxii.is_taxii(request.url.path):  # TAXII has no 422: a filter it cannot read is a 400
            names = ", ".join(sorted({e["loc"][-1] for e in errors if e["loc"]}))
            return taxii.error_response(400, "Invalid request", f"invalid value for {names or 'the request'}")
        return problem(422, "Request validation failed", f"{len(errors)} problem(s) with the request",
                       request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed", 406: "Not acceptable"}.get(exc.status_code,
                                                                                         "HTTP error")
        detail = "no such route" if exc.status_code == 404 else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only those of the first route matched
            headers["Allow"] = ", ".join(_allowed_methods(request.app, request.url.path))
        return _error(request, exc.status_code, title, detail, headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s on %s", type(exc).__name__, request.scope.get("route") and
                  getattr(request.scope["route"], "path", ""))
        return _error(request, 500, "Internal error", "unexpected server error")


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document plus HTTP Basic as a third alternative, and problem+json error bodies."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    doc.setdefault("components", {}).setdefault("securitySchemes", {})["Basic"] = declared_basic()
    problem_body = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                operation["security"].append({"Basic": []})
            if operation.get("security") or "401" in responses:
                responses.setdefault("429", {"description": "too many failed authentications from this client "
                                                            "(Retry-After)", "content": problem_body})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": "request body over the size limit",
                                             "content": problem_body})
            if taxii.TAXII in str(responses):  # TAXII routes: 400 TAXII errors, never 422
                responses.pop("422", None)
            for status, response in responses.items():
                content = response.get("content", {})
                if status == "422":  # every router's validation errors go through one handler
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                elif status[0] in "45" and "application/json" in content:
                    response["content"] = {PROBLEM_JSON: content["application/json"]}
    app.openapi_schema = doc
    return doc


def create_app_from_environment() -> FastAPI:
    """The app of one ``tracegraph serve --workers N`` process: settings from ``TRACEGRAPH_*`` (serve sets them)."""
    from api.server import uvicorn_options

    settings = Settings()
    uvicorn_options(settings)  # this worker's protocol class takes the configured header timeout
    return create_app(settings)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = settings.open_store(read_only=True)  # the API only reads: workers share the embedded file
        context: ApiContext | None = None
        try:
            context = app.state.context = ApiContext(settings, store)
            if settings.api_taxii_warm:
                taxii_collections.warm(context, taxii_collections.partner_levels(
                    KeyFile.for_settings(settings).records().values()))
            yield
        finally:
            if context is not None:
                taxii_collections.stop(context)
            (context.store if context is not None else store).close()  # a write may have reopened it
            app.state.audit_writer.close()  # everything queued reaches the disk
            app.state.checkpointer.close()  # and the head is signed

    app = FastAPI(title="tracegraph API", version="1", lifespan=lifespan, dependencies=[Depends(single_valued_query)],
                  description="Investigators' API over the tracegraph store: authenticated, role- and TLP-aware, "
                              "audited. Errors are application/problem+json (RFC 9457).")
    app.state.sessions = SessionManager(install_security(app, settings), settings.api_session_idle_s,
                                        settings.api_session_max_s)
    app.state.audit = AuditLog(audit_log_path(settings))
    key_dir = settings.key_dir or Path(settings.db).parent / "keys"  # as exports.evidence.service.EvidencePaths
    passphrase = settings.key_passphrase.get_secret_value() if settings.key_passphrase else None
    app.state.checkpointer = Checkpointer(app.state.audit, signer_for(key_dir, passphrase))
    app.state.audit_writer = GroupCommitWriter(app.state.audit, on_written=app.state.checkpointer.written)
    _install_errors(app)
    app.include_router(system.router)
    app.include_router(session.router)
    app.include_router(workspace.router)
    app.include_router(firearms_match.router)  # before entities: /firearms/match is not a firearm key
    app.include_router(entities.router)
    app.include_router(analytics.router)
    app.include_router(alerts.router)
    app.include_router(exports.router)
    app.include_router(compliance.router)
    app.include_router(taxii.router)
    install_web(app)  # the workspace at / (issue 19)
    app.add_middleware(CredentialsMiddleware, failures=FailureCounter(settings.api_auth_failures_per_minute))
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(AuditMiddleware, audit=app.state.audit_writer)  # outermost: sees every answer
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
