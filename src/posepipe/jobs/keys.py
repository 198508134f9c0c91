"""Names in Redis and on the queue that the API and the workers must agree on."""

from __future__ import annotations

NAMESPACE = "posepipe"
QUEUE = "video"
ACTOR = "process_video"

# The broker's own keys (Dramatiq's Redis layout): the queue, retries waiting out a
# backoff, and messages that gave up.
QUEUE_KEY = f"{NAMESPACE}:{QUEUE}"
DELAY_QUEUE_KEY = f"{NAMESPACE}:{QUEUE}.DQ"
DEAD_LETTER_KEY = f"{NAMESPACE}:{QUEUE}.XQ"

WORKERS_PATTERN = f"{NAMESPACE}:workers:*"
FRAMES_PROCESSED_KEY = f"{NAMESPACE}:stats:frames_processed"

# The option on a message that carries its delivery number (set by AttemptLimit).
ATTEMPT_OPTION = "posepipe_attempt"


def worker_key(worker_id: str) -> str:
    """The key a live worker keeps refreshing (its heartbeat, with a TTL)."""
    return f"{NAMESPACE}:workers:{worker_id}"


def attempts_key(message_id: str) -> str:
    """The counter of deliveries of one message (crash redeliveries and retries)."""
    return f"{NAMESPACE}:attempts:{message_id}"


def events_channel(job_id: str) -> str:
    """The pub/sub channel a job's status and progress events go to."""
    return f"{NAMESPACE}:events:{job_id}"
