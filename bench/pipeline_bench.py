"""Pipeline speed and memory, measured as ratios within one run (these machines are noisy).

(a) decode-only fps, (b) pose-only fps on frames decoded beforehand, (c) `posepipe process
--no-overlay` fps excluding model load, each repeated and interleaved; target
(c) >= 0.9 x min(a, b). Also model load time and the peak memory of `posepipe process` on a
long 1080p video (made by repeating a real clip without re-encoding). The CLI runs in one
process here (POSE_CPU_WORKERS=1); bench/pose_processes_bench.py measures several.

    .venv/bin/python bench/pipeline_bench.py [--repeats 3] [--long-minutes 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

from posepipe.pose.mediapipe_backend import MediaPipeBackend
from posepipe.video.decode import FrameStream
from posepipe.video.probe import probe_video

VIDEOS = Path(__file__).resolve().parents[1] / "data" / "videos"
CLIP = VIDEOS / "single_person_soccer_ball_juggling.mp4"
LONG_SOURCE = VIDEOS / "single_person_running_indoor_track.mp4"
# This benchmark measures the pipeline in one process (decode thread + backend), as issue 2
# set it; several pose processes are bench/pose_processes_bench.py's.
_ONE_PROCESS = {**os.environ, "POSE_CPU_WORKERS": "1"}


def decode_fps(path: Path) -> float:
    info = probe_video(path)
    started = time.perf_counter()
    count = sum(1 for _ in FrameStream(info))
    return count / (time.perf_counter() - started)


def pose_fps(path: Path, backend: MediaPipeBackend) -> float:
    info = probe_video(path)
    frames = list(FrameStream(info))
    backend.start_video(info)
    started = time.perf_counter()
    for frame in frames:
        backend.infer([frame])
    return len(frames) / (time.perf_counter() - started)


def process_run(path: Path, out_dir: Path) -> dict[str, float]:
    """Run the real CLI; returns its fps (model load excluded) and model load time."""
    proc = subprocess.run(
        _process_cmd(path, out_dir),
        capture_output=True,
        text=True,
        check=True,
        env=_ONE_PROCESS,
    )
    speed = re.search(r"speed: ([\d.]+) fps \(model load ([\d.]+) s", proc.stdout)
    assert speed, proc.stdout
    return {"fps": float(speed.group(1)), "load_s": float(speed.group(2))}


def _process_cmd(video: Path, out_dir: Path) -> list[str]:
    """`posepipe process --no-overlay` with the CPU backend's single-person path (the one
    (b) measures; bench/multiperson_bench.py measures the multi-person path), as a command
    line."""
    return [
        sys.executable,
        "-m",
        "posepipe",
        "process",
        str(video),
        "-o",
        str(out_dir),
        "--no-overlay",
        "--backend",
        "mediapipe",
        "--max-people",
        "1",
    ]


def peak_rss_mb_of(cmd: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time of a child process.

    Read from the child's own high-water mark (VmHWM), polled: getrusage's ru_maxrss of a
    child counts the parent's memory at fork, which here holds hundreds of decoded frames.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ONE_PROCESS
    )
    peak_kb = 0
    while child.poll() is None:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
            peak_kb = max(peak_kb, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)))  # type: ignore[union-attr]
        except (OSError, AttributeError):
            pass
        time.sleep(0.05)
    assert child.returncode == 0, f"{cmd} exited {child.returncode}"
    return peak_kb / 1024, time.perf_counter() - started


def repeat_clip(source: Path, target: Path, minutes: float) -> Path:
    """Concatenate a clip's packets until it lasts `minutes`, without re-encoding."""
    with av.open(str(source)) as probe:
        stream = probe.streams.video[0]
        clip_ticks = int(stream.duration)
    with av.open(str(target), mode="w", format="mp4") as out:
        copies = 0
        total_s = 0.0
        while total_s < minutes * 60:
            with av.open(str(source)) as src:
                video = src.streams.video[0]
                if copies == 0:
                    stream_out = out.add_stream_from_template(video)
                for packet in src.demux(video):
                    if packet.dts is None:
                        continue
                    packet.pts += copies * clip_ticks
                    packet.dts += copies * clip_ticks
                    packet.stream = stream_out
                    out.mux(packet)
                total_s += float(video.duration * video.time_base)
            copies += 1
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    args = parser.parse_args()

    backend = MediaPipeBackend()
    started = time.perf_counter()
    backend.load()
    load_in_process_s = time.perf_counter() - started

    a, b, c, load = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.repeats):  # interleaved, so drift hits all three alike
            a.append(decode_fps(CLIP))
            b.append(pose_fps(CLIP, backend))
            run = process_run(CLIP, Path(tmp) / f"run{n}")
            c.append(run["fps"])
            load.append(run["load_s"])
        backend.close()

        minute_video = repeat_clip(LONG_SOURCE, Path(tmp) / "minute.mp4", 1.0)
        long_video = repeat_clip(LONG_SOURCE, Path(tmp) / "long.mp4", args.long_minutes)
        long_info = probe_video(long_video)
        minute_rss, _ = peak_rss_mb_of(_process_cmd(minute_video, Path(tmp) / "minute"))
        short_rss, _ = peak_rss_mb_of(_process_cmd(CLIP, Path(tmp) / "short"))
        long_rss, long_wall = peak_rss_mb_of(_process_cmd(long_video, Path(tmp) / "long"))

    med = statistics.median
    results = {
        "clip": CLIP.name,
        "cpu_count": os.cpu_count(),
        "decode_fps": med(a),
        "pose_fps": med(b),
        "process_fps": med(c),
        "ratio": med(c) / min(med(a), med(b)),
        "model_load_s_cli": med(load),
        "model_load_s_in_process": load_in_process_s,
        "long_video": f"{long_info.width}x{long_info.height} {long_info.frames} frames "
        f"({long_info.duration_s / 60:.1f} min)",
        "peak_rss_mb_short_clip": short_rss,
        "peak_rss_mb_one_minute_1080p": minute_rss,
        "peak_rss_mb_long_video": long_rss,
        "long_video_wall_s": long_wall,
        "runs": {"decode_fps": a, "pose_fps": b, "process_fps": c},
    }
    print(json.dumps(results, indent=2))
    print(
        f"\n| measure | value |\n|---|---|\n"
        f"| (a) decode-only | {med(a):.1f} fps |\n| (b) pose-only | {med(b):.1f} fps |\n"
        f"| (c) process --no-overlay | {med(c):.1f} fps |\n"
        f"| (c) / min(a, b) | **{results['ratio']:.2f}** (target >= 0.90) |\n"
        f"| model load (CLI / in process) | {med(load):.2f} s / {load_in_process_s:.2f} s"
        " (target < 5 s) |\n"
        f"| peak RSS, {CLIP.name} | {short_rss:.0f} MB |\n"
        f"| peak RSS, the same 1080p clip repeated for 1 min | {minute_rss:.0f} MB |\n"
        f"| peak RSS, {results['long_video']} | {long_rss:.0f} MB (target < 1024 MB) |"
    )


if __name__ == "__main__":
    main()
