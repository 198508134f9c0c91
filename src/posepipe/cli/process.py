"""`posepipe process VIDEO`: the main job, on one file, with no services."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from posepipe.cli.output import (
    EXIT_BAD_INPUT,
    configure_cli_logging,
    fail,
    write_results,
)
from posepipe.cli.progress import progress_for
from posepipe.config import BackendChoice, Settings, get_settings
from posepipe.errors import InvalidInput
from posepipe.gpu import peak_gpu_memory_bytes
from posepipe.memory import describe_peak, format_bytes, memory_limit, peak_rss_bytes
from posepipe.pose.cpus import pose_processes
from posepipe.pose.pipeline import RunSummary, run_pipeline
from posepipe.pose.pool import PosePool
from posepipe.pose.select import backend_factory, build_backend
from posepipe.pose.tracking import LASTING_TRACK_S, tracker_from_settings
from posepipe.results import PoseFileSink
from posepipe.video.probe import VideoInfo, probe_video
from posepipe.video.segments import plan_segments


def process(
    video: Path = typer.Argument(..., help="The video file to read.", show_default=False),
    out_dir: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder for poses.json and overlay.mp4 (default: out/<video name>)",
    ),
    backend: BackendChoice | None = typer.Option(
        None,
        "--backend",
        "-b",
        help="Pose backend (default: POSE_BACKEND, else auto)",
        case_sensitive=False,
    ),
    overlay: bool = typer.Option(True, "--overlay/--no-overlay", help="Also render overlay.mp4."),
    max_people: int | None = typer.Option(
        None,
        "--max-people",
        min=1,
        max=32,
        help="mediapipe: most people looked for per frame; 1 is the faster single-person "
        "path (default: POSE_MAX_PEOPLE, else 4)",
        show_default=False,
    ),
) -> None:
    """Find and track the people in VIDEO; write DIR/poses.json and DIR/overlay.mp4."""
    settings = get_settings()
    if max_people is not None:
        settings = settings.model_copy(update={"pose_max_people": max_people})
    console = Console(stderr=True, highlight=False)
    configure_cli_logging(settings)
    target = out_dir or Path("out") / video.stem

    try:
        info = probe_video(video)
    except InvalidInput as exc:
        fail(console, exc.message, EXIT_BAD_INPUT)

    summary, load_s, pose_peaks = write_results(
        target,
        console,
        lambda work_dir: _run(settings, video, info, work_dir, backend, overlay, console),
        subject=video,
    )
    _print_summary(summary, load_s, pose_peaks, target, overlay)


def _run(
    settings: Settings,
    video: Path,
    info: VideoInfo,
    work_dir: Path,
    choice: BackendChoice | None,
    overlay: bool,
    console: Console,
) -> tuple[RunSummary, float, list[int]]:
    """The run's summary, its model load time and its pose processes' peak memory."""
    chosen = build_backend(settings, choice)
    console.print(f"backend: [bold]{chosen.backend.name}[/] ({chosen.reason})")
    rotated = f", rotated {info.rotation}°" if info.rotation else ""
    console.print(
        f"video: {video.name} {info.width}x{info.height} {info.fps:.3g} fps "
        f"{info.frames} frames ({info.codec}{rotated})"
    )
    processes, why = pose_processes(settings, chosen.backend)
    plan = plan_segments(info, processes=processes) if processes > 1 else None
    started = time.perf_counter()
    pool = None
    if plan is not None and plan.splits:
        console.print(f"poses: {processes} processes ({why}), {plan.reason}")
        pool = PosePool(backend_factory(settings, chosen.backend.name), processes)
        pool.ensure_ready()  # each process loads its model, all at once
    else:
        if plan is not None:
            console.print(f"poses: one process ({plan.reason})")
        chosen.backend.load()
    load_s = time.perf_counter() - started
    sink = PoseFileSink(work_dir)
    pose_peaks: list[int] = []
    try:
        summary = run_pipeline(
            info,
            chosen.backend,
            sink,
            progress_for("poses", console),
            tracker=tracker_from_settings(settings),
            batch_size=settings.pose_batch_size,
            pool=pool,
            plan=plan,
        )
        if pool is not None:
            pose_peaks = [p for p in map(peak_rss_bytes, pool.pids) if p is not None]
            pool.close()  # before the overlay: their memory is no longer needed
        if overlay:
            # Imported here: OpenCV is in the pose images only, and the backend-api image
            # runs this same `posepipe` command line without it.
            from posepipe.video.overlay import render_overlay

            render_overlay(
                info, sink.iter_frames(), chosen.backend.skeleton.edges, work_dir / "overlay.mp4"
            )
    finally:
        sink.close()
        if pool is not None:
            pool.close()
        chosen.backend.close()
    return summary, load_s, pose_peaks


def _pose_process_peaks(peaks: list[int]) -> str:
    """`; pose processes: peak 350 MB, 362 MB resident`, when there were any."""
    if not peaks:
        return ""
    return f"; pose processes: peak {', '.join(map(format_bytes, peaks))} resident"


def _print_summary(
    summary: RunSummary, load_s: float, pose_peaks: list[int], target: Path, overlay: bool
) -> None:
    out = Console(highlight=False)
    processes = f", {summary.processes} pose processes" if summary.processes > 1 else ""
    lost = f", {summary.frames_lost} lost to decode errors" if summary.frames_lost else ""
    out.print(
        f"frames: {summary.frames}{lost}\n"
        f"frames with a person: {summary.frames_with_people} "
        f"({100 * summary.frames_with_people / max(1, summary.frames):.0f}%)\n"
        f"tracks: {summary.tracks} ({summary.lasting_tracks} followed for "
        f"{LASTING_TRACK_S:g} s or more)\n"
        f"most people in one frame: {summary.most_people}\n"
        f"speed: {summary.fps:.1f} fps (model load {load_s:.1f} s, poses {summary.wall_s:.1f} s"
        f"{processes})\n"
        f"memory: {describe_peak(peak_rss_bytes(), memory_limit(), peak_gpu_memory_bytes())}"
        f"{_pose_process_peaks(pose_peaks)}\n"
        f"results: {target / 'poses.json'}"
        + (f"\noverlay: {target / 'overlay.mp4'}" if overlay else "")
    )
