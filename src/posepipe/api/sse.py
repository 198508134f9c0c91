"""`GET /api/jobs/{id}/events`: a job's status and progress as Server-Sent Events.

Events: `status` (data: the job, as `GET /api/jobs/{id}` answers it) and `progress`
(data: `{"frames_done", "frames_total"}`). The stream starts with both, follows the
job's Redis channel, and ends after the `status` event of a finished job. The job
document is also re-read every few seconds, so a worker that died without a word, or a
Redis that went away, cannot leave a client waiting forever. A comment line every
15 s keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import redis
import redis.asyncio as aioredis

from posepipe.api.schemas import JobPublic
from posepipe.errors import PosepipeError
from posepipe.jobs.keys import events_channel
from posepipe.jobs.progress import parse_event
from posepipe.store.jobs import JobRepository
from posepipe.store.models import JobStatus

log = logging.getLogger(__name__)

POLL_S = 3.0
KEEPALIVE_S = 15.0
_WAIT_S = 1.0
_CLEANUP_S = 2.0  # unsubscribing from Redis when a client leaves


def format_event(event: str, data: Any) -> str:
    """One SSE event."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


class _Follower:
    """Emits what changed since the last event, from the job document or the channel."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.progress: tuple[int, int] | None = None

    def from_document(self, doc: dict[str, Any]) -> list[str]:
        job = JobPublic.from_document(doc)
        events = []
        progress = (job.progress.frames_done, job.progress.frames_total)
        if progress != self.progress:
            events.append(self.progress_event(*progress))
        if job.status != self.status:
            self.status = job.status
            events.append(format_event("status", job.model_dump(mode="json")))
        return events

    def progress_event(self, done: int, total: int) -> str:
        self.progress = (done, total)
        return format_event("progress", {"frames_done": done, "frames_total": total})

    @property
    def finished(self) -> bool:
        return self.status is not None and JobStatus(self.status).finished


async def job_events(
    job_id: str, jobs: JobRepository, client: aioredis.Redis
) -> AsyncIterator[str]:
    """The event stream of one job, until it finishes (or the client leaves)."""
    follower = _Follower()
    pubsub = client.pubsub()
    subscribed = False
    try:
        try:
            await pubsub.subscribe(events_channel(job_id))
            subscribed = True
        except redis.RedisError as exc:
            log.warning("events of %s without Redis (polling MongoDB): %s", job_id, exc)
        for event in follower.from_document(await jobs.get(job_id)):
            yield event
        polled = sent = time.monotonic()
        while not follower.finished:
            message = await _next_message(pubsub) if subscribed else None
            if message is None and not subscribed:
                await anyio.sleep(_WAIT_S)
            now = time.monotonic()
            if message is not None and message.get("type") == "progress":
                yield follower.progress_event(message["frames_done"], message["frames_total"])
                sent = now
            elif message is not None or now - polled >= POLL_S:
                polled = now
                for event in follower.from_document(await jobs.get(job_id)):
                    yield event
                    sent = now
            if now - sent >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                sent = now
    except PosepipeError as exc:
        # Headers are sent: the error travels as an event, and the stream ends.
        yield format_event("error", {"error": {"code": exc.code, "message": exc.message}})
    finally:
        # A client that leaves cancels this generator, and the cancellation would strike
        # again at the first await here, leaking the pub/sub connection: shield the
        # clean-up, bounded so a dead Redis cannot hold it.
        with anyio.move_on_after(_CLEANUP_S, shield=True):
            if subscribed:
                with contextlib.suppress(redis.RedisError):
                    await pubsub.unsubscribe()
            await pubsub.aclose()


async def _next_message(pubsub: Any) -> dict[str, Any] | None:
    try:
        raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_WAIT_S)
    except redis.RedisError as exc:
        log.info("event channel lost (%s); polling MongoDB", exc)
        await anyio.sleep(_WAIT_S)
        return None
    if raw is None or raw.get("type") != "message":
        return None
    return parse_event(raw["data"])

