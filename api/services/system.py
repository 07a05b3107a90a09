"""Health, tokens, admin."""

from __future__ import annotations

from api.security import Authenticator, Principal
from api.services import models as m
from api.services.snapshot import ApiContext
from graph.errors import Forbidden, Unauthenticated


def health(context: ApiContext) -> m.Health:
    snapshot = context.snapshot
    return m.Health(status="ok", store=context.store.backend, nodes=snapshot.counts,
                    snapshot_seconds=snapshot.built_seconds)


def issue_token(authenticator: Authenticator, client_id: str | None, client_secret: str | None,
                basic: tuple[str, str] | None) -> m.Token:
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise Unauthenticated("client_id and client_secret are required")
    principal = authenticator.keys.check(client_id, client_secret)
    return m.Token(access_token=authenticator.issue_token(principal), token_type="bearer",  # noqa: S106
                   expires_in=authenticator.token_ttl_s)


def rebuild(context: ApiContext, principal: Principal) -> m.Health:
    if principal.role != "admin":
        raise Forbidden("rebuilding the snapshot needs the admin role")
    context.rebuild()
    return health(context)
