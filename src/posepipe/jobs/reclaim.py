"""Moving a job's message back onto the queue at once, instead of after the heartbeat timeout.

Dramatiq's Redis broker keeps each fetched message id in the ack set of the broker process
that fetched it (`<ns>:__acks__.<broker_id>.<queue>`) until it is acked; a dead process's
ack sets are swept back onto their queues only after QUEUE_HEARTBEAT_TIMEOUT_S, because a
silent process might still be alive. Two callers know better and move them at once:

- a worker restarting in place (`posepipe.worker.identity`) knows its previous incarnation
  is dead, and which broker id it had: `reclaim_unacked`;
- a worker stopping at a saved resume point hands its own message back: `requeue_message`.

Both put the job's message at the front of the queue (the job has been waiting already), in
one Lua script each, so a concurrent sweep by Dramatiq's maintenance cannot move it twice.
The layout is Dramatiq 2.x's (dramatiq/brokers/redis/dispatch.lua).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from dramatiq import Message

from posepipe.jobs.keys import NAMESPACE, QUEUE

log = logging.getLogger(__name__)

# KEYS: namespace. ARGV: broker id, queue name.
# Returns the bodies of the messages moved onto the main queue.
_RECLAIM = """
local ns, broker, queue = KEYS[1], ARGV[1], ARGV[2]
local moved = {}
local function put_back(name, front)
    local acks = ns .. ":__acks__." .. broker .. "." .. name
    local messages = ns .. ":" .. name .. ".msgs"
    for _, id in ipairs(redis.call("smembers", acks)) do
        local body = redis.call("hget", messages, id)
        if body then
            if front then
                redis.call("lpush", ns .. ":" .. name, id)
                table.insert(moved, body)
            else
                redis.call("rpush", ns .. ":" .. name, id)
            end
        end
    end
    redis.call("del", acks)
end
put_back(queue, true)
put_back(queue .. ".DQ", false)  -- delayed retries it had prefetched keep their own eta
redis.call("zrem", ns .. ":__heartbeats__", broker)
return moved
"""

# KEYS: namespace. ARGV: broker id, queue name, redis message id. Returns 1 when moved.
_REQUEUE_ONE = """
local ns, broker, queue, id = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local acks = ns .. ":__acks__." .. broker .. "." .. queue
local messages = ns .. ":" .. queue .. ".msgs"
if redis.call("srem", acks, id) == 1 and redis.call("hexists", messages, id) == 1 then
    redis.call("lpush", ns .. ":" .. queue, id)
    return 1
end
return 0
"""


def reclaim_unacked(client: redis.Redis, broker_id: str) -> list[str]:
    """Put a dead broker process's unacked messages back; the job ids of those on the queue.

    Only for a broker process known to be dead: a live one would run its job a second time.
    """
    bodies = client.register_script(_RECLAIM)(keys=[NAMESPACE], args=[broker_id, QUEUE])
    return [job_id_of(body) or "?" for body in bodies]


def requeue_message(client: redis.Redis, broker_id: str, message: Any) -> bool:
    """Hand this process's own in-flight message back to the front of the queue.

    Its Dramatiq ack afterwards finds nothing to ack, so the message is not lost.
    """
    redis_id = message.options.get("redis_message_id")
    if redis_id is None:
        return False
    script = client.register_script(_REQUEUE_ONE)
    return bool(script(keys=[NAMESPACE], args=[broker_id, QUEUE, redis_id]))


def job_id_of(body: bytes | str) -> str | None:
    """The job id a `process_video` message body carries, or None if it is not one."""
    try:
        message = Message.decode(body if isinstance(body, bytes) else body.encode())
    except Exception:  # a foreign or damaged body must not stop a sweep
        return None
    return str(message.args[0]) if message.args else None
