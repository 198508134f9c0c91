"""Bring an existing PHALP/4D-Humans results file into posepipe: `import-phalp` and import jobs.

The results are written through the same sink and progress protocol as a pipeline run,
so the CLI writes `poses.json` and the worker writes MongoDB with the code they already
have. PHALP's own track ids are kept as posepipe track ids (they start at 1).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posepipe.errors import InvalidInput
from posepipe.phalp.convert import frame_count, iter_frames, results_frame_size
from posepipe.phalp.safe_pickle import load_results_pickle
from posepipe.pose.pipeline import (
    ProgressReporter,
    ResultHeader,
    ResultSink,
    to_person_pose,
    video_meta,
)
from posepipe.schema import FramePoses, SkeletonInfo
from posepipe.skeletons import OPENPOSE25_19
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

BACKEND_NAME = "hmr2"
_WRITE_EVERY = 64
# 4D-Humans' track.py stops after this many frames unless run with video.end_frame=-1.
PHALP_DEFAULT_END_FRAME = 1300


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    frames: int
    frames_with_people: int
    tracks: int
    video_frames: int
    wall_s: float = 0.0

    @property
    def fps(self) -> float:
        """Frames converted per second (for logs shared with pose jobs)."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def truncated(self) -> bool:
        """The results stop before the video does."""
        return self.frames < self.video_frames

    def warning(self) -> str | None:
        """A sentence for the person when the results do not cover the whole video."""
        if not self.truncated:
            return None
        hint = ""
        if self.frames == PHALP_DEFAULT_END_FRAME:
            hint = (" (4D-Humans stops at 1300 frames by default; run track.py with "
                    "video.end_frame=-1 for the whole video)")
        return f"the results cover {self.frames} of the video's {self.video_frames} frames{hint}"


def skeleton_info() -> SkeletonInfo:
    """The `openpose25+19` skeleton as the result document states it."""
    return SkeletonInfo(
        name="openpose25+19",
        joints=list(OPENPOSE25_19.joints),
        edges=[(a, b) for a, b in OPENPOSE25_19.edges],
    )


def check_frame_size(results: Any, info: VideoInfo) -> None:
    """Refuse results computed on frames of another size than the video's."""
    size = results_frame_size(results)
    if size is None or size == (info.width, info.height):
        return
    width, height = size
    if size == info.coded_size and info.rotation:
        raise InvalidInput(
            f"the results were computed on {width}x{height} frames, the video's stored size "
            f"before its {info.rotation}° rotation tag; posepipe shows it as "
            f"{info.width}x{info.height}, so the joints would not line up"
        )
    raise InvalidInput(
        f"the results were computed on {width}x{height} frames but {info.path.name} is "
        f"{info.width}x{info.height}: is it the same video?"
    )


def import_results(
    results: Any,
    info: VideoInfo,
    sink: ResultSink,
    progress: ProgressReporter,
    *,
    source_name: str,
) -> ImportSummary:
    """Convert loaded PHALP results for the video `info` describes and hand them to `sink`."""
    started = time.perf_counter()
    check_frame_size(results, info)
    count = frame_count(results)
    sink.begin(ResultHeader(
        backend=BACKEND_NAME,
        backend_version=f"4D-Humans HMR 2.0 + PHALP (imported from {source_name})",
        skeleton=skeleton_info(),
        video=video_meta(info, frames=count),
    ))
    progress.start(count)
    with_people = 0
    tracks: set[int] = set()
    batch: list[FramePoses] = []
    expected = 0
    try:
        for frame in iter_frames(results, info.width, info.height):
            # PHALP writes every frame; fill any gap so frame i stays at position i.
            while expected < frame.index:
                batch.append(_frame(expected, info, []))
                expected += 1
            people = []
            for person in frame.people:
                if person.track_hint is None or person.track_hint < 1:
                    raise InvalidInput(f"{frame.path}: track id {person.track_hint} is not >= 1")
                tracks.add(person.track_hint)
                people.append(to_person_pose(person.track_hint, person))
            with_people += bool(people)
            batch.append(_frame(frame.index, info, people))
            expected = frame.index + 1
            if len(batch) >= _WRITE_EVERY:
                sink.write(batch)
                progress.update(expected)
                batch = []
        if batch:
            sink.write(batch)
            progress.update(expected)
        sink.finish(video_meta(info, frames=count))
    finally:
        progress.finish()
    summary = ImportSummary(count, with_people, len(tracks), info.frames,
                            wall_s=time.perf_counter() - started)
    if summary.warning():
        log.warning("%s", summary.warning())
    return summary


def _frame(index: int, info: VideoInfo, people: list[Any]) -> FramePoses:
    return FramePoses(i=index, t=round(index / info.fps, 6), people=people)


def import_results_file(
    pkl: Path,
    info: VideoInfo,
    sink: ResultSink,
    progress: ProgressReporter,
    *,
    source_name: str | None = None,
) -> ImportSummary:
    """Load a PHALP results pickle safely and import it."""
    results = load_results_pickle(pkl)
    return import_results(results, info, sink, progress, source_name=source_name or pkl.name)
