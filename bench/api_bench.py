"""The services, measured on the native stack (issue 3's targets):

1. a 1 GiB upload on loopback: throughput (>= 200 MB/s) and the API's resident memory
   growth while it streams (< 100 MB);
2. `GET /api/jobs/{id}` at 300 requests/s for 30 s from a load generator in its own
   process (bench/api_load.py, open loop): p99 < 25 ms, no errors;
3. end to end, upload to `succeeded` on the juggling clip: frames per second >= 0.85 x the
   fps of `posepipe process --no-overlay`, the two interleaved in the same run.

    .venv/bin/python bench/api_bench.py [--upload-mib 1024] [--rate 300] [--seconds 30]
                                        [--repeats 3] [--json out/api_bench.json]

Everything runs here: redis-server, MongoDB (mongod, else FerretDB), `posepipe api` and
`posepipe worker` as processes (tests/stack.py), the load generator as another.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's stack helper and real servers

from tests.conftest import VIDEOS  # noqa: E402
from tests.stack import NativeStack, posepipe_command  # noqa: E402

JUGGLING = VIDEOS / "single_person_soccer_ball_juggling.mp4"
SQUATS = VIDEOS / "single_person_squats_portrait.mp4"
LOAD = [sys.executable, str(REPO / "bench" / "api_load.py")]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class PeakRss:
    """Samples a process's RSS every 10 ms in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb(self.pid))


def _load(*args: str) -> dict[str, Any]:
    out = subprocess.run([*LOAD, *args], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def bench_upload(stack: NativeStack, size_mib: int, tmp: Path) -> dict[str, Any]:
    """A video padded to `size_mib` (it still probes as a video), streamed to the API."""
    assert stack.api is not None
    big = tmp / "big.mp4"
    with big.open("wb") as f:
        f.write(JUGGLING.read_bytes())
        f.truncate(size_mib * 1024 * 1024)  # sparse: the disk is not the bottleneck
    url = f"{stack.api_url}/api/videos"
    with stack.client() as client:  # warm up: imports, connections, first probe
        job = stack.upload(SQUATS)
        client.get("/api/jobs")
        client.delete(f"/api/jobs/{job}")
        client.delete(f"/api/jobs/{job}")
    base = rss_mb(stack.api.process.pid)
    with PeakRss(stack.api.process.pid) as peak:
        result = _load("upload", url, str(big))
    assert result["status"] == 201, result
    with stack.client() as client:
        job_id = result["body"]["job_id"]
        client.delete(f"/api/jobs/{job_id}")  # cancel (queued), then delete with its file
        client.delete(f"/api/jobs/{job_id}")
    big.unlink()
    return {
        "bytes": result["bytes"],
        "seconds": result["seconds"],
        "mb_per_s": result["mb_per_s"],
        "rss_before_mb": round(base, 1),
        "rss_peak_mb": round(peak.peak, 1),
        "rss_growth_mb": round(peak.peak - base, 1),
    }


def bench_get(stack: NativeStack, rate: float, seconds: float) -> dict[str, Any]:
    """Open-loop GET of one job's status from a second process."""
    job_id = stack.upload(SQUATS)
    stack.wait_for_job(job_id, timeout_s=120)
    return _load("get", f"{stack.api_url}/api/jobs/{job_id}", "--rate", str(rate),
                 "--seconds", str(seconds))


def _cli_fps(tmp: Path) -> float:
    out = subprocess.run(
        [*posepipe_command(), "process", str(JUGGLING), "-o", str(tmp / "cli"),
         "--no-overlay", "--backend", "mediapipe"],
        capture_output=True, text=True, check=True,
    )
    match = re.search(r"speed: ([\d.]+) fps", out.stdout)
    assert match, out.stdout
    return float(match.group(1))


def _end_to_end(stack: NativeStack) -> float:
    """Upload the juggling clip, follow its events to `succeeded`; frames per second."""
    started = time.perf_counter()
    job_id = stack.upload(JUGGLING)
    status = ""
    with stack.client() as client, client.stream(
        "GET", f"/api/jobs/{job_id}/events", timeout=300
    ) as events:
        for line in events.iter_lines():
            if line.startswith("data: ") and '"status"' in line:
                status = json.loads(line[6:])["status"]
    elapsed = time.perf_counter() - started
    assert status == "succeeded", status
    job = stack.job(job_id)
    with stack.client() as client:  # let the overlay finish: the next run starts idle
        assert client.get(f"/api/jobs/{job_id}/overlay.mp4", timeout=120).status_code == 200
    frames: int = job["progress"]["frames_done"]
    return frames / elapsed


def bench_end_to_end(stack: NativeStack, repeats: int, tmp: Path) -> dict[str, Any]:
    """Interleaved: the CLI's fps, then the services' upload-to-succeeded fps."""
    cli, e2e = [], []
    for _ in range(repeats):
        cli.append(_cli_fps(tmp))
        e2e.append(_end_to_end(stack))
    return {
        "cli_fps": [round(v, 1) for v in cli],
        "e2e_fps": [round(v, 1) for v in e2e],
        "cli_fps_median": round(statistics.median(cli), 1),
        "e2e_fps_median": round(statistics.median(e2e), 1),
        "ratio": round(statistics.median(e2e) / statistics.median(cli), 3),
    }


def main() -> None:
    """Run the three measurements and print them (and write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mib", type=int, default=1024)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=REPO / "out" / "api_bench.json")
    parser.add_argument("--only", choices=["upload", "get", "e2e"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["upload", "get", "e2e"])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="posepipe-api-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with NativeStack(tmp / "stack", workers=0) as stack:
            if "upload" in only:
                results["upload"] = bench_upload(stack, args.upload_mib, tmp)
                print("upload:", results["upload"], flush=True)
            stack.start_worker()
            if "get" in only:
                results["get"] = bench_get(stack, args.rate, args.seconds)
                print("get:", results["get"], flush=True)
            if "e2e" in only:
                results["e2e"] = bench_end_to_end(stack, args.repeats, tmp)
                print("e2e:", results["e2e"], flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
