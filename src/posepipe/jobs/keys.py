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
# Frames handed to a pose backend, counted before each batch (so a crash mid-batch counts),
# or to a pose process, counted as each segment is handed out (its warm-up frames too):
# what resuming saves shows as the gap between this and frames processed.
FRAMES_INFERRED_KEY = f"{NAMESPACE}:stats:frames_inferred"

# The option on a message that carries its delivery number (set by AttemptLimit).
ATTEMPT_OPTION = "posepipe_attempt"
# Set by the runner on a message it handed back at a resume point as the worker stopped:
# that delivery does not count towards POSE_MAX_ATTEMPTS.
HANDED_BACK_OPTION = "posepipe_handed_back"


def worker_key(worker_id: str) -> str:
    """The key a live worker keeps refreshing (its heartbeat, with a TTL)."""
    return f"{NAMESPACE}:workers:{worker_id}"


def attempts_key(message_id: str) -> str:
    """The counter of deliveries of one message (crash redeliveries and retries)."""
    return f"{NAMESPACE}:attempts:{message_id}"


def resent_key(job_id: str) -> str:
    """Set while a stranded job's new message is fresh, so that only one worker sends it."""
    return f"{NAMESPACE}:resent:{job_id}"


def events_channel(job_id: str) -> str:
    """The pub/sub channel a job's status and progress events go to."""
    return f"{NAMESPACE}:events:{job_id}"
