"""What every router shares: the principal and context dependencies and the documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from api.security import Principal, current_principal
from api.services.models import Problem
from api.services.snapshot import ApiContext

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {**PROBLEM, "description": text} for status, text in (
        (400, "Invalid input"), (401, "Authentication required"), (403, "Forbidden by role or TLP"),
        (404, "Not found"), (422, "Request validation failed"), (503, "Store unavailable"))}


async def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


Caller = Annotated[Principal, Depends(current_principal)]
Context = Annotated[ApiContext, Depends(context)]
