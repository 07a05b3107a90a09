"""Health, the OAuth2 token endpoint and admin operations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from api.routers.common import ERRORS, Caller, Context
from api.security import Authenticator, basic_credentials
from api.services import models as m
from api.services import system

router = APIRouter(prefix="/api/v1", tags=["system"])


@router.get("/health", response_model=m.Health, summary="Liveness and snapshot figures (no authentication)",
            responses={503: ERRORS[503]})
async def health(ctx: Context) -> m.Health:
    return system.health(ctx)


@router.post("/oauth/token", response_model=m.Token, responses={400: ERRORS[400], 401: ERRORS[401],
                                                                 422: ERRORS[422]},
             summary="OAuth2 client credentials: exchange an API key id and secret for a bearer token")
def token(request: Request,
          grant_type: Annotated[str, Form(pattern="^client_credentials$")],
          client_id: Annotated[str | None, Form(max_length=100)] = None,
          client_secret: Annotated[str | None, Form(max_length=200)] = None) -> m.Token:
    authenticator: Authenticator = request.app.state.authenticator
    basic = None
    scheme, _, param = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "basic" and param.strip():  # RFC 6749 2.3.1: client credentials may come as Basic
        basic = basic_credentials(param.strip())
    return system.issue_token(authenticator, client_id, client_secret, basic)


@router.post("/admin/snapshot", response_model=m.Health, responses=ERRORS,
             summary="Rebuild the in-memory read model from the store (admin)")
def rebuild(caller: Caller, ctx: Context) -> m.Health:
    return system.rebuild(ctx, caller)
