"""Cut a video into segments that separate processes can decode and infer on their own.

A segment keeps the frames whose presentation timestamp (pts) lies in [start_pts, end_pts).
Bounds are timestamps, not frame numbers, so a process that seeks into the file needs no
count of the frames before it: the parent numbers the frames as it puts the segments back in
order, and each frame's index is its rank among the frames that decode, exactly as in one
sequential decode (variable frame rate and undecodable packets included).

The plan reads every packet's timestamp and keyframe flag once, demuxing without decoding
(0.1 s for 2,000 frames of 720p). It keeps the video whole (one process runs it) when that
would not be exact: packets without timestamps, repeated timestamps, or timestamps that fall
back further than decoders reorder frames, since then display order is not timestamp order.

A segment after the first starts with `warmup` frames whose results are dropped: temporal
models (MediaPipe follows the person found in the previous frame and smooths its landmarks)
settle on them before the first frame that counts. Its decoder starts at the keyframe at or
before the first warm-up frame; a boundary goes right after a keyframe (plus the warm-up)
when one is near, else the decoder discards frames from the keyframe on, up to
MAX_DISCARD times the segment's length (decoding without converting a frame costs about a
tenth of inferring it).
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass

import av
import numpy as np

from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

# Frames the backend sees before a segment's first kept frame. Measured on the juggling and
# running clips (bench/RESULTS.md): with 8, poses after a boundary differ from one process's
# by 0.2-0.3 % of the torso on average; more warm-up costs inference and helps little.
WARMUP_FRAMES = 8
MIN_SEGMENT_FRAMES = 48  # shorter, and the warm-up and start-up would cost too large a share
MAX_SEGMENT_FRAMES = 256  # longer, and the last segments would leave processes idle
MAX_DISCARD = 2  # decoded-and-discarded frames before a segment, per frame of the segment
# Decoders hold back at most 16 frames to reorder them (H.264 and HEVC's largest picture
# buffer): a timestamp below one this far back is a stream out of display order.
_REORDER_PACKETS = 16


@dataclass(frozen=True)
class Segment:
    """A run of frames one process decodes and infers. None bounds mean the video's ends."""

    number: int
    first_frame: int  # index of its first kept frame (from the packets; the parent recounts)
    frames: int  # kept frames, from the packets
    warmup: int  # frames inferred before the first kept one, their results dropped
    seek_pts: int | None  # the keyframe its decoder starts at; None: the file's start
    warm_pts: int | None  # the first warm-up frame
    start_pts: int | None  # the first kept frame
    end_pts: int | None  # the first frame of the next segment

    @property
    def last_frame(self) -> int:
        """Index of its last kept frame (from the packets)."""
        return self.first_frame + self.frames - 1


@dataclass(frozen=True)
class SegmentPlan:
    """How a video is cut (no segments when it is not: `reason` says why)."""

    segments: tuple[Segment, ...]
    reason: str

    @property
    def splits(self) -> bool:
        """True when there are segments to run side by side."""
        return len(self.segments) > 1


@dataclass(frozen=True)
class _Timeline:
    pts: np.ndarray  # every packet's pts, in decode order
    keyframe_pts: list[int]  # pts of the keyframe packets, in decode order


