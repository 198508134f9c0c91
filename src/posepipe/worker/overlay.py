"""Render a job's overlay video from its stored frames, after the job has succeeded.

The overlay (drawing plus H.264 encoding, a second decode of the video) costs about 60 %
of the pose pass on the CPU backend, and running it alongside the poses slowed both on a
small CPU. So the job is marked succeeded as soon as its poses are stored; the overlay is
rendered next, by the same worker before it takes another job, reading the frames back
from MongoDB in order. Its state is kept on the job (`overlay_state`: pending, ready,
failed); the API waits a while for a pending overlay before answering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from posepipe.schema import FramePoses
from posepipe.store.frames import FrameStore
from posepipe.video.overlay import render_overlay
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)


def stored_frames(
    frames: FrameStore, job_id: str, *, touch: Callable[[], None] | None = None
) -> Iterator[FramePoses]:
    """The job's frames in order; `touch` (the watchdog's clock) is called for each."""
    for frame in frames.iter_frames(job_id):
        if touch is not None:
            touch()
        yield frame


def render_job_overlay(
    info: VideoInfo,
    frames: FrameStore,
    job_id: str,
    edges: Sequence[Sequence[int]],
    out_path: Path,
    *,
    touch: Callable[[], None] | None = None,
) -> bool:
    """Write the overlay to `out_path`; False (and no file) when rendering failed."""
    try:
        render_overlay(info, stored_frames(frames, job_id, touch=touch), edges, out_path)
    except Exception:
        log.exception("overlay rendering failed; the job keeps its poses")
        out_path.unlink(missing_ok=True)
        return False
    return True
