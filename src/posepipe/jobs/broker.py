"""The Dramatiq broker both services build, set up as research/queue_choice.md measured.

- heartbeat_timeout (QUEUE_HEARTBEAT_TIMEOUT_S, 60 s): a worker process that sends no
  broker command for this long is dead, and its unacked message goes back on the queue.
  Heartbeats are per process, so a job longer than this is safe while its process lives.
- maintenance_chance 10 %: the sweep that requeues a dead worker's message runs on one
  command in ten, so the job comes back about a minute after the crash instead of ~10 min
  at Dramatiq's default 0.1 %.
- dead-lettered messages are kept 14 days for inspection.
"""

from __future__ import annotations

from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from posepipe.config import Settings
from posepipe.jobs.keys import NAMESPACE

MAINTENANCE_CHANCE = 100_000  # per million commands
DEAD_MESSAGE_TTL_MS = 14 * 86_400_000


def build_broker(settings: Settings) -> RedisBroker:
    """A Redis broker on REDIS_URL with posepipe's queue policy (no actor declared)."""
    middleware = [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(),
        CurrentMessage(),
    ]
    return RedisBroker(
        url=settings.redis_url,
        namespace=NAMESPACE,
        middleware=middleware,
        heartbeat_timeout=int(settings.queue_heartbeat_timeout_s * 1000),
        maintenance_chance=MAINTENANCE_CHANCE,
        dead_message_ttl=DEAD_MESSAGE_TTL_MS,
    )
