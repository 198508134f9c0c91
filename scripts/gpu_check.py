#!/usr/bin/env python3
"""`make gpu-check`: what only a GPU host can prove, measured and printed.

Checks, in order: the hmr2 backend's upstream imports (posepipe.pose.hmr2_imports, the check
the CUDA image's build ends with; it needs no GPU), CUDA visible (and CUDA_VISIBLE_DEVICES
sane), NVML readings, a tiny CUDA op answering within its timeout, POSE_GPU_MEMORY_FRACTION
enforced (in a child process, since the cap is per process), the worker health document's
GPU fields, the throughput of the hmr2 backend's heaviest networks on random input
(ViTDet-H detector at 1024 px, HMR 2.0's ViT-H backbone on 256x192 crops; random weights,
so no model files needed), and with --video and the model files, the backend end to end
(fps, peak GPU memory, load time). Exit 1 when a check fails. `--json FILE` writes the
figures for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def _check(name: str, run: Callable[[], Result], results: list[Result]) -> None:
    started = time.perf_counter()
    try:
        outcome = run()
    except Exception as exc:
        outcome = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    outcome = {"check": name, **outcome, "seconds": round(time.perf_counter() - started, 2)}
    results.append(outcome)
    mark = {True: "ok  ", False: "FAIL", None: "skip"}[outcome.get("ok")]
    print(f"[{mark}] {name}: {outcome.get('detail', '')}", flush=True)


def _upstream() -> Any:
    """The backend's upstream names (BackendUnavailable, naming what is off, otherwise)."""
    from posepipe.config import get_settings
    from posepipe.pose.hmr2_imports import import_upstream

    return import_upstream(get_settings().pose_hmr2_repo_dir)


def upstream_imports() -> Result:
    from posepipe.config import get_settings

    _upstream()
    return {"ok": True, "detail": "every upstream name the backend uses is there (track.py "
            f"from {get_settings().pose_hmr2_repo_dir})"}


def cuda_visible() -> Result:
    try:
        import torch
    except ImportError:
        return {"ok": False, "detail": "PyTorch is not installed: run this where the hmr2 extra "
                "is, e.g. the pose-service image with the repository mounted (see README)"}

    from posepipe.config import get_settings
    from posepipe.gpu import physical_gpus, visible_devices_problem

    problem = visible_devices_problem(get_settings().cuda_visible_devices, physical_gpus())
    if problem:
        return {"ok": False, "detail": problem}
    if not torch.cuda.is_available():
        return {"ok": False, "detail": "torch sees no CUDA device (this is not a GPU host?)"}
    props = torch.cuda.get_device_properties(0)
    return {"ok": True, "detail": f"{props.name}, compute {props.major}.{props.minor}, "
            f"{props.total_memory / 2**30:.1f} GiB, torch {torch.__version__} "
            f"CUDA {torch.version.cuda}", "device": props.name}


def nvml_readings() -> Result:
    from posepipe.gpu import gpu_status

    status = gpu_status()
    if status is None:
        return {"ok": False, "detail": "no NVML reading (nvidia-ml-py missing or no driver)"}
    total = status["memory_total_mb"]
    sane = total > 0 and 0 <= status["memory_used_mb"] <= total
    return {"ok": sane, "detail": json.dumps(status), "gpu": status}


def cuda_probe() -> Result:
    from posepipe.gpu import cuda_probe as probe

    result = probe(timeout_s=10.0)
    return {"ok": result.ok, "detail": f"{result.detail} ({result.elapsed_ms} ms)"}


def memory_fraction(fraction: float = 0.25) -> Result:
    child = subprocess.run([sys.executable, __file__, "--fraction-child", str(fraction)],
                           capture_output=True, text=True, timeout=120)
    return {"ok": child.returncode == 0, "detail": (child.stdout + child.stderr).strip()[-300:]}


def _fraction_child(fraction: float) -> int:
    import torch

    from posepipe.gpu import apply_memory_fraction

    apply_memory_fraction(fraction)
    total = torch.cuda.get_device_properties(0).total_memory
    within = torch.empty(int(total * fraction * 0.5), dtype=torch.uint8, device="cuda")
    del within
    try:
        torch.empty(int(total * min(1.0, fraction * 2)), dtype=torch.uint8, device="cuda")
    except torch.cuda.OutOfMemoryError:
        print(f"cap {fraction:.0%} enforced: {fraction * 50:.0f}% allocated, "
              f"{min(100, fraction * 200):.0f}% refused")
        return 0
    print(f"cap {fraction:.0%} NOT enforced: allocated {min(100, fraction * 200):.0f}% of the GPU")
    return 1


def worker_health() -> Result:
    from posepipe.config import get_settings
    from posepipe.worker.state import WorkerState
    from posepipe.worker.telemetry import health_document

    doc = health_document(WorkerState(backend="hmr2", device="cuda:0"), get_settings())
    gpu = doc["gpu"] or {}
    keys = {"name", "memory_used_mb", "memory_total_mb", "utilization_pct", "temperature_c"}
    ok = set(gpu) == keys and gpu["name"] and gpu["memory_total_mb"]
    return {"ok": bool(ok), "detail": json.dumps(doc["gpu"])}


