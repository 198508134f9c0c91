"""The one pose pipeline: decode (own thread) -> backend (batched) -> tracker -> sink.

`posepipe process` and the pose-service worker both call `run_pipeline`; only the sink
(files or MongoDB) and the progress reporter (terminal or pub/sub) differ. The worker also
passes where to resume from and takes a resume point after each stored batch
(`posepipe.pose.resume`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from posepipe.errors import JobCanceled
from posepipe.pose.backend import Observation, PoseBackend
from posepipe.pose.resume import ResumePoint, without_hints
from posepipe.pose.tracking import Tracker
from posepipe.schema import FramePoses, PersonPose, SkeletonInfo, SmplParams, VideoMeta
from posepipe.video.decode import DecodedFrame, FrameStream
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultHeader:
    """What is known of a result before its first frame."""

    backend: str
    backend_version: str
    skeleton: SkeletonInfo
    video: VideoMeta


class ResultSink(Protocol):
    """Where finished frames go: files for the CLI, MongoDB for the worker."""

    def begin(self, header: ResultHeader) -> None:
        """A new result starts; drop anything a previous attempt left."""

    def write(self, frames: Sequence[FramePoses]) -> None:
        """Store a batch of finished frames, in order."""

    def finish(self, video: VideoMeta) -> None:
        """All frames are written; `video` has the final frame counts."""


class ProgressReporter(Protocol):
    """Told how far the pipeline has got."""

    def start(self, total: int) -> None:
        """`total` frames are expected (from the probe)."""

    def update(self, done: int) -> None:
        """`done` frames are finished."""

    def finish(self) -> None:
        """The pipeline has ended, well or not."""


@dataclass(frozen=True)
class RunSummary:
    """How a pipeline run went."""

    frames: int
    frames_with_people: int
    tracks: int
    frames_lost: int
    wall_s: float
    lasting_tracks: int = 0  # tracks followed for LASTING_TRACK_S or more
    most_people: int = 0  # the most people in one frame
    resumed_from: int = 0  # frames an earlier attempt had stored

    @property
    def fps(self) -> float:
        """Frames finished by this run per second of wall time (model load excluded)."""
        return (self.frames - self.resumed_from) / self.wall_s if self.wall_s > 0 else 0.0


def video_meta(info: VideoInfo, *, frames: int | None = None, frames_lost: int = 0) -> VideoMeta:
    """The result's description of its video."""
    count = info.frames if frames is None else frames
    return VideoMeta(
        width=info.width,
        height=info.height,
        fps=round(info.fps, 6),
        frames=count,
        duration_s=round(info.duration_s, 6),
        rotation=info.rotation,
        codec=info.codec,
        frames_lost=frames_lost,
    )


