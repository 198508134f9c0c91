"""Resuming the pipeline from a saved resume point: the same frames, ids and counts as an
uninterrupted run, on a real video (decoded by FFmpeg) with a backend that has no memory."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from posepipe.pose.backend import Observation
from posepipe.pose.pipeline import ResultHeader, run_pipeline
from posepipe.pose.resume import ResumePoint
from posepipe.pose.tracking import Tracker
from posepipe.schema import FramePoses, VideoMeta
from posepipe.skeletons import MEDIAPIPE33
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo, probe_video
from tests import media_factory as make


class SquareBackend:
    """Finds media_factory's bright square: one 'person' per frame, where the square is."""

    name = "square"
    skeleton = MEDIAPIPE33
    version = "1"
    device = "cpu"

    def __init__(self) -> None:
        self.inferred: list[int] = []

    def load(self) -> None: ...

    def start_video(self, info: VideoInfo) -> None: ...

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        found = []
        for frame in frames:
            self.inferred.append(frame.index)
            rows, cols = np.nonzero(frame.image.min(axis=2) > 200)
            if not len(rows):
                found.append([])
                continue
            box = (float(cols.min()), float(rows.min()), float(cols.max()), float(rows.max()))
            kp2d = np.tile([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, 1.0], (33, 1))
            found.append([Observation(bbox=box, score=1.0, kp2d=kp2d)])
        return found

    def close(self) -> None: ...


class ListSink:
    def __init__(self) -> None:
        self.frames: dict[int, FramePoses] = {}
        self.finished: VideoMeta | None = None

    def begin(self, header: ResultHeader) -> None: ...

    def write(self, frames: Sequence[FramePoses]) -> None:
        for frame in frames:
            self.frames[frame.i] = frame

    def finish(self, video: VideoMeta) -> None:
        self.finished = video


class Progress:
    def __init__(self) -> None:
        self.updates: list[int] = []

    def start(self, total: int) -> None: ...

    def update(self, done: int) -> None:
        self.updates.append(done)

    def finish(self) -> None: ...


class Crash(BaseException):
    """A worker killed between two batches (nothing in the pipeline may catch it)."""


def _run(info: VideoInfo, sink: ListSink, *, resume: ResumePoint | None = None,
         crash_after: int | None = None) -> tuple[list[ResumePoint], SquareBackend, Progress]:
    points: list[ResumePoint] = []
    backend = SquareBackend()
    progress = Progress()

    def checkpoint(point: ResumePoint) -> None:
        points.append(ResumePoint.from_document(json.loads(json.dumps(point.to_document()))))
        if crash_after is not None and point.next_frame >= crash_after:
            raise Crash()

    with contextlib.suppress(Crash):
        run_pipeline(info, backend, sink, progress, tracker=Tracker(max_lost_frames=2),
                     batch_size=8, resume=resume, on_checkpoint=checkpoint)
    return points, backend, progress


@pytest.fixture
def info(tmp_path: Path) -> VideoInfo:
    # The square leaves the frame now and then (x wraps): tracks end and start again.
    return probe_video(make.write_video(tmp_path / "v.mp4", frames=100, width=160, fps=10))


def test_a_resumed_run_stores_what_an_uninterrupted_run_stores(info: VideoInfo) -> None:
    whole = ListSink()
    _run(info, whole)
    assert len({p.track for f in whole.frames.values() for p in f.people}) > 1

    resumed = ListSink()
    points, first, _ = _run(info, resumed, crash_after=41)
    assert points[-1].next_frame == 48  # six batches of 8 stored, then the crash
    _, second, progress = _run(info, resumed, resume=points[-1])

    assert resumed.frames == whole.frames  # same frames, times, people and track ids
    assert resumed.finished == whole.finished
    # Every frame inferred once: the first run up to its last checkpoint, the second after.
    assert first.inferred == list(range(48)) and second.inferred == list(range(48, 100))
    assert progress.updates[0] > 48 and progress.updates == sorted(progress.updates)


def test_the_resume_point_follows_each_stored_batch(info: VideoInfo) -> None:
    points, _, _ = _run(info, ListSink())
    assert [p.next_frame for p in points] == [*range(8, 100, 8), 100]
    assert all(p.tracker["next_id"] >= 2 for p in points)
