"""Bulk reissue after a template change: a run records its progress (``done`` of ``total``)
and a chain of jobs reissues the template's issued certificates ``CHUNK`` at a time, in id
order (a keyset walk). Each certificate keeps its number and public id, gets a new revision,
a history entry and a rendering job. A chunk that runs twice reissues nothing twice: the walk
resumes after the last certificate the run recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.credentials import events
from campus.credentials.data import CERTIFICATE_REVOKE
from campus.credentials.models import Certificate, CertificateTemplate, ReissueRun
from campus.credentials.repository import certificates as repo
from campus.credentials.service import issuance
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job

CHUNK = 50


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: uuid.UUID
    template_id: uuid.UUID
    status: str
    total: int
    done: int
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, row: ReissueRun) -> RunRecord:
        return cls(
            row.id, row.template_id, row.status, row.total, row.done, row.reason, row.created_at
        )


def _issued_of(template_id: uuid.UUID, cutoff: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        Certificate.template_id == template_id,
        Certificate.status == "issued",
        Certificate.created_at <= cutoff,
    ]


async def start(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID, reason: str
) -> RunRecord:
    principal.require(CERTIFICATE_REVOKE)
    if await session.get(CertificateTemplate, template_id) is None:
        raise NotFound(code="template_not_found", message="No such certificate template.")
    now = utcnow()
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(Certificate).where(*_issued_of(template_id, now))
    )
    run = ReissueRun(
        id=new_id(),
        template_id=template_id,
        requested_by=principal.user_id,
        reason=reason,
        status="running" if total else "done",
        total=int(total or 0),
        done=0,
        cutoff=now,
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    await session.flush()
    if total:
        await enqueue_job(session, events.REISSUE_JOB, {"runId": str(run.id), "after": None})
    return RunRecord.of(run)


async def get(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> RunRecord:
    principal.require(CERTIFICATE_REVOKE)
    run = await session.get(ReissueRun, run_id)
    if run is None:
        raise NotFound(code="reissue_run_not_found", message="No such reissue run.")
    return RunRecord.of(run)


async def run_chunk(session: AsyncSession, run_id: uuid.UUID, after: uuid.UUID | None) -> None:
    run = await session.get(ReissueRun, run_id, with_for_update=True, populate_existing=True)
    if run is None or run.status != "running":
        return
    where = _issued_of(run.template_id, run.cutoff)
    if after is not None:
        where.append(Certificate.id > after)
    rows = list(
        (
            await session.execute(
                sa.select(Certificate).where(*where).order_by(Certificate.id).limit(CHUNK)
            )
        ).scalars()
    )
    now = utcnow()
    for row in rows:
        revision = row.revision + 1
        await repo.update(
            session, row.id, {"revision": revision, "render_status": "queued", "updated_at": now}
        )
        await repo.add_history(
            session,
            row.id,
            "reissued",
            now,
            run.requested_by,
            {"reason": run.reason, "revision": revision, "runId": str(run.id)},
        )
        await issuance.queue_render(session, row.id, revision)
    done = min(run.total, run.done + len(rows))
    finished = len(rows) < CHUNK
    await session.execute(
        sa.update(ReissueRun)
        .where(ReissueRun.id == run.id)
        .values(done=run.total if finished else done, status="done" if finished else "running")
    )
    if not finished:
        await enqueue_job(
            session, events.REISSUE_JOB, {"runId": str(run.id), "after": str(rows[-1].id)}
        )
