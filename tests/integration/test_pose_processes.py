"""Pose processes (PosePool) for real: spawned processes, real files, real decoding.

The backend here is the square finder (tests/square_backend.py), whose answer depends on
the frame alone, so a split run must equal one process's run exactly; the real model's
split run is compared in test_split_accuracy.py. Also: a process killed or failing mid-run
fails the run with a clear error, cancel and a dead parent leave no process behind, and a
file that does not split exactly still gives one process's result.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from posepipe.errors import BackendUnavailable, JobCanceled, PoseProcessFailed
from posepipe.pose.pipeline import RunSummary, run_pipeline
from posepipe.pose.pool import PosePool
from posepipe.pose.resume import ResumePoint
from posepipe.pose.tracking import Tracker
from posepipe.video.probe import VideoInfo, probe_video
from posepipe.video.segments import SegmentPlan, plan_segments
from tests import media_factory as make
from tests.pipeline_sinks import KeepingSink, ListSink, QuietProgress
from tests.square_backend import SquareBackend

pytestmark = pytest.mark.integration

# B-frames, keyframes every 12 frames and a variable frame rate: cuts fall after keyframes,
# frames are reordered, and times are irregular. The square wraps every 20 frames, so the
# tracker hands out a new id each time: ids well above 1 cross every boundary.
VIDEO_SPEC: dict[str, Any] = {
    "frames": 150, "options": {"g": "12", "bf": "3"}, "frame_ms": [30, 45, 33, 60]
}


@pytest.fixture
def video(tmp_path: Path) -> VideoInfo:
    return probe_video(make.write_video(tmp_path / "v.mp4", **VIDEO_SPEC))


@pytest.fixture
def pool() -> Iterator[PosePool]:
    with PosePool(functools.partial(SquareBackend), 3) as pool:
        yield pool


def _plan(info: VideoInfo) -> SegmentPlan:
    # More segments than processes: they are handed out as processes come free, and the
    # results of later ones wait for earlier ones.
    plan = plan_segments(info, processes=3, min_frames=16, max_frames=24)
    assert len(plan.segments) >= 6, plan.reason
    return plan


def _run(
    info: VideoInfo, pool: PosePool | None = None, plan: SegmentPlan | None = None, **kw: Any
) -> tuple[ListSink, RunSummary]:
    sink = kw.pop("sink", None) or ListSink()
    summary = run_pipeline(
        info, SquareBackend(), sink, kw.pop("progress", QuietProgress()), tracker=Tracker(),
        pool=pool, plan=plan, **kw,
    )
    return sink, summary


def _frames(sink: ListSink) -> list[tuple[Any, ...]]:
    return [
        (f.i, f.t, [(p.track, p.bbox, p.kp2d[0]) for p in f.people]) for f in sink.frames
    ]


def _gone(pid: int, timeout_s: float = 5.0) -> bool:
    """True once `pid` has ended: no such process, or a zombie whose threads have all exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return True
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields["State"].split()[0] == "Z" and int(fields["Threads"]) <= 1:
            return True
        time.sleep(0.05)
    return False


def test_a_split_run_gives_exactly_what_one_process_gives(
    video: VideoInfo, pool: PosePool
) -> None:
    split, split_summary = _run(video, pool, _plan(video))
    whole, whole_summary = _run(video)
    assert split_summary.processes == 3 and whole_summary.processes == 1
    assert [f.i for f in split.frames] == list(range(150))
    assert _frames(split) == _frames(whole)
    assert split_summary.tracks == whole_summary.tracks >= 7  # ids continue across cuts
    assert split.video == whole.video


def test_the_pool_serves_run_after_run(video: VideoInfo, pool: PosePool) -> None:
    plan = _plan(video)
    first, _ = _run(video, pool, plan)
    pids = pool.pids
    second, _ = _run(video, pool, plan)
    assert pool.pids == pids, "the same processes, their model loaded once"
    assert _frames(first) == _frames(second)


def test_a_killed_pose_process_fails_the_run_and_the_pool_recovers(
    video: VideoInfo, tmp_path: Path
) -> None:
    crashing = PosePool(functools.partial(SquareBackend, crash_at_s=2.0), 3)
    with crashing, pytest.raises(PoseProcessFailed) as failed:
        _run(video, crashing, _plan(video))
    message = failed.value.message
    assert "was killed by SIGKILL while inferring frames" in message, message
    assert crashing.pids == [], "the other processes are stopped too"


def test_a_pool_whose_run_failed_starts_afresh(video: VideoInfo, pool: PosePool) -> None:
    plan = _plan(video)
    before = pool.pids or (pool.ensure_ready() and pool.pids)
    os.kill(before[0], signal.SIGKILL)
    assert _gone(before[0])
    sink, summary = _run(video, pool, plan)  # the dead process is replaced before the run
    assert len(sink.frames) == 150 and summary.processes == 3
    assert before[0] not in pool.pids


def test_an_error_in_a_pose_process_fails_the_run_with_its_message(video: VideoInfo) -> None:
    with PosePool(functools.partial(SquareBackend, fail_at_s=2.0), 3) as failing:
        with pytest.raises(PoseProcessFailed) as failed:
            _run(video, failing, _plan(video))
        assert failing.pids == []
    assert "RuntimeError: the square finder fails at" in failed.value.message
    assert "a pose process failed on frames" in failed.value.message


