"""Decode one segment of a video (`posepipe.video.segments`) in a pose process of its own.

The decoder seeks to the segment's keyframe, decodes without converting up to its warm-up
frames, then hands over warm-up and kept frames, each with its time and pixels made exactly
as `FrameStream` makes them. It checks what makes the segments add up to one sequential
decode, and raises SegmentMismatch (the parent then runs the video in one process) when a
file breaks it: a frame without a timestamp, timestamps out of order, or a seek that landed
after the segment's first frame.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import av

from posepipe.errors import PosepipeError
from posepipe.video.decode import DecodedFrame, frame_image, frame_time_s
from posepipe.video.probe import VideoInfo
from posepipe.video.segments import Segment

log = logging.getLogger(__name__)

# FFmpeg's frame threads per pose process: with two, decoding one frame overlaps inferring
# the one before, and N processes stay near N threads instead of N times the cores.
DECODE_THREADS = 2
# When a seek lands after the segment's first frame: how much further back to try, in turn.
_SEEK_BACK_S = (2.0, 10.0)


class SegmentMismatch(PosepipeError):
    """The file does not decode the same in segments as in one pass; do not split it."""

    code = "segment_mismatch"


@dataclass(frozen=True)
class SegmentFrame:
    """A decoded frame of a segment; `warmup` frames prime the backend and are not kept."""

    frame: DecodedFrame
    warmup: bool


class SegmentDecoder:
    """Decodes segments of one video, keeping the file open between them."""

    def __init__(self, info: VideoInfo) -> None:
        self.info = info
        self.failed = 0  # packets of the last segment's kept frames that failed to decode
        self._container: av.container.InputContainer | None = None

    def frames(self, segment: Segment) -> Iterator[SegmentFrame]:
        """The segment's warm-up frames, then its kept frames, in display order."""
        self.failed = 0
        decoded = self._from_before(segment)
        stream = self._opened().streams.video[0]
        start = stream.start_time or 0
        time_base = float(stream.time_base) if stream.time_base else 0.0
        index = segment.first_frame - segment.warmup
        previous: int | None = None
        for frame in decoded:
            pts = frame.pts
            if pts is None:
                raise SegmentMismatch(f"segment {segment.number}: a frame has no timestamp")
            if previous is not None and pts <= previous:
                raise SegmentMismatch(
                    f"segment {segment.number}: timestamps go back ({previous}, then {pts})"
                )
            previous = pts
            if segment.end_pts is not None and pts >= segment.end_pts:
                return
            if segment.warm_pts is not None and pts < segment.warm_pts:
                continue  # decoded only to reach the warm-up: never converted
            warmup = segment.start_pts is not None and pts < segment.start_pts
            time_s = frame_time_s(pts, start, time_base, index, self.info.fps)
            image = frame_image(frame, self.info.rotation)
            yield SegmentFrame(DecodedFrame(index, time_s, image, pts), warmup)
            index += 1

    def close(self) -> None:
        """Close the file."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def _from_before(self, segment: Segment) -> Iterator[av.VideoFrame]:
        """Decoded frames from at or before the segment's first one (warm-up or kept).

        Seeking lands on a keyframe before the target in an indexed file (MP4, MKV, WebM);
        in others (MPEG-TS) it may land after it, which the first frame shows: then seek
        again further back, and in the end decode from the start.
        """
        first_pts = segment.warm_pts
        time_base = float(self._opened().streams.video[0].time_base or 0)
        for target in _seek_targets(segment.seek_pts, time_base):
            container = self._opened(fresh=target is None)
            stream = container.streams.video[0]
            if target is not None:
                container.seek(target, stream=stream, backward=True)
            decoded = self._decoded(container, stream, segment)
            first = next(decoded, None)
            if first is None:
                return iter(())
            if target is None or first_pts is None or first.pts is None or first.pts <= first_pts:
                return itertools.chain([first], decoded)
            log.debug(
                "segment %d: seeking to %d landed at %s, after %d; seeking further back",
                segment.number, target, first.pts, first_pts,
            )
        raise AssertionError("the last target decodes from the start")  # pragma: no cover

    def _opened(self, *, fresh: bool = False) -> av.container.InputContainer:
        if self._container is None or fresh:
            # From the start: a fresh file, as FrameStream opens it (no seek to get wrong).
            self.close()
            self._container = av.open(str(self.info.path), metadata_errors="ignore")
            stream = self._container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = DECODE_THREADS
        return self._container

    def _decoded(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
        segment: Segment,
    ) -> Iterator[av.VideoFrame]:
        demux = container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                return
            except av.error.FFmpegError as exc:
                log.warning("%s: the container breaks off (%s)", self.info.path.name, exc.strerror)
                return
            try:
                yield from packet.decode()
            except av.error.FFmpegError as exc:
                if _kept(packet.pts, segment):
                    self.failed += 1
                log.debug("undecodable packet at pts=%s: %s", packet.pts, exc.strerror)


def _seek_targets(seek_pts: int | None, time_base: float) -> list[int | None]:
    """Where to seek, in turn, until decoding starts early enough; None is the file's start."""
    if seek_pts is None or not time_base:
        return [None]
    back = [seek_pts - round(seconds / time_base) for seconds in _SEEK_BACK_S]
    return [seek_pts, *(t for t in back if t > 0), None]


def _kept(pts: int | None, segment: Segment) -> bool:
    """Whether a packet's frame would be one of the segment's kept frames."""
    if pts is None:
        return True
    after_start = segment.start_pts is None or pts >= segment.start_pts
    return after_start and (segment.end_pts is None or pts < segment.end_pts)