def _throughput(model: Any, make_input: Callable[[], Any], per_call: int, seconds: float) -> float:
    import torch

    with torch.no_grad():
        for _ in range(3):
            model(make_input())
        torch.cuda.synchronize()
        calls, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            model(make_input())
            calls += 1
        torch.cuda.synchronize()
    return calls * per_call / (time.perf_counter() - started)


def vitdet_throughput() -> Result:
    import torch

    upstream = _upstream()
    cfg = upstream.lazy_config.load(str(upstream.vitdet_config))
    model = upstream.instantiate(cfg.model).cuda().eval()
    image = torch.randint(0, 255, (3, 1024, 1024), dtype=torch.uint8, device="cuda")
    fps = _throughput(model, lambda: [{"image": image, "height": 1080, "width": 1920}], 1, 10)
    return {"ok": True, "detail": f"{fps:.2f} frames/s (1024 px, random weights)",
            "vitdet_h_fps": round(fps, 2),
            "peak_mb": round(torch.cuda.max_memory_allocated() / 2**20)}


def hmr2_vit_throughput() -> Result:
    import torch

    from posepipe.config import get_settings
    from posepipe.models import HMR2_CHECKPOINT
    from posepipe.pose.hmr2_runtime import prepare_environment

    settings = get_settings()
    prepare_environment(settings.model_cache_dir)  # before hmr2 is imported (main did too)
    upstream = _upstream()
    config = (settings.model_cache_dir / HMR2_CHECKPOINT).parent.parent / "model_config.yaml"
    if not config.is_file():
        return {"ok": None, "detail": f"{config} missing (run `posepipe models fetch`)"}
    backbone = upstream.create_backbone(upstream.get_config(str(config))).cuda().eval()
    crops = torch.randn(8, 3, 256, 192, device="cuda")
    per_s = _throughput(backbone, lambda: crops, 8, 10)
    return {"ok": True, "detail": f"{per_s:.1f} person crops/s (batch 8, random weights)",
            "hmr2_vit_h_crops_per_s": round(per_s, 1)}


def backend_end_to_end(video: Path) -> Result:
    from posepipe.cli.progress import LineProgress
    from posepipe.config import get_settings
    from posepipe.models import missing_model_files
    from posepipe.pose.hmr2_backend import Hmr2Backend
    from posepipe.pose.pipeline import run_pipeline
    from posepipe.pose.tracking import tracker_from_settings
    from posepipe.video.probe import probe_video

    settings = get_settings()
    missing = missing_model_files(settings.model_cache_dir, settings.pose_hmr2_detector)
    if missing:
        return {"ok": None, "detail": f"{len(missing)} model files missing (first {missing[0]})"}

    class CountingSink:
        frames = 0

        def begin(self, header: Any) -> None: ...

        def write(self, frames: Any) -> None:
            CountingSink.frames += len(frames)

        def finish(self, video: Any) -> None: ...

    backend = Hmr2Backend(settings)
    started = time.perf_counter()
    backend.load()
    load_s = time.perf_counter() - started
    info = probe_video(video)
    summary = run_pipeline(info, backend, CountingSink(), LineProgress("hmr2"),
                           tracker=tracker_from_settings(settings),
                           batch_size=settings.pose_batch_size)
    backend.close()
    return {"ok": summary.frames > 0,
            "detail": f"{summary.frames} frames at {summary.fps:.2f} fps, {summary.tracks} tracks, "
                      f"peak {backend.peak_gpu_memory_mb:.0f} MiB, models loaded in {load_s:.1f} s",
            "fps": round(summary.fps, 2), "peak_mb": round(backend.peak_gpu_memory_mb or 0),
            "load_s": round(load_s, 1), "video": video.name}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="run the hmr2 backend end to end on it")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--fraction-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fraction_child is not None:
        return _fraction_child(args.fraction_child)
    from posepipe.config import get_settings
    from posepipe.pose.hmr2_runtime import prepare_environment

    prepare_environment(get_settings().model_cache_dir)  # before phalp/hmr2 are imported
    results: list[Result] = []
    # First, and whatever the GPU: a wrong upstream name fails here, not at the first job.
    _check("hmr2 upstream imports", upstream_imports, results)
    _check("CUDA visible", cuda_visible, results)
    if results[-1]["ok"]:
        _check("NVML readings", nvml_readings, results)
        _check("CUDA probe", cuda_probe, results)
        _check("memory fraction enforced", memory_fraction, results)
        _check("worker health GPU fields", worker_health, results)
        _check("ViTDet-H detector throughput", vitdet_throughput, results)
        _check("HMR 2.0 ViT-H backbone throughput", hmr2_vit_throughput, results)
        if args.video is not None:
            _check("hmr2 backend end to end", lambda: backend_end_to_end(args.video), results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r.get("ok") is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
