"""The workspace's session: sign in with an API key, who am I, sign out (issue 19; docs/workspace-api.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.routers.common import ERRORS
from api.security import Principal, current_principal
from api.services import session as service
from api.sessions import SESSION_COOKIE, Session, SessionManager, cookie_header
from graph.errors import Unauthenticated

router = APIRouter(prefix="/api/v1", tags=["session"])


def _sessions(request: Request) -> SessionManager:
    sessions: SessionManager = request.app.state.sessions
    return sessions


async def current_session(request: Request, _caller: Annotated[Principal, Depends(current_principal)]) -> Session:
    """The session the cookie names (401 without one; 403 on an unsafe method without its CSRF token)."""
    session = (request.scope.get("state") or {}).get("session")
    if not isinstance(session, Session):
        raise Unauthenticated("no session: sign in with POST /api/v1/session")
    return session


Sessions = Annotated[SessionManager, Depends(_sessions)]
Current = Annotated[Session, Depends(current_session)]


@router.post("/session", response_model=service.SessionOut,
             responses={400: ERRORS[400], 401: ERRORS[401], 422: ERRORS[422]},
             summary="Sign in with an API key: sets the HttpOnly session cookie tg_session")
def sign_in(body: service.SignIn, request: Request, response: Response, sessions: Sessions) -> service.SessionOut:
    session, token = service.sign_in(sessions, body)
    request.state.principal = session.principal  # the audit entry names the key that signed in
    response.headers.append("set-cookie", cookie_header(token, session.expires_at - session.issued_at,
                                                        secure=request.url.scheme == "https"))
    response.headers["cache-control"] = "no-store"
    return service.describe(session)


@router.get("/session", response_model=service.SessionOut, responses={401: ERRORS[401]},
            summary="Who am I: the signed-in session (401 without one)")
async def whoami(session: Current, response: Response) -> service.SessionOut:
    response.headers["cache-control"] = "no-store"
    return service.describe(session)


@router.delete("/session", status_code=204, response_class=Response,
               responses={401: ERRORS[401], 403: ERRORS[403]},
               summary="Sign out: the session is revoked server-side and the cookie cleared")
def sign_out(session: Current, request: Request, sessions: Sessions) -> Response:
    sessions.sign_out(session)
    response = Response(status_code=204)
    response.headers.append("set-cookie", f"{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
                            + ("; Secure" if request.url.scheme == "https" else ""))
    return response
