"""Look inside a file and say whether it is a video we can decode, and what it holds."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from posepipe.errors import InvalidInput, NotAVideo, UndecodableVideo

log = logging.getLogger(__name__)

# Demuxers that hold one still image (or a sequence of images), not a video.
_IMAGE_FORMAT_SUFFIXES = ("_pipe", "image2")
_IMAGE_CODECS = {"png", "bmp", "gif", "tiff", "webp", "jpegls", "apng", "qoi"}
# FFmpeg's `tty` demuxer "plays" any text file (picked by a .txt/.ans name) as rendered text.
_TEXT_FORMATS = {"tty"}


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learned about a video file. Sizes are as displayed (rotation applied)."""

    path: Path
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    rotation: int  # degrees clockwise applied to decoded frames to display them
    container: str

    @property
    def coded_size(self) -> tuple[int, int]:
        """Width and height of the frames as stored, before rotation."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


def clockwise_rotation(frame_rotation: float) -> int:
    """Turn PyAV's display-matrix angle (counter-clockwise) into clockwise degrees 0/90/180/270."""
    return round(-frame_rotation / 90.0) % 4 * 90


def probe_video(path: Path) -> VideoInfo:
    """Check that `path` is a decodable video and describe it; raise an InvalidInput if not."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if not path.is_file():
        raise InvalidInput(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise NotAVideo(f"{path}: the file is empty")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FileNotFoundError as exc:  # raced with a delete
        raise InvalidInput(f"{path}: no such file") from exc
    except (av.error.InvalidDataError, av.error.EOFError) as exc:
        if _looks_like_mp4(path):
            raise UndecodableVideo(
                f"{path}: an MP4/MOV file that does not open (its index is missing or "
                "damaged: the file is probably cut short)"
            ) from exc
        raise NotAVideo(f"{path}: not a video file (no known container format)") from exc
    except av.error.FFmpegError as exc:
        raise UndecodableVideo(f"{path}: cannot be opened as a video ({exc.strerror})") from exc
    with container:
        return _describe(path, container)


def _looks_like_mp4(path: Path) -> bool:
    """ISO media files (MP4, MOV, 3GP) start with a box whose type is `ftyp`."""
    with path.open("rb") as f:
        return f.read(12)[4:8] == b"ftyp"


def _describe(path: Path, container: av.container.InputContainer) -> VideoInfo:
    fmt = container.format.name
    if fmt in _TEXT_FORMATS:
        raise NotAVideo(f"{path}: a text file, not a video")
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams})
        holds = f"only {', '.join(kinds)} streams" if kinds else "no streams"
        raise NotAVideo(f"{path}: no video stream ({holds})")
    stream = container.streams.video[0]
    codec = stream.codec_context.name
    if fmt.endswith(_IMAGE_FORMAT_SUFFIXES) or codec in _IMAGE_CODECS:
        raise NotAVideo(f"{path}: a still image ({codec}), not a video")

    first = _first_frame(path, container, stream)
    rotation = clockwise_rotation(first.rotation)
    fps = _frame_rate(stream)
    duration_s = _duration_s(container, stream)
    frames = stream.frames or round(duration_s * fps)
    if frames == 1:
        raise NotAVideo(f"{path}: holds a single frame, not a video")
    width, height = first.width, first.height
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        path=path,
        codec=codec,
        width=width,
        height=height,
        fps=fps,
        frames=frames,
        duration_s=duration_s if duration_s > 0 else frames / fps,
        rotation=rotation,
        container=fmt,
    )


def _first_frame(
    path: Path, container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise UndecodableVideo(
            f"{path}: the video stream does not decode ({exc.strerror}); "
            "the file may be cut short or damaged"
        ) from exc
    raise UndecodableVideo(f"{path}: the video stream holds no decodable frame")


def _frame_rate(stream: av.video.stream.VideoStream) -> float:
    rate: Fraction | None = stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate or rate <= 0:
        log.warning("no frame rate in the stream; assuming 30 fps")
        return 30.0
    return float(rate)


def _duration_s(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0
