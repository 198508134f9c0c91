"""The one pose pipeline: decode (own thread) -> backend (batched) -> tracker -> sink.

`posepipe process` and the pose-service worker both call `run_pipeline`; only the sink
(files or MongoDB) and the progress reporter (terminal or pub/sub) differ. On the CPU,
the decode and backend steps may run in several pose processes at once, one segment of
the video each (`posepipe.pose.split_run`); tracking and the sink stay here, in frame
order, so the result does not depend on how the work was shared. The worker also
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
from posepipe.pose.pool import PosePool
from posepipe.pose.resume import ResumePoint, without_hints
from posepipe.pose.split_run import InferredFrame, run_split
from posepipe.pose.tracking import Tracker
from posepipe.schema import FramePoses, PersonPose, SkeletonInfo, SmplParams, VideoMeta
from posepipe.video.decode import DecodedFrame, FrameStream, frames_lost
from posepipe.video.probe import VideoInfo
from posepipe.video.segment_decode import SegmentMismatch
from posepipe.video.segments import WARMUP_FRAMES, SegmentPlan, plan_segments

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
    processes: int = 1  # pose processes the frames were inferred in

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
    pool: PosePool | None = None,
    plan: SegmentPlan | None = None,
    resume: ResumePoint | None = None,
    on_checkpoint: Callable[[ResumePoint], None] | None = None,
    on_inference: Callable[[int], None] | None = None,
    on_fast_forward: Callable[[int], None] | None = None,
) -> RunSummary:
    """Run the backend over every frame of the video and hand tracked results to the sink.

    With `pool` (pose processes of the CPU backend), a video that can be cut into segments
    (`plan`, else planned here) is inferred on all of them at once, and tracked here in
    frame order: the result is the document one process would write. `backend` then only
    names the result, and runs what cannot be split.

    With `resume`, frames before `resume.next_frame` are not inferred (an earlier attempt
    stored them) and the tracker continues from its saved state; pose processes start at
    the frame after `resume.after_pts` (a `plan` given with `resume` must be planned so).
    `on_checkpoint` gets a resume point after each batch the sink has stored;
    `on_inference` the number of frames about to go to the backend (or a pose process);
    `on_fast_forward` the frames decoded so far while skipping to the resume point.
    """
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
    if pool is not None and plan is None:
        plan = _plan(info, pool.size, resume)  # reads the packets: 0.1 s per 2,000 frames
    split = pool is not None and plan is not None and plan.splits
    if not split:
        backend.load()  # before the clock starts, as the pool's processes have loaded theirs
    started = time.perf_counter()
    writer = _TrackedWriter(tracker, sink, progress, should_stop, resume, on_checkpoint)
    processes = 1
    progress.start(info.frames)
    try:
        lost: int | None = None
        if split and pool is not None and plan is not None:
            processes = pool.size
            lost = _run_split(info, plan, pool, writer, batch_size, on_inference)
        elif pool is not None and plan is not None:
            log.info("%s runs in one process: %s", info.path.name, plan.reason)
        if lost is None:
            lost = _run_single(
                info, backend, writer, batch_size, queue_size, on_inference, on_fast_forward
            )
        sink.finish(video_meta(info, frames=writer.done, frames_lost=lost))
    finally:
        progress.finish()
    summary = RunSummary(
        frames=writer.done,
        frames_with_people=writer.with_people,
        tracks=tracker.tracks_started,
        frames_lost=lost,
        wall_s=time.perf_counter() - started,
        lasting_tracks=tracker.lasting_tracks(info.fps, writer.done),
        most_people=writer.most_people,
        resumed_from=writer.resumed_from,
        processes=processes,
    )
    log.info(
        "pipeline finished: %d frames, %d with people, %d tracks (%d lasting), "
        "at most %d people in a frame, %.1f fps, %d pose process(es)",
        summary.frames,
        summary.frames_with_people,
        summary.tracks,
        summary.lasting_tracks,
        summary.most_people,
        summary.fps,
        summary.processes,
    )
    return summary


def _plan(info: VideoInfo, processes: int, resume: ResumePoint | None) -> SegmentPlan:
    """The segments of the frames left: all of them, or those after a resume point's."""
    if resume is None or resume.next_frame == 0:
        return plan_segments(info, processes=processes)
    if resume.after_pts is None:  # its last frame had no timestamp, or an older point
        return SegmentPlan((), "the resume point has no timestamp to start pose processes at")
    return plan_segments(info, processes=processes, after_pts=resume.after_pts)


