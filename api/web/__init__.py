"""The investigator's workspace (issue 19): the browser front end ``tracegraph serve`` serves at ``/``.

``web/`` holds its TypeScript sources; ``npm ci && npm run build`` there (the Makefile's install step) bundles them
with Cytoscape.js into ``api/web/static/`` (git-ignored, shipped as package data). Every page and asset goes out
with a strict Content-Security-Policy: scripts, styles, images and requests from this server only, nothing inline,
nothing from another host; the workspace works air-gapped. Without the bundle ``/`` answers with one line naming
the command that builds it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HERE = Path(__file__).parent
STATIC = HERE / "static"
BUNDLE = STATIC / "app.js"
BUILD_COMMAND = "cd web && npm ci && npm run build"
MISSING = f"The workspace is not built: run `{BUILD_COMMAND}` (needs Node.js and npm), then restart the server.\n"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
    "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors 'none'"))
HEADERS = ((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
           (b"cross-origin-opener-policy", b"same-origin"))


def built() -> bool:
    return BUNDLE.is_file()


class WorkspaceHeaders:
    """Adds the CSP and its companions to the workspace's pages and assets (``/`` and ``/static/``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/" and not path.startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, with_headers)


def install_web(app: FastAPI) -> None:
    """``GET /`` (the page) and ``/static/*`` (the bundle), outside the OpenAPI document."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def workspace() -> Response:
        if not built():
            return PlainTextResponse(MISSING, status_code=503)
        return FileResponse(HERE / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    if STATIC.is_dir():  # built before the server started (StaticFiles needs the folder)
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(WorkspaceHeaders)