def test_a_backend_that_cannot_load_says_why(video: VideoInfo) -> None:
    with PosePool(functools.partial(SquareBackend, unloadable=True), 2) as broken:
        with pytest.raises(BackendUnavailable, match="cannot load here"):
            broken.ensure_ready()
        assert broken.pids == []


def test_cancel_stops_every_pose_process(video: VideoInfo) -> None:
    slow = PosePool(functools.partial(SquareBackend, delay_s=0.05), 3)
    with slow:
        slow.ensure_ready()
        pids = slow.pids
        stop_after: Callable[[], bool] = lambda: True  # noqa: E731 - after the first batch
        with pytest.raises(JobCanceled):
            _run(video, slow, _plan(video), should_stop=stop_after)
        assert all(_gone(pid) for pid in pids)


def test_pose_processes_leave_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = (
        "import functools, sys, time\n"
        "from posepipe.pose.pool import PosePool\n"
        "from tests.square_backend import SquareBackend\n"
        "if __name__ == '__main__':\n"
        "    pool = PosePool(functools.partial(SquareBackend), 2)\n"
        "    pool.ensure_ready()\n"
        "    print(*pool.pids, flush=True)\n"
        "    time.sleep(120)\n"
    )
    (tmp_path / "parent.py").write_text(script)
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")],
        stdout=subprocess.PIPE, text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
    ) as parent:
        try:
            assert parent.stdout is not None
            pids = [int(p) for p in parent.stdout.readline().split()]
            assert len(pids) == 2 and not any(_gone(pid, 0.2) for pid in pids)
            parent.kill()
            parent.wait()
            assert all(_gone(pid) for pid in pids), "no pose process outlives its parent"
        finally:
            parent.kill()


def test_a_file_that_does_not_split_exactly_still_gives_one_process_result(
    tmp_path: Path, pool: PosePool
) -> None:
    # Noise over the middle of the file: the decoder's own output goes back in time there,
    # which a segment notices; frames from there on are decoded in this process instead.
    source = make.write_video(
        tmp_path / "v.mp4", frames=300, width=320, height=240, options={"g": "10", "bf": "2"}
    )
    broken = probe_video(make.corrupt_middle(source, tmp_path / "broken.mp4", length=0.1))
    split, summary = _run(broken, pool, plan_segments(broken, processes=3, min_frames=16))
    whole, _ = _run(broken)
    assert _frames(split) == _frames(whole)
    assert split.video == whole.video
    assert summary.frames == len(whole.frames)


class _Crash(BaseException):
    """The worker killed right after a stored batch (nothing in the pipeline catches it)."""


def _run_until_crash(
    info: VideoInfo, sink: ListSink, pool: PosePool | None, crash_at: int
) -> ResumePoint:
    """A run that stores frames until the first resume point at or past `crash_at`."""
    points: list[ResumePoint] = []

    def checkpoint(point: ResumePoint) -> None:
        # Through the document, as the worker saves it in MongoDB.
        points.append(ResumePoint.from_document(point.to_document()))
        if point.next_frame >= crash_at:
            raise _Crash()

    with pytest.raises(_Crash):
        _run(info, pool, _plan(info) if pool else None, sink=sink, on_checkpoint=checkpoint)
    return points[-1]


@pytest.mark.parametrize(
    ("crashed", "resumed"),
    [("split", "split"), ("one process", "split"), ("split", "one process")],
)
def test_a_resumed_job_goes_on_after_its_last_stored_frame_in_any_number_of_processes(
    video: VideoInfo, pool: PosePool, crashed: str, resumed: str
) -> None:
    whole, whole_summary = _run(video)
    sink = KeepingSink()
    point = _run_until_crash(video, sink, pool if crashed == "split" else None, crash_at=60)
    assert 60 <= point.next_frame < 90 and point.after_pts is not None
    assert [f.i for f in sink.frames] == list(range(point.next_frame))
    # The resumed run plans its own segments, from the frame after the stored ones.
    plan = plan_segments(video, processes=pool.size, after_pts=point.after_pts)
    assert plan.splits and plan.segments[0].first_frame == point.next_frame, plan.reason
    inferred: list[int] = []

    _, summary = _run(
        video, pool if resumed == "split" else None, sink=sink, resume=point,
        on_inference=inferred.append,
    )
    assert summary.processes == (3 if resumed == "split" else 1)
    assert summary.resumed_from == point.next_frame
    assert [f.i for f in sink.frames] == list(range(150))
    assert _frames(sink) == _frames(whole)  # same times, people, and track ids across both
    assert summary.tracks == whole_summary.tracks >= 7
    assert sink.video == whole.video
    # The frames left, each once, and the warm-up before each segment: nothing stored again.
    left = 150 - point.next_frame
    if resumed == "split":
        assert sum(inferred) == left + sum(s.warmup for s in plan.segments)
    else:
        assert sum(inferred) == left


def test_a_resume_point_without_a_timestamp_goes_on_in_one_process(
    video: VideoInfo, pool: PosePool
) -> None:
    # A point saved before resume points kept timestamps: pose processes cannot seek to it.
    whole, _ = _run(video)
    sink = KeepingSink()
    point = _run_until_crash(video, sink, pool, crash_at=60)
    older = ResumePoint.from_document({**point.to_document(), "after_pts": None})
    _, summary = _run(video, pool, sink=sink, resume=older)
    assert summary.processes == 1
    assert _frames(sink) == _frames(whole)
