"""Lawful handling over HTTP (issue 24, docs/compliance.md): intelligence subjects for the workspace (analysts,
investigators, supervisors; never partners) and the record of every release (supervisors)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.audit import AuditLog, GroupCommitWriter
from api.routers.common import ERRORS, Caller, Context
from api.services import disseminations, subjects
from api.settings import Settings
from graph.errors import Forbidden

router = APIRouter(prefix="/api/v1", tags=["compliance"], responses=ERRORS)
PersonKey = Annotated[str, Path(min_length=1, max_length=200, description="the person's key")]


def _audit(request: Request, item: dict[str, object]) -> None:
    writer: GroupCommitWriter = request.app.state.audit_writer
    writer.submit(**item)
    writer.flush()  # a change to a subject is on disk before it is acknowledged


@router.post("/subjects", response_model=subjects.SubjectChange, status_code=201,
             summary="Confirm a person as an intelligence subject (predicate and case required; audited)")
def subject_add(request: Request, body: subjects.SubjectNew, caller: Caller, ctx: Context) -> subjects.SubjectChange:
    subjects.allowed(caller)
    with ctx.writing() as store:
        done, item = subjects.add(store, body, today=dt.date.today(), actor=caller.key_id)
    _audit(request, item)
    return subjects.SubjectChange.model_validate(done)


@router.post("/subjects/{person_key}/validate", response_model=subjects.SubjectChange,
             summary="Record a review that validated a subject: the next review-by date (audited)")
def subject_validate(request: Request, person_key: PersonKey, caller: Caller, ctx: Context,
                     body: subjects.SubjectValidation | None = None) -> subjects.SubjectChange:
    subjects.allowed(caller)
    with ctx.writing() as store:
        done, item = subjects.validate(store, person_key, body.review_by if body else None, today=dt.date.today(),
                                       actor=caller.key_id)
    _audit(request, item)
    return subjects.SubjectChange.model_validate(done)


@router.get("/subjects", response_model=subjects.SubjectList, summary="Intelligence subjects, soonest review first")
def subject_list(caller: Caller, ctx: Context,
                 due: Annotated[bool, Query(description=f"only those overdue or due within "
                                                        f"{subjects.DUE_WITHIN_DAYS} days")] = False,
                 ) -> subjects.SubjectList:
    subjects.allowed(caller)
    with ctx.lock:
        rows = subjects.listing(ctx.store, today=dt.date.today(), due=due)
    return subjects.SubjectList(items=[subjects.Subject.model_validate(row) for row in rows])


@router.get("/disseminations", response_model=disseminations.DisseminationList,
            summary="The record of every release outside the agency, from the verified audit chain (supervisors)")
def dissemination_list(request: Request, caller: Caller, ctx: Context,
                       since: Annotated[dt.date | None, Query(description="releases on or after this date")] = None,
                       recipient: Annotated[str | None, Query(min_length=1, max_length=200,
                                                              description="only releases to this recipient")] = None,
                       ) -> disseminations.DisseminationList:
    if caller.role not in disseminations.READERS:
        raise Forbidden("the dissemination record is for supervisors (role admin)")
    writer: GroupCommitWriter = request.app.state.audit_writer
    writer.flush()  # every release answered so far is in the chain read below
    settings: Settings = ctx.settings
    log: AuditLog = request.app.state.audit
    found = disseminations.listing(log, since=since, recipient=recipient,
                                   key_dir=settings.key_dir or FilePath(settings.db).parent / "keys")
    return disseminations.DisseminationList(items=[disseminations.Record.model_validate(r) for r in found.rows],
                                            entries_verified=found.entries, checkpoints=found.checkpoints)
