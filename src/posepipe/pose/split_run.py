"""Run a video's segments on a PosePool and hand the results over in frame order.

Pose processes take segments as they come free (a slow segment holds up no other process),
but results leave here strictly in order: the caller tracks and stores them as if one
process had run the whole video, so track ids carry across every boundary. Frames are
numbered here, by their rank in that order, as a sequential decode numbers them.

Memory stays bounded: segments are handed out at most `2 x processes` ahead of the one
being handed over, so at most that many segments of observations wait here (no pixels:
each process decodes its own frames).
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass

from posepipe.errors import PoseProcessFailed
from posepipe.pose.backend import Observation
from posepipe.pose.pool import PosePool, PoseProcessDied
from posepipe.pose.pose_process import Failed, Inferred, SegmentDone, SegmentTask
from posepipe.video.probe import VideoInfo
from posepipe.video.segments import Segment, SegmentPlan

log = logging.getLogger(__name__)

_POLL_S = 0.25  # the longest a run waits on its pose processes between `should_stop` checks
_AHEAD_PER_PROCESS = 2


@dataclass(frozen=True)
class InferredFrame:
    """One frame out of the backend, numbered in display order, before tracking."""

    index: int
    time_s: float
    people: list[Observation]
    pts: int | None = None  # the frame's timestamp in the stream (None: it has none)


@dataclass(frozen=True)
class SplitCounts:
    """What the segments' decoders counted: frames kept (with any before the first segment),
    packets that failed."""

    decoded: int
    failed: int


def run_split(
    info: VideoInfo,
    plan: SegmentPlan,
    pool: PosePool,
    on_frames: Callable[[list[InferredFrame]], None],
    *,
    batch_size: int,
    should_stop: Callable[[], None],
    on_assign: Callable[[int], None] | None = None,
    first_index: int = 0,
) -> SplitCounts:
    """Infer every segment of `plan` on `pool`; `on_frames` gets every frame once, in order.

    Frames are numbered from `first_index`: the frames before the plan's first segment (a
    resumed run's, stored by an earlier attempt; `plan_segments`' `after_pts`).

    `on_assign` is told how many frames (warm-up included) each segment hands to a pose
    process, as it is handed out.

    `should_stop` raises to end the run early; the pool is then killed (and starts afresh
    on its next run), as it is for any error. SegmentMismatch means the file does not
    decode the same in segments; every frame handed over before it is right, and the
    caller goes on from there in one process.
    """
    pool.ensure_ready()
    order = _InOrder(plan.segments, on_frames, first_index)
    waiting = collections.deque(plan.segments)
    busy: dict[int, Segment] = {}
    ahead = _AHEAD_PER_PROCESS * pool.size
    try:
        while not order.finished:
            for n in range(pool.size):
                if n in busy or not waiting or waiting[0].number >= order.current + ahead:
                    continue
                segment = waiting.popleft()
                if on_assign is not None:
                    on_assign(segment.warmup + segment.frames)
                pool.assign(n, SegmentTask(info, segment, batch_size))
                busy[n] = segment
            try:
                received = pool.receive(_POLL_S)
            except PoseProcessDied as exc:
                lost = busy.get(exc.member)
                doing = f" while inferring {_frames_of(lost)}" if lost else ""
                raise PoseProcessFailed(f"{exc.message}{doing}") from exc
            for n, message in received:
                if isinstance(message, Inferred):
                    order.add(message)
                elif isinstance(message, SegmentDone):
                    busy.pop(n, None)
                    order.end(message)
                elif isinstance(message, Failed):
                    _raise(message, busy.get(n))
            order.hand_over()
            should_stop()
    except BaseException:
        pool.abort()  # its processes may be mid-segment: a clean slate for the next run
        raise
    return SplitCounts(order.decoded, order.failed)


class _InOrder:
    """Holds each segment's results until the segments before it are handed over."""

    def __init__(
        self,
        segments: tuple[Segment, ...],
        on_frames: Callable[[list[InferredFrame]], None],
        first_index: int,
    ) -> None:
        self._count = len(segments)
        self._on_frames = on_frames
        self._batches: dict[int, collections.deque[Inferred]] = collections.defaultdict(
            collections.deque
        )
        self._ended: dict[int, SegmentDone] = {}
        self.current = 0  # the segment being handed over
        self.decoded = first_index  # frames handed over (or stored before), the next's index
        self.failed = 0

    @property
    def finished(self) -> bool:
        return self.current >= self._count

    def add(self, message: Inferred) -> None:
        self._batches[message.segment].append(message)

    def end(self, message: SegmentDone) -> None:
        self._ended[message.segment] = message

    def hand_over(self) -> None:
        """Pass on what can go in order."""
        while not self.finished:
            batches = self._batches.get(self.current)
            while batches:
                batch = batches.popleft()
                frames = [
                    InferredFrame(self.decoded + k, time_s, people, pts)
                    for k, (time_s, pts, people) in enumerate(batch.frames)
                ]
                self.decoded += len(frames)
                self._on_frames(frames)
            done = self._ended.pop(self.current, None)
            if done is None:
                return
            self.failed += done.failed
            self._batches.pop(self.current, None)
            self.current += 1


def _raise(message: Failed, segment: Segment | None) -> None:
    where = f" on {_frames_of(segment)}" if segment else ""
    log.debug("pose process failed%s:\n%s", where, message.trace)
    if message.error is not None:  # ours, SegmentMismatch included
        raise message.error
    raise PoseProcessFailed(f"a pose process failed{where}: {message.text}")


def _frames_of(segment: Segment) -> str:
    return f"frames {segment.first_frame}-{segment.last_frame} (segment {segment.number})"
