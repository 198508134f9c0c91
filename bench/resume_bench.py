"""Crash recovery with resume (issue 11): seconds from a SIGKILL to `succeeded`.

A 1,976-frame clip (the juggling clip eight times over, re-encoded, 720p, 24 fps) goes to a
fresh native stack (tests/stack.py: redis-server, MongoDB or FerretDB, `posepipe api`,
`posepipe worker` with mediapipe, the default 60 s heartbeat timeout); when 60 % of its
frames are done the worker is SIGKILLed and a new one started at once. Three ways, each
run in the same invocation, interleaved per repeat:

- today: the new worker cannot know the old one is dead (another name) and does not resume
  (POSE_RESUME=false): the job comes back after the heartbeat timeout, from frame 0. This
  is how posepipe behaved before issue 11;
- (a) restart in place: the same name (the Compose case: same container, same hostname);
  it takes the job back at once and resumes after the last stored batch;
- (b) another worker: another name (another host); it takes over after the heartbeat
  timeout, and resumes.

Measured: seconds from the kill to `succeeded` (the overlay is rendered after that), the
frames computed in all (the API's posepipe_frames_inferred_total: counted before each
batch goes to the backend), and the frame the job resumed at.

    .venv/bin/python bench/resume_bench.py [--repeats 1] [--json out/resume_bench.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's stack helper and real servers

from tests import media_factory as make  # noqa: E402
from tests.conftest import VIDEOS  # noqa: E402
from tests.stack import NativeStack  # noqa: E402

KILL_AT = 0.6
SCENARIOS: dict[str, dict[str, str]] = {
    # The environment of the worker started after the kill.
    "today (other name, no resume)": {"POSE_WORKER_NAME": "another-host", "POSE_RESUME": "false"},
    "(a) restart in place": {},
    "(b) another worker, after the timeout": {"POSE_WORKER_NAME": "another-host"},
}


def run_once(root: Path, clip: Path, frames: int, restart_env: dict[str, str]) -> dict[str, Any]:
    """One kill and recovery on a fresh stack; its figures."""
    with NativeStack(root) as stack:
        job_id = stack.upload(clip)
        while (done := stack.job(job_id)["progress"]["frames_done"]) < frames * KILL_AT:
            time.sleep(0.05)
        stack.kill_worker()
        killed, killed_wall = time.monotonic(), datetime.now(timezone.utc)
        stack.start_worker(env=restart_env)
        job = stack.wait_for_job(job_id, "succeeded", timeout_s=1800, poll_s=0.1)
        recovery_s = time.monotonic() - killed
        restarted = datetime.fromisoformat(job["attempt_log"][-1]["started_at"])
        return {
            "killed_at_frame": done,
            "kill_to_succeeded_s": round(recovery_s, 1),
            "kill_to_attempt_2_s": round((restarted - killed_wall).total_seconds(), 1),
            "frames_computed": int(stack.metric("posepipe_frames_inferred_total")),
            "resumed_from": job["attempt_log"][-1]["resumed_from"],
            "attempts": job["attempts"],
        }


def main() -> int:
    """Run every scenario `--repeats` times, interleaved; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path, default=REPO / "out" / "resume_bench.json")
    args = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in SCENARIOS}
    with tempfile.TemporaryDirectory(prefix="posepipe-resume-") as tmp:
        root = Path(tmp)
        clip = make.loop_video(VIDEOS / "single_person_soccer_ball_juggling.mp4",
                               root / "juggling_x8.mp4", 8)
        frames = 8 * 247
        for repeat in range(args.repeats):
            for n, (name, env) in enumerate(SCENARIOS.items()):
                result = run_once(root / f"r{repeat}-{n}", clip, frames, env)
                results[name].append(result)
                print(f"{name}: {result}", flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))

    today = statistics.median(r["kill_to_succeeded_s"] for r in results[next(iter(SCENARIOS))])
    print(f"\n{frames} frames, killed at {KILL_AT:.0%}; medians of {args.repeats} run(s)\n")
    print("| recovery | kill to attempt 2 | kill to `succeeded` | vs today | frames computed "
          "| resumed at |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        restart = statistics.median(r["kill_to_attempt_2_s"] for r in runs)
        seconds = statistics.median(r["kill_to_succeeded_s"] for r in runs)
        computed = statistics.median(r["frames_computed"] for r in runs)
        resumed = statistics.median(r["resumed_from"] for r in runs)
        print(f"| {name} | {restart:.1f} s | {seconds:.1f} s | {seconds / today:.2f} "
              f"| {computed:.0f} | {resumed:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
