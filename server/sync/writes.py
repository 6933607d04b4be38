"""Writes a person makes on a page (a township action, an admin's import, a supervisor's
reminder): the same path as a device's mutation, so they are validated, run their
collection's hooks, take change numbers and field versions, and leave an idempotency
record. Every device in scope pulls them at its next sync like any other change.

A page write has no device: its field versions name no device (so it is never "the same
device" as anyone's edit) and its clock is the server's (node 00000000, which devices may
not claim). The caller's session is the request's one transaction: nothing is written
unless all of it commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guard import Principal
from server.accounts.models import User
from server.db import utcnow
from server.sync import hlc as hlcmod
from server.sync.apply import Batch, finalize, process
from server.sync.records import Writer
from server.sync.revs import RevAllocator
from server.sync.spec.collections import Registry
from server.sync.wire import Mutation, MutationResult


@dataclass(frozen=True, slots=True)
class PageWrite:
    """One change, written as a device would send it (JSON-able values)."""

    collection: str
    record_id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    op: Literal["put", "del"] = "put"
    #: the rev the person saw when they made the change (None for a new record)
    base: int | None = None
    #: an idempotency key when the page has one (a form's hidden id): a resubmitted form
    #: then has the effect of one; a fresh id otherwise
    mutation_id: str | None = None


async def write(
    session: AsyncSession,
    registry: Registry,
    user: User,
    principal: Principal,
    changes: Sequence[PageWrite],
    *,
    now: datetime | None = None,
    max_lead_ms: int = 0,
) -> list[MutationResult]:
    """Apply ``changes`` in order; each result is what a device would have been told."""
    received = now or utcnow()
    now_ms = int(received.timestamp() * 1000)
    writer = Writer(
        session, RevAllocator(session, late=True), principal, received, now_ms, registry
    )
    batch = Batch(writer, user, None, 0, max_lead_ms)
    clock = hlcmod.ZERO
    results = []
    for change in changes:
        clock = hlcmod.tick(clock, now_ms, hlcmod.SERVER_NODE)
        mutation = Mutation(
            id=change.mutation_id or str(uuid.uuid4()),
            col=change.collection,
            rid=change.record_id,
            op=change.op,
            hlc=clock,
            at=now_ms,
            base=change.base,
            data=msgspec.to_builtins(dict(change.data)),
        )
        results.append(await process(batch, mutation))
    await writer.alloc.flush()  # the stamp: real revs, the counter locked until commit
    finalize(batch, results)
    return results


__all__ = ["PageWrite", "write"]
