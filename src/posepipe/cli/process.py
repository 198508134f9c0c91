"""`posepipe process VIDEO`: the main job, on one file, with no services."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console

from posepipe.cli.progress import progress_for
from posepipe.config import BackendChoice, get_settings
from posepipe.errors import InvalidInput, PosepipeError
from posepipe.logs import configure_logging
from posepipe.pose.pipeline import RunSummary, run_pipeline
from posepipe.pose.select import build_backend
from posepipe.pose.tracking import Tracker
from posepipe.results import PoseFileSink
from posepipe.video.overlay import render_overlay
from posepipe.video.probe import VideoInfo, probe_video

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def process(
    video: Path = typer.Argument(..., help="The video file to read.", show_default=False),
    out_dir: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder for poses.json and overlay.mp4 [default: out/<video name>]",
    ),
    backend: BackendChoice | None = typer.Option(
        None,
        "--backend",
        "-b",
        help="Pose backend [default: POSE_BACKEND, else auto]",
        case_sensitive=False,
    ),
    overlay: bool = typer.Option(True, "--overlay/--no-overlay", help="Also render overlay.mp4."),
) -> None:
    """Find and track the people in VIDEO; write DIR/poses.json and DIR/overlay.mp4."""
    settings = get_settings()
    console = Console(stderr=True, highlight=False)
    # Quiet by default: the progress bar and summary say what matters. LOG_LEVEL opts in.
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging("posepipe", level, settings.log_format)
    target = out_dir or Path("out") / video.stem

    try:
        info = probe_video(video)
    except InvalidInput as exc:
        _fail(console, exc.message, EXIT_BAD_INPUT)

    created_target = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        work_dir = Path(tempfile.mkdtemp(prefix=".posepipe-tmp-", dir=target))
    except OSError as exc:
        _fail(console, f"{target}: cannot write results there ({exc.strerror})", EXIT_FAILED)

    try:
        summary, load_s = _run(video, info, work_dir, backend, overlay, console)
        for name in ("poses.json", "overlay.mp4"):
            if (work_dir / name).exists():
                os.replace(work_dir / name, target / name)
    except BaseException as exc:
        shutil.rmtree(work_dir, ignore_errors=True)
        if created_target and not any(target.iterdir()):
            target.rmdir()
        if isinstance(exc, KeyboardInterrupt):
            _fail(console, "interrupted; nothing was written", 130)
        if isinstance(exc, InvalidInput):
            _fail(console, exc.message, EXIT_BAD_INPUT)
        if isinstance(exc, PosepipeError):
            _fail(console, exc.message, EXIT_FAILED)
        log.debug("process failed", exc_info=True)
        _fail(console, f"{video}: failed: {type(exc).__name__}: {exc}", EXIT_FAILED)
    shutil.rmtree(work_dir, ignore_errors=True)
    _print_summary(summary, load_s, target, overlay)


def _run(
    video: Path,
    info: VideoInfo,
    work_dir: Path,
    choice: BackendChoice | None,
    overlay: bool,
    console: Console,
) -> tuple[RunSummary, float]:
    settings = get_settings()
    chosen = build_backend(settings, choice)
    console.print(f"backend: [bold]{chosen.backend.name}[/] ({chosen.reason})")
    rotated = f", rotated {info.rotation}°" if info.rotation else ""
    console.print(
        f"video: {video.name} {info.width}x{info.height} {info.fps:.3g} fps "
        f"{info.frames} frames ({info.codec}{rotated})"
    )
    started = time.perf_counter()
    chosen.backend.load()
    load_s = time.perf_counter() - started
    sink = PoseFileSink(work_dir)
    try:
        summary = run_pipeline(
            info,
            chosen.backend,
            sink,
            progress_for("poses", console),
            tracker=Tracker(settings.track_max_lost_frames, settings.track_min_iou),
            batch_size=settings.pose_batch_size,
        )
        if overlay:
            render_overlay(
                info, sink.iter_frames(), chosen.backend.skeleton.edges, work_dir / "overlay.mp4"
            )
    finally:
        sink.close()
        chosen.backend.close()
    return summary, load_s


def _print_summary(summary: RunSummary, load_s: float, target: Path, overlay: bool) -> None:
    out = Console(highlight=False)
    lost = f", {summary.frames_lost} lost to decode errors" if summary.frames_lost else ""
    out.print(
        f"frames: {summary.frames}{lost}\n"
        f"frames with a person: {summary.frames_with_people} "
        f"({100 * summary.frames_with_people / max(1, summary.frames):.0f}%)\n"
        f"tracks: {summary.tracks}\n"
        f"speed: {summary.fps:.1f} fps (model load {load_s:.1f} s, poses {summary.wall_s:.1f} s)\n"
        f"results: {target / 'poses.json'}"
        + (f"\noverlay: {target / 'overlay.mp4'}" if overlay else "")
    )


def _fail(console: Console, message: str, code: int) -> None:
    console.print(f"[red]posepipe:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)
