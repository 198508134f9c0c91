"""Which worker this process is, across restarts: a slot on this host, held by a file lock.

A restarted worker (the same container after a crash, the same `--reload` process tree
after a save) must know what its previous incarnation held, and must know that incarnation
is dead, or taking its job back at once could run the job twice. A heartbeat cannot say a
process is dead, only that it has been silent; a lock the kernel releases when the process
dies can. So each worker holds an exclusive `flock` on a slot file in POSE_STATE_DIR for its
whole life and writes into that file (through the locked descriptor) what a successor needs:
its worker id and its Dramatiq broker id. Whoever next gets the lock on that file knows, for
certain, that every process that wrote it has exited.

Slots are named after POSE_WORKER_NAME (the hostname by default: stable across restarts of
a Compose container): `name`, then `name.2`, `name.3`, ... when several workers share a host
and a name. Slot files are kept apart per Redis (a `scope`), so two stacks on one machine
never take each other's slots. The lock only works among processes that see the same file:
POSE_STATE_DIR must be a local folder (not a network share), private to the host or
container.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_SLOTS = 64


@dataclass
class WorkerSlot:
    """This process's slot: its name, and what the previous holder wrote there (or None)."""

    name: str
    path: Path
    previous: dict[str, Any] | None
    _fd: int

    def record(self, **fields: Any) -> None:
        """Write what a successor needs (replacing the previous holder's record)."""
        data = json.dumps(fields).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def release(self) -> None:
        """Give the slot up (the process exiting does the same)."""
        os.close(self._fd)


def default_state_dir() -> Path:
    """Where slot files go when POSE_STATE_DIR is unset (a container's own /tmp)."""
    return Path(tempfile.gettempdir()) / "posepipe-worker"


def acquire_slot(state_dir: Path, name: str, scope: str) -> WorkerSlot:
    """Lock the first free slot for `name`; raises OSError when none of MAX_SLOTS is free."""
    state_dir.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(scope.encode()).hexdigest()[:8]
    for n in range(1, MAX_SLOTS + 1):
        slot_name = name if n == 1 else f"{name}.{n}"
        path = state_dir / f"{_safe(slot_name)}@{tag}.slot"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # a live process holds it
            continue
        return WorkerSlot(slot_name, path, _read_record(fd, path), fd)
    raise OSError(f"all {MAX_SLOTS} worker slots named {name!r} in {state_dir} are taken")


def _read_record(fd: int, path: Path) -> dict[str, Any] | None:
    raw = os.pread(fd, 65536, 0)
    if not raw:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        log.warning("ignoring the unreadable worker slot file %s", path)
        return None
    return record if isinstance(record, dict) else None


def _safe(name: str) -> str:
    """A file name from a worker name (hostnames are safe already; settings may not be)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "worker"
