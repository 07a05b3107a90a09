"""`tracegraph apikey create|list|revoke` and `tracegraph serve`."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import emit_json, err, out, settings
from api.security import KeyFile
from exports.tlp import ROLES
from graph.errors import InvalidInput

apikey_app = typer.Typer(help="API keys for the HTTP API (stored hashed; a new key is printed once).",
                         no_args_is_help=True)


@apikey_app.command("create")
def create(ctx: typer.Context,
           role: Annotated[str, typer.Option(help=" | ".join(ROLES))],
           name: Annotated[str | None, typer.Option(help="who or what holds the key")] = None,
           tlp: Annotated[str | None, typer.Option(help="partner TLP ceiling (default green; amber to raise)")] = None,
           purpose: Annotated[str | None, typer.Option(
               help="partner keys: the purpose of release, recorded with every read (28 CFR 23.20(g))")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """Create a key and print it ONCE (only its SHA-256 is kept). A partner key needs --name (the recipient
    agency) and --purpose."""
    keys = KeyFile.for_settings(settings(ctx))
    record, secret = keys.create(role, name, tlp, purpose=purpose)
    api_key = f"{record.key_id}.{secret}"
    if as_json:
        emit_json({**record.public(), "api_key": api_key, "secret": secret})
        return
    err.print(f"created {record.role} key {record.key_id} in {keys.path}; it is shown once, store it now:")
    out.print(f"X-API-Key: {api_key}", highlight=False, soft_wrap=True)
    err.print(f"(Basic / OAuth2 client credentials: id {record.key_id}, secret = the part after the dot)")


@apikey_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List keys (id, name, role, TLP ceiling, created, revoked); never secrets."""
    keys = KeyFile.for_settings(settings(ctx))
    for record in keys.records().values():
        emit_json(record.public())


@apikey_app.command("revoke")
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="the key id, e.g. tgk_0123456789abcdef")]
           ) -> None:
    """Revoke a key (a running server refuses it, and tokens issued for it, at the next request)."""
    record = KeyFile.for_settings(settings(ctx)).revoke(key_id)
    err.print(f"revoked {record.key_id} at {record.revoked}")


def tls_options(cert: Path | None, key: Path | None) -> dict[str, str]:
    """uvicorn's ``ssl_certfile`` / ``ssl_keyfile``, checked first so a typo is one clear line, not a traceback."""
    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        raise InvalidInput("--tls-cert and --tls-key go together")
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.is_file():
            raise InvalidInput(f"{flag} {path}: no such file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, ssl.SSLError) else exc
        raise InvalidInput(f"--tls-cert/--tls-key: not a PEM certificate and its private key ({reason})") from None
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


def serve(ctx: typer.Context,
          host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port")] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="server processes, each with its own in-memory "
                                                                 "snapshot (one per core on a busy server)")] = 1,
          tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="PEM certificate (chain) to serve "
                                                                             "HTTPS; TAXII 2.1 requires TLS")] = None,
          tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key of --tls-cert")] = None,
          ) -> None:
    """Serve the HTTP API (this process owns the store while it runs). No access log: the audit log records
    every request without query strings. HTTPS with --tls-cert/--tls-key, or behind a TLS-terminating reverse
    proxy (docs/api.md)."""
    import uvicorn

    from api.app import create_app
    from api.server import uvicorn_options

    options = dict(host=host, port=port, **uvicorn_options(settings(ctx)), **tls_options(tls_cert, tls_key))
    if workers == 1:
        uvicorn.run(create_app(settings(ctx)), **options)
        return
    # Each worker opens the embedded store read-only (several processes may) and builds its own snapshot; the
    # audit log stays one chain across them (api.audit.GroupCommitWriter re-chains after another writer).
    os.environ.update(settings(ctx).as_environment())
    uvicorn.run("api.app:create_app_from_environment", factory=True, workers=workers, **options)


def register(app: typer.Typer) -> None:
    app.add_typer(apikey_app, name="apikey")
    app.command("serve")(serve)
