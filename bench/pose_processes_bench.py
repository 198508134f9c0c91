"""The CPU path in several pose processes (issue 13), measured as ratios within one run.

1. `posepipe process --no-overlay` fps (its own figure, model load excluded) on a long 720p
   clip (the juggling clip looped, re-encoded) with POSE_CPU_WORKERS=1 and with 2 (or
   --processes), interleaved, `--repeats` times; target: 2 processes >= 1.5 x 1. These
   machines are shared: the load average is sampled every second throughout, and each run
   also reports the CPUs it got (CPU seconds of the CLI and its pose processes per second)
   and frames per CPU second (what the work cost, whatever the scheduler gave).
2. How far the split run's poses drift from the one-process run's (same frames, same ids),
   and how many frames a second the parent alone can track and write (one core): the most
   all pose processes together can deliver before the parent is the limit.
3. What a pose process costs besides the model: CPU per frame to decode and convert (the
   FrameStream thread) against CPU per frame to infer, which sets `auto`'s CPUs per process.
4. Peak memory of the whole process tree (the CLI and its pose processes), summed over the
   processes as PSS (shared libraries counted once) and as RSS (counted in each), on a
   10-minute 1080p video with the default number of processes; target < 1.5 GB.

    .venv/bin/python bench/pose_processes_bench.py [--repeats 3] [--loops 8]
        [--processes 1 2] [--long-minutes 10] [--skip-memory] [--max-people N]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from posepipe.pose.backend import Observation
from posepipe.pose.cpus import available_cpus, default_pose_processes
from posepipe.pose.mediapipe_backend import MediaPipeBackend
from posepipe.pose.pipeline import to_person_pose
from posepipe.pose.pose_process import Inferred
from posepipe.pose.tracking import Tracker
from posepipe.results import PoseFileSink
from posepipe.schema import FramePoses
from posepipe.video.decode import FrameStream
from posepipe.video.probe import probe_video

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the other benchmark's long video, the tests' looped clip

from bench.pipeline_bench import LONG_SOURCE, repeat_clip  # noqa: E402
from tests.media_factory import loop_video  # noqa: E402

VIDEOS = REPO / "data" / "videos"
CLIP = VIDEOS / "single_person_soccer_ball_juggling.mp4"
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24


class LoadSampler:
    """The 1-minute load average, read every second in a thread."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(os.getloadavg()[0])


MAX_PEOPLE: list[str] = []  # `--max-people N` when asked for; else the CLI's default


def process_cmd(video: Path, out_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "posepipe", "process", str(video), "-o", str(out_dir),
        "--no-overlay", "--backend", "mediapipe", *MAX_PEOPLE,
    ]


def process_fps(video: Path, out_dir: Path, processes: int) -> dict[str, float]:
    env = {**os.environ, "POSE_CPU_WORKERS": str(processes)}
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        process_cmd(video, out_dir), capture_output=True, text=True, check=True, env=env
    )
    wall_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI and its pose processes
    cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    speed = re.search(r"speed: ([\d.]+) fps \(model load ([\d.]+) s, poses ([\d.]+) s", proc.stdout)
    assert speed, proc.stdout + proc.stderr
    return {
        "fps": float(speed[1]), "load_s": float(speed[2]), "poses_s": float(speed[3]),
        "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
        # CPUs the run got, whole command (model load included), and its frames per CPU
        # second: on a shared machine the first says what the scheduler gave, the second
        # what the work cost.
        "cpus_used": cpu_s / wall_s,
        "frames_per_cpu_s": probe_video(video).frames / cpu_s,
    }


def drift(split_doc: Path, one_doc: Path) -> dict[str, Any]:
    """Frames, ids and people equal? And the split run's keypoints' distance, % of torso."""
    ours, theirs = (json.loads(p.read_text())["frames"] for p in (split_doc, one_doc))
    same_ids = [[p["track"] for p in f["people"]] for f in ours] == [
        [p["track"] for p in f["people"]] for f in theirs
    ]
    drifts = []
    for a, b in zip(ours, theirs, strict=True):
        for pa, pb in zip(a["people"], b["people"], strict=False):
            found, expected = np.array(pa["kp2d"])[:, :2], np.array(pb["kp2d"])[:, :2]
            torso = np.linalg.norm(
                (expected[LEFT_SHOULDER] + expected[RIGHT_SHOULDER]) / 2
                - (expected[LEFT_HIP] + expected[RIGHT_HIP]) / 2
            )
            drifts.append(float(np.linalg.norm(found - expected, axis=1).mean() / torso))
    return {
        "same_frames": [(f["i"], f["t"]) for f in ours] == [(f["i"], f["t"]) for f in theirs],
        "same_track_ids": same_ids,
        "mean_pct_of_torso": 100 * statistics.mean(drifts),
        "max_pct_of_torso": 100 * max(drifts),
        "frames_identical": sum(a == b for a, b in zip(ours, theirs, strict=True)),
        "frames": len(ours),
    }


def cpu_per_frame(video: Path) -> dict[str, float]:
    """CPU milliseconds per frame: decode + convert (FrameStream) and MediaPipe inference."""
    info = probe_video(video)
    cpu = time.process_time()
    decoded = sum(1 for _ in FrameStream(info))
    decode_ms = 1000 * (time.process_time() - cpu) / decoded
    with FrameStream(info) as stream:  # 240 frames are enough, and bound the memory
        frames = [frame for frame, _ in zip(stream, range(240), strict=False)]
    backend = MediaPipeBackend()
    backend.start_video(info)
    cpu = time.process_time()
    for frame in frames:
        backend.infer([frame])
    infer_ms = 1000 * (time.process_time() - cpu) / len(frames)
    backend.close()
    return {"decode_ms": decode_ms, "infer_ms": infer_ms, "ratio": decode_ms / infer_ms}


