"""AttemptLimit: count every delivery of a message, crashes included, and give up at N.

Dramatiq's Retries counts only exceptions: a worker killed mid-job redelivers the message
with its retry count unchanged, so a video that crashes the worker would loop forever.
This middleware INCRs a counter per message id (stable across redeliveries and retry
copies) before each delivery; past POSE_MAX_ATTEMPTS the message is failed (dead-lettered)
and the job is marked failed through `on_give_up`. A delivery the worker handed back when
it was asked to stop (at a saved resume point) is taken off the count again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from dramatiq import Broker, Middleware
from dramatiq.middleware import SkipMessage

from posepipe.jobs.keys import ATTEMPT_OPTION, HANDED_BACK_OPTION, attempts_key

log = logging.getLogger(__name__)

COUNTER_TTL_S = 14 * 86_400

GiveUp = Callable[[Any, int], None]


class AttemptLimit(Middleware):
    """Number each delivery (`message.options["posepipe_attempt"]`); stop after `max_attempts`."""

    def __init__(self, client: redis.Redis, *, max_attempts: int, on_give_up: GiveUp) -> None:
        self.client = client
        self.max_attempts = max_attempts
        self.on_give_up = on_give_up

    def before_process_message(self, broker: Broker, message: Any) -> None:
        key = attempts_key(message.message_id)
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, COUNTER_TTL_S)
        attempt = int(pipe.execute()[0])
        message.options[ATTEMPT_OPTION] = attempt
        if attempt <= self.max_attempts:
            return
        log.warning(
            "message %s delivered %d times; giving up after %d attempts",
            message.message_id, attempt, self.max_attempts,
        )
        self.on_give_up(message, attempt - 1)
        self.client.delete(key)
        message.fail()
        raise SkipMessage(f"gave up after {self.max_attempts} attempts")

    def after_process_message(
        self,
        broker: Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        key = attempts_key(message.message_id)
        try:
            if message.options.get(HANDED_BACK_OPTION):
                # Back on the queue at a resume point because this worker stopped (a deploy,
                # a `--reload`): not a failure, so the delivery is not counted.
                self.client.decr(key)
            elif exception is None:
                self.client.delete(key)
            # A message that raised may come back as a retry: it keeps its count.
        except redis.RedisError as exc:
            log.warning("could not update the delivery count of %s: %s", message.message_id, exc)
