"""Make test media with PyAV: small synthetic videos, and broken files of every kind."""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_video(
    path: Path,
    *,
    width: int = 160,
    height: int = 120,
    frames: int = 10,
    fps: int = 10,
    rotation: int | None = None,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
    frame_ms: Sequence[int] | None = None,
    container_format: str | None = None,
) -> Path:
    """A small video whose frames are a moving bright square on a gradient.

    `options` go to the encoder (x264's `g` keyframe interval, `bf` B-frames...);
    `frame_ms` gives each frame its own duration (a variable frame rate), in milliseconds.
    """
    with av.open(str(path), mode="w", format=container_format) as out:
        stream = out.add_stream(codec, rate=Fraction(fps), options=options or {})
        stream.width, stream.height = width, height
        stream.pix_fmt = pix_fmt
        if frame_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        pts = 0
        for i in range(frames):
            image = np.zeros((height, width, 3), dtype=np.uint8)
            image[:, :, 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
            x = (i * 7) % max(1, width - 20)
            image[10:30, x : x + 20] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if frame_ms is not None:
                frame.pts, frame.time_base = pts, Fraction(1, 1000)
                pts += frame_ms[i % len(frame_ms)]
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_vfr_video(path: Path, *, frames: int = 40, width: int = 160, height: int = 120) -> Path:
    """An H.264 MP4 with a variable frame rate: gaps of 1, 2 and 5 ticks of 1/60 s in turn."""
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=Fraction(60))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 60)
        pts = 0
        for i in range(frames):
            image = np.zeros((height, width, 3), dtype=np.uint8)
            image[:, :, 1] = (i * 6) % 256  # each frame its own shade: pixels tell them apart
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 60)
            out.mux(stream.encode(frame))
            pts += (1, 2, 5)[i % 3]
        out.mux(stream.encode(None))
    return path


def write_audio_only(path: Path, seconds: float = 1.0) -> Path:
    """An MP4 with one AAC audio stream and no video."""
    rate = 16000
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("aac", rate=rate)
        stream.layout = "mono"
        samples = int(seconds * rate)
        tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / rate) * 0.3).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = tone[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_png(path: Path) -> Path:
    """A real PNG image (one still frame), whatever the file is named."""
    with av.open(str(path), mode="w", format="image2pipe") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb24"
        image = np.full((48, 64, 3), 128, dtype=np.uint8)
        out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def write_random_bytes(path: Path, size: int = 64 * 1024, seed: int = 7) -> Path:
    """Bytes that are no format at all."""
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def cut_short(source: Path, path: Path, keep: float = 0.5) -> Path:
    """The first `keep` share of a file's bytes: a download or copy that stopped."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def corrupt_middle(source: Path, path: Path, *, start: float = 0.4, length: float = 0.2) -> Path:
    """A copy with a run of bytes in the middle overwritten by noise (header and index intact)."""
    data = bytearray(source.read_bytes())
    a, b = int(len(data) * start), int(len(data) * (start + length))
    data[a:b] = os.urandom(b - a)
    path.write_bytes(bytes(data))
    return path


def write_moov_at_end(source: Path, path: Path) -> Path:
    """Remux without re-encoding so the MP4 index (moov) comes after the media data."""
    with av.open(str(source)) as src, av.open(str(path), mode="w", format="mp4") as out:
        video = src.streams.video[0]
        stream = out.add_stream_from_template(video)
        for packet in src.demux(video):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return path


def loop_video(source: Path, path: Path, times: int, *, preset: str = "ultrafast") -> Path:
    """A longer clip of real people: `source` played `times` over, re-encoded as one H.264
    stream at the source's frame rate and size (frame count: `times` x the source's)."""
    with av.open(str(source)) as first:
        stream_in = first.streams.video[0]
        rate = stream_in.average_rate or Fraction(30)
        width, height = stream_in.codec_context.width, stream_in.codec_context.height
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=rate, options={"preset": preset})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        n = 0
        for _ in range(times):
            with av.open(str(source)) as container:
                for frame in container.decode(video=0):
                    picture = frame.reformat(format="yuv420p")
                    picture.pts, picture.time_base = n, 1 / Fraction(rate)
                    n += 1
                    out.mux(stream.encode(picture))
        out.mux(stream.encode(None))
    return path


def with_empty_gap(
    source: Path, path: Path, *, before: int, gap: int, after: int, width: int = 640,
    keyframe_every: int = 24,
) -> Path:
    """Real people, then nobody: the first `before` frames of `source`, `gap` black frames,
    then its next `after` frames, re-encoded as H.264 `width` pixels wide (a keyframe every
    `keyframe_every` frames) at the source's frame rate."""
    with av.open(str(source)) as first:
        stream_in = first.streams.video[0]
        rate = stream_in.average_rate or Fraction(30)
        in_width, in_height = stream_in.codec_context.width, stream_in.codec_context.height
    height = round(in_height * width / in_width / 2) * 2
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream(
            "libx264", rate=rate, options={"preset": "veryfast", "g": str(keyframe_every)}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        black = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), format="rgb24")
        with av.open(str(source)) as container:
            frames = container.decode(video=0)
            pictures = [next(frames) for _ in range(before)]
            pictures += [black] * gap
            pictures += [next(frames) for _ in range(after)]
            for n, frame in enumerate(pictures):
                picture = frame.reformat(width=width, height=height, format="yuv420p")
                picture.pts, picture.time_base = n, 1 / Fraction(rate)
                out.mux(stream.encode(picture))
        out.mux(stream.encode(None))
    return path