def _run_split(
    info: VideoInfo,
    plan: SegmentPlan,
    pool: PosePool,
    writer: _TrackedWriter,
    batch_size: int,
    on_inference: Callable[[int], None] | None,
) -> int | None:
    """Frames lost, or None when the file turned out not to split exactly.

    Then what was handed over is right (segments check the file as they decode it, before
    anything wrong leaves them), and the single-process run goes on after it.
    """
    try:
        counts = run_split(
            info, plan, pool, writer.write, batch_size=batch_size, should_stop=writer.check_stop,
            on_assign=on_inference, first_index=writer.done,
        )
    except SegmentMismatch as exc:
        log.warning(
            "%s does not decode the same in segments (%s): frames from %d on run in one process",
            info.path.name, exc.message, writer.done,
        )
        return None
    return frames_lost(info, counts.decoded, counts.failed)


def _run_single(
    info: VideoInfo,
    backend: PoseBackend,
    writer: _TrackedWriter,
    batch_size: int,
    queue_size: int,
    on_inference: Callable[[int], None] | None,
    on_fast_forward: Callable[[int], None] | None,
) -> int:
    """Decode and infer in this process, from the first frame `writer` has not had; lost frames.

    Frames before it are decoded, not converted (a resume point's, FrameStream's
    `start_frame`). When this run handed some over already (a split run that stopped), the
    backend warms up on the frames just before, as a segment's does; a resumed job does
    not (an earlier process stored them; the README's resume section says what that costs).
    """
    backend.load()
    backend.start_video(info)
    first = writer.done
    warm_from = first if first == writer.resumed_from else max(0, first - WARMUP_FRAMES)

    def infer(batch: list[DecodedFrame]) -> list[list[Observation]]:
        if on_inference is not None:
            on_inference(len(batch))  # before: a crash inside inference still counts
        return backend.infer(batch)

    with FrameStream(
        info, queue_size=queue_size, start_frame=warm_from, on_skip=on_fast_forward
    ) as stream:
        batch: list[DecodedFrame] = []
        for frame in stream:
            if frame.index < first:
                batch.append(frame)
                if len(batch) == batch_size or frame.index == first - 1:
                    infer(batch)  # warm-up: results dropped
                    batch = []
                continue
            batch.append(frame)
            if len(batch) < batch_size:
                continue
            writer.write(_inferred(batch, infer(batch)))
            batch = []
            writer.check_stop()
        if batch:
            writer.write(_inferred(batch, infer(batch)))
    return stream.frames_lost


def _inferred(batch: list[DecodedFrame], results: list[list[Observation]]) -> list[InferredFrame]:
    return [
        InferredFrame(frame.index, frame.time_s, people, frame.pts)
        for frame, people in zip(batch, results, strict=True)
    ]


class _TrackedWriter:
    """Frames in order -> track ids -> the sink -> a resume point, with progress; one for
    either path. A resumed run starts from the resume point's counts and tracker state."""

    def __init__(
        self,
        tracker: Tracker,
        sink: ResultSink,
        progress: ProgressReporter,
        should_stop: Callable[[], bool] | None,
        resume: ResumePoint | None,
        on_checkpoint: Callable[[ResumePoint], None] | None,
    ) -> None:
        self._tracker = tracker
        self._sink = sink
        self._progress = progress
        self._should_stop = should_stop
        self._on_checkpoint = on_checkpoint
        self.done = 0
        self.with_people = 0
        self.most_people = 0  # the most people in one frame
        self.last_pts: int | None = None  # the last written frame's timestamp
        if resume is not None:
            tracker.restore(without_hints(resume.tracker))
            self.done, self.with_people = resume.next_frame, resume.frames_with_people
            self.most_people, self.last_pts = resume.most_people, resume.after_pts
        self.resumed_from = self.done  # frames an earlier attempt had stored

    def write(self, batch: list[InferredFrame]) -> None:
        """Track and store a batch of frames, the next ones in order."""
        frames = []
        for frame in batch:
            ids = self._tracker.update(frame.index, frame.people)
            frames.append(
                FramePoses(
                    i=frame.index,
                    t=round(frame.time_s, 6),
                    people=[
                        to_person_pose(track, person)
                        for track, person in zip(ids, frame.people, strict=True)
                    ],
                )
            )
        self._sink.write(frames)
        self.done += len(frames)
        self.with_people += sum(1 for f in frames if f.people)
        self.most_people = max(self.most_people, *(len(f.people) for f in frames))
        self.last_pts = batch[-1].pts
        if self._on_checkpoint is not None:  # strictly after the frames it describes are stored
            self._on_checkpoint(
                ResumePoint(
                    self.done, self.with_people, self._tracker.snapshot(), self.most_people,
                    after_pts=self.last_pts,
                )
            )
        self._progress.update(self.done)

    def check_stop(self) -> None:
        """Raise JobCanceled when the caller wants the run to stop (`should_stop` may raise
        something else itself: WorkerStopping)."""
        if self._should_stop is not None and self._should_stop():
            raise JobCanceled("the job was canceled")


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