def run_pipeline(
    info: VideoInfo,
    backend: PoseBackend,
    sink: ResultSink,
    progress: ProgressReporter,
    *,
    tracker: Tracker,
    batch_size: int = 8,
    queue_size: int = 8,  # enough to keep the backend fed; each 1080p frame is 6 MB
    should_stop: Callable[[], bool] | None = None,
    resume: ResumePoint | None = None,
    on_checkpoint: Callable[[ResumePoint], None] | None = None,
    on_inference: Callable[[int], None] | None = None,
    on_fast_forward: Callable[[int], None] | None = None,
) -> RunSummary:
    """Run the backend over every frame of the video and hand tracked results to the sink.

    With `resume`, frames before `resume.next_frame` are decoded but not inferred (an
    earlier attempt stored them) and the tracker continues from its saved state.
    `on_checkpoint` gets a resume point after each batch the sink has stored;
    `on_inference` the number of frames about to go through the backend;
    `on_fast_forward` the frames decoded so far while skipping to the resume point.
    """
    backend.load()
    backend.start_video(info)
    sink.begin(
        ResultHeader(
            backend=backend.name,
            backend_version=backend.version,
            skeleton=SkeletonInfo(
                name=backend.skeleton.name,
                joints=list(backend.skeleton.joints),
                edges=[list(e) for e in backend.skeleton.edges],
            ),
            video=video_meta(info),
        )
    )
    started = time.perf_counter()
    done = with_people = most_people = 0
    if resume is not None:
        tracker.restore(without_hints(resume.tracker))
        done, with_people = resume.next_frame, resume.frames_with_people
        most_people = resume.most_people
    resumed_from = done

    def finish_batch(batch: list[DecodedFrame]) -> None:
        nonlocal done, with_people, most_people
        if on_inference is not None:
            on_inference(len(batch))  # before: a crash inside inference still counts
        found = _process_batch(batch, backend, tracker, sink)
        with_people += found.with_people
        most_people = max(most_people, found.most_people)
        done += len(batch)
        if on_checkpoint is not None:  # strictly after the frames it describes are stored
            on_checkpoint(ResumePoint(done, with_people, tracker.snapshot(), most_people))
        progress.update(done)

    progress.start(info.frames)
    try:
        with FrameStream(
            info, queue_size=queue_size, start_frame=done, on_skip=on_fast_forward
        ) as stream:
            batch: list[DecodedFrame] = []
            for frame in stream:
                batch.append(frame)
                if len(batch) < batch_size:
                    continue
                finish_batch(batch)
                batch = []
                if should_stop is not None and should_stop():
                    raise JobCanceled("the job was canceled")
            if batch:
                finish_batch(batch)
        sink.finish(video_meta(info, frames=done, frames_lost=stream.frames_lost))
    finally:
        progress.finish()
    summary = RunSummary(
        frames=done,
        frames_with_people=with_people,
        tracks=tracker.tracks_started,
        frames_lost=stream.frames_lost,
        wall_s=time.perf_counter() - started,
        lasting_tracks=tracker.lasting_tracks(info.fps, done),
        most_people=most_people,
        resumed_from=resumed_from,
    )
    log.info(
        "pipeline finished: %d frames, %d with people, %d tracks (%d lasting), "
        "at most %d people in a frame, %.1f fps",
        summary.frames,
        summary.frames_with_people,
        summary.tracks,
        summary.lasting_tracks,
        summary.most_people,
        summary.fps,
    )
    return summary


@dataclass(frozen=True)
class _BatchFound:
    with_people: int  # frames with anyone in them
    most_people: int  # the most people in one frame


def _process_batch(
    batch: list[DecodedFrame], backend: PoseBackend, tracker: Tracker, sink: ResultSink
) -> _BatchFound:
    results = backend.infer(batch)
    frames = []
    for frame, people in zip(batch, results, strict=True):
        ids = tracker.update(frame.index, people)
        frames.append(
            FramePoses(
                i=frame.index,
                t=round(frame.time_s, 6),
                people=[
                    to_person_pose(track, person) for track, person in zip(ids, people, strict=True)
                ],
            )
        )
    sink.write(frames)
    return _BatchFound(
        with_people=sum(1 for f in frames if f.people),
        most_people=max(len(f.people) for f in frames),
    )


def to_person_pose(track: int, person: Observation) -> PersonPose:
    """An observation with its track id, rounded to what the result needs."""
    # 0.01 px and 0.1 mm: far below the models' error, and it halves the JSON.
    kp2d = [(round(x, 2), round(y, 2), round(v, 3)) for x, y, v in person.kp2d.tolist()]
    kp3d = None
    if person.kp3d is not None:
        kp3d = [(round(x, 4), round(y, 4), round(z, 4)) for x, y, z in person.kp3d.tolist()]
    smpl = None
    if person.smpl is not None:
        smpl = SmplParams(
            global_orient=_as_list(person.smpl["global_orient"]),
            body_pose=_as_list(person.smpl["body_pose"]),
            betas=_as_list(person.smpl["betas"]),
        )
    return PersonPose(
        track=track,
        bbox=tuple(round(float(v), 2) for v in person.bbox),
        score=round(min(1.0, max(0.0, float(person.score))), 4),
        kp2d=kp2d,
        kp3d=kp3d,
        smpl=smpl,
        camera=None if person.camera is None else tuple(float(c) for c in person.camera),
    )


def _as_list(value: Any) -> Any:
    """numpy arrays (what backends hold) become nested lists; lists pass through."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else list(value)
