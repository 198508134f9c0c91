"""Decode a video in its own thread into a bounded queue, so decoding overlaps inference.

The queue bounds memory: however long the video, at most `queue_size` frames are alive.
A packet that fails to decode is counted and skipped; the consumer learns how many frames
were lost from `FrameStream.frames_lost` once the stream is exhausted.

`start_frame` fast-forwards a resumed job: every frame before it is still decoded (a frame's
index is its rank among the frames that decode, so only decoding can number them as an
uninterrupted run does, variable frame rate and broken packets included), but none is
converted to RGB or handed over. Seeking would be faster and could number them wrongly.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import av
import numpy as np
import numpy.typing as npt

from posepipe.errors import UndecodableVideo
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

_PUT_POLL_S = 0.1
_SKIP_REPORT_EVERY = 64  # frames fast-forwarded between two `on_skip` calls


@dataclass(frozen=True)
class DecodedFrame:
    """One displayed frame: index from 0, time in seconds, RGB pixels (H, W, 3) uint8."""

    index: int
    time_s: float
    image: npt.NDArray[np.uint8]
    # The frame's timestamp in the stream's time base (None: it has none). A resume point
    # keeps the last stored frame's, where pose processes start the frames left.
    pts: int | None = None


@dataclass(frozen=True)
class _End:
    error: BaseException | None = None


class FrameStream:
    """An iterator over a video's frames, decoded ahead by a background thread."""

    def __init__(
        self,
        info: VideoInfo,
        *,
        queue_size: int = 16,
        start_frame: int = 0,
        on_skip: Callable[[int], None] | None = None,
    ) -> None:
        self.info = info
        self.start_frame = start_frame
        self._on_skip = on_skip  # called from the decode thread as it fast-forwards
        self.frames_decoded = 0
        self.frames_lost = 0
        self._queue: queue.Queue[DecodedFrame | _End] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="decode", daemon=True)
        self._started = False

    def __iter__(self) -> Iterator[DecodedFrame]:
        if not self._started:
            self._started = True
            self._thread.start()
        while True:
            item = self._queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def close(self) -> None:
        """Stop the decode thread early (the consumer gave up) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=_PUT_POLL_S)

    def __enter__(self) -> FrameStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _put(self, item: DecodedFrame | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        error: BaseException | None = None
        try:
            self._decode()
        except BaseException as exc:  # handed to the consumer, raised there
            error = exc
        self._put(_End(error))

    def _decode(self) -> None:
        info = self.info
        with av.open(str(info.path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # FFmpeg's own frame threads; they release the GIL
            start = stream.start_time or 0
            time_base = float(stream.time_base) if stream.time_base else 0.0
            for frame in self._frames(container, stream):
                if self.frames_decoded < self.start_frame:
                    self.frames_decoded += 1
                    if self._on_skip is not None and self.frames_decoded % _SKIP_REPORT_EVERY == 0:
                        self._on_skip(self.frames_decoded)
                    continue
                time_s = frame_time_s(frame.pts, start, time_base, self.frames_decoded, info.fps)
                image = frame_image(frame, info.rotation)
                if not self._put(DecodedFrame(self.frames_decoded, time_s, image, frame.pts)):
                    return
                self.frames_decoded += 1
        if self._stop.is_set():
            return  # closed early by the consumer: what was not read is not lost
        self.frames_lost = frames_lost(info, self.frames_decoded, self.frames_lost)

    def _frames(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream
    ) -> Iterator[av.VideoFrame]:
        demux = container.demux(stream)
        while not self._stop.is_set():
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
                self.frames_lost += 1
                log.debug("undecodable packet at pts=%s: %s", packet.pts, exc.strerror)


def frame_time_s(pts: int | None, start: int, time_base: float, index: int, fps: float) -> float:
    """A frame's time in seconds from the stream's start; from its index when it has no pts."""
    if pts is not None and time_base:
        return max(0.0, (pts - start) * time_base)
    return index / fps


def frame_image(frame: av.VideoFrame, rotation: int) -> npt.NDArray[np.uint8]:
    """A decoded frame's pixels as RGB (H, W, 3), turned upright as the video is displayed."""
    image = cast(npt.NDArray[np.uint8], frame.to_ndarray(format="rgb24"))
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=-rotation // 90))
    return image


def frames_lost(info: VideoInfo, decoded: int, failed: int) -> int:
    """Frames left out of a finished decode; raises UndecodableVideo when none decoded.

    Packets that failed, or frames the header promised that never came (a file cut
    short): whichever says more.
    """
    if decoded == 0:
        raise UndecodableVideo(f"{info.path}: no frame of the video decodes")
    lost = max(failed, info.frames - decoded)
    if lost:
        log.warning(
            "%s: %d of %d frames did not decode and are left out", info.path.name, lost, info.frames
        )
    return lost
