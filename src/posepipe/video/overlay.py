"""Draw skeletons and track ids over the source video and encode it as H.264 MP4.

The overlay has the source's displayed size, frame rate and frame count, so a player can
show it in place of the source. It is a second pass over the video: results are read
back frame by frame and memory stays flat however long the video is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from posepipe.schema import FramePoses
from posepipe.video.decode import FrameStream
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

# One colour per track (RGB), cycled: a ColorBrewer-like set that reads on video.
TRACK_COLOURS: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
)
MIN_VISIBILITY = 0.3  # joints less visible than this are not drawn


def track_colour(track: int) -> tuple[int, int, int]:
    """The colour a track is drawn in, the same in the overlay and the web viewer."""
    return TRACK_COLOURS[(track - 1) % len(TRACK_COLOURS)]


def draw_people(
    image: npt.NDArray[np.uint8], frame: FramePoses, edges: Sequence[Sequence[int]]
) -> None:
    """Draw each person's bones, joints and track id onto `image` (RGB, in place)."""
    height, width = image.shape[:2]
    thickness = max(2, round(min(width, height) / 240))
    for person in frame.people:
        colour = track_colour(person.track)
        points = [(round(x), round(y), v) for x, y, v in person.kp2d]
        bones = [
            (points[a][:2], points[b][:2])
            for a, b in edges
            if points[a][2] >= MIN_VISIBILITY and points[b][2] >= MIN_VISIBILITY
        ]
        joints = [(x, y) for x, y, v in points if v >= MIN_VISIBILITY]
        # A dark outline under the colour keeps the skeleton readable on any background.
        for colour_now, extra in (((20, 20, 20), 2), (colour, 0)):
            for pa, pb in bones:
                cv2.line(image, pa, pb, colour_now, thickness + extra, cv2.LINE_AA)
            for joint in joints:
                cv2.circle(image, joint, thickness + 1 + extra // 2, colour_now, -1, cv2.LINE_AA)
        x0, y0 = int(person.bbox[0]), int(person.bbox[1])
        label = f"#{person.track}"
        scale = thickness / 3
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        y_text = max(th + 4, y0 - 4)
        cv2.rectangle(image, (x0, y_text - th - 4), (x0 + tw + 4, y_text + 2), colour, -1)
        cv2.putText(
            image,
            label,
            (x0 + 2, y_text),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (0, 0, 0),
            max(1, thickness // 2),
            cv2.LINE_AA,
        )


def render_overlay(
    info: VideoInfo,
    frames: Iterable[FramePoses],
    edges: Sequence[Sequence[int]],
    out_path: Path,
) -> int:
    """Write the overlay video to `out_path`; returns the number of frames written."""
    by_index = _aligned(frames)
    # yuv420p needs even sides; odd-sized sources get a one-pixel black border.
    width, height = info.width + info.width % 2, info.height + info.height % 2
    rate = Fraction(info.fps).limit_denominator(1001)
    written = 0
    with av.open(str(out_path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        with FrameStream(info, queue_size=8) as source:
            for decoded in source:
                image = decoded.image
                poses = by_index(decoded.index)
                if poses is not None and poses.people:
                    image = image.copy()
                    draw_people(image, poses, edges)
                if image.shape[1] != width or image.shape[0] != height:
                    image = _pad(image, width, height)
                video_frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                video_frame.pts = written
                video_frame.time_base = 1 / rate
                out.mux(stream.encode(video_frame))
                written += 1
        out.mux(stream.encode(None))
    log.info("overlay written: %s (%d frames)", out_path, written)
    return written


def _aligned(frames: Iterable[FramePoses]):  # type: ignore[no-untyped-def]
    """A lookup that walks `frames` (sorted by i) forward in step with the decoder."""
    iterator: Iterator[FramePoses] = iter(frames)
    pending: list[FramePoses | None] = [next(iterator, None)]

    def lookup(index: int) -> FramePoses | None:
        while pending[0] is not None and pending[0].i < index:
            pending[0] = next(iterator, None)
        if pending[0] is not None and pending[0].i == index:
            return pending[0]
        return None

    return lookup


def _pad(image: npt.NDArray[np.uint8], width: int, height: int) -> npt.NDArray[np.uint8]:
    padded = np.zeros((height, width, 3), dtype=np.uint8)
    padded[: image.shape[0], : image.shape[1]] = image
    return padded