def parent_fps(doc: Path, work_dir: Path) -> float:
    """Frames per second the parent alone handles, on one core: what a pose process sends
    (pickled and read back), tracking, and writing to the CLI's sink. Beyond this many
    frames per second, more pose processes would wait on the parent."""
    frames = json.loads(doc.read_text())["frames"]
    batches = [
        Inferred(0, [
            (f["t"], [Observation(tuple(p["bbox"]), p["score"], np.array(p["kp2d"]),
                                  np.array(p["kp3d"])) for p in f["people"]])
            for f in frames[start : start + 8]
        ])
        for start in range(0, len(frames), 8)
    ]
    sink = PoseFileSink(work_dir)
    sink.begin(None)  # type: ignore[arg-type]
    tracker = Tracker()
    started = time.perf_counter()
    index = 0
    for batch in batches:
        received = pickle.loads(pickle.dumps(batch))
        out = []
        for time_s, people in received.frames:
            ids = tracker.update(index, people)
            out.append(FramePoses(i=index, t=round(time_s, 6), people=[
                to_person_pose(track, person) for track, person in zip(ids, people, strict=True)
            ]))
            index += 1
        sink.write(out)
    elapsed = time.perf_counter() - started
    sink.close()
    return index / elapsed


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(p) for p in children.read_text().split()]
            except OSError:
                continue
    return pids


def _memory_kb(pid: int) -> tuple[int, int]:
    """PSS and RSS of one process, in kB (0, 0 once it is gone)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M))
    return int(fields.get("Pss", 0)), int(fields.get("Rss", 0))


def peak_tree_memory_mb(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Peak of the summed PSS and RSS of a command and its children, sampled 10 times a second."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                             text=True)
    peak_pss = peak_rss = 0
    most = 0
    while child.poll() is None:
        pids = _tree(child.pid)
        sizes = [_memory_kb(pid) for pid in pids]
        peak_pss = max(peak_pss, sum(s[0] for s in sizes))
        peak_rss = max(peak_rss, sum(s[1] for s in sizes))
        most = max(most, len(pids))
        time.sleep(0.1)
    out = child.stdout.read() if child.stdout else ""
    assert child.returncode == 0, f"{cmd} exited {child.returncode}"
    speed = re.search(r"speed: ([\d.]+) fps", out)
    return {
        "pss_mb": peak_pss / 1024, "rss_mb": peak_rss / 1024, "processes": most,
        "wall_s": time.perf_counter() - started, "fps": float(speed[1]) if speed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loops", type=int, default=8, help="juggling clip played N times")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--max-people", type=int, help="the CLI's --max-people (default: its own, 4)"
    )
    args = parser.parse_args()
    if args.max_people is not None:
        MAX_PEOPLE[:] = ["--max-people", str(args.max_people)]

    results: dict[str, Any] = {
        "cpus": available_cpus(), "default_processes": default_pose_processes(available_cpus()),
        "max_people": args.max_people or "the CLI's default",
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        long720 = loop_video(CLIP, tmp / "long720.mp4", args.loops)
        info = probe_video(long720)
        results["clip"] = f"{CLIP.name} x{args.loops}: {info.width}x{info.height} {info.frames}"
        runs: dict[int, list[dict[str, float]]] = {n: [] for n in args.processes}
        with LoadSampler() as load:
            for repeat in range(args.repeats):  # interleaved, so drift hits all alike
                for n in args.processes:
                    runs[n].append(process_fps(long720, tmp / f"p{n}-{repeat}", n))
                    print(f"  {n} process(es): {runs[n][-1]}", file=sys.stderr)
        fps = {n: statistics.median(r["fps"] for r in runs[n]) for n in args.processes}
        results["cpus_used"] = {
            str(n): statistics.median(r["cpus_used"] for r in runs[n]) for n in args.processes
        }
        results["frames_per_cpu_s"] = {
            str(n): statistics.median(r["frames_per_cpu_s"] for r in runs[n])
            for n in args.processes
        }
        base = fps[args.processes[0]]
        results["fps"] = {str(n): fps[n] for n in args.processes}
        results["ratio"] = {str(n): fps[n] / base for n in args.processes}
        results["runs"] = {str(n): runs[n] for n in args.processes}
        results["load_average"] = {
            "min": min(load.samples), "median": statistics.median(load.samples),
            "max": max(load.samples), "samples": len(load.samples),
        }
        split = max(args.processes)
        results["drift"] = drift(
            tmp / f"p{split}-0" / "poses.json", tmp / f"p{args.processes[0]}-0" / "poses.json"
        )
        results["parent_fps"] = parent_fps(tmp / f"p{split}-0" / "poses.json", tmp)
        results["cpu_per_frame_720p"] = cpu_per_frame(long720)
        results["cpu_per_frame_1080p"] = cpu_per_frame(LONG_SOURCE)

        if not args.skip_memory:
            env = {k: v for k, v in os.environ.items() if k != "POSE_CPU_WORKERS"}
            minute = repeat_clip(LONG_SOURCE, tmp / "minute.mp4", 1.0)
            long1080 = repeat_clip(LONG_SOURCE, tmp / "long1080.mp4", args.long_minutes)
            results["memory"] = {
                "one_minute_1080p_one_process": peak_tree_memory_mb(
                    process_cmd(minute, tmp / "m1"), {**env, "POSE_CPU_WORKERS": "1"}
                ),
                "one_minute_1080p_default": peak_tree_memory_mb(
                    process_cmd(minute, tmp / "m2"), env
                ),
                f"{args.long_minutes:g}_minutes_1080p_default": peak_tree_memory_mb(
                    process_cmd(long1080, tmp / "m3"), env
                ),
            }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