def plan_segments(
    info: VideoInfo,
    *,
    processes: int,
    warmup: int = WARMUP_FRAMES,
    min_frames: int = MIN_SEGMENT_FRAMES,
    max_frames: int = MAX_SEGMENT_FRAMES,
    after_pts: int | None = None,
) -> SegmentPlan:
    """Cut `info`'s video into segments for `processes` processes (one when it cannot be).

    With `after_pts` (a resume point's: the last stored frame's timestamp), only the frames
    after it are cut: the first segment starts at the first frame whose timestamp is greater,
    warmed up on the frames before it as any later segment is.
    """
    if processes < 2:
        return _whole("one pose process")
    timeline = _read_timeline(info)
    if isinstance(timeline, str):
        return _whole(timeline)
    shown = np.sort(timeline.pts)  # display order
    count = len(shown)
    if count < 2 or bool(np.any(shown[1:] == shown[:-1])):
        return _whole("frames share a timestamp")
    # The first frame to cut from, by rank in display order (0 unless resuming).
    begin = 0 if after_pts is None else int(np.searchsorted(shown, after_pts, side="right"))
    if begin >= count:
        return _whole("no frame is left after the resume point")
    keyframes = sorted({int(np.searchsorted(shown, p)) for p in timeline.keyframe_pts})
    length = _segment_length(count - begin, processes, min_frames, max_frames)
    bounds = _boundaries(count, keyframes, length, warmup, begin)
    if not bounds:
        return _whole(
            f"{count - begin} frames are too few to share, or no frame is a place to cut"
        )
    firsts = [begin, *bounds]
    segments = []
    for n, first in enumerate(firsts):
        end = firsts[n + 1] if n + 1 < len(firsts) else count
        cut = first > 0  # it starts after the video's first frame: seek, then warm up
        warm = min(warmup, first)
        keyframe = _keyframe_at_or_before(keyframes, first - warm) if cut else None
        segments.append(
            Segment(
                number=n,
                first_frame=first,
                frames=end - first,
                warmup=warm if cut else 0,
                seek_pts=None if keyframe is None else int(shown[keyframe]),
                warm_pts=int(shown[first - warm]) if cut else None,
                start_pts=int(shown[first]) if cut else None,
                end_pts=int(shown[end]) if end < count else None,
            )
        )
    return SegmentPlan(
        tuple(segments), f"{len(segments)} segments of about {length} frames"
    )


def _whole(reason: str) -> SegmentPlan:
    return SegmentPlan((), reason)


def _segment_length(count: int, processes: int, min_frames: int, max_frames: int) -> int:
    """Equal segments, a whole number of rounds of `processes`, each at most `max_frames`."""
    rounds = math.ceil(count / (processes * max_frames))
    return max(min_frames, math.ceil(count / (processes * rounds)))


def _boundaries(
    count: int, keyframes: list[int], length: int, warmup: int, begin: int = 0
) -> list[int]:
    """The first frame of each segment after the first (which starts at `begin`), in
    display order (frame ranks)."""
    bounds: list[int] = []
    previous = begin
    shortest_tail = max(1, length // 2)
    while True:
        target = previous + length
        if count - target < shortest_tail:
            return bounds
        near = [
            k + warmup
            for k in keyframes
            if abs(k + warmup - target) <= length // 2 and count - (k + warmup) >= shortest_tail
        ]
        bound = min(near, key=lambda b: abs(b - target)) if near else target
        start = bound - warmup
        discard = start - (_keyframe_at_or_before(keyframes, start) or 0)
        if discard > MAX_DISCARD * length:
            later = [
                k + warmup
                for k in keyframes
                if k + warmup > target and count - (k + warmup) >= shortest_tail
            ]
            if not later:
                return bounds
            bound = later[0]
        bounds.append(bound)
        previous = bound


def _keyframe_at_or_before(keyframes: list[int], rank: int) -> int | None:
    """The last keyframe at or before frame `rank`; None when decoding must start at frame 0."""
    at = bisect.bisect_right(keyframes, rank) - 1
    return keyframes[at] if at >= 0 else None


def _read_timeline(info: VideoInfo) -> _Timeline | str:
    """Every packet's pts and the keyframes', or why the video cannot be cut exactly."""
    pts: list[int] = []
    keyframe_pts: list[int] = []
    try:
        with av.open(str(info.path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            if not stream.time_base:
                return "the video stream has no time base"
            demux = container.demux(stream)
            while True:
                try:
                    packet = next(demux)
                except StopIteration:
                    break
                except av.error.FFmpegError:
                    break  # the container breaks off: the decoders stop at the same place
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                if packet.pts is None:
                    return "its packets carry no timestamps"
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keyframe_pts.append(packet.pts)
    except av.error.FFmpegError as exc:
        return f"its packets cannot be read ahead ({exc.strerror})"
    if not keyframe_pts:
        return "no packet is a keyframe"
    order = np.array(pts, dtype=np.int64)
    if len(order) > _REORDER_PACKETS:
        running_max = np.maximum.accumulate(order)
        if bool(np.any(order[_REORDER_PACKETS:] <= running_max[:-_REORDER_PACKETS])):
            return "its timestamps fall back (display order is not timestamp order)"
    return _Timeline(order, keyframe_pts)
