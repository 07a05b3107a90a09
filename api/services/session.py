"""Workspace sign-in: who a session is, in the shape ``POST/GET /api/v1/session`` return (api/sessions.py holds the
cookie mechanics)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.services.models import Out
from api.sessions import Session, SessionManager


class SignIn(BaseModel):
    """The API key, exactly as the ``X-API-Key`` header takes it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    api_key: str = Field(min_length=3, max_length=300, description="`<key id>.<secret>`")


class SessionOut(Out):
    name: str = Field(description="the key's name")
    role: str
    tlp: str = Field(description="the caller's TLP ceiling (clear | green | amber | amber+strict | red)")
    personal_data: bool = Field(description="whether this caller sees names, DOB and addresses")
    csrf_token: str = Field(description="send as X-CSRF-Token on POST, PUT, PATCH and DELETE")
    expires: dt.datetime = Field(description="when the session ends unless used (idle expiry, UTC)")


def describe(session: Session) -> SessionOut:
    principal = session.principal
    return SessionOut(name=principal.name, role=principal.role, tlp=principal.clearance.ceiling,
                      personal_data=principal.clearance.personal_data, csrf_token=session.csrf_token,
                      expires=dt.datetime.fromtimestamp(session.expires_at, dt.UTC))


def sign_in(sessions: SessionManager, request: SignIn) -> tuple[Session, str]:
    """A new session for a valid key (401 otherwise) and its cookie value."""
    return sessions.sign_in(request.api_key)
